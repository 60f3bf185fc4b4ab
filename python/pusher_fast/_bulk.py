"""The bulk publisher behind ``trigger_many``: a stream of events, packed and sent natively, with bounded memory.

Events are read from the caller's iterable in chunks. The Rust core validates, serializes, encrypts and packs them
into ``batch_events`` requests of ten, one lane per channel hash (so each channel's events keep their order); the
native sender signs each request on its own thread and keeps one in flight per lane. Every event ends up either
counted as sent or listed as failed with the exception that stopped it (each request holds its events until then).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pusher_fast import _native
from pusher_fast._bulk_result import BulkResult, FailedEvent
from pusher_fast._config import Config
from pusher_fast._retry import RetryPolicy
from pusher_fast._transports.base import TransportOptions
from pusher_fast._transports.errors import completion_result
from pusher_fast._transports.native import bulk_sender
from pusher_fast.errors import PusherBulkError, PusherHTTPError, PusherTransportError

__all__ = ["BulkOptions", "BulkResult", "FailedEvent", "Stopped", "publish"]

logger = logging.getLogger("pusher_fast")

_CHUNK_SIZE = 512
_RESULT_WAIT = 1.0


@dataclass(frozen=True)
class BulkOptions:
    """How ``trigger_many`` sends: concurrency, queue bound and retry policy."""

    max_in_flight: int = 16
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_queued: int = 0
    """Requests prepared but not yet finished; 0 picks ``4 * max_in_flight``."""

    @property
    def queue_bound(self) -> int:
        return self.max_queued or 4 * self.max_in_flight

    def __post_init__(self) -> None:
        for name in ("max_in_flight", "max_queued"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} should be an integer")
        if self.max_in_flight < 1:
            raise ValueError(f"max_in_flight must be at least 1, got {self.max_in_flight}")
        if self.max_queued < 0:
            raise ValueError(f"max_queued must not be negative, got {self.max_queued}")


class Stopped(Exception):
    """The caller stopped the run (an asyncio cancellation); nothing more is read or sent."""


class _Publisher:
    """One ``trigger_many`` run: reads, packs, submits and accounts."""

    def __init__(
        self,
        signer: _native.Signer,
        sender: _native.NativeSender,
        queue: _native.CompletionQueue,
        options: BulkOptions,
        stop: threading.Event | None,
    ) -> None:
        self._signer = signer
        self._sender = sender
        self._queue = queue
        self._stop = stop
        self._packer = _native.BulkPacker(options.max_in_flight)
        self._max_queued = options.queue_bound
        self.result = BulkResult()
        self._copies: dict[int, int] = {}  # multi-channel events: event index -> copies not yet resolved
        self._failed: set[int] = set()
        self._in_flight: dict[int, _native.PackedRequest] = {}
        self._next_request = 0
        self._endpoint = ""  # "POST /apps/{id}/batch_events", named by failures

    def run(self, events: Iterable[Mapping[str, Any]]) -> BulkResult:
        iterator: Iterator[Mapping[str, Any]] = iter(events)
        index = 0
        while True:
            self._check_stop()
            chunk: list[Any] = []
            try:
                # extend() keeps what it appended before an exception, so no event read is lost.
                chunk.extend(itertools.islice(iterator, _CHUNK_SIZE))
            except Exception as exc:
                self._pack(chunk, index)
                self._finish()
                raise PusherBulkError(
                    f"reading the events raised {type(exc).__name__} after {index + len(chunk)} events; "
                    "every event read before is accounted for in .result",
                    self.result,
                ) from exc
            if not chunk:
                break
            self._pack(chunk, index)
            index += len(chunk)
        self._finish()
        return self.result

    def _pack(self, events: list[Any], first_index: int) -> None:
        if not events:
            return
        requests, failures, multi = self._packer.pack(self._signer, events, first_index, int(time.time()))
        for event_index, error in failures:
            self._fail(event_index, events[event_index - first_index], error)
        self._copies.update(multi)
        self._submit(requests)

    def _check_stop(self) -> None:
        if self._stop is not None and self._stop.is_set():
            raise Stopped

    def _wait(self) -> None:
        """Collects finished requests, waiting for at least one (and checking for a stop meanwhile)."""
        self._check_stop()
        self._collect(self._queue.wait(_RESULT_WAIT))

    def _submit(self, requests: list[_native.PackedRequest]) -> None:
        in_flight = self._in_flight
        for request in requests:
            # At most max_queued requests are handed over and not yet finished: memory stays bounded (a request holds
            # its events, for the failures to name them).
            while len(in_flight) >= self._max_queued:
                self._wait()
            request_id = self._next_request
            self._next_request = request_id + 1
            in_flight[request_id] = request
            self._sender.submit_packed(request_id, request, self._queue)
            self.result.requests += 1
        self._collect(self._queue.take())

    def _finish(self) -> None:
        self._submit(self._packer.flush(self._signer, int(time.time())))
        while self._in_flight:
            self._wait()

    def _collect(self, results: list[_native.Completion]) -> None:
        for completion in results:
            request = self._in_flight.pop(completion.request_id)
            if not self._endpoint:
                self._endpoint = f"POST {request.path}"
            try:
                # What trigger_batch would return or raise for the same answer: a 2xx whose body is not a JSON
                # object fails its events too (never resent: the server said 2xx).
                completion_result(self._endpoint, completion)
            except (PusherHTTPError, PusherTransportError) as exception:
                for event_index, event in zip(request.event_indices, request.events):
                    self._fail(event_index, event, exception)
            else:
                self._sent(request)

    def _sent(self, request: _native.PackedRequest) -> None:
        if not self._copies and not self._failed:
            self.result.sent += len(request)
            return
        for event_index in request.event_indices:
            remaining = self._copies.get(event_index)
            if remaining is not None:
                if remaining > 1:
                    self._copies[event_index] = remaining - 1
                    continue
                del self._copies[event_index]
            if event_index not in self._failed:
                self.result.sent += 1

    def _fail(self, event_index: int, event: Any, error: BaseException) -> None:
        # A multi-channel event fails once, even if several of its copies fail.
        if event_index in self._failed:
            return
        self._failed.add(event_index)
        self._copies.pop(event_index, None)
        self.result.failed.append(FailedEvent(event_index, event, error))


def publish(
    config: Config,
    transport: TransportOptions,
    signer: _native.Signer,
    events: Iterable[Mapping[str, Any]],
    options: BulkOptions,
    stop: threading.Event | None = None,
) -> BulkResult:
    """Send every event of ``events``; see ``Pusher.trigger_many``.

    Setting ``stop`` (from another thread) ends the run within a fraction of a second: nothing more is read or sent,
    what is in flight is abandoned, and :class:`Stopped` is raised. ``KeyboardInterrupt`` ends it the same way.
    """
    if isinstance(events, (str, bytes, Mapping)) or not isinstance(events, Iterable):
        raise TypeError("events should be an iterable of event mappings (channel or channels, name, data)")
    sender, queue = bulk_sender(config, transport, lanes=options.max_in_flight, retry=options.retry)
    started = time.perf_counter()
    publisher = _Publisher(signer, sender, queue, options, stop)
    try:
        return publisher.run(events)
    finally:
        sender.close()
        _log_summary(publisher.result, time.perf_counter() - started)


def _log_summary(result: BulkResult, seconds: float) -> None:
    if logger.isEnabledFor(logging.INFO):
        failed = len(result.failed)
        logger.info(
            "trigger_many: %d event%s sent, %d failed, in %d request%s, %.2f s",
            result.sent,
            "" if result.sent == 1 else "s",
            failed,
            result.requests,
            "" if result.requests == 1 else "s",
            seconds,
        )
