"""pusher_fast: a fast, typed, drop-in replacement for the official Pusher Channels Python SDK.

from pusher_fast import Pusher

pusher = Pusher(app_id="1", key="...", secret="...", cluster="eu")
pusher.trigger("my-channel", "my-event", {"message": "hello"})
"""

from __future__ import annotations

from pusher_fast._bulk_result import BulkResult, FailedEvent
from pusher_fast._client import AsyncPusher, Pusher
from pusher_fast._request import PreparedRequest, RequestBuilder
from pusher_fast._transports import parse_response
from pusher_fast._version import __version__
from pusher_fast.errors import (
    PusherBadAuth,
    PusherBadRequest,
    PusherBadStatus,
    PusherBulkError,
    PusherClientClosed,
    PusherConnectionError,
    PusherError,
    PusherForbidden,
    PusherHTTPError,
    PusherTimeout,
    PusherTransportError,
    PusherWebhookError,
)
from pusher_fast.webhook import Webhook, WebhookEvent

__all__ = [
    "AsyncPusher",
    "BulkResult",
    "FailedEvent",
    "PreparedRequest",
    "Pusher",
    "PusherBadAuth",
    "PusherBadRequest",
    "PusherBadStatus",
    "PusherBulkError",
    "PusherClientClosed",
    "PusherConnectionError",
    "PusherError",
    "PusherForbidden",
    "PusherHTTPError",
    "PusherTimeout",
    "PusherTransportError",
    "PusherWebhookError",
    "RequestBuilder",
    "Webhook",
    "WebhookEvent",
    "__version__",
    "parse_response",
]
