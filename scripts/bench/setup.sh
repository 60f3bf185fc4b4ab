#!/usr/bin/env bash
# Everything `make bench` needs beyond the virtualenv: the nginx sink (apt), the Go peer (benches/peers/go, built into
# the shared cache from the Go module proxy), and soketi and the official Node SDK (through the e2e suite's own
# install script, scripts/e2e/install_node.sh, into the shared cache). Idempotent. nginx is required; so are Go and
# Node for the peers' columns, which are left empty with a note when they cannot be installed. sockudo is used when
# scripts/e2e has already built it (about 12 minutes on 2 cores, so not from here: run
# scripts/e2e/install_sockudo.sh once for it).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

"$here/install_nginx.sh"

"$here/build_go.sh" ||
    echo "bench setup: WARNING: the Go peer could not be built; its columns will be empty" >&2

if [ "${BENCH_SKIP_SOKETI:-0}" != "0" ]; then
    echo "bench setup: BENCH_SKIP_SOKETI is set: soketi and the Node SDK not installed" >&2
else
    "$repo/scripts/e2e/install_node.sh" ||
        echo "bench setup: WARNING: the node packages could not be installed; soketi and Node will be skipped" >&2
fi
