# Shared by the scripts in scripts/e2e and scripts/bench: paths of the cache outside the repository, loud failure, and
# cached Go builds. The cache key of each install is a hash of the files it is built from, so devtools/installs.py
# finds the same paths.
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

# The first 16 hex digits of the SHA-256 of the concatenated files (same as devtools.installs.content_key()).
content_key() {
    cat "$@" | sha256sum | cut -c1-16
}

require_tool() {
    command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed; $2"
}

# go_build_cached SOURCE_DIR PREFIX BINARY: `go build` the module in SOURCE_DIR into
# $E2E_CACHE/PREFIX-<key of go.mod, go.sum, main.go>/BINARY, unless it is already there.
go_build_cached() {
    local src="$1" prefix="$2" name="$3"
    require_tool go "install Go 1.22 or newer (https://go.dev/dl)"
    local dest
    dest="$E2E_CACHE/$prefix-$(content_key "$src/go.mod" "$src/go.sum" "$src/main.go")"
    if [ -x "$dest/$name" ]; then
        note "$name already built: $dest/$name"
        return 0
    fi
    mkdir -p "$dest"
    note "building $name into $dest"
    local start=$SECONDS
    (cd "$src" && go build -mod=readonly -trimpath -o "$dest/$name.tmp" .) || die "go build failed in $src"
    mv "$dest/$name.tmp" "$dest/$name"
    note "$name built in $((SECONDS - start)) s"
}
