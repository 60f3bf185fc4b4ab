"""The servers the benchmark publishes to: its own nginx sink, and soketi and sockudo from the e2e installs."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from benches._support import APP_ID, KEY, SECRET
from devtools import installs, servers
from devtools.processes import Server, http_get, start_with_retries

STATUS_PATH = "/__bench_status"
BENCH_APP = servers.App(APP_ID, KEY, SECRET)  # numeric: the official Python SDK takes no other

NGINX_CONF = """\
worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    client_max_body_size 1m;
    client_body_buffer_size 1m;
    client_body_temp_path {root}/tmp/body;
    proxy_temp_path {root}/tmp/proxy;
    fastcgi_temp_path {root}/tmp/fastcgi;
    uwsgi_temp_path {root}/tmp/uwsgi;
    scgi_temp_path {root}/tmp/scgi;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location = {status} {{ stub_status; }}
        location / {{
            default_type application/json;
            return 200 '{{}}';
        }}
    }}
}}
"""


def nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
    if found is None:
        raise RuntimeError("nginx is not installed: run scripts/bench/setup.sh (make bench does)")
    return found


class NginxSink:
    """The HTTP sink: every request answered ``200 {}``; ``requests()`` counts what it has answered."""

    def __init__(self, work_dir: Path) -> None:
        self.root = work_dir / "nginx"
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)
        self.binary = nginx_binary()
        self.server = start_with_retries(self._start)
        self.port = self.server.port
        self._status_reads = 0

    def _start(self, port: int) -> Server:
        conf = self.root / "nginx.conf"
        conf.write_text(NGINX_CONF.format(root=self.root, port=port, status=STATUS_PATH))
        command = [self.binary, "-p", str(self.root), "-c", str(conf), "-e", str(self.root / "error.log")]
        return Server.launch("nginx", command, port=port, log_path=self.root / "stdout.log", ready_path=STATUS_PATH)

    def requests(self) -> int:
        """Requests answered so far, less this benchmark's own status reads."""
        status, body = http_get(self.port, STATUS_PATH)
        if status != 200:
            raise RuntimeError(f"nginx status page answered {status}")
        self._status_reads += 1
        # "Active connections: 1\nserver accepts handled requests\n 1 1 1\n...": the third line's third number.
        # It counts the status request being answered, so every status read so far is subtracted.
        return int(body.decode().splitlines()[2].split()[2]) - self._status_reads

    def cpu_seconds(self) -> float:
        """CPU seconds (user and system) nginx's master and worker have used so far."""
        master = self.server.process.pid
        ticks = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rpartition(")")[2].split()
            except OSError:  # a process that ended while the list was read
                continue
            if master in (int(stat.parent.name), int(fields[1])):
                ticks += int(fields[11]) + int(fields[12])  # utime and stime, stat(5)'s fields 14 and 15
        return ticks / os.sysconf("SC_CLK_TCK")

    def version(self) -> str:
        completed = subprocess.run([self.binary, "-v"], capture_output=True, text=True, check=False)
        return completed.stderr.strip().replace("nginx version: ", "")

    def stop(self) -> None:
        self.server.stop()


def start_soketi(work_dir: Path) -> tuple[Server, str]:
    """soketi from the e2e install with the benchmark's app; raises ``installs.NotInstalled`` when missing."""
    version = installs.soketi_version()
    return servers.start_soketi(work_dir / "soketi", BENCH_APP), f"soketi {version}"


def start_sockudo(work_dir: Path) -> tuple[Server, str]:
    """sockudo from the e2e install with the benchmark's app; raises ``installs.NotInstalled`` when missing."""
    version = installs.pinned_versions()["SOCKUDO_VERSION"]
    return servers.start_sockudo(work_dir / "sockudo", BENCH_APP), f"sockudo {version}"
