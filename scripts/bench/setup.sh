#!/usr/bin/env bash
# Everything `make bench` needs beyond the virtualenv: the nginx sink (apt) and soketi (through the e2e suite's own
# install script, scripts/e2e/install_node.sh, into the shared cache). Idempotent. nginx is required; soketi is not:
# when it cannot be installed the benchmark skips that scenario with a note. sockudo is used when scripts/e2e has
# already built it (about 12 minutes on 2 cores, so not from here: run scripts/e2e/install_sockudo.sh once for it).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

"$here/install_nginx.sh"

if [ "${BENCH_SKIP_SOKETI:-0}" != "0" ]; then
    echo "bench setup: BENCH_SKIP_SOKETI is set: soketi not installed" >&2
elif [ -x "$repo/scripts/e2e/install_node.sh" ]; then
    "$repo/scripts/e2e/install_node.sh" ||
        echo "bench setup: WARNING: soketi could not be installed; its scenario will be skipped" >&2
else
    echo "bench setup: WARNING: scripts/e2e/install_node.sh not found; the soketi scenario will be skipped" >&2
fi
