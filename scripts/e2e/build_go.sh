#!/usr/bin/env bash
# The Go oracle (tests/e2e/go, using github.com/pusher/pusher-http-go/v5), built with `go build` into the cache.
source "$(dirname "$0")/common.sh"

require_tool go "install Go 1.22 or newer (https://go.dev/dl)"
src="$E2E_REPO/tests/e2e/go"
dest="$E2E_CACHE/e2e-go-$(content_key "$src/go.mod" "$src/go.sum" "$src/main.go")"
if [ -x "$dest/pusher-go-oracle" ]; then
    note "Go oracle already built: $dest/pusher-go-oracle"
    exit 0
fi
mkdir -p "$dest"
note "building the Go oracle into $dest"
start=$SECONDS
(cd "$src" && go build -mod=readonly -trimpath -o "$dest/pusher-go-oracle.tmp" .) || die "go build failed in $src"
mv "$dest/pusher-go-oracle.tmp" "$dest/pusher-go-oracle"
note "Go oracle built in $((SECONDS - start)) s"
