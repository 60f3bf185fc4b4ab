from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pusher_fast import Pusher
from pusher_fast.testing import LocalPusherServer
from tests.sdk_pair import APP_ID, KEY, MASTER_KEY_BASE64, SECRET, NoSend, make_official


@pytest.fixture
def pusher(pusher_server: LocalPusherServer) -> Iterator[Pusher]:
    """A client pointed at the fresh local server, with an encryption master key."""
    with Pusher(**pusher_server.client_options(), encryption_master_key_base64=MASTER_KEY_BASE64) as client:
        yield client


@pytest.fixture
def make_ours() -> Iterator[Callable[..., Pusher]]:
    """Builds pusher_fast clients for the app of ``sdk_pair`` (``app_id`` may be given) that never send; closes them."""
    clients: list[Pusher] = []

    def make(**options: Any) -> Pusher:
        options.setdefault("app_id", APP_ID)
        client = Pusher(key=KEY, secret=SECRET, backend=NoSend, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def official() -> Any:
    """The official client, with the encryption master key, that never sends."""
    return make_official(encryption_master_key_base64=MASTER_KEY_BASE64)


@pytest.fixture
def ours(make_ours: Callable[..., Pusher]) -> Pusher:
    """pusher_fast with the same settings as ``official``."""
    return make_ours(encryption_master_key_base64=MASTER_KEY_BASE64)
