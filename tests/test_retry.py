"""Opt-in retries of single API calls, sync and async, over real HTTP against the local server."""

from __future__ import annotations

import math
import socket
import time
from typing import Any

import httpx
import pytest

from pusher_fast import AsyncPusher, Pusher, PusherBadRequest, PusherBadStatus, PusherConnectionError, _native
from pusher_fast._retry import RetryPolicy
from pusher_fast.testing import LocalPusherServer


def client(server: LocalPusherServer, **options: Any) -> Pusher:
    return Pusher(**server.client_options(), backoff=0.01, **options)


def test_5xx_is_retried_until_success(pusher_server: LocalPusherServer) -> None:
    pusher_server.fail_next(503, "busy", count=2)
    with client(pusher_server, retries=2) as pusher:
        assert pusher.trigger("c", "e", 1) == {}
    assert [r.status for r in pusher_server.requests] == [503, 503, 200]
    assert len(pusher_server.events) == 1


def test_retries_are_off_by_default(pusher_server: LocalPusherServer) -> None:
    pusher_server.fail_next(503, "busy")
    with client(pusher_server) as pusher, pytest.raises(PusherBadStatus):
        pusher.trigger("c", "e", 1)
    assert len(pusher_server.requests) == 1


def test_exhausted_retries_raise_the_last_error(pusher_server: LocalPusherServer) -> None:
    pusher_server.fail_next(500, "boom", count=5)
    with client(pusher_server, retries=2) as pusher, pytest.raises(PusherBadStatus) as info:
        pusher.channel_info("c")
    assert info.value.status == 500
    assert len(pusher_server.requests) == 3


def test_other_4xx_are_not_retried(pusher_server: LocalPusherServer) -> None:
    pusher_server.fail_next(400, "bad")
    with client(pusher_server, retries=3) as pusher, pytest.raises(PusherBadRequest):
        pusher.trigger("c", "e", 1)
    assert len(pusher_server.requests) == 1


def test_429_waits_for_retry_after(pusher_server: LocalPusherServer) -> None:
    pusher_server.fail_next(429, "slow down", retry_after=0.2)
    with client(pusher_server, retries=1) as pusher:
        started = time.monotonic()
        assert pusher.trigger("c", "e", 1) == {}
        assert time.monotonic() - started >= 0.2


def test_connection_errors_are_retried_then_raised() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    attempts: list[str] = []
    hooks = {"request": [lambda request: attempts.append(request.url.path)]}
    with httpx.Client(event_hooks=hooks) as http_client:
        pusher = Pusher(
            "1", "k", "s", ssl=False, host="127.0.0.1", port=port, retries=2, backoff=0.01, http_client=http_client
        )
        with pytest.raises(PusherConnectionError):
            pusher.trigger("c", "e", 1)
    assert attempts == ["/apps/1/events"] * 3


@pytest.mark.asyncio
async def test_async_native_transport_retries(pusher_server: LocalPusherServer) -> None:
    pusher_server.fail_next(503, "busy")
    async with AsyncPusher(**pusher_server.client_options(), retries=1, backoff=0.01) as pusher:
        assert await pusher.trigger("c", "e", 1) == {}
    assert [r.status for r in pusher_server.requests] == [503, 200]


@pytest.mark.asyncio
async def test_async_httpx_transport_retries(pusher_server: LocalPusherServer) -> None:
    pusher_server.fail_next(502, "gateway", count=2)
    async with httpx.AsyncClient() as http_client:
        pusher = AsyncPusher(**pusher_server.client_options(), retries=2, backoff=0.01, http_client=http_client)
        assert await pusher.trigger("c", "e", 1) == {}
    assert [r.status for r in pusher_server.requests] == [502, 502, 200]


def test_delay_is_jittered_exponential_and_honours_retry_after() -> None:
    policy = RetryPolicy(retries=5, backoff=0.1, max_backoff=1.0)
    plain = ValueError("no retry_after")
    for attempt, ceiling in [(0, 0.1), (1, 0.2), (2, 0.4), (3, 0.8), (4, 1.0), (10, 1.0)]:
        delays = [policy.delay(attempt, plain) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling / 2  # jitter spreads over the range
    assert policy.delay(0, PusherBadStatus(429, "x", retry_after=0.5)) >= 0.5
    assert policy.delay(0, PusherBadStatus(429, "x", retry_after=60)) == 1.0


def test_one_retry_timing_for_python_and_the_native_sender() -> None:
    assert _native.backoff_delay(0.1, 10.0, 3, None, 0.5) == pytest.approx(0.4)
    assert _native.backoff_delay(0.1, 10.0, 0, 60.0, 0.5) == 10.0
    assert _native.backoff_delay(0.1, 10.0, 0, 0.3, 0.0) == 0.3
    special = [math.nan, math.inf, -math.inf, -1.0, 0.0, 1e308]
    for value in special:
        for delay in (
            _native.backoff_delay(value, 10.0, 2**40, value, value),
            _native.backoff_delay(0.1, value, 3, value, 0.5),
        ):
            assert math.isfinite(delay), (value, delay)
            assert delay >= 0, (value, delay)
    assert [_native.parse_retry_after(text) for text in ["2.5", " 3 ", "-1", "inf", "nan", "soon", ""]] == [
        2.5,
        3.0,
        None,
        None,
        None,
        None,
        None,
    ]
    assert [_native.is_retryable_status(status) for status in [429, 500, 599, 200, 400, 428, 600, 10**30]] == [
        True,
        True,
        True,
        False,
        False,
        False,
        False,
        False,
    ]


def test_retry_after_counts_on_every_retryable_status() -> None:
    policy = RetryPolicy(retries=1, backoff=0.001, max_backoff=5.0)
    for status in (429, 500, 502, 503):
        assert policy.delay(0, PusherBadStatus(status, "x", retry_after=0.5)) >= 0.5
    assert policy.retryable(PusherBadStatus(502, "x"))
    assert not policy.retryable(PusherBadRequest(400, "x"))


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"retries": -1}, ValueError, "retries"),
        ({"retries": 1.5}, TypeError, "retries"),
        ({"backoff": 0}, ValueError, "backoff"),
        ({"max_backoff": -1}, ValueError, "max_backoff"),
        ({"retries": 1, "backend": object}, TypeError, "backend"),
    ],
)
def test_bad_retry_options(options: dict[str, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        Pusher("1", "k", "s", **options)
