from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from pusher_fast import Pusher
from pusher_fast.testing import LocalPusherServer

MASTER_KEY = bytes(range(32))
MASTER_KEY_BASE64 = base64.b64encode(MASTER_KEY).decode()


@pytest.fixture
def pusher(pusher_server: LocalPusherServer) -> Iterator[Pusher]:
    """A client pointed at the fresh local server, with an encryption master key."""
    with Pusher(**pusher_server.client_options(), encryption_master_key_base64=MASTER_KEY_BASE64) as client:
        yield client
