#!/usr/bin/env bash
# Everything the end-to-end suite needs, cached outside the repository: node packages (soketi, pusher-js, pusher),
# sockudo, the Go oracle, and Chromium with its WebDriver. Idempotent; fails loudly when anything cannot be installed.
set -euo pipefail
here="$(dirname "$0")"
"$here/install_node.sh"
"$here/build_go.sh"
"$here/install_sockudo.sh"
"$here/install_chromium.sh"
