# Shared by the scripts in scripts/e2e: paths of the cache outside the repository, and loud failure.
# The cache key of each install is a hash of the files it is built from, so tests/e2e/harness.py finds the same paths.
set -euo pipefail

E2E_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
E2E_CACHE="${PUSHER_FAST_CACHE:-$HOME/.cache/pusher-fast}"
# shellcheck source=versions.env
source "$E2E_REPO/scripts/e2e/versions.env"

die() {
    echo "e2e install: ERROR: $*" >&2
    exit 1
}

note() {
    echo "e2e install: $*" >&2
}

# The first 16 hex digits of the SHA-256 of the concatenated files (same as harness.content_key()).
content_key() {
    cat "$@" | sha256sum | cut -c1-16
}

require_tool() {
    command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed; $2"
}
