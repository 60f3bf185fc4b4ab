#!/usr/bin/env bash
# Everything the end-to-end suite needs, cached outside the repository: node packages (soketi, pusher-js, pusher),
# sockudo and the Go oracle. Idempotent; fails loudly when anything cannot be installed.
set -euo pipefail
here="$(dirname "$0")"
"$here/install_node.sh"
"$here/build_go.sh"
"$here/install_sockudo.sh"
