"""AsyncPusher: the same calls as coroutines, over one pooled connection set."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator

import httpx
import pytest

from pusher_fast import (
    AsyncPusher,
    PusherBadAuth,
    PusherBadStatus,
    PusherConnectionError,
    PusherTimeout,
    PusherTransportError,
)
from pusher_fast._native import FailureKind
from pusher_fast._transports.errors import FAILURE_ERRORS
from pusher_fast.testing import LocalPusherServer
from tests.sdk_pair import MASTER_KEY_BASE64


@pytest.mark.asyncio
async def test_every_rest_method(pusher_server: LocalPusherServer) -> None:
    pusher_server.set_presence_members("presence-room", ["1"])
    async with AsyncPusher(**pusher_server.client_options(), encryption_master_key_base64=MASTER_KEY_BASE64) as p:
        assert await p.trigger(["a", "b"], "e", {"x": 1}, socket_id="1.2") == {}
        assert await p.trigger("presence-room", "e", 1, info="user_count") == {
            "channels": {"presence-room": {"user_count": 1}}
        }
        assert await p.send_to_user("u1", "e", "hi") == {}
        assert await p.trigger_batch([{"channel": "c", "name": "e", "data": i} for i in range(10)]) == {}
        assert await p.trigger("private-encrypted-x", "e", "secret") == {}
        assert await p.channels_info(prefix_filter="presence-", attributes=["user_count"]) == {
            "channels": {"presence-room": {"user_count": 1}}
        }
        assert await p.channel_info("presence-room", ["user_count"]) == {"occupied": True, "user_count": 1}
        assert await p.users_info("presence-room") == {"users": [{"id": "1"}]}
        assert await p.terminate_user_connections("u1") == {}
        assert p.authenticate("private-x", "1.1")["auth"].startswith("app-key:")
    assert len(pusher_server.events) == 2 + 1 + 10 + 1
    assert json.loads(pusher_server.events[-1].data).keys() == {"nonce", "ciphertext"}
    assert pusher_server.terminated_users == ("u1",)


@pytest.mark.asyncio
async def test_concurrent_triggers_share_a_pool(pusher_server: LocalPusherServer) -> None:
    async with AsyncPusher(**pusher_server.client_options()) as p:
        results = await asyncio.gather(*(p.trigger(f"c-{i}", "e", i) for i in range(64)))
    assert results == [{}] * 64
    assert sorted(int(e.data) for e in pusher_server.events) == list(range(64))


@pytest.mark.asyncio
async def test_errors_are_translated(pusher_server: LocalPusherServer) -> None:
    async with AsyncPusher(**{**pusher_server.client_options(), "secret": "wrong"}) as p:
        with pytest.raises(PusherBadAuth):
            await p.trigger("c", "e", 1)


@pytest.mark.asyncio
async def test_timeout_is_translated() -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(slow)) as http_client:
        p = AsyncPusher("1", "key", "secret", http_client=http_client)
        with pytest.raises(PusherTimeout):
            await p.trigger("c", "e", 1)


def test_async_client_refuses_sync_http_client_and_backend() -> None:
    with httpx.Client() as sync_client, pytest.raises(TypeError, match=r"httpx\.AsyncClient"):
        AsyncPusher("1", "key", "secret", http_client=sync_client)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="backend"):
        AsyncPusher("1", "key", "secret", backend=object)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) but never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


@pytest.mark.asyncio
async def test_native_transport_timeout(silent_port: int) -> None:
    async with AsyncPusher("1", "key", "secret", ssl=False, host="127.0.0.1", port=silent_port, timeout=0.3) as p:
        with pytest.raises(PusherTimeout, match="POST /apps/1/events"):
            await p.trigger("c", "e", 1)


@pytest.mark.asyncio
async def test_native_transport_connection_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with AsyncPusher("1", "key", "secret", ssl=False, host="127.0.0.1", port=port) as p:
        with pytest.raises(PusherConnectionError) as info:
            await p.channels_info()
    assert isinstance(info.value, ConnectionError)


@pytest.mark.asyncio
async def test_native_transport_http_errors_carry_retry_after(pusher_server: LocalPusherServer) -> None:
    pusher_server.fail_next(429, "slow down", retry_after=1.5)
    async with AsyncPusher(**pusher_server.client_options()) as p:
        with pytest.raises(PusherBadStatus) as info:
            await p.trigger("c", "e", 1)
    assert (info.value.status, info.value.body, info.value.retry_after) == (429, "slow down", 1.5)


def test_every_native_failure_kind_has_its_exception() -> None:
    kinds = [value for value in vars(FailureKind).values() if isinstance(value, FailureKind)]
    assert len(kinds) == 7
    for kind in kinds:
        if kind == FailureKind.BODY_TOO_LARGE:
            # An answer came: it is an HTTP error of its status (PusherBadStatus), not a transport failure.
            assert kind not in FAILURE_ERRORS
            continue
        expected = PusherTimeout if kind == FailureKind.TIMEOUT else PusherConnectionError
        assert FAILURE_ERRORS[kind] is expected, kind


@pytest.mark.asyncio
async def test_cancelled_request_leaves_the_others_alone(pusher_server: LocalPusherServer) -> None:
    async with AsyncPusher(**pusher_server.client_options()) as p:
        slow = asyncio.ensure_future(p.trigger("c", "e", "first"))
        await asyncio.sleep(0)
        slow.cancel()
        assert await p.trigger("c", "e", "second") == {}
    assert "second" in [e.data for e in pusher_server.events]


@pytest.mark.asyncio
async def test_closed_client_refuses_requests(pusher_server: LocalPusherServer) -> None:
    p = AsyncPusher(**pusher_server.client_options())
    assert await p.trigger("c", "e", 1) == {}
    await p.aclose()
    with pytest.raises(PusherTransportError, match="closed"):
        await p.trigger("c", "e", 2)


@pytest.mark.asyncio
async def test_aclose_ends_requests_in_flight(silent_port: int) -> None:
    p = AsyncPusher("1", "key", "secret", ssl=False, host="127.0.0.1", port=silent_port, timeout=30)
    pending = asyncio.ensure_future(p.trigger("c", "e", 1))
    await asyncio.sleep(0.05)
    await p.aclose()
    with pytest.raises(PusherConnectionError, match="closed"):
        await asyncio.wait_for(pending, 5)


def test_one_client_across_event_loops(pusher_server: LocalPusherServer) -> None:
    p = AsyncPusher(**pusher_server.client_options())
    assert asyncio.run(p.trigger("c", "e", 1)) == {}
    assert asyncio.run(p.trigger("c", "e", 2)) == {}
    asyncio.run(p.aclose())
    assert [e.data for e in pusher_server.events] == ["1", "2"]
