"""Retries on every path: what is retried, how long each wait is, how many attempts, and no event sent twice.

Connection errors, timeouts, 429 and 5xx are retried, after at least the server's Retry-After (capped by
``max_backoff``); other 4xx and any 2xx (even one whose body is bad or over the cap) never are. The attempts of a
request are told apart at the server by their identical path and body.
"""

from __future__ import annotations

import threading
import zlib
from collections import Counter
from typing import Any

import pytest

from pusher_fast import BulkResult, PusherBadAuth, PusherBadRequest, PusherBadStatus, PusherError, PusherForbidden

from .conftest import ServerFactory
from .paths import BULK_PATHS, PATHS, SLACK, TIMEOUT, Path, call, event_index, expect_error, expect_success
from .server import (
    CLOSE,
    NOT_JSON,
    NOT_OBJECT,
    OK,
    RESET,
    STALL,
    Fault,
    FaultServer,
    Request,
    answer,
    attempts,
    delayed,
    oversized,
)

QUICK_RETRY = {"retries": 1, "backoff": 0.01, "max_backoff": 5.0}


def attempt_problems(server: FaultServer, expected: int) -> list[str]:
    """Each distinct request reached the server exactly ``expected`` times."""
    counts = Counter(len(items) for items in server.by_request().values())
    if not counts:
        return ["the server received nothing"]
    return [] if set(counts) == {expected} else [f"attempts per request {dict(counts)}, expected {expected} each"]


def gaps(server: FaultServer) -> list[float]:
    """Seconds between the first and the second attempt of each request."""
    return [items[1].at - items[0].at for items in server.by_request().values() if len(items) > 1]


def check(path: Path, fault: object, problems: list[str]) -> None:
    if problems:
        pytest.fail(f"[{path} / {fault}] " + "; ".join(problems))


@pytest.mark.parametrize("path", PATHS, ids=str)
@pytest.mark.parametrize("status", [429, 500, 503])
def test_retry_after_is_honoured(serve: ServerFactory, path: Path, status: int) -> None:
    server = serve(attempts(answer(status, retry_after=1)))
    outcome = call(path, server.client_options(), retry=QUICK_RETRY)
    fault = f"{status} Retry-After: 1, then 200"
    expect_success(outcome, fault=fault, within=1 + TIMEOUT + SLACK)
    waits = gaps(server)
    problems = attempt_problems(server, 2)
    if waits and not all(0.95 <= wait <= 1 + SLACK for wait in waits):
        problems.append(f"waits between attempts {[round(wait, 2) for wait in waits]} s, expected 1 s (Retry-After)")
    check(path, fault, problems)


@pytest.mark.parametrize("path", PATHS, ids=str)
def test_retry_after_is_capped_by_max_backoff(serve: ServerFactory, path: Path) -> None:
    server = serve(attempts(answer(503, retry_after=30)))
    retry = {"retries": 1, "backoff": 0.01, "max_backoff": 0.3}
    outcome = call(path, server.client_options(), retry=retry)
    fault = "503 Retry-After: 30 with max_backoff=0.3"
    expect_success(outcome, fault=fault, within=0.3 + TIMEOUT + SLACK)
    waits = gaps(server)
    problems = attempt_problems(server, 2)
    if waits and not all(wait <= 0.3 + SLACK for wait in waits):
        problems.append(f"waits between attempts {[round(wait, 2) for wait in waits]} s, expected <= 0.3 s")
    check(path, fault, problems)


@pytest.mark.parametrize("path", PATHS, ids=str)
def test_attempts_are_one_plus_retries(serve: ServerFactory, path: Path) -> None:
    server = serve(answer(503, retry_after=0))
    outcome = call(path, server.client_options(), retry={"retries": 2, "backoff": 0.01, "max_backoff": 1.0})
    fault = "503 Retry-After: 0, always, retries=2"
    expect_error(outcome, PusherBadStatus, fault=fault, within=2 * TIMEOUT + SLACK, status=503, retry_after=0.0)
    check(path, fault, attempt_problems(server, 3))


@pytest.mark.parametrize("path", PATHS, ids=str)
@pytest.mark.parametrize("fault", [RESET, CLOSE, STALL], ids=str)
def test_transport_failures_are_retried(serve: ServerFactory, path: Path, fault: Fault) -> None:
    server = serve(attempts(fault))
    outcome = call(path, server.client_options(), retry=QUICK_RETRY)
    expect_success(outcome, fault=f"{fault}, then 200", within=2 * TIMEOUT + SLACK)
    check(path, fault, attempt_problems(server, 2))


@pytest.mark.parametrize("path", PATHS, ids=str)
def test_each_retry_gets_a_fresh_timeout(serve: ServerFactory, path: Path) -> None:
    """The first attempt times out after 1 s; the second is answered after 0.7 s, inside its own 1 s."""
    server = serve(attempts(STALL, delayed(0.7)))
    outcome = call(path, server.client_options(), retry=QUICK_RETRY)
    expect_success(outcome, fault="stall, then 200 after 0.7 s", within=TIMEOUT + 0.7 + SLACK)
    check(path, "stall, then 200 after 0.7 s", attempt_problems(server, 2))


NOT_RETRIED: dict[str, tuple[Fault, type[PusherError], int]] = {
    "400": (answer(400), PusherBadRequest, 400),
    "401": (answer(401), PusherBadAuth, 401),
    "403": (answer(403), PusherForbidden, 403),
    "404": (answer(404), PusherBadStatus, 404),
    "200-not-json": (NOT_JSON, PusherBadStatus, 200),
    "200-not-an-object": (NOT_OBJECT, PusherBadStatus, 200),
    "200-over-the-cap": (oversized(9 * 1024 * 1024), PusherBadStatus, 200),
}


@pytest.mark.parametrize("path", PATHS, ids=str)
@pytest.mark.parametrize("fault_name", NOT_RETRIED)
def test_not_retried(serve: ServerFactory, path: Path, fault_name: str) -> None:
    """Each request reaches the server once: for a 2xx the events were delivered, and a resend would duplicate them."""
    fault, expected, status = NOT_RETRIED[fault_name]
    server = serve(attempts(fault))
    outcome = call(path, server.client_options(), retry={"retries": 2, "backoff": 0.01, "max_backoff": 1.0})
    expect_error(outcome, expected, fault=f"{fault_name} with retries=2", status=status)
    problems = attempt_problems(server, 1)
    received = Counter(event_index(event) for item in server.received for event in item.request.events)
    if (path.bulk and sorted(received) != list(range(outcome.events))) or set(received.values()) != {1}:
        problems.append(f"events received (index: times) {dict(sorted(received.items()))}, expected each once")
    check(path, f"{fault_name} with retries=2", problems)


MIXED = (OK, answer(503, retry_after=0), RESET, answer(429, retry_after=0), NOT_JSON, answer(400), CLOSE, OK)


def mixed_faults() -> Any:
    """A fault per attempt, spread by a hash of the request body (the same on every run)."""
    seen: Counter[bytes] = Counter()
    lock = threading.Lock()

    def choose(request: Request) -> Fault:
        with lock:
            seen[request.body] += 1
            attempt = seen[request.body]
        return MIXED[zlib.crc32(request.body + bytes([attempt])) % len(MIXED)]

    return choose


@pytest.mark.parametrize("path", BULK_PATHS, ids=str)
def test_bulk_accounting_under_mixed_faults(serve: ServerFactory, path: Path) -> None:
    """Every event is counted once; sent exactly when its last attempt got ``200 {}``; never delivered twice."""
    server = serve(mixed_faults())
    count = 300
    outcome = call(path, server.client_options(), events=count, retry=QUICK_RETRY)
    result = outcome.result
    if not isinstance(result, BulkResult):
        pytest.fail(f"[{path} / mixed faults] expected a BulkResult; {outcome.describe()}")
    failed = {failed.index: failed.error for failed in result.failed}
    delivered: Counter[int] = Counter()  # 2xx answers, whatever their body
    last: dict[int, Fault] = {}
    for item in server.received:
        for event in item.request.events:
            index = event_index(event)
            last[index] = item.fault
            if item.fault.kind == "answer" and 200 <= item.fault.status < 300:
                delivered[index] += 1
    problems = []
    if result.sent + len(failed) != count or len(failed) != len(result.failed):
        problems.append(f"{result.sent} sent + {len(result.failed)} failed for {count} events")
    twice = sorted(index for index, times in delivered.items() if times > 1)
    if twice:
        problems.append(f"events answered 2xx more than once: {twice[:10]}")
    wrong = [
        f"{index} ({'failed' if index in failed else 'sent'} after {last.get(index)})"
        for index in range(count)
        if (index not in failed) != (last.get(index) == OK)
    ]
    if wrong:
        problems.append(f"events whose sent/failed state disagrees with their last answer: {wrong[:10]}")
    bad_body = [
        index
        for index, error in failed.items()
        if last.get(index) == NOT_JSON and not (isinstance(error, PusherBadStatus) and error.status == 200)
    ]
    if bad_body:
        problems.append(f"events answered 200 with a bad body not failed as PusherBadStatus 200: {bad_body[:10]}")
    check(path, "mixed faults, retries=1", problems)
