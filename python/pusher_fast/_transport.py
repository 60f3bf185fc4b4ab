"""Sending prepared requests: the httpx transports, the native async transport, response parsing, and the
translation of transport failures into pusher_fast exceptions (:func:`_translated_errors` for httpx,
:func:`native_outcome` with its one table of failure kinds for the native sender; nowhere else).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import ssl
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Union

import httpx

from pusher_fast import _native
from pusher_fast._config import Config
from pusher_fast._request import LIBRARY_HEADER, PreparedRequest
from pusher_fast._retry import RetryPolicy
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

__all__ = [
    "AsyncTransport",
    "NativeAsyncTransport",
    "SyncTransport",
    "TransportOptions",
    "native_outcome",
    "native_sender",
    "parse_response",
]

logger = logging.getLogger("pusher_fast")

VerifyTypes = Union[bool, str, ssl.SSLContext]

_STATUS_ERRORS: dict[int, type[PusherHTTPError]] = {
    400: PusherBadRequest,
    401: PusherBadAuth,
    403: PusherForbidden,
}


_FAILURE_ERRORS: dict[_native.FailureKind, type[PusherTransportError]] = {
    _native.FailureKind.TIMEOUT: PusherTimeout,
    _native.FailureKind.CONNECT: PusherConnectionError,
    _native.FailureKind.TLS: PusherConnectionError,
    _native.FailureKind.PROXY: PusherConnectionError,
    _native.FailureKind.PROTOCOL: PusherConnectionError,
    _native.FailureKind.CLOSED: PusherConnectionError,
}
"""The exception of each way a native request can end without a response."""


def parse_response(status: int, body: str | bytes, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The decoded JSON object of a 2xx response, or the matching :class:`~pusher_fast.errors.PusherHTTPError`.

    An empty 2xx body is ``{}``. 400, 401 and 403 raise ``PusherBadRequest``, ``PusherBadAuth`` and
    ``PusherForbidden``; any other status outside 2xx, or a 2xx body that is not a JSON object, ``PusherBadStatus``.
    """
    retry_after = _retry_after_seconds(headers.get("retry-after") if headers else None)
    return _response_result(status, body, retry_after)


def _response_result(status: int, body: str | bytes, retry_after: float | None) -> dict[str, Any]:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if not 200 <= status < 300:
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
    return None if value is None else _native.parse_retry_after(value)


def native_outcome(where: str, completion: _native.Completion) -> dict[str, Any]:
    """The result of a request the native sender finished, or the exception it stands for."""
    if completion.failure is not None:
        raise _FAILURE_ERRORS[completion.failure](f"{where}: {completion.message}")
    return _response_result(completion.status, completion.body, completion.retry_after)


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
    """How requests are sent: proxy, TLS verification, client certificate, retry policy."""

    __slots__ = ("cert", "proxy", "retry", "verify")

    def __init__(
        self,
        proxy: str | None = None,
        verify: VerifyTypes = True,
        cert: str | tuple[str, str] | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        if proxy is not None and not isinstance(proxy, str):
            raise TypeError("proxy should be a URL string such as 'http://proxy.internal:3128'")
        if not isinstance(verify, (bool, str, ssl.SSLContext)):
            raise TypeError("verify should be a bool, a CA bundle path or an ssl.SSLContext")
        self.proxy = proxy
        self.verify = verify
        self.cert = cert
        self.retry = retry or RetryPolicy()

    def native_compatible(self) -> bool:
        """Whether the native sender can honour these settings (no client certificate, no SSLContext)."""
        return self.cert is None and not isinstance(self.verify, ssl.SSLContext)

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
        self._retry = options.retry
        self._owns_client = http_client is None
        self._client = http_client or httpx.Client(timeout=config.timeout, **options.httpx_kwargs())

    def send(self, request: PreparedRequest) -> dict[str, Any]:
        attempt = 0
        while True:
            try:
                return self._send_once(request)
            except (PusherHTTPError, PusherTransportError) as exc:
                if attempt >= self._retry.retries or not self._retry.retryable(exc):
                    raise
                time.sleep(self._retry.delay(attempt, exc))
                attempt += 1

    def _send_once(self, request: PreparedRequest) -> dict[str, Any]:
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
        self._retry = options.retry
        self._owns_client = http_client is None
        self._client = http_client or httpx.AsyncClient(timeout=config.timeout, **options.httpx_kwargs())

    async def send(self, request: PreparedRequest) -> dict[str, Any]:
        attempt = 0
        while True:
            try:
                return await self._send_once(request)
            except (PusherHTTPError, PusherTransportError) as exc:
                if attempt >= self._retry.retries or not self._retry.retryable(exc):
                    raise
                await asyncio.sleep(self._retry.delay(attempt, exc))
                attempt += 1

    async def _send_once(self, request: PreparedRequest) -> dict[str, Any]:
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


def native_sender(
    config: Config, options: TransportOptions, *, lanes: int, max_queued: int, retry: RetryPolicy | None = None
) -> _native.NativeSender:
    """A native keep-alive sender with the client's host, timeout, proxy, TLS and retry settings (``retry``
    overrides the client's policy)."""
    policy = retry or options.retry
    if not options.native_compatible():
        raise ValueError(
            "trigger_many and AsyncPusher's native transport need verify=True, False or a CA bundle path, "
            "and no client cert="
        )
    return _native.NativeSender(
        config.base_url,
        timeout=config.timeout,
        lanes=lanes,
        max_queued=max_queued,
        headers=[("Content-Type", "application/json"), ("X-Pusher-Library", LIBRARY_HEADER)],
        proxy=options.proxy,
        verify=options.verify is not False,
        ca_file=options.verify if isinstance(options.verify, str) else None,
        retries=policy.retries,
        backoff_base=float(policy.backoff),
        backoff_max=float(policy.max_backoff),
    )


_Waiter = tuple[asyncio.AbstractEventLoop, "asyncio.Future[_native.Completion]"]
_Resolved = tuple["asyncio.Future[_native.Completion]", _native.Completion]


class NativeAsyncTransport:
    """AsyncPusher's default transport: requests go to the native sender, whose results a thread hands back.

    httpx's async connection pool costs far more per request than the network here, so concurrent single
    triggers are sent by the same native keep-alive pool as ``trigger_many``. One thread per client waits for
    results (without the GIL) and resolves the waiting futures on their event loops, a batch at a time; it sleeps
    on a condition while nothing is in flight.
    """

    _LANES = 64
    _MAX_QUEUED = 4096

    def __init__(self, config: Config, options: TransportOptions) -> None:
        self._sender = native_sender(config, options, lanes=self._LANES, max_queued=self._MAX_QUEUED)
        self._waiting: dict[int, _Waiter] = {}
        self._ids = itertools.count()
        self._wakeup = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None
        self._slots: asyncio.Semaphore | None = None
        self._slots_loop: asyncio.AbstractEventLoop | None = None

    async def send(self, request: PreparedRequest) -> dict[str, Any]:
        if self._closed:
            raise PusherTransportError("the client is closed")
        loop = asyncio.get_running_loop()
        # Bounded so that submit never has to wait (it would block the event loop). A semaphore belongs to one
        # event loop, so a client used from another loop gets a new one.
        if self._slots is None or self._slots_loop is not loop:
            self._slots, self._slots_loop = asyncio.Semaphore(self._MAX_QUEUED), loop
        slots = self._slots
        started = time.perf_counter()
        async with slots:
            future: asyncio.Future[_native.Completion] = loop.create_future()
            request_id = next(self._ids)
            with self._wakeup:
                self._waiting[request_id] = (loop, future)
                if self._thread is None:
                    self._thread = threading.Thread(target=self._deliver, name="pusher-fast-results", daemon=True)
                    self._thread.start()
                self._wakeup.notify()
            self._sender.submit(request_id, request_id % self._LANES, request.method, request.signed_path, request.body)
            completion = await future
        _log_response(request, completion.status, started)
        return native_outcome(f"{request.method} {request.path}", completion)

    def _deliver(self) -> None:
        while True:
            with self._wakeup:
                while not self._waiting and not self._closed:
                    self._wakeup.wait()
                if self._closed and not self._waiting:
                    return
            results = self._sender.completed(True, 0.5)
            by_loop: dict[asyncio.AbstractEventLoop, list[_Resolved]] = {}
            with self._wakeup:
                for completion in results:
                    loop, future = self._waiting.pop(completion.request_id)
                    by_loop.setdefault(loop, []).append((future, completion))
            for loop, resolved in by_loop.items():
                # RuntimeError: that event loop is closed, so nobody is waiting any more.
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(_resolve, resolved)

    async def aclose(self) -> None:
        with self._wakeup:
            self._closed = True
            thread = self._thread
            self._wakeup.notify()
        # Unfinished requests complete with the CLOSED failure, which ends their waits.
        self._sender.close()
        if thread is not None:
            await asyncio.to_thread(thread.join, 5.0)


def _resolve(resolved: list[_Resolved]) -> None:
    for future, completion in resolved:
        if not future.done():  # a cancelled await leaves its future done
            future.set_result(completion)
