"""The paths of the reliability contract, one call on any of them, and the checks every fault test shares.

A *path* is one way of sending: sync ``Pusher`` on its default (native) transport or on ``transport="httpx"``, the
same two for ``AsyncPusher``, and ``trigger_many`` of each. :func:`call` runs one request (a batch of events for
``trigger_many``) on a path and returns an :class:`Outcome` with the time it took from the call; the ``expect_*``
helpers fail with a message naming the path, the fault, what happened and after how long.
"""

from __future__ import annotations

import asyncio
import json
import time
import traceback
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from pusher_fast import AsyncPusher, BulkResult, Pusher, errors

__all__ = [
    "ASYNC_PATHS",
    "BULK_EVENTS",
    "BULK_PATHS",
    "PATHS",
    "SINGLE_PATHS",
    "SLACK",
    "SYNC_PATHS",
    "TIMEOUT",
    "Outcome",
    "Path",
    "build",
    "bulk_events",
    "call",
    "contract_error",
    "error_texts",
    "event_index",
    "expect_error",
    "expect_success",
    "leaks",
    "response_cap",
]

TIMEOUT = 1.0
"""The ``timeout=`` of the fault tests' clients, in seconds."""
SLACK = 0.5
"""How much later than its deadline a call may end (the contract's allowance for tests)."""
BULK_EVENTS = 12
"""Events per ``trigger_many`` call: on distinct channels, so they go out as several concurrent requests."""


@dataclass(frozen=True)
class Path:
    """One way of sending a request. ``transport`` None is the client's default (native) transport."""

    name: str
    is_async: bool
    bulk: bool
    transport: str | None = None

    def __str__(self) -> str:
        return self.name

    def client(self, options: Mapping[str, Any]) -> Pusher | AsyncPusher:
        cls = AsyncPusher if self.is_async else Pusher
        chosen = {} if self.transport is None else {"transport": self.transport}
        return cls(**options, **chosen)


PATHS = (
    Path("sync-native", is_async=False, bulk=False),
    Path("sync-httpx", is_async=False, bulk=False, transport="httpx"),
    Path("async-native", is_async=True, bulk=False),
    Path("async-httpx", is_async=True, bulk=False, transport="httpx"),
    Path("bulk-sync", is_async=False, bulk=True),
    Path("bulk-async", is_async=True, bulk=True),
)
SINGLE_PATHS = tuple(path for path in PATHS if not path.bulk)
SYNC_PATHS = tuple(path for path in SINGLE_PATHS if not path.is_async)
ASYNC_PATHS = tuple(path for path in SINGLE_PATHS if path.is_async)
BULK_PATHS = tuple(path for path in PATHS if path.bulk)


@dataclass
class Outcome:
    """What one call did: its result or exception, and the seconds from the call to its end."""

    path: Path
    elapsed: float = 0.0
    result: Any = None
    error: BaseException | None = None
    stage: str = "call"
    close_error: BaseException | None = None
    events: int = 0

    @property
    def errors(self) -> list[BaseException]:
        """The exception of the call, or each failed event's exception for ``trigger_many``."""
        if self.error is not None:
            return [self.error]
        if isinstance(self.result, BulkResult):
            return [failed.error for failed in self.result.failed]
        return []

    def describe(self) -> str:
        if self.error is not None:
            what = f"{self.stage} raised {_short(self.error)}"
        elif isinstance(self.result, BulkResult):
            kinds = sorted({_short(failed.error) for failed in self.result.failed})
            what = (
                f"returned BulkResult(sent={self.result.sent}, failed={len(self.result.failed)}, "
                f"requests={self.result.requests}) with failures {kinds[:3]}"
            )
        else:
            what = f"returned {self.result!r:.200}"
        closing = f"; closing it raised {_short(self.close_error)}" if self.close_error is not None else ""
        return f"{what} after {self.elapsed:.2f} s{closing}"


def _short(error: BaseException) -> str:
    return f"{type(error).__name__}({str(error)[:240]!r})"


def build(path: Path, options: Mapping[str, Any]) -> Any:
    """The client of ``path``; fails the test, naming the path, when it cannot be built."""
    try:
        return path.client(options)
    except Exception as exc:
        pytest.fail(f"[{path}] the client could not be built: {type(exc).__name__}: {exc}")


def bulk_events(count: int = BULK_EVENTS, channel: str = "ch") -> list[dict[str, Any]]:
    """``count`` events on distinct channels ``channel-0``, ``channel-1``, ... with data ``{"i": index}``."""
    return [{"channel": f"{channel}-{index}", "name": "ev", "data": {"i": index}} for index in range(count)]


def event_index(event: Mapping[str, Any]) -> int:
    """The index in the data of an event as the server received it (see :func:`bulk_events`)."""
    return int(json.loads(event["data"])["i"])


def call(
    path: Path,
    options: Mapping[str, Any],
    *,
    channel: str = "ch",
    events: int = BULK_EVENTS,
    retry: Mapping[str, Any] | None = None,
    method: str = "trigger",
    closed_first: bool = False,
) -> Outcome:
    """One request on ``path``: ``trigger`` (or ``channel_info`` with ``method``) on ``channel``, or
    ``trigger_many`` of ``events`` events. ``retry`` (retries, backoff, max_backoff) goes to the constructor, or to
    ``trigger_many``. With ``closed_first`` the client is closed before the call. The client is closed after it."""
    retry = dict(retry or {})
    client_options = dict(options) if path.bulk else {**options, **retry}
    outcome = Outcome(path, events=events if path.bulk else 1)
    try:
        client = path.client(client_options)
    except Exception as exc:
        outcome.error, outcome.stage = exc, "construction"
        return outcome

    def work(target: Any) -> Any:
        if path.bulk:
            return target.trigger_many(bulk_events(events, channel), **retry)
        if method == "channel_info":
            return target.channel_info(channel)
        return target.trigger(channel, "ev", {"i": 0})

    if path.is_async:
        assert isinstance(client, AsyncPusher)
        return asyncio.run(_timed_async(outcome, client, work, closed_first))
    assert isinstance(client, Pusher)
    if closed_first:
        client.close()
    started = time.monotonic()
    try:
        outcome.result = work(client)
    except Exception as exc:
        outcome.error = exc
    outcome.elapsed = time.monotonic() - started
    try:
        client.close()
    except Exception as exc:
        outcome.close_error = exc
    return outcome


async def _timed_async(
    outcome: Outcome, client: AsyncPusher, work: Callable[[Any], Awaitable[Any]], closed_first: bool
) -> Outcome:
    if closed_first:
        await client.aclose()
    started = time.monotonic()
    try:
        outcome.result = await work(client)
    except Exception as exc:
        outcome.error = exc
    outcome.elapsed = time.monotonic() - started
    try:
        await client.aclose()
    except Exception as exc:
        outcome.close_error = exc
    return outcome


def contract_error(name: str) -> type[BaseException]:
    """An exception class the contract adds to ``pusher_fast.errors``; fails the test when it is missing."""
    found = getattr(errors, name, None)
    if not (isinstance(found, type) and issubclass(found, BaseException)):
        pytest.fail(f"pusher_fast.errors has no {name} (the reliability contract requires it)")
    return found


def response_cap() -> int:
    """The 2xx body cap: ``MAX_RESPONSE_BODY_BYTES``, the same in ``pusher_fast.validation`` and ``_native``."""
    from pusher_fast import _native, validation

    values = {getattr(module, "MAX_RESPONSE_BODY_BYTES", None) for module in (validation, _native)}
    if values != {8 * 1024 * 1024}:
        pytest.fail(f"MAX_RESPONSE_BODY_BYTES in pusher_fast.validation and _native: {values}, expected 8 MiB in both")
    return 8 * 1024 * 1024


def _accounting_problems(outcome: Outcome) -> list[str]:
    """Every event of a ``trigger_many`` call counted sent or listed failed, exactly once."""
    result = outcome.result
    if not isinstance(result, BulkResult):
        return []
    indices = [failed.index for failed in result.failed]
    problems = []
    if len(set(indices)) != len(indices):
        problems.append(f"events listed failed twice: {sorted(i for i in set(indices) if indices.count(i) > 1)}")
    if not set(indices) <= set(range(outcome.events)):
        problems.append(f"failed indices outside 0..{outcome.events - 1}: {sorted(set(indices))}")
    if result.sent + len(set(indices)) != outcome.events:
        problems.append(f"{result.sent} sent + {len(set(indices))} failed != {outcome.events} events")
    return problems


def expect_error(
    outcome: Outcome,
    expected: type[BaseException],
    *,
    fault: object,
    within: float = TIMEOUT + SLACK,
    at_least: float = 0.0,
    status: int | None = None,
    retry_after: float | str | None = "any",
    body: str | None = None,
) -> None:
    """The call (every event, for ``trigger_many``) failed with ``expected`` no later than ``within`` seconds (and
    not before ``at_least``), with the given ``.status``, ``.retry_after`` and ``.body``."""
    problems = _accounting_problems(outcome)
    found = outcome.errors
    if outcome.stage != "call":
        problems.append("it never got to send")
    elif not found:
        problems.append("nothing failed")
    elif isinstance(outcome.result, BulkResult) and outcome.result.sent:
        problems.append(f"{outcome.result.sent} events counted as sent")
    wrong = sorted({_short(error) for error in found if not isinstance(error, expected)})
    if wrong:
        problems.append(f"wrong exception: {wrong[:3]}")
    for error in found:
        if not isinstance(error, expected):
            continue
        if status is not None and getattr(error, "status", None) != status:
            problems.append(f".status is {getattr(error, 'status', None)!r}, not {status}")
        if retry_after != "any" and getattr(error, "retry_after", None) != retry_after:
            problems.append(f".retry_after is {getattr(error, 'retry_after', None)!r}, not {retry_after!r}")
        if body is not None and getattr(error, "body", None) != body:
            problems.append(f".body is {getattr(error, 'body', None)!r}, not {body!r}")
    if outcome.elapsed > within:
        problems.append(f"it took {outcome.elapsed:.2f} s, more than {within:.2f} s")
    if outcome.elapsed < at_least:
        problems.append(f"it took {outcome.elapsed:.2f} s, less than {at_least:.2f} s")
    if outcome.close_error is not None:
        problems.append(f"closing the client raised {_short(outcome.close_error)}")
    if problems:
        pytest.fail(
            f"[{outcome.path} / {fault}] expected {expected.__name__} within {within:.2f} s; "
            f"{outcome.describe()}: " + "; ".join(dict.fromkeys(problems))
        )


def expect_success(outcome: Outcome, *, fault: object, within: float | None = None) -> None:
    """The call returned (every event sent, for ``trigger_many``), within ``within`` seconds when given."""
    problems = _accounting_problems(outcome)
    if outcome.errors:
        problems.append("it failed")
    if within is not None and outcome.elapsed > within:
        problems.append(f"it took {outcome.elapsed:.2f} s, more than {within:.2f} s")
    if outcome.close_error is not None:
        problems.append(f"closing the client raised {_short(outcome.close_error)}")
    if problems:
        pytest.fail(f"[{outcome.path} / {fault}] expected success; {outcome.describe()}: " + "; ".join(problems))


def error_texts(error: BaseException) -> list[str]:
    """What an exception can show: its str and repr, and the printed traceback with every chained exception."""
    texts = ["".join(traceback.format_exception(type(error), error, error.__traceback__))]
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        texts.extend((str(current), repr(current), repr(getattr(current, "args", ()))))
        current = current.__cause__ or current.__context__
    return texts


def leaks(texts: Iterable[str], secrets: Iterable[str]) -> list[str]:
    """The secrets (and their first 12 characters) found in ``texts``, each with a little context."""
    found = []
    for secret in {value for value in secrets if value}:
        for needle in dict.fromkeys((secret, secret[:12])):
            for text in texts:
                at = text.find(needle)
                if at >= 0:
                    found.append(f"{needle!r} in ...{text[max(0, at - 60) : at + len(needle) + 20]!r}...")
                    break
    return found
