"""Where every way a request can end is turned into a result or a pusher_fast exception, for every transport.

* :func:`parse_response`: an HTTP answer → its JSON object, or the ``PusherHTTPError`` of its status;
* :func:`completion_result`: a native transport's typed :class:`~pusher_fast._native.Completion` → the same, or the
  exception of its ``FailureKind`` (one table, :data:`FAILURE_ERRORS`);
* :func:`httpx_errors`: httpx's exceptions → ``PusherTimeout`` / ``PusherConnectionError``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from pusher_fast import _native
from pusher_fast.errors import (
    PusherBadAuth,
    PusherBadRequest,
    PusherBadStatus,
    PusherConnectionError,
    PusherForbidden,
    PusherHTTPError,
    PusherTimeout,
    PusherTransportError,
)

__all__ = ["FAILURE_ERRORS", "completion_result", "httpx_errors", "parse_response", "redact", "response_result"]

STATUS_ERRORS: dict[int, type[PusherHTTPError]] = {
    400: PusherBadRequest,
    401: PusherBadAuth,
    403: PusherForbidden,
}
"""The exception of each status the official SDK names; any other status outside 2xx is ``PusherBadStatus``."""

FAILURE_ERRORS: dict[_native.FailureKind, type[PusherTransportError]] = {
    _native.FailureKind.TIMEOUT: PusherTimeout,
    _native.FailureKind.CONNECT: PusherConnectionError,
    _native.FailureKind.TLS: PusherConnectionError,
    _native.FailureKind.PROXY: PusherConnectionError,
    _native.FailureKind.PROTOCOL: PusherConnectionError,
    _native.FailureKind.CLOSED: PusherConnectionError,
}
"""The exception of each way a native request can end without an answer (``BODY_TOO_LARGE`` has an answer)."""


def parse_response(status: int, body: str | bytes, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The decoded JSON object of a 2xx response, or the matching :class:`~pusher_fast.errors.PusherHTTPError`.

    An empty 2xx body is ``{}``. 400, 401 and 403 raise ``PusherBadRequest``, ``PusherBadAuth`` and
    ``PusherForbidden``; any other status outside 2xx, or a 2xx body that is not a JSON object, ``PusherBadStatus``.
    """
    retry_after = headers.get("retry-after") if headers else None
    return response_result(status, body, None if retry_after is None else _native.parse_retry_after(retry_after))


def response_result(status: int, body: str | bytes, retry_after: float | None) -> dict[str, Any]:
    """As :func:`parse_response`, with ``Retry-After`` already parsed."""
    if 200 <= status < 300 and (body == b"{}" or not body):
        return {}
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if not 200 <= status < 300:
        raise STATUS_ERRORS.get(status, PusherBadStatus)(status, text, retry_after=retry_after)
    if not text.strip():
        return {}
    try:
        decoded = json.loads(text)
    except (ValueError, RecursionError):
        raise PusherBadStatus(status, f"response is not JSON: {text[:200]}") from None
    if not isinstance(decoded, dict):
        raise PusherBadStatus(status, f"response is not a JSON object: {text[:200]}")
    return decoded


def completion_result(where: str, completion: _native.Completion) -> dict[str, Any]:
    """The result of a request a native transport finished, or the exception it stands for."""
    failure = completion.failure
    if failure is None:
        return response_result(completion.status, completion.body, completion.retry_after)
    if failure is _native.FailureKind.BODY_TOO_LARGE:
        # The server answered (and a 2xx means it acted); only the answer's size is refused.
        raise PusherBadStatus(completion.status, f"{where}: {completion.message}")
    raise FAILURE_ERRORS[failure](f"{where}: {completion.message}")


@contextmanager
def httpx_errors(where: str) -> Iterator[None]:
    """Translates httpx's transport exceptions raised inside the block."""
    import httpx  # only callers on the httpx transport get here: importing pusher_fast does not import httpx

    try:
        yield
    except httpx.TimeoutException as exc:
        raise PusherTimeout(f"{where}: timed out ({type(exc).__name__})") from exc
    except httpx.TransportError as exc:
        raise PusherConnectionError(f"{where}: {type(exc).__name__}: {redact(str(exc))}") from exc


_CREDENTIALS = re.compile(r"(?<=://)[^/\s]*@")
_SIGNATURE = re.compile(r"(auth_signature=)[0-9A-Fa-f]+")


def redact(text: str) -> str:
    """``text`` without URL credentials (``user:password@``) and request signatures."""
    return _SIGNATURE.sub(r"\1***", _CREDENTIALS.sub("***@", text))
