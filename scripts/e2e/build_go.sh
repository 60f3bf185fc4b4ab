#!/usr/bin/env bash
# The Go oracle (tests/e2e/go, using github.com/pusher/pusher-http-go/v5), built with `go build` into the cache.
source "$(dirname "$0")/common.sh"

go_build_cached "$E2E_REPO/tests/e2e/go" e2e-go pusher-go-oracle
