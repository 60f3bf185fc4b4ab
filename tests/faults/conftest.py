"""Fixtures of the fault-injection suite: fault servers (stopped after each test) and the TLS material."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .certs import TlsSetup
from .server import OK, Chooser, Fault, FaultServer

ServerFactory = Callable[..., FaultServer]


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsSetup:
    return TlsSetup.create(Path(tmp_path_factory.mktemp("tls")))


@pytest.fixture
def serve() -> Iterator[ServerFactory]:
    """``serve(chooser_or_fault, tls=None, hold=5)``: a started fault server, stopped when the test ends.

    ``hold`` bounds how long a stall, delay or drip lasts, so a client that ignores its deadline fails its test.
    """
    started: list[FaultServer] = []

    def start(chooser: Chooser | Fault = OK, *, tls: ssl.SSLContext | None = None, hold: float = 5.0) -> FaultServer:
        server = FaultServer(chooser, tls=tls, hold=hold).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
