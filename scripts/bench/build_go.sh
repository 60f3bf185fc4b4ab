#!/usr/bin/env bash
# The Go peer of the benchmark (benches/peers/go: the official Go SDK and a raw-socket load generator), built with
# `go build` into the cache, keyed by its sources like the e2e suite's Go oracle.
source "$(dirname "$0")/../e2e/common.sh"

go_build_cached "$E2E_REPO/benches/peers/go" bench-go pusher-go-bench
