"""The official ``pusher`` 3.3.4 SDK and pusher_fast side by side, neither sending anything: the app both are built
for, and the backend that refuses to send. The fixtures over them (``make_ours``, ``official``, ``ours``) are in
``conftest.py``.
"""

from __future__ import annotations

import base64
from typing import Any

import pusher

APP_ID = "4"
KEY = "key"
SECRET = "secret"
MASTER_KEY = bytes(range(32))
MASTER_KEY_BASE64 = base64.b64encode(MASTER_KEY).decode("ascii")


class NoSend:
    """A backend for both SDKs (``backend(client, **options).send_request(request)``) that refuses to send."""

    def __init__(self, client: Any, **options: Any) -> None:
        pass

    def send_request(self, request: Any) -> Any:
        raise AssertionError("these tests never send a request")


def make_official(**options: Any) -> Any:
    """The official client for the app (``app_id`` may be given), on :class:`NoSend`."""
    options.setdefault("app_id", APP_ID)
    return pusher.Pusher(key=KEY, secret=SECRET, backend=NoSend, **options)
