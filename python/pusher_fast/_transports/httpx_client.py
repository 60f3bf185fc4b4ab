"""The httpx transports: for callers who bring their own ``httpx.Client``/``AsyncClient``, an ``ssl.SSLContext`` or a
client certificate, or who ask for httpx with ``transport="httpx"``.

Same exceptions, results, logging, response-size cap and retries as the native transports. The timeout is a deadline
from the call: the async transport cancels the request when it passes; the sync transport bounds every socket wait by
the time left (through httpcore's network backend, on the clients it makes itself; with a caller's own client, between
reads). httpx's own INFO line for each request would print the signed URL, so its signature is redacted.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

from pusher_fast import _native
from pusher_fast._config import Config
from pusher_fast._request import PreparedRequest
from pusher_fast._transports import fork
from pusher_fast._transports.base import TransportOptions
from pusher_fast._transports.errors import httpx_errors, parse_response, redact
from pusher_fast._transports.log import log_outcome
from pusher_fast._transports.retrying import send_async_with_retries, send_with_retries
from pusher_fast._transports.tls import ssl_context
from pusher_fast.errors import PusherBadStatus, PusherClientClosed, PusherTimeout

__all__ = ["AsyncHttpxTransport", "HttpxTransport"]

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("pusher_fast_deadline", default=None)
"""The ``time.monotonic()`` by which the current request must be over."""


class _RedactSignatures(logging.Filter):
    """Hides the request signature in httpx's own log lines (its INFO line prints every request's URL)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(redact(str(arg)) if isinstance(arg, httpx.URL) else arg for arg in record.args)
        return True


logging.getLogger("httpx").addFilter(_RedactSignatures())


def _bounded(timeout: float | None) -> float | None:
    """``timeout``, lowered to the time left before the current request's deadline."""
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    left = max(deadline - time.monotonic(), 0.0001)
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _bounded(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> Any:
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, _bounded(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own sync backend, with every wait bounded by the current request's deadline."""

    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._backend.connect_tcp(host, port, _bounded(timeout), local_address, socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Any = None) -> Any:
        return _DeadlineStream(self._backend.connect_unix_socket(path, _bounded(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def _own_client(config: Config, options: TransportOptions) -> httpx.Client:
    client = httpx.Client(timeout=config.timeout, proxy=options.proxy, verify=ssl_context(options.verify, options.cert))
    # httpx builds its connection pools (one per environment proxy too) without a way to pass a network backend.
    for transport in [client._transport, *client._mounts.values()]:
        pool = getattr(transport, "_pool", None)
        if pool is not None and hasattr(pool, "_network_backend"):
            pool._network_backend = _DeadlineBackend()
    return client


def _read_capped(response: httpx.Response, where: str) -> bytes:
    """The body, read chunk by chunk within the deadline and refused over the cap (never held in memory whole)."""
    limit = _native.MAX_RESPONSE_BODY_BYTES
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_raw():
        size += len(chunk)
        if size > limit:
            raise PusherBadStatus(response.status_code, f"{where}: the answer's body is over {limit} bytes")
        chunks.append(chunk)
        deadline = _deadline.get()
        if deadline is not None and time.monotonic() > deadline:
            raise PusherTimeout(f"{where}: timed out while reading the response")
    return b"".join(chunks)


class HttpxTransport:
    """One pooled keep-alive ``httpx.Client`` per ``Pusher`` (made at the first request), or the caller's own."""

    def __init__(self, config: Config, options: TransportOptions, http_client: httpx.Client | None = None) -> None:
        if http_client is not None and not isinstance(http_client, httpx.Client):
            raise TypeError("http_client should be an httpx.Client (use AsyncPusher for an httpx.AsyncClient)")
        self._config = config
        self._options = options
        self._client = http_client
        self._owns_client = http_client is None
        self._generation = fork.current()
        self._closed = False

    def _httpx(self) -> httpx.Client:
        if self._closed:
            raise PusherClientClosed("the client is closed; create a new one")
        client = self._client
        if self._owns_client and (client is None or self._generation != fork.current()):
            # A client made before a fork holds the parent's connections: the child makes its own.
            client = self._client = _own_client(self._config, self._options)
            self._generation = fork.current()
            weakref.finalize(self, client.close)
        assert client is not None
        return client

    def send(self, request: PreparedRequest) -> dict[str, Any]:
        if self._options.retry.retries:
            return send_with_retries(self._send_once, request, self._options.retry)
        return self._send_once(request)

    def _send_once(self, request: PreparedRequest) -> dict[str, Any]:
        client = self._httpx()
        started = time.perf_counter()
        where = f"{request.method} {request.path}"
        timeout = self._config.timeout
        token = _deadline.set(time.monotonic() + timeout)
        try:
            with (
                httpx_errors(where),
                client.stream(
                    request.method, request.url, content=request.body, headers=request.headers, timeout=timeout
                ) as response,
            ):
                body = _read_capped(response, where)
            result = parse_response(response.status_code, body, response.headers)
        except Exception as exc:
            log_outcome(request, exc, started)
            raise
        finally:
            _deadline.reset(token)
        log_outcome(request, response.status_code, started)
        return result

    def close(self) -> None:
        self._closed = True
        if self._owns_client and self._client is not None and self._generation == fork.current():
            self._client.close()


class AsyncHttpxTransport:
    """One pooled keep-alive ``httpx.AsyncClient`` per ``AsyncPusher`` (made at the first request), or the caller's."""

    def __init__(self, config: Config, options: TransportOptions, http_client: httpx.AsyncClient | None = None) -> None:
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise TypeError("http_client should be an httpx.AsyncClient (use Pusher for an httpx.Client)")
        self._config = config
        self._options = options
        self._client = http_client
        self._owns_client = http_client is None
        self._generation = fork.current()
        self._closed = False

    def _httpx(self) -> httpx.AsyncClient:
        if self._closed:
            raise PusherClientClosed("the client is closed; create a new one")
        client = self._client
        if self._owns_client and (client is None or self._generation != fork.current()):
            options = self._options
            client = self._client = httpx.AsyncClient(
                timeout=self._config.timeout, proxy=options.proxy, verify=ssl_context(options.verify, options.cert)
            )
            self._generation = fork.current()
        assert client is not None
        return client

    async def send(self, request: PreparedRequest) -> dict[str, Any]:
        if self._options.retry.retries:
            return await send_async_with_retries(self._send_once, request, self._options.retry)
        return await self._send_once(request)

    async def _send_once(self, request: PreparedRequest) -> dict[str, Any]:
        client = self._httpx()
        started = time.perf_counter()
        where = f"{request.method} {request.path}"
        timeout = self._config.timeout
        try:
            with _timeout_as_deadline(where, timeout):
                status, body, headers = await asyncio.wait_for(self._exchange(client, request, where), timeout)
            result = parse_response(status, body, headers)
        except Exception as exc:
            log_outcome(request, exc, started)
            raise
        log_outcome(request, status, started)
        return result

    async def _exchange(
        self, client: httpx.AsyncClient, request: PreparedRequest, where: str
    ) -> tuple[int, bytes, httpx.Headers]:
        limit = _native.MAX_RESPONSE_BODY_BYTES
        with httpx_errors(where):
            async with client.stream(
                request.method, request.url, content=request.body, headers=request.headers
            ) as response:
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_raw():
                    size += len(chunk)
                    if size > limit:
                        raise PusherBadStatus(response.status_code, f"{where}: the answer's body is over {limit} bytes")
                    chunks.append(chunk)
        return response.status_code, b"".join(chunks), response.headers

    async def aclose(self) -> None:
        self._closed = True
        if self._owns_client and self._client is not None and self._generation == fork.current():
            await self._client.aclose()


@contextmanager
def _timeout_as_deadline(where: str, timeout: float) -> Iterator[None]:
    """``asyncio.wait_for``'s timeout, as the same ``PusherTimeout`` the other transports raise."""
    try:
        yield
    except PusherTimeout:
        raise
    except asyncio.TimeoutError as exc:
        raise PusherTimeout(f"{where}: timed out (timeout {timeout}s)") from exc
