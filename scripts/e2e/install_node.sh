#!/usr/bin/env bash
# soketi 1.6.1 (with the uWebSockets.js override), pusher-js 8.6.0 and the official Node SDK pusher 5.3.4, from
# tests/e2e/node/package-lock.json, installed with `npm ci` into the cache. Idempotent: skipped when already there.
source "$(dirname "$0")/common.sh"

require_tool node "install Node.js 20 (https://nodejs.org or apt-get install nodejs)"
require_tool npm "install npm (it ships with Node.js)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
# The uWebSockets.js build soketi runs on ships binaries for Node 16, 18 and 20 only.
case "$node_major" in
    16 | 18 | 20) ;;
    *) die "Node $node_major is not supported by soketi's uWebSockets.js build; use Node 16, 18 or 20" ;;
esac

src="$E2E_REPO/tests/e2e/node"
dest="$E2E_CACHE/e2e-node-$(content_key "$src/package-lock.json")"
if [ -f "$dest/.installed" ]; then
    note "node packages already installed in $dest"
    exit 0
fi
mkdir -p "$E2E_CACHE"
exec 9>"$E2E_CACHE/.e2e-node.lock"
flock 9
[ -f "$dest/.installed" ] && exit 0

note "installing soketi, pusher-js and pusher into $dest (npm ci)"
start=$SECONDS
rm -rf "$dest.tmp"
mkdir -p "$dest.tmp"
cp "$src/package.json" "$src/package-lock.json" "$dest.tmp/"
(cd "$dest.tmp" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in $dest.tmp"
node -e 'require(process.argv[1])' "$dest.tmp/node_modules/uWebSockets.js" ||
    die "the uWebSockets.js build cannot be loaded on this system (see the error above)"
rm -rf "$dest"
mv "$dest.tmp" "$dest"
touch "$dest/.installed"
note "node packages installed in $((SECONDS - start)) s"
