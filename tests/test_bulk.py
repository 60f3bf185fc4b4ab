"""trigger_many: packing, ordering, per-event outcomes, retries, over real HTTP against the local server."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from pusher_fast import (
    AsyncPusher,
    FailedEvent,
    Pusher,
    PusherBadRequest,
    PusherBadStatus,
    PusherBulkError,
    PusherConnectionError,
)
from pusher_fast.testing import LocalPusherServer
from tests.test_client import open_envelope


def numbered(count: int, channels: int = 5) -> Iterator[dict[str, Any]]:
    for i in range(count):
        yield {"channel": f"ch-{i % channels}", "name": "tick", "data": {"i": i}}


def test_every_event_is_sent_in_batches_of_ten(pusher: Pusher, pusher_server: LocalPusherServer) -> None:
    result = pusher.trigger_many(numbered(1000))
    assert (result.sent, result.failed, result.total, result.ok) == (1000, [], 1000, True)
    assert result.requests == 100
    assert len(pusher_server.events) == 1000
    assert {request.path for request in pusher_server.requests} == {"/apps/app-id/batch_events"}
    assert sorted(json.loads(e.data)["i"] for e in pusher_server.events) == list(range(1000))


def test_each_channel_keeps_its_order(pusher: Pusher, pusher_server: LocalPusherServer) -> None:
    pusher.trigger_many(numbered(2000, channels=37), max_in_flight=8)
    for channel in range(37):
        received = [json.loads(e.data)["i"] for e in pusher_server.events if e.channels == (f"ch-{channel}",)]
        assert received == sorted(received)
        assert len(received) in (54, 55)


def test_partial_batches_are_flushed(pusher: Pusher, pusher_server: LocalPusherServer) -> None:
    result = pusher.trigger_many(numbered(13, channels=13), max_in_flight=4)
    assert result.sent == 13
    assert len(pusher_server.events) == 13


def test_empty_stream(pusher: Pusher, pusher_server: LocalPusherServer) -> None:
    result = pusher.trigger_many([])
    assert (result.sent, result.failed, result.requests) == (0, [], 0)
    assert pusher_server.requests == ()


def test_multi_channel_events_expand_and_count_once(pusher: Pusher, pusher_server: LocalPusherServer) -> None:
    events = [{"channels": ["a", "b", "c"], "name": "e", "data": str(i)} for i in range(20)]
    result = pusher.trigger_many(events)
    assert result.sent == 20
    assert len(pusher_server.events) == 60
    for channel in "abc":
        assert [e.data for e in pusher_server.events if e.channels == (channel,)] == [str(i) for i in range(20)]


def test_socket_id_and_str_data(pusher: Pusher, pusher_server: LocalPusherServer) -> None:
    pusher.trigger_many([{"channel": "a", "name": "e", "data": "raw text", "socket_id": "1.2"}])
    (event,) = pusher_server.events
    assert (event.data, event.socket_id) == ("raw text", "1.2")


def test_encrypted_events_are_encrypted_per_event(pusher: Pusher, pusher_server: LocalPusherServer) -> None:
    events = [{"channel": "private-encrypted-v", "name": "e", "data": {"n": i}} for i in range(12)]
    assert pusher.trigger_many(events).sent == 12
    nonces = {json.loads(e.data)["nonce"] for e in pusher_server.events}
    assert len(nonces) == 12
    opened = [json.loads(open_envelope("private-encrypted-v", e.data)) for e in pusher_server.events]
    assert opened == [{"n": i} for i in range(12)]


def test_invalid_events_fail_alone(pusher: Pusher, pusher_server: LocalPusherServer) -> None:
    bad_channel = {"channel": "a b", "name": "e", "data": 1}
    no_name = {"channel": "a", "data": 1}
    not_a_mapping = "oops"
    too_big = {"channel": "a", "name": "e", "data": "x" * 10241}
    encrypted_multi = {"channels": ["private-encrypted-a", "b"], "name": "e", "data": 1}
    events: list[Any] = [
        {"channel": "a", "name": "e", "data": 0},
        bad_channel,
        no_name,
        not_a_mapping,
        too_big,
        encrypted_multi,
        {"channel": "a", "name": "e", "data": 6},
    ]
    result = pusher.trigger_many(events)
    assert result.sent == 2
    assert [(f.index, f.event) for f in result.failed] == [
        (1, bad_channel),
        (2, no_name),
        (3, not_a_mapping),
        (4, too_big),
        (5, encrypted_multi),
    ]
    errors = [f.error for f in result.failed]
    assert [type(e) for e in errors] == [ValueError, ValueError, TypeError, ValueError, ValueError]
    assert "Invalid Channel" in str(errors[0])
    assert "no 'name'" in str(errors[1])
    assert "Too much data" in str(errors[3])
    assert "multiple channels" in str(errors[4])
    assert [e.data for e in pusher_server.events] == ["0", "6"]


def test_server_errors_fail_the_events_of_that_request(pusher: Pusher, pusher_server: LocalPusherServer) -> None:
    pusher_server.fail_next(400, "nope")
    result = pusher.trigger_many(numbered(30, channels=1), max_in_flight=1)
    assert result.sent == 20
    assert [f.index for f in result.failed] == list(range(10))
    assert isinstance(result.failed[0].error, PusherBadRequest)
    assert result.failed[0].event == {"channel": "ch-0", "name": "tick", "data": {"i": 0}}


def test_5xx_without_retries_fails_with_retries_succeeds(pusher_server: LocalPusherServer) -> None:
    with Pusher(**pusher_server.client_options()) as client:
        pusher_server.fail_next(503, "busy")
        result = client.trigger_many(numbered(10, channels=1))
        assert [type(f.error) for f in result.failed] == [PusherBadStatus] * 10
        assert result.failed[0].error.status == 503  # type: ignore[attr-defined]

        pusher_server.fail_next(503, "busy", count=2)
        retried = client.trigger_many(numbered(10, channels=1), retries=3, backoff=0.01)
        assert (retried.sent, retried.failed) == (10, [])


def test_429_retry_after_is_honoured(pusher: Pusher, pusher_server: LocalPusherServer) -> None:
    pusher_server.fail_next(429, "slow down", retry_after=0.05)
    result = pusher.trigger_many(numbered(10, channels=1), retries=1, backoff=0.01)
    assert result.sent == 10


def test_no_server_every_event_fails_with_connection_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with Pusher("1", "key", "secret", ssl=False, host="127.0.0.1", port=port) as client:
        result = client.trigger_many(numbered(25))
    assert result.sent == 0
    assert sorted(f.index for f in result.failed) == list(range(25))
    assert all(isinstance(f.error, PusherConnectionError) for f in result.failed)


def test_failing_iterator_raises_with_the_result_so_far(pusher: Pusher, pusher_server: LocalPusherServer) -> None:
    def events() -> Iterator[dict[str, Any]]:
        yield from numbered(1200)
        raise RuntimeError("database went away")

    with pytest.raises(PusherBulkError, match="after 1200 events") as info:
        pusher.trigger_many(events())
    assert isinstance(info.value.__cause__, RuntimeError)
    assert info.value.result.sent == 1200
    assert len(pusher_server.events) == 1200


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"max_in_flight": 0}, ValueError, "max_in_flight"),
        ({"max_in_flight": "8"}, TypeError, "max_in_flight"),
        ({"retries": -1}, ValueError, "retries"),
        ({"backoff": 0}, ValueError, "backoff"),
    ],
)
def test_bad_options(pusher: Pusher, options: dict[str, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        pusher.trigger_many(numbered(1), **options)


@pytest.mark.parametrize("events", ["text", b"bytes", {"channel": "a"}, 5])
def test_events_must_be_an_iterable_of_mappings(pusher: Pusher, events: Any) -> None:
    with pytest.raises(TypeError, match="iterable of event mappings"):
        pusher.trigger_many(events)


@pytest.mark.asyncio
async def test_async_trigger_many(pusher_server: LocalPusherServer) -> None:
    async with AsyncPusher(**pusher_server.client_options()) as client:
        result = await client.trigger_many(numbered(250), max_in_flight=4)
    assert (result.sent, result.requests) == (250, 25)
    assert len(pusher_server.events) == 250


def test_failed_event_is_a_plain_record() -> None:
    failure = FailedEvent(3, {"x": 1}, ValueError("bad"))
    assert failure.index == 3
    assert failure == FailedEvent(3, {"x": 1}, failure.error)


def test_settings_only_httpx_can_express_are_refused(pusher_server: LocalPusherServer) -> None:
    import ssl

    with Pusher(**pusher_server.client_options(), verify=ssl.create_default_context()) as client:
        with pytest.raises(ValueError, match="CA bundle path"):
            client.trigger_many(numbered(1))
        assert client.trigger("c", "e", 1) == {}  # the per-call API takes it through httpx
