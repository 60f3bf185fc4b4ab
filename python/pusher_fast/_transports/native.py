"""The native transports, pusher-fast's defaults.

* :class:`NativeTransport` (``Pusher``): the calling thread sends and reads the answer itself in Rust, with the GIL
  released, over a pooled keep-alive connection; its timeout is a deadline from the call.
* :class:`NativeAsyncTransport` (``AsyncPusher``): a Rust runtime thread sends over a pool of keep-alive
  connections; each event loop watches a completion queue's descriptor and resolves its own futures, so no Python
  thread sits in between and the runtime thread never takes the GIL.
* :func:`bulk_sender` (``trigger_many``): the same runtime with ordered lanes.

Everything native is made at the first request, not in the constructor, and made again in a forked child: a
connection, a runtime thread or a lock of the parent's is never used there.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
import time
import weakref
from typing import Any

from pusher_fast import _native
from pusher_fast._config import Config
from pusher_fast._request import PreparedRequest
from pusher_fast._retry import RetryPolicy
from pusher_fast._transports import fork
from pusher_fast._transports.base import HEADERS, TransportOptions
from pusher_fast._transports.errors import completion_result
from pusher_fast._transports.log import log_outcome
from pusher_fast._transports.retrying import send_with_retries
from pusher_fast._transports.tls import https_proxy, native_tls
from pusher_fast.errors import PusherClientClosed, PusherConnectionError

__all__ = ["NativeAsyncTransport", "NativeTransport", "bulk_sender"]

_MAX_IDLE = 32
"""Idle connections a sync client keeps: one per thread that calls it at the same time, up to this."""

_ASYNC_CONNECTIONS = 64
"""Connections (requests in flight) of an async client; more concurrent calls wait their turn, within their
deadline."""


def _tls(config: Config, options: TransportOptions) -> _native.TlsConfig | None:
    """The TLS configuration, when a connection may need one: an https target, or an https proxy.

    Built at the first request; roots that cannot be used (an ``SSL_CERT_FILE`` without certificates, ...) fail that
    request with a ``PusherConnectionError`` saying why.
    """
    verify = options.verify
    assert not options.needs_httpx()  # the choice of transport rules those out
    if not (config.ssl or https_proxy(options.proxy)):
        return None
    try:
        return native_tls(verify)  # type: ignore[arg-type]
    except ValueError as exc:
        raise PusherConnectionError(f"TLS cannot be set up: {exc}") from None


def _closed() -> PusherClientClosed:
    return PusherClientClosed("the client is closed; create a new one")


def _logged_result(request: PreparedRequest, completion: _native.Completion, started: float) -> dict[str, Any]:
    """What ``request`` returns for ``completion`` (or the exception it raises), logged either way."""
    try:
        result = completion_result(f"{request.method} {request.path}", completion)
    except Exception as exc:
        log_outcome(request, exc, started)
        raise
    log_outcome(request, completion.status, started)
    return result


class NativeTransport:
    """``Pusher``'s default transport: requests sent by the calling thread, in Rust, without the GIL."""

    __slots__ = ("_client", "_closed", "_config", "_generation", "_options")

    def __init__(self, config: Config, options: TransportOptions) -> None:
        self._config = config
        self._options = options
        self._client: _native.NativeClient | None = None
        self._generation = -1
        self._closed = False

    def _native(self) -> _native.NativeClient:
        client = self._client
        if client is None or self._generation != fork.current():
            if self._closed:
                raise _closed()
            config = self._config
            client = _native.NativeClient(
                config.base_url,
                timeout=config.timeout,
                headers=HEADERS,
                proxy=self._options.proxy,
                tls=_tls(config, self._options),
                max_body=_native.MAX_RESPONSE_BODY_BYTES,
                max_idle=_MAX_IDLE,
            )
            self._client = client
            self._generation = fork.current()
        return client

    def send(self, request: PreparedRequest) -> dict[str, Any]:
        if self._options.retry.retries:
            return send_with_retries(self._send_once, request, self._options.retry)
        return self._send_once(request)

    def _send_once(self, request: PreparedRequest) -> dict[str, Any]:
        if self._closed:
            raise _closed()
        started = time.perf_counter()
        outcome = self._native().send(request.method, request.signed_path, request.body)
        if isinstance(outcome, dict):
            log_outcome(request, 200, started)
            return outcome
        return _logged_result(request, outcome, started)

    def close(self) -> None:
        self._closed = True
        client, self._client = self._client, None
        if client is not None and self._generation == fork.current():
            client.close()


_Pending = tuple[int, str, str, bytes]


class _LoopState:
    """One event loop's side of an async transport: its completion queue, the futures waiting on it, and the requests
    of this loop iteration not yet handed over (they go in one native call, which wakes the runtime thread once)."""

    __slots__ = ("__weakref__", "fd", "futures", "loop", "pending", "queue", "thread")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue = _native.CompletionQueue()
        self.futures: dict[int, asyncio.Future[_native.Completion]] = {}
        self.pending: list[_Pending] = []
        self.fd: int | None = None
        self.thread: threading.Thread | None = None
        try:
            fd = self.queue.fileno()
            loop.add_reader(fd, self.collect)
            self.fd = fd
        except (AttributeError, NotImplementedError):
            # An event loop without readers (Windows' proactor loop): a thread waits and hands results over.
            self.thread = threading.Thread(target=self._wait_in_thread, name="pusher-fast-results", daemon=True)
            self.thread.start()

    def submit(self, sender: _native.NativeSender, request: _Pending) -> None:
        """Hands ``request`` over at the end of this loop iteration, with the others submitted in it."""
        self.pending.append(request)
        if len(self.pending) == 1:
            self.loop.call_soon(self._flush, sender)

    def _flush(self, sender: _native.NativeSender) -> None:
        batch, self.pending = self.pending, []
        try:
            sender.submit_many(batch, self.queue)
        except Exception as exc:  # closed meanwhile: every request of the batch gets the error
            for request_id, *_ in batch:
                future = self.futures.pop(request_id, None)
                if future is not None and not future.done():
                    future.set_exception(exc)

    def collect(self) -> None:
        """Resolves the futures of every completion waiting (on the loop's thread)."""
        for completion in self.queue.take():
            future = self.futures.pop(completion.request_id, None)
            if future is not None and not future.done():  # a cancelled await leaves its future done
                future.set_result(completion)

    def _wait_in_thread(self) -> None:
        queue, loop = self.queue, self.loop
        while not loop.is_closed():
            completions = queue.wait(0.5)
            if completions:
                with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                    loop.call_soon_threadsafe(self._resolve, completions)

    def _resolve(self, completions: list[_native.Completion]) -> None:
        for completion in completions:
            future = self.futures.pop(completion.request_id, None)
            if future is not None and not future.done():
                future.set_result(completion)

    def detach(self) -> None:
        """Stops watching the queue's descriptor (from any thread; the loop does it on its own thread)."""
        if self.fd is not None and not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self.loop.remove_reader, self.fd)


def _detach_all(states: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState]) -> None:
    for state in list(states.values()):
        state.detach()


class NativeAsyncTransport:
    """``AsyncPusher``'s default transport: a native runtime thread sends; each event loop collects its results."""

    __slots__ = ("__weakref__", "_closed", "_config", "_generation", "_ids", "_options", "_sender", "_states")

    def __init__(self, config: Config, options: TransportOptions) -> None:
        self._config = config
        self._options = options
        self._sender: _native.NativeSender | None = None
        self._generation = -1
        self._closed = False
        self._ids = itertools.count()
        self._states: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = weakref.WeakKeyDictionary()
        # A client dropped without aclose() still frees its descriptors: the loops stop watching them.
        weakref.finalize(self, _detach_all, self._states)

    def _native(self) -> _native.NativeSender:
        sender = self._sender
        if sender is None or self._generation != fork.current():
            if self._closed:
                raise _closed()
            if self._generation != fork.current():
                # The parent's loops and queues mean nothing here.
                self._states = weakref.WeakKeyDictionary()
            sender = _make_sender(self._config, self._options, lanes=_ASYNC_CONNECTIONS, ordered=False)
            self._sender = sender
            self._generation = fork.current()
        return sender

    def _state(self, loop: asyncio.AbstractEventLoop) -> _LoopState:
        state = self._states.get(loop)
        if state is None:
            state = self._states[loop] = _LoopState(loop)
        return state

    async def send(self, request: PreparedRequest) -> dict[str, Any]:
        if self._closed:
            raise _closed()
        sender = self._native()
        loop = asyncio.get_running_loop()
        state = self._state(loop)
        request_id = next(self._ids)
        future: asyncio.Future[_native.Completion] = loop.create_future()
        state.futures[request_id] = future
        started = time.perf_counter()
        state.submit(sender, (request_id, request.method, request.signed_path, request.body))
        try:
            completion = await future
        except asyncio.CancelledError:
            state.futures.pop(request_id, None)
            sender.cancel(request_id)
            raise
        return _logged_result(request, completion, started)

    async def aclose(self) -> None:
        self._closed = True
        sender, self._sender = self._sender, None
        if sender is not None and self._generation == fork.current():
            # Requests in flight complete as closed; their futures get PusherConnectionError.
            await asyncio.to_thread(sender.close)
            for state in list(self._states.values()):
                if not state.loop.is_closed():
                    state.loop.call_soon(state.collect)
        _detach_all(self._states)


def _make_sender(
    config: Config, options: TransportOptions, *, lanes: int, ordered: bool, retry: RetryPolicy | None = None
) -> _native.NativeSender:
    policy = retry or options.retry
    return _native.NativeSender(
        config.base_url,
        timeout=config.timeout,
        lanes=lanes,
        ordered=ordered,
        headers=HEADERS,
        proxy=options.proxy,
        tls=_tls(config, options),
        max_body=_native.MAX_RESPONSE_BODY_BYTES,
        retries=policy.retries,
        backoff_base=float(policy.backoff),
        backoff_max=float(policy.max_backoff),
    )


def bulk_sender(
    config: Config, options: TransportOptions, *, lanes: int, retry: RetryPolicy
) -> tuple[_native.NativeSender, _native.CompletionQueue]:
    """A native sender with ordered lanes for ``trigger_many``, and the queue its completions go to."""
    if options.needs_httpx():
        raise ValueError(
            "trigger_many sends natively and cannot use an ssl.SSLContext or a client certificate (cert=); "
            "use verify=True, False or a CA bundle path"
        )
    sender = _make_sender(config, options, lanes=lanes, ordered=True, retry=retry)
    return sender, _native.CompletionQueue()
