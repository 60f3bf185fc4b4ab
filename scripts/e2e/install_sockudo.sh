#!/usr/bin/env bash
# sockudo from crates.io, built once per machine into the cache; skipped when the binary exists.
# The system packages are installed with apt-get when missing. RUSTFLAGS="--cfg tokio_unstable" is needed by the
# published crates (sockudo-metrics uses tokio's unstable runtime metrics) and harmless otherwise.
source "$(dirname "$0")/common.sh"

root="$E2E_CACHE/sockudo-$SOCKUDO_VERSION"
binary="$root/bin/sockudo"
if [ -x "$binary" ]; then
    note "sockudo $SOCKUDO_VERSION already built: $binary"
    exit 0
fi

missing=()
for package in pkg-config libssl-dev protobuf-compiler build-essential; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
    note "installing system packages: ${missing[*]}"
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -q || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q "${missing[@]}" ||
        die "apt-get install ${missing[*]} failed"
fi
require_tool cargo "install Rust 1.94 or newer (https://rustup.rs)"

mkdir -p "$E2E_CACHE"
exec 9>"$E2E_CACHE/.e2e-sockudo.lock"
flock 9
[ -x "$binary" ] && exit 0

note "building sockudo $SOCKUDO_VERSION (about 12 minutes on 2 cores; the log is in $E2E_CACHE/sockudo-build.log)"
start=$SECONDS
if ! RUSTFLAGS="--cfg tokio_unstable" CARGO_TARGET_DIR="$E2E_CACHE/sockudo-build" nice -n 19 \
    cargo install sockudo --version "$SOCKUDO_VERSION" --locked --root "$root" >"$E2E_CACHE/sockudo-build.log" 2>&1; then
    tail -n 40 "$E2E_CACHE/sockudo-build.log" >&2
    die "cargo install sockudo $SOCKUDO_VERSION failed (full log: $E2E_CACHE/sockudo-build.log)"
fi
[ -x "$binary" ] || die "cargo install finished but $binary is missing"
note "sockudo $SOCKUDO_VERSION built in $((SECONDS - start)) s"
