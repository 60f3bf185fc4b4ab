"""A local, in-process Pusher Channels HTTP API server for tests.

``LocalPusherServer`` speaks the Channels REST API on 127.0.0.1, checks request signatures with the standard library
(independently of ``pusher_fast``'s own signer), records what it accepts and can send signed webhooks::

    from pusher_fast.testing import LocalPusherServer

    with LocalPusherServer() as server:
        client = Pusher(**server.client_options())
        client.trigger("my-channel", "my-event", "hello")
        (event,) = server.wait_for_events(1)

It speaks the HTTP API only: there is no WebSocket endpoint, so nothing reaches pusher-js. Given
``encryption_master_key_base64``, :meth:`LocalPusherServer.plaintext` opens recorded encrypted events;
:meth:`LocalPusherServer.webhook_request` builds a signed webhook for a web framework's test client.

With pytest, the ``pusher_server`` fixture (from ``pusher_fast.testing.pytest_plugin``) gives each test a fresh server.
Run ``python -m pusher_fast.testing`` for a standalone server.
"""

from __future__ import annotations

from ._models import ClientOptions, RecordedEvent, RecordedRequest, WebhookRequest
from ._server import AddressInUseError, LocalPusherServer

__all__ = [
    "AddressInUseError",
    "ClientOptions",
    "LocalPusherServer",
    "RecordedEvent",
    "RecordedRequest",
    "WebhookRequest",
]
