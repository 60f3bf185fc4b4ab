"""The helpers shared by the e2e suite and the benchmarks: install paths, free ports, server processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools import installs
from devtools.processes import Server, free_port, listeners, port_is_free, start_with_retries

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/net/tcp")

# An HTTP server on argv[1] that binds with SO_REUSEPORT, as soketi does.
REUSEPORT_SERVER = """
import http.server, socket, sys
class Server(http.server.HTTPServer):
    def server_bind(self):
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        super().server_bind()
Server(("127.0.0.1", int(sys.argv[1])), http.server.SimpleHTTPRequestHandler).serve_forever()
"""


@pytest.fixture
def started() -> Iterator[list[Server]]:
    servers: list[Server] = []
    yield servers
    for server in servers:
        server.stop()


def reuseport_listener(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen()
    return sock


def test_content_key_matches_the_shell_scripts(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.write_bytes(b"module x\n")
    second.write_bytes(bytes(range(256)))
    common = installs.REPO / "scripts" / "e2e" / "common.sh"
    shell = subprocess.run(
        ["bash", "-c", 'source "$0" && content_key "$1" "$2"', str(common), str(first), str(second)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert shell.stdout.strip() == installs.content_key(first, second)
    assert len(shell.stdout.strip()) == 16


def test_go_programs_are_found_by_the_key_of_their_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(installs, "CACHE", tmp_path)
    with pytest.raises(installs.NotInstalled, match=r"scripts/bench/setup\.sh"):
        installs.go_bench_runner()
    source = installs.REPO / "benches" / "peers" / "go"
    key = installs.content_key(source / "go.mod", source / "go.sum", source / "main.go")
    binary = tmp_path / f"bench-go-{key}" / "pusher-go-bench"
    binary.parent.mkdir()
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    assert installs.go_bench_runner() == binary


def test_pinned_versions_reads_versions_env() -> None:
    assert installs.pinned_versions()["SOCKUDO_VERSION"].count(".") == 2


def test_free_port_has_no_listener() -> None:
    port = free_port()
    assert port_is_free(port)
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_a_reuseport_listener_makes_a_port_not_free() -> None:
    port = free_port()
    with reuseport_listener(port):
        assert not port_is_free(port)


@linux_only
def test_listeners_counts_servers_sharing_a_port() -> None:
    port = free_port()
    assert listeners(port) == 0
    with reuseport_listener(port), reuseport_listener(port):
        assert listeners(port) == 2


def test_server_launch_waits_until_ready_and_stop_kills_its_group(tmp_path: Path, started: list[Server]) -> None:
    command = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1"]
    server = start_with_retries(
        lambda port: Server.launch("http", [*command, str(port)], port=port, log_path=tmp_path / "log", ready_path="/")
    )
    started.append(server)
    assert server.alive()
    with socket.create_connection((server.host, server.port), timeout=2):
        pass
    server.stop()
    assert not server.alive()
    with pytest.raises(ProcessLookupError):
        os.killpg(server.process.pid, 0)


def test_server_launch_reports_an_early_exit_with_its_log(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "print('cannot start'); raise SystemExit(3)"]
    with pytest.raises(RuntimeError, match=r"exited with 3(.|\n)*cannot start"):
        Server.launch("broken", command, port=free_port(), log_path=tmp_path / "log", ready_path="/", timeout=10)


@linux_only
def test_server_launch_refuses_a_port_shared_with_another_server(tmp_path: Path, started: list[Server]) -> None:
    port = free_port()
    command = [sys.executable, "-c", REUSEPORT_SERVER, str(port)]
    started.append(Server.launch("first", command, port=port, log_path=tmp_path / "first.log", ready_path="/"))
    with pytest.raises(RuntimeError, match="shares port"):
        Server.launch("second", command, port=port, log_path=tmp_path / "second.log", ready_path="/")
    assert started[0].alive()
    assert listeners(port) == 1
