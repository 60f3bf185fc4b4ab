"""Which transport a client gets, what it costs to make one, and the rules every transport follows at its edges:
closed clients, bad settings refused at construction, one log line per call."""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from pusher_fast import AsyncPusher, Pusher, PusherClientClosed, PusherTransportError
from pusher_fast._transports.httpx_client import AsyncHttpxTransport, HttpxTransport
from pusher_fast._transports.native import NativeAsyncTransport, NativeTransport
from pusher_fast.testing import LocalPusherServer

CREDENTIALS = {"app_id": "1", "key": "key", "secret": "secret"}


@pytest.mark.parametrize(
    ("options", "sync_type", "async_type"),
    [
        ({}, NativeTransport, NativeAsyncTransport),
        ({"transport": "native"}, NativeTransport, NativeAsyncTransport),
        ({"transport": "httpx"}, HttpxTransport, AsyncHttpxTransport),
        ({"verify": ssl.create_default_context()}, HttpxTransport, AsyncHttpxTransport),
        ({"verify": False}, NativeTransport, NativeAsyncTransport),
    ],
)
def test_the_transport_each_setting_selects(options: dict[str, Any], sync_type: type, async_type: type) -> None:
    assert type(Pusher(**CREDENTIALS, **options)._transport) is sync_type
    assert type(AsyncPusher(**CREDENTIALS, **options)._transport) is async_type


def test_a_callers_own_httpx_client_selects_httpx() -> None:
    with httpx.Client() as own:
        assert type(Pusher(**CREDENTIALS, http_client=own)._transport) is HttpxTransport


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"transport": "curl"}, ValueError, "transport should be 'native' or 'httpx'"),
        ({"transport": "native", "verify": ssl.create_default_context()}, ValueError, "transport='native'"),
        ({"transport": "native", "cert": "client.pem"}, ValueError, "transport='native'"),
        ({"cert": 42}, TypeError, "cert should be a path"),
        ({"verify": 3}, TypeError, "verify should be"),
        ({"verify": "/nowhere/ca.pem"}, ValueError, "no CA bundle file"),
        ({"proxy": 8080}, TypeError, "proxy should be a URL"),
        ({"proxy": "socks5://user:hunter2@proxy:1080"}, ValueError, "scheme must be http"),
        ({"proxy": "http://user:hunter2@proxy:99999"}, ValueError, "bad host or port"),
        ({"proxy": "http://user:hunter2@/"}, ValueError, "no valid host"),
        ({"proxy": "http://proxy:3128/path"}, ValueError, "a path or query"),
    ],
)
def test_bad_transport_settings_are_refused_at_construction(
    options: dict[str, Any], error: type[Exception], message: str
) -> None:
    for client in (Pusher, AsyncPusher):
        with pytest.raises(error, match=message) as info:
            client(**CREDENTIALS, **options)
        assert "hunter2" not in str(info.value)


def test_transport_cannot_go_with_a_backend() -> None:
    class Backend:
        def __init__(self, client: Any, **options: Any) -> None:
            pass

    with pytest.raises(TypeError, match="backend"):
        Pusher(**CREDENTIALS, backend=Backend, transport="httpx")


def test_native_transport_cannot_take_an_httpx_client() -> None:
    with httpx.Client() as own, pytest.raises(ValueError, match="http_client"):
        Pusher(**CREDENTIALS, http_client=own, transport="native")


def _threads() -> int:
    return len(threading.enumerate())


@pytest.mark.parametrize("transport", ["native", "httpx"])
def test_constructing_a_client_opens_nothing(transport: str) -> None:
    before = _threads()
    sync_client = Pusher(**CREDENTIALS, cluster="eu", transport=transport)  # type: ignore[arg-type]
    async_client = AsyncPusher(**CREDENTIALS, cluster="eu", transport=transport)  # type: ignore[arg-type]
    assert _threads() == before
    assert sync_client._transport._client is None  # type: ignore[union-attr]
    if transport == "native":
        assert async_client._transport._sender is None  # type: ignore[union-attr]
    else:
        assert async_client._transport._client is None  # type: ignore[union-attr]


@pytest.mark.parametrize("transport", ["native", "httpx"])
def test_a_closed_sync_client_refuses_calls_without_retrying(pusher_server: LocalPusherServer, transport: str) -> None:
    client = Pusher(**pusher_server.client_options(), transport=transport, retries=3, backoff=5)  # type: ignore[arg-type]
    assert client.trigger("c", "e", 1) == {}
    client.close()
    with pytest.raises(PusherClientClosed, match="closed"):
        client.trigger("c", "e", 2)
    assert isinstance(PusherClientClosed("x"), PusherTransportError)
    assert len(pusher_server.events) == 1
    client.close()  # again: nothing happens


@pytest.mark.parametrize("transport", ["native", "httpx"])
def test_a_closed_async_client_refuses_calls(pusher_server: LocalPusherServer, transport: str) -> None:
    async def scenario() -> None:
        client = AsyncPusher(**pusher_server.client_options(), transport=transport, retries=3)  # type: ignore[arg-type]
        assert await client.trigger("c", "e", 1) == {}
        await client.aclose()
        with pytest.raises(PusherClientClosed, match="closed"):
            await client.trigger("c", "e", 2)
        await client.aclose()

    asyncio.run(scenario())
    assert len(pusher_server.events) == 1


def test_a_client_never_used_closes_cleanly() -> None:
    Pusher(**CREDENTIALS).close()
    asyncio.run(AsyncPusher(**CREDENTIALS).aclose())


@pytest.mark.parametrize("transport", ["native", "httpx"])
def test_one_debug_line_per_call_names_the_channels_and_event(
    pusher_server: LocalPusherServer, caplog: pytest.LogCaptureFixture, transport: str
) -> None:
    with (
        Pusher(**pusher_server.client_options(), transport=transport) as client,  # type: ignore[arg-type]
        caplog.at_level(logging.DEBUG, logger="pusher_fast"),
    ):
        client.trigger(["a", "b"], "price-changed", {"secret-data": 1})
        client.trigger_batch([{"channel": "c", "name": "e1", "data": "x"}, {"channel": "d", "name": "e2", "data": "y"}])
        pusher_server.fail_next(500, "down")
        with pytest.raises(Exception, match="down"):
            client.channels_info()
    lines = [record.getMessage() for record in caplog.records if record.name == "pusher_fast"]
    assert lines[0].startswith("POST /apps/app-id/events (event 'price-changed' on 'a', 'b') -> 200 in ")
    assert lines[1].startswith("POST /apps/app-id/batch_events (2 events: 'e1' on 'c', 'e2' on 'd') -> 200 in ")
    assert lines[2].startswith("GET /apps/app-id/channels -> PusherBadStatus in ")
    assert "secret-data" not in caplog.text
    assert "auth_signature" not in caplog.text


def test_trigger_many_logs_a_summary(
    pusher: Pusher, pusher_server: LocalPusherServer, caplog: pytest.LogCaptureFixture
) -> None:
    events = [{"channel": "c", "name": "e", "data": str(i)} for i in range(25)] + [{"channel": "bad channel"}]
    with caplog.at_level(logging.INFO, logger="pusher_fast"):
        result = pusher.trigger_many(events)
    assert (result.sent, len(result.failed)) == (25, 1)
    [summary] = [record.getMessage() for record in caplog.records if "trigger_many" in record.getMessage()]
    assert summary.startswith("trigger_many: 25 events sent, 1 failed, in 3 requests, ")


def test_httpx_own_log_lines_hide_the_signature(
    pusher_server: LocalPusherServer, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        Pusher(**pusher_server.client_options(), transport="httpx") as client,
        caplog.at_level(logging.INFO, logger="httpx"),
    ):
        client.trigger("c", "e", 1)
    lines = [record.getMessage() for record in caplog.records if record.name == "httpx"]
    assert lines
    assert all("auth_signature=***" in line for line in lines), lines
    assert not any(re.search("[0-9a-f]{64}", line) for line in lines), lines


def test_a_missing_verify_bundle_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"missing\.pem"):
        Pusher(**CREDENTIALS, verify=str(tmp_path / "missing.pem"))
