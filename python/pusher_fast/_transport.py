"""Sending prepared requests over httpx: the sync and async transports, response parsing, error translation.

This is the only module that talks to httpx, and :func:`_translated_errors` is the only place where transport
exceptions become pusher_fast exceptions.
"""

from __future__ import annotations

import json
import logging
import ssl
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Union

import httpx

from pusher_fast._config import Config
from pusher_fast._request import PreparedRequest
from pusher_fast.errors import (
    PusherBadAuth,
    PusherBadRequest,
    PusherBadStatus,
    PusherConnectionError,
    PusherForbidden,
    PusherHTTPError,
    PusherTimeout,
)

__all__ = ["AsyncTransport", "SyncTransport", "TransportOptions", "parse_response"]

logger = logging.getLogger("pusher_fast")

VerifyTypes = Union[bool, str, ssl.SSLContext]

_STATUS_ERRORS: dict[int, type[PusherHTTPError]] = {
    400: PusherBadRequest,
    401: PusherBadAuth,
    403: PusherForbidden,
}


def parse_response(status: int, body: str | bytes, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The decoded JSON object of a 2xx response, or the matching :class:`~pusher_fast.errors.PusherHTTPError`.

    An empty 2xx body is ``{}``. 400, 401 and 403 raise ``PusherBadRequest``, ``PusherBadAuth`` and
    ``PusherForbidden``; any other status outside 2xx, or a 2xx body that is not a JSON object, ``PusherBadStatus``.
    """
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if not 200 <= status < 300:
        retry_after = _retry_after_seconds(headers.get("retry-after") if headers else None)
        raise _STATUS_ERRORS.get(status, PusherBadStatus)(status, text, retry_after=retry_after)
    if not text.strip():
        return {}
    try:
        decoded = json.loads(text)
    except ValueError:
        raise PusherBadStatus(status, f"response is not JSON: {text[:200]}") from None
    if not isinstance(decoded, dict):
        raise PusherBadStatus(status, f"response is not a JSON object: {text[:200]}")
    return decoded


def _retry_after_seconds(value: str | None) -> float | None:
    """Retry-After in seconds; the HTTP-date form is not used by Pusher servers and is ignored."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


@contextmanager
def _translated_errors(request: PreparedRequest) -> Iterator[None]:
    where = f"{request.method} {request.path}"
    try:
        yield
    except httpx.TimeoutException as exc:
        raise PusherTimeout(f"{where}: timed out ({type(exc).__name__})") from exc
    except httpx.TransportError as exc:
        raise PusherConnectionError(f"{where}: {type(exc).__name__}: {exc}") from exc


def _log_response(request: PreparedRequest, status: int, started: float) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        # Only the path: the query string holds the signature.
        elapsed_ms = (time.perf_counter() - started) * 1000
        logger.debug("%s %s -> %d in %.1f ms", request.method, request.path, status, elapsed_ms)


class TransportOptions:
    """How the default httpx clients are made: proxy, TLS verification, client certificate."""

    __slots__ = ("cert", "proxy", "verify")

    def __init__(
        self,
        proxy: str | None = None,
        verify: VerifyTypes = True,
        cert: str | tuple[str, str] | None = None,
    ) -> None:
        if proxy is not None and not isinstance(proxy, str):
            raise TypeError("proxy should be a URL string such as 'http://proxy.internal:3128'")
        if not isinstance(verify, (bool, str, ssl.SSLContext)):
            raise TypeError("verify should be a bool, a CA bundle path or an ssl.SSLContext")
        self.proxy = proxy
        self.verify = verify
        self.cert = cert

    def httpx_kwargs(self) -> dict[str, Any]:
        # httpx 0.28 deprecates verify=<path> and cert=, so both become an SSLContext here.
        verify: bool | ssl.SSLContext = self.verify if not isinstance(self.verify, str) else _ssl_context(self.verify)
        if self.cert is not None:
            context = verify if isinstance(verify, ssl.SSLContext) else _ssl_context(None)
            if verify is False:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            if isinstance(self.cert, tuple):
                context.load_cert_chain(*self.cert)
            else:
                context.load_cert_chain(self.cert)
            verify = context
        return {"proxy": self.proxy, "verify": verify}


def _ssl_context(cafile: str | None) -> ssl.SSLContext:
    if cafile is not None:
        return ssl.create_default_context(cafile=cafile)
    import certifi  # httpx's own CA source, a dependency of httpx

    return ssl.create_default_context(cafile=certifi.where())


class SyncTransport:
    """One pooled keep-alive ``httpx.Client`` per Pusher instance (or the caller's own client)."""

    def __init__(self, config: Config, options: TransportOptions, http_client: httpx.Client | None = None) -> None:
        if http_client is not None and not isinstance(http_client, httpx.Client):
            raise TypeError("http_client should be an httpx.Client (use AsyncPusher for an httpx.AsyncClient)")
        self._timeout = config.timeout
        self._owns_client = http_client is None
        self._client = http_client or httpx.Client(timeout=config.timeout, **options.httpx_kwargs())

    def send(self, request: PreparedRequest) -> dict[str, Any]:
        started = time.perf_counter()
        with _translated_errors(request):
            response = self._client.request(
                request.method, request.url, content=request.body, headers=request.headers, timeout=self._timeout
            )
        _log_response(request, response.status_code, started)
        return parse_response(response.status_code, response.content, response.headers)

    def close(self) -> None:
        if self._owns_client:
            self._client.close()


class AsyncTransport:
    """One pooled keep-alive ``httpx.AsyncClient`` per AsyncPusher instance (or the caller's own client)."""

    def __init__(self, config: Config, options: TransportOptions, http_client: httpx.AsyncClient | None = None) -> None:
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise TypeError("http_client should be an httpx.AsyncClient (use Pusher for an httpx.Client)")
        self._timeout = config.timeout
        self._owns_client = http_client is None
        self._client = http_client or httpx.AsyncClient(timeout=config.timeout, **options.httpx_kwargs())

    async def send(self, request: PreparedRequest) -> dict[str, Any]:
        started = time.perf_counter()
        with _translated_errors(request):
            response = await self._client.request(
                request.method, request.url, content=request.body, headers=request.headers, timeout=self._timeout
            )
        _log_response(request, response.status_code, started)
        return parse_response(response.status_code, response.content, response.headers)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()
