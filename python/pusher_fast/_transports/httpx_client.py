"""The httpx transports: for callers who bring their own ``httpx.Client``/``AsyncClient``, an ``ssl.SSLContext`` or a
client certificate, or who ask for httpx with ``transport="httpx"``.

Same exceptions, results, logging, response-size cap and retries as the native transports. The timeout is a deadline
from the call: the async transport cancels the request when it passes; the sync transport bounds every socket wait by
the time left (through httpcore's network backend, on the clients it makes itself; with a caller's own client, between
reads). httpx's own INFO line for each request would print the signed URL, so its signature is redacted.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import socket
import ssl
import threading
import time
import weakref
from collections.abc import AsyncGenerator, Iterator
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
from pusher_fast._transports.tls import https_proxy, ssl_context
from pusher_fast.errors import (
    PusherBadStatus,
    PusherClientClosed,
    PusherConnectionError,
    PusherTimeout,
    PusherTransportError,
)

__all__ = ["AsyncHttpxTransport", "HttpxTransport"]

_ASYNC_CONNECTIONS = 64
"""Connections of an async client per event loop (the native transport's number)."""

_SIGNAL_CHECK_SECONDS = 0.1
"""The longest single wait for a socket to become readable."""

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
    def __init__(self, stream: httpcore.NetworkStream, backend: _DeadlineBackend) -> None:
        self._stream = stream
        self._backend = backend

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        # Waited for in slices: CPython notices a signal between bytecodes, so a Ctrl-C that lands just before the
        # socket's poll() would otherwise wait for the data or the whole timeout.
        limit = _bounded(timeout)
        end = None if limit is None else time.monotonic() + limit
        while True:
            left = _SIGNAL_CHECK_SECONDS if end is None else min(end - time.monotonic(), _SIGNAL_CHECK_SECONDS)
            try:
                return self._stream.read(max_bytes, max(left, 0.0001))
            except httpcore.ReadTimeout:
                if end is not None and time.monotonic() >= end:
                    raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> Any:
        return self._backend.track(self._stream.start_tls(ssl_context, server_hostname, _bounded(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own sync backend, with every wait bounded by the current request's deadline; it remembers its
    streams, so that closing the client can end requests still waiting on them."""

    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()
        self.streams: weakref.WeakSet[_DeadlineStream] = weakref.WeakSet()

    def track(self, stream: httpcore.NetworkStream) -> _DeadlineStream:
        tracked = _DeadlineStream(stream, self)
        self.streams.add(tracked)
        return tracked

    def shut_down(self) -> None:
        """Shuts every socket down both ways: a request blocked reading one fails at once."""
        for stream in list(self.streams):
            sock = stream.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        return self.track(self._backend.connect_tcp(host, port, _bounded(timeout), local_address, socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Any = None) -> Any:
        return self.track(self._backend.connect_unix_socket(path, _bounded(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def _context(config: Config, options: TransportOptions) -> ssl.SSLContext | bool:
    """The TLS context, made at the first request (not at all for plain HTTP without an https proxy); unusable roots
    or certificates fail that request clearly."""
    if not (config.ssl or https_proxy(options.proxy) or options.needs_httpx()):
        return False
    try:
        return ssl_context(options.verify, options.cert)
    except (ssl.SSLError, OSError) as exc:
        raise PusherConnectionError(f"TLS cannot be set up: {exc}") from None


@contextmanager
def _failures_logged(
    transport: HttpxTransport | AsyncHttpxTransport, request: PreparedRequest, started: float
) -> Iterator[None]:
    """Logs a failed request; a transport failure of a client closed meanwhile becomes "closed while in flight"."""
    try:
        yield
    except PusherTransportError as exc:
        error = exc
        if transport._closed:
            where = f"{request.method} {request.path}"
            error = PusherConnectionError(f"{where}: the client was closed while the request was in flight")
        log_outcome(request, error, started)
        if error is exc:
            raise
        raise error from exc
    except Exception as exc:
        log_outcome(request, exc, started)
        raise


def _own_client(config: Config, options: TransportOptions, backend: _DeadlineBackend) -> httpx.Client:
    client = httpx.Client(timeout=config.timeout, proxy=options.proxy, verify=_context(config, options))
    # httpx builds its connection pools (one per environment proxy too) without a way to pass a network backend.
    for transport in [client._transport, *client._mounts.values()]:
        pool = getattr(transport, "_pool", None)
        if pool is not None and hasattr(pool, "_network_backend"):
            pool._network_backend = backend
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
        self._backend = _DeadlineBackend()
        self._lock = threading.Lock()
        self._generation = fork.current()
        self._closed = False

    def _httpx(self) -> httpx.Client:
        if self._closed:
            raise PusherClientClosed("the client is closed; create a new one")
        client = self._client
        if self._owns_client and (client is None or self._generation != fork.current()):
            if self._generation != fork.current():
                # The parent's client, sockets and lock: none of them is touched in a forked child.
                self._lock = threading.Lock()
                self._backend = _DeadlineBackend()
                self._client = None
            with self._lock:  # threads calling at once make one client, not one each
                if self._client is None:
                    self._client = _own_client(self._config, self._options, self._backend)
                    self._generation = fork.current()
                    weakref.finalize(self, self._client.close)
                client = self._client
        assert client is not None
        return client

    def send(self, request: PreparedRequest) -> dict[str, Any]:
        if self._options.retry.retries:
            return send_with_retries(self._send_once, request, self._options.retry)
        return self._send_once(request)

    def _send_once(self, request: PreparedRequest) -> dict[str, Any]:
        started = time.perf_counter()
        timeout = self._config.timeout
        deadline = time.monotonic() + timeout
        client = self._httpx()
        where = f"{request.method} {request.path}"
        token = _deadline.set(deadline)
        try:
            with _failures_logged(self, request, started):
                with (
                    httpx_errors(where),
                    client.stream(
                        request.method, request.url, content=request.body, headers=request.headers, timeout=timeout
                    ) as response,
                ):
                    body = _read_capped(response, where)
                result = parse_response(response.status_code, body, response.headers)
        finally:
            _deadline.reset(token)
        log_outcome(request, response.status_code, started)
        return result

    def close(self) -> None:
        self._closed = True
        if self._owns_client and self._client is not None and self._generation == fork.current():
            self._backend.shut_down()
            self._client.close()


class AsyncHttpxTransport:
    """Pooled keep-alive ``httpx.AsyncClient``s of an ``AsyncPusher`` (one per event loop, made at its first request:
    an httpx client belongs to the loop it first ran in), or the caller's own client."""

    def __init__(self, config: Config, options: TransportOptions, http_client: httpx.AsyncClient | None = None) -> None:
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise TypeError("http_client should be an httpx.AsyncClient (use Pusher for an httpx.Client)")
        self._config = config
        self._options = options
        self._client = http_client
        self._own: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopClient] = weakref.WeakKeyDictionary()
        self._generation = fork.current()
        self._closed = False
        # A client dropped without aclose() still closes its connections, in each loop that is still running.
        weakref.finalize(self, _close_soon, self._own)

    async def _httpx(self) -> tuple[httpx.AsyncClient, asyncio.Semaphore | None]:
        if self._closed:
            raise PusherClientClosed("the client is closed; create a new one")
        if self._client is not None:
            return self._client, None
        if self._generation != fork.current():
            # The parent's clients and loops mean nothing in a forked child.
            self._own = weakref.WeakKeyDictionary()
            self._generation = fork.current()
        loop = asyncio.get_running_loop()
        own = self._own.get(loop)
        if own is None:
            options = self._options
            client = httpx.AsyncClient(
                timeout=self._config.timeout,
                proxy=options.proxy,
                verify=_context(self._config, options),
                limits=httpx.Limits(max_connections=_ASYNC_CONNECTIONS, max_keepalive_connections=_ASYNC_CONNECTIONS),
            )
            own = self._own[loop] = _LoopClient(client)
            await own.close_at_loop_shutdown()
        return own.client, own.room

    async def send(self, request: PreparedRequest) -> dict[str, Any]:
        if self._options.retry.retries:
            return await send_async_with_retries(self._send_once, request, self._options.retry)
        return await self._send_once(request)

    async def _send_once(self, request: PreparedRequest) -> dict[str, Any]:
        started = time.perf_counter()
        deadline = time.monotonic() + self._config.timeout
        client, room = await self._httpx()
        where = f"{request.method} {request.path}"
        timeout = self._config.timeout
        with _failures_logged(self, request, started):
            with _timeout_as_deadline(where, timeout):
                left = max(deadline - time.monotonic(), 0.0)
                exchange = self._exchange(client, request, where, room)
                status, body, headers = await asyncio.wait_for(exchange, left)
            result = parse_response(status, body, headers)
        log_outcome(request, status, started)
        return result

    async def _exchange(
        self, client: httpx.AsyncClient, request: PreparedRequest, where: str, room: asyncio.Semaphore | None
    ) -> tuple[int, bytes, httpx.Headers]:
        if room is None:
            return await self._exchange_now(client, request, where)
        async with room:
            return await self._exchange_now(client, request, where)

    async def _exchange_now(
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
        if self._generation != fork.current():
            return
        current = asyncio.get_running_loop()
        own = dict(self._own)
        self._own.clear()
        for loop, loop_client in own.items():
            if loop is current:
                await loop_client.client.aclose()
        _close_soon(own)


_closing: set[asyncio.Task[None]] = set()
"""Closings scheduled by :func:`_close_soon`, kept alive until done."""


class _LoopClient:
    """An ``httpx.AsyncClient`` of one event loop, closed when that loop shuts down (``asyncio.run`` finalizes the
    loop's async generators before closing it) even if nobody calls ``aclose()``: its sockets belong to the loop."""

    __slots__ = ("client", "closer", "room")

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.closer: AsyncGenerator[None, None] | None = None
        # httpcore matches every waiting request against every connection each time one frees up: hundreds of
        # requests queued inside its pool cost seconds of CPU and starve the event loop (and every deadline).
        # Requests beyond its connection limit wait here instead, where waiting is free.
        self.room = asyncio.Semaphore(_ASYNC_CONNECTIONS)

    async def close_at_loop_shutdown(self) -> None:
        self.closer = _close_when_finalized(self.client)
        await self.closer.__anext__()


async def _close_when_finalized(client: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await client.aclose()


def _close_soon(clients: Any) -> None:
    """Schedules ``aclose()`` of each client in its own loop, from any thread (a loop already closed is skipped)."""
    for loop, loop_client in list(clients.items()):
        if not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # closed meanwhile
                loop.call_soon_threadsafe(_start_closing, loop, loop_client.client)


def _start_closing(loop: asyncio.AbstractEventLoop, client: httpx.AsyncClient) -> None:
    task = loop.create_task(client.aclose())
    _closing.add(task)
    task.add_done_callback(_closing.discard)


@contextmanager
def _timeout_as_deadline(where: str, timeout: float) -> Iterator[None]:
    """``asyncio.wait_for``'s timeout, as the same ``PusherTimeout`` the other transports raise."""
    try:
        yield
    except PusherTimeout:
        raise
    except asyncio.TimeoutError as exc:
        raise PusherTimeout(f"{where}: timed out (timeout {timeout}s)") from exc
