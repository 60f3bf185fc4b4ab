"""pytest plugin providing the ``pusher_server`` fixture: a fresh ``LocalPusherServer`` for each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pusher_fast.testing import LocalPusherServer

__all__ = ["pusher_server"]


@pytest.fixture
def pusher_server() -> Iterator[LocalPusherServer]:
    """A started ``LocalPusherServer`` on a free port with the default credentials, stopped after the test.

    Point a client at it with ``Pusher(**pusher_server.client_options())``.
    """
    server = LocalPusherServer().start()
    try:
        yield server
    finally:
        server.stop()
