"""Fixtures of the end-to-end suite: one soketi and one sockudo per pytest process, and a webhook receiver.

Both servers are session-scoped, so each xdist worker starts its own pair on free ports and stops it at the end of
its session (also when tests fail or time out). Tests take the ``server`` fixture to run once against each server.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pusher_fast import Pusher

from .harness import NotInstalled, ServerProcess, WebhookReceiver, start_sockudo, start_soketi

SERVERS = ("soketi", "sockudo")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "e2e: end-to-end tests against real Pusher-protocol servers and official SDKs (`make e2e`)"
    )


@pytest.fixture(scope="session")
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


def _start(
    starter: Callable[[Path, WebhookReceiver], ServerProcess],
    name: str,
    tmp_path_factory: pytest.TempPathFactory,
    receiver: WebhookReceiver,
) -> ServerProcess:
    try:
        return starter(tmp_path_factory.mktemp(name), receiver)
    except NotInstalled as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def soketi_server(
    tmp_path_factory: pytest.TempPathFactory, webhook_receiver: WebhookReceiver
) -> Iterator[ServerProcess]:
    server = _start(start_soketi, "soketi", tmp_path_factory, webhook_receiver)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sockudo_server(
    tmp_path_factory: pytest.TempPathFactory, webhook_receiver: WebhookReceiver
) -> Iterator[ServerProcess]:
    server = _start(start_sockudo, "sockudo", tmp_path_factory, webhook_receiver)
    yield server
    server.stop()


@pytest.fixture(params=SERVERS)
def server(request: pytest.FixtureRequest) -> Iterator[ServerProcess]:
    """Each server in turn; after the test, the server must still be running."""
    running: ServerProcess = request.getfixturevalue(f"{request.param}_server")
    assert running.alive(), f"{running.name} is not running:\n{running.log_tail()}"
    yield running
    assert running.alive(), f"{running.name} died during the test:\n{running.log_tail()}"


@pytest.fixture
def client(server: ServerProcess) -> Iterator[Pusher]:
    """A synchronous pusher_fast client for ``server``, with an encryption master key."""
    with Pusher(**server.client_options()) as pusher:
        yield pusher


@pytest.fixture
def name() -> Callable[[str], str]:
    """``name("prefix")`` gives a channel or user name that no other test uses (tests share each server)."""

    def make(prefix: str) -> str:
        return f"{prefix}{uuid.uuid4().hex[:12]}"

    return make
