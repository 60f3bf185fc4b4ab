"""Exceptions raised by pusher_fast.

The names and the status mapping of the official ``pusher`` package are kept, so ``except PusherBadRequest`` and
friends work unchanged after switching the import. ::

    PusherError
     ├── PusherHTTPError              a response outside 2xx; carries .status and .body
     │    ├── PusherBadRequest         400
     │    ├── PusherBadAuth            401
     │    ├── PusherForbidden          403
     │    └── PusherBadStatus          any other status, e.g. 404, 413, 429, 5xx
     ├── PusherTransportError         the request got no HTTP response
     │    ├── PusherTimeout            also a built-in TimeoutError
     │    ├── PusherConnectionError    also a built-in ConnectionError
     │    └── PusherClientClosed       the client was closed (close()/aclose()) before the call
     ├── PusherWebhookError           also a ValueError: a webhook that fails validation
     └── PusherBulkError              trigger_many could not read the caller's events; carries .result

Invalid arguments raise the built-in ``ValueError`` and ``TypeError`` before anything is sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pusher_fast._bulk_result import BulkResult

__all__ = [
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
]


class PusherError(Exception):
    """Base class of every exception pusher_fast raises on purpose."""


class PusherHTTPError(PusherError):
    """The API answered with a status outside 2xx.

    ``str(error)`` is the response body (``"status: body"`` for :class:`PusherBadStatus`), as in the official SDK.
    ``retry_after`` holds the Retry-After header in seconds when the server sent one.
    """

    def __init__(self, status: int, body: str, *, retry_after: float | None = None) -> None:
        super().__init__(self._message(status, body))
        self.status = status
        self.body = body
        self.retry_after = retry_after

    @staticmethod
    def _message(status: int, body: str) -> str:
        return body

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_http_error, (type(self), self.status, self.body, self.retry_after))


def _rebuild_http_error(
    cls: type[PusherHTTPError], status: int, body: str, retry_after: float | None
) -> PusherHTTPError:
    return cls(status, body, retry_after=retry_after)


class PusherBadRequest(PusherHTTPError):
    """HTTP 400: the API rejected the request's content."""


class PusherBadAuth(PusherHTTPError):
    """HTTP 401: wrong key or secret, a clock more than 600 s off, or a body that does not match its signature."""


class PusherForbidden(PusherHTTPError):
    """HTTP 403: the app is disabled or over its message quota."""


class PusherBadStatus(PusherHTTPError):
    """Any other status outside 2xx (404, 413, 429, 5xx, ...)."""

    @staticmethod
    def _message(status: int, body: str) -> str:
        return f"{status}: {body}"


class PusherTransportError(PusherError):
    """The request did not get an HTTP response. Whether the server acted on it is unknown."""


class PusherTimeout(PusherTransportError, TimeoutError):
    """Connecting, sending or reading took longer than the configured timeout."""


class PusherConnectionError(PusherTransportError, ConnectionError):
    """The connection could not be made or broke (DNS, refused, reset, TLS failure, proxy error)."""


class PusherClientClosed(PusherTransportError):
    """The client was closed with ``close()``/``aclose()``; nothing was sent. Never retried: make a new client."""


class PusherWebhookError(PusherError, ValueError):
    """A webhook failed validation: missing headers, wrong key, bad signature, bad JSON or undecryptable data."""


class PusherBulkError(PusherError):
    """Reading the caller's events for ``trigger_many`` raised (the original is ``__cause__``).

    ``result`` accounts for every event read before that: each one was sent or is listed as failed.
    """

    def __init__(self, message: str, result: BulkResult) -> None:
        super().__init__(message)
        self.result = result
