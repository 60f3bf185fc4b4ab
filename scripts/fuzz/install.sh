#!/usr/bin/env bash
# cargo-fuzz (pinned) built once per machine into the cache, and a check that a nightly toolchain is there (libFuzzer
# needs -Z flags). Idempotent: prints the path of the cargo-fuzz binary and exits when it is already built.
set -euo pipefail
CARGO_FUZZ_VERSION=0.13.2
cache="${PUSHER_FAST_CACHE:-$HOME/.cache/pusher-fast}"
root="$cache/cargo-fuzz-$CARGO_FUZZ_VERSION"
binary="$root/bin/cargo-fuzz"

die() {
    echo "fuzz install: ERROR: $*" >&2
    exit 1
}

command -v cargo >/dev/null 2>&1 || die "cargo is not installed (https://rustup.rs)"
rustup run nightly rustc --version >/dev/null 2>&1 ||
    die "no nightly Rust toolchain: run 'rustup toolchain install nightly' (cargo-fuzz needs it)"

if [ ! -x "$binary" ]; then
    mkdir -p "$cache"
    exec 9>"$cache/.fuzz-install.lock"
    flock 9
    if [ ! -x "$binary" ]; then
        echo "fuzz install: building cargo-fuzz $CARGO_FUZZ_VERSION into $root" >&2
        cargo +stable install --quiet --locked --version "$CARGO_FUZZ_VERSION" --root "$root.tmp" cargo-fuzz ||
            die "cargo install cargo-fuzz $CARGO_FUZZ_VERSION failed"
        rm -rf "$root"
        mv "$root.tmp" "$root"
    fi
fi
echo "$binary"
