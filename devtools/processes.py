"""Server processes for tests and benchmarks: free ports, starting with a log file, readiness, stopping by PID.

Servers listen on 127.0.0.1 only, on ports chosen here, so parallel runs (pytest-xdist workers, other clones, a
benchmark beside a test run) do not clash. soketi binds with SO_REUSEPORT, so a second soketi started on a port that
another process picked at the same moment would not fail: both would listen and share the connections. A port is
therefore taken only when nothing listens on it, and a server is ready only when it answers *and* (on Linux) its own
process group holds the one socket listening on its port; :func:`start_with_retries` moves it to another port when
another server shares the port.

Each server runs in its own process group, which :meth:`Server.stop` (``stop_process_group``) signals; the kernel
also SIGKILLs it when the process that started it dies first (``die_with_parent``), so no server outlives a crashed
run.
"""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

__all__ = [
    "HOST",
    "Server",
    "die_with_parent",
    "free_port",
    "group_sockets",
    "http_get",
    "listeners",
    "listening_sockets",
    "port_is_free",
    "start_with_retries",
    "stop_process_group",
]

HOST = "127.0.0.1"
TCP_LISTEN = "0A"  # the state column of /proc/net/tcp

Started = TypeVar("Started")


def die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask the kernel to SIGKILL this child when its parent dies (only prctl(), which is async-signal-safe)."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def port_is_free(port: int) -> bool:
    """Nothing listens on ``port`` of 127.0.0.1 and a plain bind to it succeeds right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        if probe.connect_ex((HOST, port)) == 0:
            return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on (the kernel's choice, so parallel runs rarely collide)."""
    for _ in range(20):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((HOST, 0))
            port = int(sock.getsockname()[1])
        if port_is_free(port):
            return port
    raise RuntimeError("no free TCP port found on 127.0.0.1 in 20 tries")


def listening_sockets(port: int) -> set[int] | None:
    """The inodes of the sockets listening on TCP ``port`` (any address, IPv4 and IPv6); None without /proc/net."""
    inodes: set[int] = set()
    found_table = False
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        found_table = True
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == TCP_LISTEN and int(fields[1].rpartition(":")[2], 16) == port:
                inodes.add(int(fields[9]))
    return inodes if found_table else None


def listeners(port: int) -> int | None:
    """How many sockets listen on TCP ``port``; None where /proc/net is not there."""
    inodes = listening_sockets(port)
    return None if inodes is None else len(inodes)


def group_sockets(pgid: int) -> set[int]:
    """The inodes of the sockets held open by the processes of process group ``pgid`` (Linux /proc)."""
    inodes: set[int] = set()
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            # The fields after the command (which may hold spaces and parentheses): state, ppid, pgrp, ...
            if int((proc / "stat").read_text().rpartition(")")[2].split()[2]) != pgid:
                continue
            links = [os.readlink(fd) for fd in (proc / "fd").iterdir()]
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile, or not ours to read
        inodes.update(int(link[8:-1]) for link in links if link.startswith("socket:["))
    return inodes


def http_get(port: int, path: str, timeout: float = 2) -> tuple[int, bytes]:
    """``GET path`` on 127.0.0.1:``port`` with http.client, which never consults a proxy from the environment."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@dataclass
class Server:
    """A child process listening on 127.0.0.1:``port``, in its own process group, stopped with :meth:`stop`."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def host(self) -> str:
        return HOST

    @classmethod
    def launch(
        cls,
        name: str,
        command: Sequence[str],
        *,
        port: int,
        log_path: Path,
        ready_path: str,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        timeout: float = 30,
    ) -> Server:
        """Start ``command`` with its output in ``log_path``; return once ``GET ready_path`` answers 200.

        Raises RuntimeError, after stopping the process, when it exits first, does not answer within ``timeout``
        seconds, or shares its port with another listener.
        """
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                list(command),
                cwd=cwd if cwd is not None else log_path.parent,
                env=dict(env) if env is not None else None,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        server = cls(name, port, process, log_path)
        try:
            server.wait_ready(ready_path, timeout)
        except BaseException:
            server.stop()
            raise
        return server

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def wait_ready(self, path: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = "not tried"
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode} before it was ready:\n{self.log_tail()}"
                )
            try:
                status, _ = http_get(self.port, path)
                if status == 200 and self._listens_alone():
                    return
                last = (
                    f"HTTP {status}" if status != 200 else f"port {self.port} answers, but not (yet) from {self.name}"
                )
            except OSError as exc:
                last = str(exc)
            time.sleep(0.1)
        raise RuntimeError(
            f"{self.name} was not ready on port {self.port}{path} within {timeout} s ({last}):\n{self.log_tail()}"
        )

    def _listens_alone(self) -> bool:
        """This server's processes hold a socket listening on its port, and no other process does (on Linux).

        An answer alone proves nothing: another server bound with SO_REUSEPORT to the same port may have given it.
        """
        listening = listening_sockets(self.port)
        if listening is None:
            return True
        ours = listening & group_sockets(self.process.pid)
        if ours and listening - ours:
            raise RuntimeError(f"{self.name} shares port {self.port} with another server")
        return bool(ours)

    def stop(self) -> None:
        stop_process_group(self.process)


def stop_process_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process's whole group (it was started in a new session), SIGKILL after 5 s (also to anything
    left in the group); always reaps the process."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(5)


def start_with_retries(start: Callable[[int], Started], attempts: int = 3) -> Started:
    """``start(port)`` on a fresh free port, again on another if it fails (the port was taken meanwhile)."""
    error: Exception | None = None
    for _ in range(attempts):
        try:
            return start(free_port())
        except RuntimeError as exc:
            error = exc
    assert error is not None
    raise error
