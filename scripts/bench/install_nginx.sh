#!/usr/bin/env bash
# The nginx binary the throughput benchmark uses as its HTTP sink (benches/throughput.py starts and stops its own
# instance on 127.0.0.1; the system service is neither configured nor started here). Idempotent: does nothing when an
# nginx binary is already installed. Debian's nginx-light is enough (the sink only needs `return 200`).
set -euo pipefail

find_nginx() {
    command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true
}

if [ -n "$(find_nginx)" ]; then
    echo "bench setup: nginx already installed: $(find_nginx)" >&2
    exit 0
fi
command -v apt-get >/dev/null 2>&1 || {
    echo "bench setup: ERROR: nginx is not installed and apt-get is not available; install nginx by hand" >&2
    exit 1
}
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
echo "bench setup: installing nginx-light with apt-get" >&2
"${sudo_cmd[@]}" apt-get update -q >/dev/null
# policy-rc.d-free way to keep the package's own service from starting: the benchmark never uses it.
DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends nginx-light \
    >/dev/null
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet nginx 2>/dev/null; then
    "${sudo_cmd[@]}" systemctl stop nginx || true
fi
[ -n "$(find_nginx)" ] || {
    echo "bench setup: ERROR: apt-get install nginx-light finished but no nginx binary was found" >&2
    exit 1
}
echo "bench setup: nginx installed: $(find_nginx)" >&2
