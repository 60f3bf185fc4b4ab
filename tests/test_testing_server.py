"""Tests for pusher_fast.testing.LocalPusherServer, driven over real HTTP with a small stdlib signer.

Nothing here imports pusher_fast.Pusher or the native module: the server must be an independent check on them.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar, Protocol
from urllib.parse import quote, unquote, urlencode

import pytest

from pusher_fast.testing import LocalPusherServer, RecordedEvent, RecordedRequest

KEY = "app-key"
SECRET = "app-secret"
APP = "/apps/app-id"
AUTO = "auto"


# --- a minimal, independent client ------------------------------------------------------------------------------


def md5_hex(body: bytes) -> str:
    return hashlib.md5(body, usedforsecurity=False).hexdigest()


def signature(method: str, path: str, params: Mapping[str, str], secret: str = SECRET) -> str:
    query = "&".join(f"{k.lower()}={v}" for k, v in sorted(params.items()) if k != "auth_signature")
    return hmac.new(secret.encode(), f"{method}\n{path}\n{query}".encode(), hashlib.sha256).hexdigest()


def signed_query(
    method: str,
    path: str,
    body: bytes = b"",
    *,
    params: Mapping[str, str] | None = None,
    key: str = KEY,
    secret: str = SECRET,
    timestamp: int | None = None,
    body_md5: str | None = AUTO,
    auth_version: str = "1.0",
    forged_signature: str | None = None,
) -> str:
    query = dict(params or {})
    query.update(
        auth_key=key,
        auth_timestamp=str(int(time.time()) if timestamp is None else timestamp),
        auth_version=auth_version,
    )
    if body_md5 == AUTO:
        if body:
            query["body_md5"] = md5_hex(body)
    elif body_md5 is not None:
        query["body_md5"] = body_md5
    query["auth_signature"] = forged_signature or signature(method, path, query, secret)
    return urlencode(query, quote_via=quote)


class HasAddress(Protocol):
    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...


@dataclass(frozen=True)
class Address:
    host: str
    port: int


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        assert self.headers["Content-Type"] == "application/json", self.body
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


def call(
    server: HasAddress,
    method: str,
    path: str,
    payload: object = None,
    *,
    conn: http.client.HTTPConnection | None = None,
    headers: dict[str, str] | None = None,
    **sign_options: Any,
) -> Reply:
    """Send a signed request; dict/list payloads are JSON-encoded, bytes are sent as they are."""
    if payload is None:
        body = b""
    elif isinstance(payload, bytes):
        body = payload
    else:
        body = json.dumps(payload).encode()
    # The signed path is the decoded one; the request line carries it percent-encoded.
    target = f"{path}?{signed_query(method, unquote(path), body, **sign_options)}"
    own = conn is None
    connection = conn or http.client.HTTPConnection(server.host, server.port, timeout=5)
    try:
        all_headers = {"Content-Type": "application/json"} if body else {}
        all_headers.update(headers or {})
        connection.request(method, target, body=body or None, headers=all_headers)
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        if own:
            connection.close()


def trigger(server: LocalPusherServer, **event: object) -> Reply:
    return call(server, "POST", f"{APP}/events", event)


def batch(server: LocalPusherServer, *events: object) -> Reply:
    return call(server, "POST", f"{APP}/batch_events", {"batch": list(events)})


@pytest.fixture
def server() -> Iterator[LocalPusherServer]:
    with LocalPusherServer() as running:
        yield running


# --- publishing -------------------------------------------------------------------------------------------------


def test_trigger_is_accepted_and_recorded(server: LocalPusherServer) -> None:
    reply = trigger(server, name="my-event", channels=["a", "b"], data='{"x":1}', socket_id="123.456")
    assert (reply.status, reply.json()) == (200, {})
    assert server.events == (
        RecordedEvent(
            name="my-event", channels=("a", "b"), data='{"x":1}', socket_id="123.456", info=None, endpoint="events"
        ),
    )
    (request,) = server.requests
    assert request.method == "POST"
    assert request.path == f"{APP}/events"
    assert request.status == 200
    assert request.query["auth_key"] == KEY
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.body)["name"] == "my-event"
    assert request.response == b"{}"


def test_trigger_with_single_channel_and_server_to_user_channel(server: LocalPusherServer) -> None:
    assert trigger(server, name="e", channel="#server-to-user-42", data="hi").status == 200
    assert trigger(server, name="e", channel="private-x", data="").status == 200
    assert [event.channels for event in server.events] == [("#server-to-user-42",), ("private-x",)]


def test_trigger_info_reports_channel_attributes(server: LocalPusherServer) -> None:
    server.set_presence_members("presence-room", ["1", "2", "2"])
    server.set_channel("busy", subscription_count=7)
    reply = trigger(server, name="e", channels=["presence-room", "busy", "empty"], data="d", info="subscription_count")
    assert reply.json() == {
        "channels": {
            "presence-room": {"subscription_count": 2},
            "busy": {"subscription_count": 7},
            "empty": {"subscription_count": 0},
        }
    }
    reply = trigger(server, name="e", channel="presence-room", data="d", info="user_count,subscription_count")
    assert reply.json() == {"channels": {"presence-room": {"user_count": 2, "subscription_count": 2}}}
    assert server.events[-1].info == "user_count,subscription_count"


def test_batch_records_one_event_per_item(server: LocalPusherServer) -> None:
    reply = batch(
        server,
        {"name": "one", "channel": "a", "data": "1"},
        {"name": "two", "channel": "b", "data": "2", "socket_id": "1.2"},
    )
    assert (reply.status, reply.json()) == (200, {})
    assert [(e.name, e.channels, e.socket_id, e.endpoint) for e in server.events] == [
        ("one", ("a",), None, "batch_events"),
        ("two", ("b",), "1.2", "batch_events"),
    ]


def test_batch_info_is_aligned_with_events(server: LocalPusherServer) -> None:
    server.set_presence_members("presence-p", ["u1"])
    server.set_channel("c", subscription_count=3)
    reply = batch(
        server,
        {"name": "e", "channel": "c", "data": "1", "info": "subscription_count"},
        {"name": "e", "channel": "c", "data": "2"},
        {"name": "e", "channel": "presence-p", "data": "3", "info": "user_count"},
    )
    assert reply.json() == {"batch": [{"subscription_count": 3}, {}, {"user_count": 1}]}


def test_batch_is_all_or_nothing(server: LocalPusherServer) -> None:
    reply = batch(server, {"name": "ok", "channel": "a", "data": "1"}, {"name": "bad", "channel": "a b", "data": "2"})
    assert reply.status == 400
    assert "batch[1]" in reply.text
    reply = batch(
        server, {"name": "ok", "channel": "a", "data": "1"}, {"name": "big", "channel": "a", "data": "x" * 10241}
    )
    assert reply.status == 413
    assert "batch[1]" in reply.text
    assert server.events == ()


@pytest.mark.parametrize("size", [0, 11])
def test_batch_size_limits(server: LocalPusherServer, size: int) -> None:
    reply = batch(server, *[{"name": "e", "channel": "c", "data": "d"}] * size)
    assert reply.status == 400
    assert server.events == ()


def test_batch_requires_channel_per_event(server: LocalPusherServer) -> None:
    reply = batch(server, {"name": "e", "channels": ["c"], "data": "d"})
    assert reply.status == 400
    assert "missing channel" in reply.text


def test_limits_are_configurable() -> None:
    with LocalPusherServer(max_payload_bytes=4, max_channels=2, max_batch_size=1) as small:
        assert trigger(small, name="e", channel="c", data="abcd").status == 200
        assert trigger(small, name="e", channel="c", data="abcde").status == 413
        assert trigger(small, name="e", channels=["a", "b", "c"], data="d").status == 400
        assert batch(small, *[{"name": "e", "channel": "c", "data": "d"}] * 2).status == 400


def test_payload_limit_counts_utf8_bytes(server: LocalPusherServer) -> None:
    assert trigger(server, name="e", channel="c", data="x" * 10240).status == 200
    assert trigger(server, name="e", channel="c", data="é" * 5120).status == 200  # 10240 bytes
    reply = trigger(server, name="e", channel="c", data="é" * 5121)
    assert reply.status == 413
    assert "10242" in reply.text
    assert len(server.events) == 2


def test_oversized_request_body_is_413_and_the_connection_stays_usable(server: LocalPusherServer) -> None:
    body = json.dumps({"name": "e", "channel": "c", "data": "x" * (1024 * 1024)}).encode()
    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    try:
        reply = call(server, "POST", f"{APP}/events", body, conn=conn)
        assert reply.status == 413
        assert "over the limit" in reply.text
        assert call(server, "GET", f"{APP}/channels", conn=conn).status == 200
    finally:
        conn.close()
    assert [r.status for r in server.requests] == [413, 200]
    assert server.requests[0].body == b""
    assert server.events == ()


def test_huge_declared_body_is_413_without_reading_it(server: LocalPusherServer) -> None:
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(f"POST {APP}/events HTTP/1.1\r\nHost: x\r\nContent-Length: {1 << 30}\r\n\r\n".encode())
        response = http.client.HTTPResponse(sock)
        response.begin()
        assert response.status == 413
        assert response.getheader("Connection") == "close"


LONG = "c" * 201
BAD_EVENTS = [
    pytest.param(b"not json", id="invalid-json"),
    pytest.param(b"[1, 2]", id="not-an-object"),
    pytest.param(b'{"name": "e", "channel": "c", "data": NaN}', id="nan"),
    pytest.param({"channel": "c", "data": "d"}, id="missing-name"),
    pytest.param({"name": "", "channel": "c", "data": "d"}, id="empty-name"),
    pytest.param({"name": "e" * 201, "channel": "c", "data": "d"}, id="long-name"),
    pytest.param({"name": 5, "channel": "c", "data": "d"}, id="name-not-str"),
    pytest.param({"name": "e", "channel": "c"}, id="missing-data"),
    pytest.param({"name": "e", "channel": "c", "data": {"a": 1}}, id="data-not-str"),
    pytest.param({"name": "e", "data": "d"}, id="missing-channels"),
    pytest.param({"name": "e", "channels": [], "data": "d"}, id="empty-channels"),
    pytest.param({"name": "e", "channels": "c", "data": "d"}, id="channels-not-list"),
    pytest.param({"name": "e", "channels": [f"c{i}" for i in range(101)], "data": "d"}, id="too-many-channels"),
    pytest.param({"name": "e", "channels": ["c"], "channel": "c", "data": "d"}, id="channel-and-channels"),
    pytest.param({"name": "e", "channels": ["ok", "no spaces"], "data": "d"}, id="bad-channel-charset"),
    pytest.param({"name": "e", "channel": LONG, "data": "d"}, id="channel-too-long"),
    pytest.param({"name": "e", "channel": "#other-thing", "data": "d"}, id="hash-not-server-to-user"),
    pytest.param({"name": "e", "channel": "c", "data": "d", "socket_id": "abc"}, id="bad-socket-id"),
    pytest.param({"name": "e", "channel": "c", "data": "d", "socket_id": "١٢.٣"}, id="non-ascii-socket-id"),
    pytest.param({"name": "e", "channel": "c", "data": "d", "socket_id": None}, id="null-socket-id"),
    pytest.param({"name": "e", "channel": "c", "data": "d", "info": "members"}, id="unknown-info"),
    pytest.param({"name": "e", "channel": "c", "data": "d", "info": "user_count,members"}, id="known-and-unknown-info"),
]


def test_trigger_info_returns_what_applies_to_each_channel(server: LocalPusherServer) -> None:
    # The API offers both attributes on a trigger; user_count only applies to presence channels.
    server.set_channel("c", subscription_count=3)
    server.set_presence_members("presence-r", ["u1", "u2"])
    payload = {"name": "e", "channels": ["c", "presence-r"], "data": "d", "info": "user_count,subscription_count"}
    reply = call(server, "POST", f"{APP}/events", payload)
    assert reply.status == 200, reply.text
    assert json.loads(reply.body) == {
        "channels": {"c": {"subscription_count": 3}, "presence-r": {"user_count": 2, "subscription_count": 2}}
    }


@pytest.mark.parametrize("payload", BAD_EVENTS)
def test_invalid_trigger_is_400(server: LocalPusherServer, payload: object) -> None:
    reply = call(server, "POST", f"{APP}/events", payload)
    assert reply.status == 400, reply.text
    assert reply.headers["Content-Type"].startswith("text/plain")
    assert reply.text
    assert server.events == ()


def test_unknown_event_keys_are_ignored(server: LocalPusherServer) -> None:
    assert trigger(server, name="e", channel="c", data="d", extra=[1]).status == 200


# --- queries ----------------------------------------------------------------------------------------------------


def test_channels_list(server: LocalPusherServer) -> None:
    server.set_channel("private-a")
    server.set_channel("public")
    server.set_presence_members("presence-x", ["1", "2"])
    server.set_presence_members("presence-gone", [])
    assert call(server, "GET", f"{APP}/channels").json() == {
        "channels": {"presence-x": {}, "private-a": {}, "public": {}}
    }
    reply = call(server, "GET", f"{APP}/channels", params={"filter_by_prefix": "private-"})
    assert reply.json() == {"channels": {"private-a": {}}}
    reply = call(server, "GET", f"{APP}/channels", params={"filter_by_prefix": "presence-", "info": "user_count"})
    assert reply.json() == {"channels": {"presence-x": {"user_count": 2}}}
    assert call(server, "GET", f"{APP}/channels", params={"info": "user_count"}).status == 400
    reply = call(
        server, "GET", f"{APP}/channels", params={"filter_by_prefix": "presence-", "info": "subscription_count"}
    )
    assert reply.status == 400


def test_channel_info(server: LocalPusherServer) -> None:
    assert call(server, "GET", f"{APP}/channels/private-a").json() == {"occupied": False}
    server.set_channel("private-a", subscription_count=4)
    reply = call(server, "GET", f"{APP}/channels/private-a", params={"info": "subscription_count"})
    assert reply.json() == {"occupied": True, "subscription_count": 4}
    server.set_presence_members("presence-r", ["u1", "u2", "u3"])
    reply = call(server, "GET", f"{APP}/channels/presence-r", params={"info": "user_count"})
    assert reply.json() == {"occupied": True, "user_count": 3}
    server.remove_channel("private-a")
    assert call(server, "GET", f"{APP}/channels/private-a").json() == {"occupied": False}


@pytest.mark.parametrize(
    ("channel", "info"),
    [("private-a", "user_count"), ("presence-r", "subscription_count"), ("private-a", "bogus"), ("bad%20name", None)],
)
def test_channel_info_errors(server: LocalPusherServer, channel: str, info: str | None) -> None:
    params = {"info": info} if info else {}
    assert call(server, "GET", f"{APP}/channels/{channel}", params=params).status == 400


def test_users(server: LocalPusherServer) -> None:
    server.set_presence_members("presence-r", ["a", "b"])
    assert call(server, "GET", f"{APP}/channels/presence-r/users").json() == {"users": [{"id": "a"}, {"id": "b"}]}
    assert call(server, "GET", f"{APP}/channels/presence-empty/users").json() == {"users": []}
    assert call(server, "GET", f"{APP}/channels/private-r/users").status == 400


def test_terminate_connections(server: LocalPusherServer) -> None:
    assert call(server, "POST", f"{APP}/users/user-1/terminate_connections", {}).json() == {}
    assert call(server, "POST", f"{APP}/users/user-2/terminate_connections").json() == {}
    assert server.terminated_users == ("user-1", "user-2")
    assert call(server, "POST", f"{APP}/users/a%20b/terminate_connections", {}).status == 400
    assert call(server, "POST", f"{APP}/users/u/terminate_connections", b"[]").status == 400
    assert len(server.terminated_users) == 2
    server.clear()
    assert not server.terminated_users
    assert not server.requests
    assert not server.events


# --- authentication ---------------------------------------------------------------------------------------------

EVENT = {"name": "e", "channel": "c", "data": "d"}


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ({"key": "other-key"}, "auth_key"),
        ({"secret": "wrong-secret"}, "auth_signature"),
        ({"forged_signature": "0" * 64}, "auth_signature"),
        ({"timestamp": int(time.time()) - 601}, "auth_timestamp"),
        ({"timestamp": int(time.time()) + 3600}, "auth_timestamp"),
        ({"body_md5": None}, "body_md5"),
        ({"body_md5": md5_hex(b"something else")}, "body_md5"),
        ({"auth_version": "2.0"}, "auth_version"),
    ],
)
def test_unauthenticated_post_is_401(server: LocalPusherServer, options: dict[str, Any], reason: str) -> None:
    reply = call(server, "POST", f"{APP}/events", EVENT, **options)
    assert reply.status == 401
    assert reason in reply.text
    assert SECRET not in reply.text
    assert server.events == ()
    assert server.requests[-1].status == 401


def test_get_body_md5_must_be_that_of_the_empty_body(server: LocalPusherServer) -> None:
    assert call(server, "GET", f"{APP}/channels", body_md5=None).status == 200
    assert call(server, "GET", f"{APP}/channels", body_md5=md5_hex(b"")).status == 200
    reply = call(server, "GET", f"{APP}/channels", body_md5=md5_hex(b"{}"))
    assert reply.status == 401
    assert "body_md5" in reply.text


def test_missing_auth_params_are_401(server: LocalPusherServer) -> None:
    for query in ["", "auth_key=app-key", "auth_key=app-key&auth_version=1.0&auth_timestamp=soon"]:
        conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
        conn.request("GET", f"{APP}/channels?{query}")
        assert conn.getresponse().status == 401
        conn.close()


def test_query_values_are_signed_decoded(server: LocalPusherServer) -> None:
    server.set_channel("a;b=c,d@e")
    reply = call(server, "GET", f"{APP}/channels", params={"filter_by_prefix": "a;b=c,d@"})
    assert reply.json() == {"channels": {"a;b=c,d@e": {}}}
    assert server.requests[-1].query["filter_by_prefix"] == "a;b=c,d@"
    reply = call(server, "GET", f"{APP}/channels", params={"filter_by_prefix": "a b+é"})
    assert reply.json() == {"channels": {}}


def test_duplicate_query_parameter_is_400(server: LocalPusherServer) -> None:
    target = f"{APP}/channels?{signed_query('GET', f'{APP}/channels')}&auth_key={KEY}"
    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    conn.request("GET", target)
    assert conn.getresponse().status == 400
    conn.close()


def test_docs_signing_vector_is_accepted() -> None:
    # The worked example of the Channels REST API reference; its timestamp is from 2012, hence the tolerance.
    body = b'{"name":"foo","channels":["project-3"],"data":"{\\"some\\":\\"data\\"}"}'
    query = (
        "auth_key=278d425bdf160c739803&auth_timestamp=1353088179&auth_version=1.0"
        "&body_md5=ec365a775a4cd0599faeb73354201b6f"
        "&auth_signature=da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c"
    )
    with LocalPusherServer("3", "278d425bdf160c739803", "7ad3773142a6692b25b8", timestamp_tolerance=1e12) as docs:
        conn = http.client.HTTPConnection(docs.host, docs.port, timeout=5)
        conn.request("POST", f"/apps/3/events?{query}", body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        assert (response.status, response.read()) == (200, b"{}")
        conn.close()
        assert docs.events[0].data == '{"some":"data"}'


def test_timestamp_tolerance_is_configurable() -> None:
    with LocalPusherServer(timestamp_tolerance=5) as strict:
        assert call(strict, "GET", f"{APP}/channels", timestamp=int(time.time()) - 60).status == 401
        assert call(strict, "GET", f"{APP}/channels").status == 200


# --- routing ----------------------------------------------------------------------------------------------------


def test_not_found_and_method_not_allowed(server: LocalPusherServer) -> None:
    assert call(server, "POST", "/apps/other-app/events", EVENT).status == 404
    assert call(server, "GET", f"{APP}/nope").status == 404
    assert call(server, "GET", f"{APP}/channels/").status == 404
    assert call(server, "GET", "/").status == 404
    reply = call(server, "GET", f"{APP}/events")
    assert reply.status == 405
    assert reply.headers["Allow"] == "POST"
    reply = call(server, "POST", f"{APP}/channels", {})
    assert reply.status == 405
    assert reply.headers["Allow"] == "GET"
    reply = call(server, "DELETE", f"{APP}/channels/c")
    assert reply.status == 405
    assert [r.status for r in server.requests] == [404, 404, 404, 404, 405, 405, 405]


def test_unknown_app_is_404_before_authentication(server: LocalPusherServer) -> None:
    assert call(server, "GET", "/apps/other-app/channels", key="wrong").status == 404


def test_chunked_request_body(server: LocalPusherServer) -> None:
    body = json.dumps(EVENT).encode()
    path = f"{APP}/events"
    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    conn.request(
        "POST", f"{path}?{signed_query('POST', path, body)}", body=iter([body[:5], body[5:]]), encode_chunked=True
    )
    assert conn.getresponse().status == 200
    conn.close()
    assert server.events[0].name == "e"


# --- failure injection ------------------------------------------------------------------------------------------


def test_fail_next_with_retry_after(server: LocalPusherServer) -> None:
    server.fail_next(503, "try later", count=2, retry_after=3)
    assert call(server, "POST", f"{APP}/events", EVENT, key="wrong").status == 401  # not consumed before auth
    for _ in range(2):
        reply = trigger(server, **EVENT)
        assert (reply.status, reply.text, reply.headers["Retry-After"]) == (503, "try later", "3")
    reply = trigger(server, **EVENT)
    assert reply.status == 200
    assert reply.headers["Retry-After"] is None
    assert len(server.events) == 1


def test_fail_next_queues_and_allows_fractional_retry_after(server: LocalPusherServer) -> None:
    server.fail_next(429, retry_after=0.25)
    server.fail_next(500)
    first = call(server, "GET", f"{APP}/channels")
    second = call(server, "GET", f"{APP}/channels")
    assert (first.status, first.headers["Retry-After"], first.body) == (429, "0.25", b"")
    assert (second.status, second.headers["Retry-After"]) == (500, None)
    assert call(server, "GET", f"{APP}/channels").status == 200


@pytest.mark.parametrize("kwargs", [{"status": 99}, {"status": 600}, {"status": 500, "count": 0}])
def test_fail_next_rejects_bad_arguments(server: LocalPusherServer, kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must be"):
        server.fail_next(**kwargs)


# --- waiting, concurrency, connections --------------------------------------------------------------------------


def test_wait_for_events_times_out(server: LocalPusherServer) -> None:
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        server.wait_for_events(1, timeout=0.1)
    assert time.monotonic() - started < 2


def test_wait_for_events_wakes_on_a_concurrent_trigger(server: LocalPusherServer) -> None:
    timer = threading.Timer(0.1, lambda: trigger(server, **EVENT))
    timer.start()
    try:
        events = server.wait_for_events(1, timeout=5)
    finally:
        timer.join()
    assert [event.name for event in events] == ["e"]


def test_concurrent_triggers_are_all_recorded(server: LocalPusherServer) -> None:
    statuses: list[int] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        for i in range(10):
            status = trigger(server, name=f"e{n}-{i}", channel="c", data="d").status
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 80
    assert len(server.wait_for_events(80)) == 80
    assert len({e.name for e in server.events}) == 80


def test_keep_alive_serves_two_requests_on_one_connection(server: LocalPusherServer) -> None:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    try:
        first = call(server, "POST", f"{APP}/events", EVENT, conn=conn)
        sock = conn.sock
        second = call(server, "GET", f"{APP}/channels", conn=conn)
        rejected = call(server, "GET", f"{APP}/channels", conn=conn, key="wrong")
        third = call(server, "GET", f"{APP}/channels", conn=conn)
        assert (first.status, second.status, rejected.status, third.status) == (200, 200, 401, 200)
        assert sock is not None
        assert conn.sock is sock
        assert first.headers["Connection"] is None
        assert first.headers["Content-Length"] == "2"
    finally:
        conn.close()


def test_stop_closes_idle_keep_alive_connections_and_is_idempotent() -> None:
    server = LocalPusherServer().start()
    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    assert call(server, "GET", f"{APP}/channels", conn=conn).status == 200
    started = time.monotonic()
    server.stop()
    server.stop()
    assert time.monotonic() - started < 3
    assert not server.running
    assert conn.sock is not None
    conn.sock.settimeout(2)
    assert conn.sock.recv(1) == b""  # the server closed its end
    conn.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((server.host, server.port), timeout=1).close()


def test_start_is_idempotent_and_restart_keeps_the_port() -> None:
    server = LocalPusherServer()
    assert server.start() is server
    assert server.start() is server
    port = server.port
    assert port != 0
    assert server.url == f"http://127.0.0.1:{port}"
    trigger(server, **EVENT)
    server.stop()
    with server:
        assert server.port == port
        assert len(server.events) == 1
        assert call(server, "GET", f"{APP}/channels").status == 200


def test_client_options_and_repr_hide_nothing_but_the_secret(server: LocalPusherServer) -> None:
    assert server.client_options() == {
        "app_id": "app-id",
        "key": KEY,
        "secret": SECRET,
        "host": "127.0.0.1",
        "port": server.port,
        "ssl": False,
    }
    assert SECRET not in repr(server)
    assert str(server.port) in repr(server)


def test_channel_state_setters_validate(server: LocalPusherServer) -> None:
    with pytest.raises(ValueError, match="invalid channel name"):
        server.set_channel("bad name")
    with pytest.raises(ValueError, match="subscription_count"):
        server.set_channel("c", subscription_count=0)
    with pytest.raises(ValueError, match="not a presence channel"):
        server.set_presence_members("private-x", ["1"])
    with pytest.raises(TypeError):
        server.set_presence_members("presence-x", "12")


def test_recorded_request_is_immutable(server: LocalPusherServer) -> None:
    call(server, "GET", f"{APP}/channels")
    request = server.requests[0]
    assert isinstance(request, RecordedRequest)
    with pytest.raises(TypeError):
        request.query["x"] = "y"  # type: ignore[index]


def test_logging_is_quiet_and_leaves_out_query_strings(
    server: LocalPusherServer, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    with caplog.at_level(logging.DEBUG, logger="pusher_fast.testing"):
        assert trigger(server, **EVENT).status == 200
        assert call(server, "GET", f"{APP}/channels", secret="wrong").status == 401
    assert f"POST {APP}/events -> 200" in caplog.text
    assert "auth_signature" not in caplog.text
    assert SECRET not in caplog.text
    out, err = capfd.readouterr()
    assert out == ""
    assert err == ""


def test_head_gets_headers_only(server: LocalPusherServer) -> None:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    try:
        reply = call(server, "HEAD", f"{APP}/channels", conn=conn)
        assert reply.status == 405
        assert reply.body == b""
        assert int(reply.headers["Content-Length"]) > 0
        assert call(server, "GET", f"{APP}/channels", conn=conn).status == 200  # the connection is still in sync
    finally:
        conn.close()


# --- webhooks ---------------------------------------------------------------------------------------------------


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []
    status: ClassVar[int] = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(self.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any, **kwargs: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[_Receiver]]]:
    handler = type("Receiver", (_Receiver,), {"received": [], "status": 200})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/hook", handler
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_send_webhook_signs_the_raw_body(server: LocalPusherServer, receiver: tuple[str, type[_Receiver]]) -> None:
    url, handler = receiver
    events = [{"name": "channel_occupied", "channel": "private-é"}]
    assert server.send_webhook(url, events, time_ms=1234) == 200
    ((headers, body),) = handler.received
    assert body == '{"time_ms":1234,"events":[{"name":"channel_occupied","channel":"private-é"}]}'.encode()
    assert headers["content-type"] == "application/json"
    assert headers["x-pusher-key"] == KEY
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["x-pusher-signature"] == expected == LocalPusherServer.sign_webhook(SECRET, body)


def test_send_webhook_options_and_error_status(
    server: LocalPusherServer, receiver: tuple[str, type[_Receiver]]
) -> None:
    url, handler = receiver
    handler.status = 500
    before = int(time.time() * 1000)
    assert server.send_webhook(url, [], key="k2", secret="s2") == 500
    ((headers, body),) = handler.received
    payload = json.loads(body)
    assert payload["events"] == []
    assert before <= payload["time_ms"] <= int(time.time() * 1000)
    assert headers["x-pusher-key"] == "k2"
    assert headers["x-pusher-signature"] == hmac.new(b"s2", body, hashlib.sha256).hexdigest()
    with pytest.raises(ValueError, match="http or https"):
        server.send_webhook("file:///etc/passwd", [])


# --- the pytest plugin and the command line ---------------------------------------------------------------------


def test_pusher_server_fixture(pusher_server: LocalPusherServer) -> None:
    assert pusher_server.running
    assert pusher_server.port != 0
    assert trigger(pusher_server, **EVENT).status == 200
    assert pusher_server.wait_for_events(1)[0].channels == ("c",)


def test_pusher_server_fixture_gives_each_test_a_fresh_server(pusher_server: LocalPusherServer) -> None:
    assert pusher_server.events == ()
    assert pusher_server.requests == ()


@pytest.mark.skipif(sys.platform == "win32", reason="uses SIGINT")
def test_command_line_server(tmp_path: Path) -> None:
    import pusher_fast

    package_root = Path(pusher_fast.__file__).parent.parent
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(package_root), os.environ.get("PYTHONPATH", "")]))
    process = subprocess.Popen(
        [sys.executable, "-m", "pusher_fast.testing", "--port", "0", "--secret", "cli-secret", "--app-id", "9"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            process.kill()
            pytest.fail(f"the server did not start: {process.communicate(timeout=10)[1]}")
        assert "http://127.0.0.1:" in line
        assert "cli-secret" not in line
        port = int(line.split("http://127.0.0.1:")[1].split()[0])
        cli = Address("127.0.0.1", port)
        assert call(cli, "GET", "/apps/9/channels", secret="cli-secret").json() == {"channels": {}}
        assert call(cli, "GET", "/apps/9/channels").status == 401
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "cli-secret" not in out + err
