"""The HTTP side: keep-alive, timeouts, connection failures, proxies, logging, threads, custom transports."""

from __future__ import annotations

import hashlib
import http.client
import logging
import socket
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import pytest

from pusher_fast import (
    PreparedRequest,
    Pusher,
    PusherConnectionError,
    PusherError,
    PusherTimeout,
    PusherTransportError,
    parse_response,
)
from pusher_fast.testing import LocalPusherServer


class CountingServer(ThreadingHTTPServer):
    """A LocalPusherServer stand-in that counts TCP connections; answers every request 200 ``{}``."""

    daemon_threads = True
    connections = 0
    delay = 0.0

    def get_request(self) -> tuple[socket.socket, Any]:
        self.connections += 1
        return super().get_request()


class QuickHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: CountingServer

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(self.server.delay)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def counting_server() -> Iterator[CountingServer]:
    server = CountingServer(("127.0.0.1", 0), QuickHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def client_for(server: ThreadingHTTPServer, **options: Any) -> Pusher:
    options = {"ssl": False, "host": "127.0.0.1", "port": server.server_address[1], **options}
    return Pusher("1", "key", "secret", **options)


def test_keep_alive_reuses_one_connection(counting_server: CountingServer) -> None:
    with client_for(counting_server) as client:
        for i in range(20):
            client.trigger("c", "e", i)
    assert counting_server.connections == 1


@pytest.mark.parametrize("transport", ["native", "httpx"])
def test_read_timeout_raises_pusher_timeout(counting_server: CountingServer, transport: str) -> None:
    counting_server.delay = 1.0
    with (
        client_for(counting_server, timeout=0.2, transport=transport) as client,
        pytest.raises(PusherTimeout) as info,
    ):
        client.trigger("c", "e", 1)
    assert isinstance(info.value, TimeoutError)
    assert isinstance(info.value, PusherTransportError)
    if transport == "httpx":
        assert isinstance(info.value.__cause__, httpx.TimeoutException)
    assert "POST /apps/1/events" in str(info.value)


def test_connection_refused_raises_pusher_connection_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (
        Pusher("1", "key", "secret", ssl=False, host="127.0.0.1", port=port) as client,
        pytest.raises(PusherConnectionError) as info,
    ):
        client.channels_info()
    assert isinstance(info.value, ConnectionError)
    assert isinstance(info.value, PusherError)


def test_tls_is_used_when_ssl_is_on(counting_server: CountingServer) -> None:
    # A plain-HTTP server cannot complete a TLS handshake: proof that ssl=True really speaks TLS.
    with client_for(counting_server, ssl=True) as client, pytest.raises(PusherConnectionError):
        client.trigger("c", "e", 1)


class ForwardProxyHandler(BaseHTTPRequestHandler):
    """A minimal HTTP forward proxy: receives absolute-form requests and relays them."""

    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[str]] = []

    def _relay(self) -> None:
        type(self).seen.append(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        target = urllib.parse.urlsplit(self.path)
        upstream = http.client.HTTPConnection(target.hostname or "", target.port or 80, timeout=5)
        try:
            upstream.request(self.command, f"{target.path}?{target.query}", body=body, headers=dict(self.headers))
            response = upstream.getresponse()
            payload = response.read()
        finally:
            upstream.close()
        self.send_response(response.status)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _relay

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def proxy_url() -> Iterator[str]:
    ForwardProxyHandler.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), ForwardProxyHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_explicit_proxy(pusher_server: LocalPusherServer, proxy_url: str) -> None:
    with Pusher(**pusher_server.client_options(), proxy=proxy_url) as client:
        client.trigger("c", "e", 1)
    assert len(pusher_server.events) == 1
    assert ForwardProxyHandler.seen[0].startswith(f"{pusher_server.url}/apps/app-id/events?")


def test_requests_style_proxies_option(pusher_server: LocalPusherServer, proxy_url: str) -> None:
    with Pusher(**pusher_server.client_options(), proxies={"http": proxy_url}) as client:
        client.trigger("c", "e", 1)
    assert len(ForwardProxyHandler.seen) == 1


def test_http_proxy_environment_variable(
    pusher_server: LocalPusherServer, proxy_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy_url)
    with Pusher(**pusher_server.client_options()) as client:
        client.trigger("c", "e", 1)
    assert len(ForwardProxyHandler.seen) == 1
    assert len(pusher_server.events) == 1


def test_debug_logging_without_secrets(pusher: Pusher, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="pusher_fast"):
        pusher.trigger("c", "e", {"a": 1})
    records = [r for r in caplog.records if r.name == "pusher_fast"]
    assert len(records) == 1
    message = records[0].getMessage()
    assert message.startswith("POST /apps/app-id/events (event 'e' on 'c') -> 200 in "), message
    assert "app-secret" not in caplog.text
    assert "auth_signature" not in caplog.text


def test_one_client_shared_by_threads(pusher: Pusher, pusher_server: LocalPusherServer) -> None:
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(25):
                pusher.trigger(f"worker-{worker}", "e", {"i": i})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(pusher_server.events) == 200
    for worker in range(8):
        order = [int(e.data[6:-1]) for e in pusher_server.events if e.channels == (f"worker-{worker}",)]
        assert order == list(range(25))


def test_user_supplied_http_client_is_used_and_not_closed(pusher_server: LocalPusherServer) -> None:
    seen: list[str] = []
    with httpx.Client(event_hooks={"request": [lambda request: seen.append(request.url.path)]}) as http_client:
        client = Pusher(**pusher_server.client_options(), http_client=http_client)
        client.trigger("c", "e", 1)
        client.close()
        assert not http_client.is_closed
    assert seen == ["/apps/app-id/events"]


def test_custom_backend_of_the_official_sdk_shape(pusher_server: LocalPusherServer) -> None:
    sent: list[PreparedRequest] = []

    class RecordingBackend:
        def __init__(self, client: Pusher, **options: Any) -> None:
            self.client = client
            self.options = options

        def send_request(self, request: PreparedRequest) -> dict[str, Any]:
            sent.append(request)
            with urllib.request.urlopen(
                urllib.request.Request(request.url, data=request.body, headers=dict(request.headers)),
                timeout=self.client.timeout,
            ) as response:
                return parse_response(response.status, response.read())

    client = Pusher(**pusher_server.client_options(), backend=RecordingBackend, custom_option=1)
    assert client.trigger("c", "e", {"x": 1}) == {}
    assert client._transport._backend.options == {"custom_option": 1}  # type: ignore[union-attr]
    request = sent[0]
    assert (request.method, request.path, request.base_url) == ("POST", "/apps/app-id/events", pusher_server.url)
    assert request.query_params["auth_key"] == "app-key"
    assert request.signed_path.startswith("/apps/app-id/events?")
    assert len(pusher_server.events) == 1


def test_bring_your_own_http_stack(pusher: Pusher, pusher_server: LocalPusherServer) -> None:
    request = pusher.prepare.trigger("c", "e", {"via": "urllib"})
    assert request.headers["Content-Type"] == "application/json"
    http_request = urllib.request.Request(request.url, data=request.body, headers=dict(request.headers), method="POST")
    with urllib.request.urlopen(http_request, timeout=5) as response:
        assert parse_response(response.status, response.read()) == {}
    assert pusher_server.events[0].data == '{"via": "urllib"}'


def test_get_requests_carry_no_body_md5(pusher: Pusher) -> None:
    request = pusher.prepare.channels_info(prefix_filter="presence-", attributes="user_count")
    assert "body_md5" not in request.query_params
    assert request.body == b""
    assert request.query_params["info"] == "user_count"
    post = pusher.prepare.trigger("c", "e", 1)
    assert post.query_params["body_md5"] == hashlib.md5(post.body).hexdigest()
    assert post.query_params["auth_version"] == "1.0"


def test_sign_bodies_for_your_own_http_stack(pusher: Pusher, pusher_server: LocalPusherServer) -> None:
    bodies = [
        b'{"name": "e", "channels": ["a"], "data": "1"}',
        b'{"batch": [{"channel": "b", "name": "e", "data": "2"}]}',
    ]
    (events,) = pusher.prepare.sign_bodies("events", bodies[:1])
    (batch,) = pusher.prepare.sign_bodies("batch_events", bodies[1:])
    assert (events.path, batch.path) == ("/apps/app-id/events", "/apps/app-id/batch_events")
    for request in (events, batch):
        http_request = urllib.request.Request(request.url, data=request.body, headers=dict(request.headers))
        with urllib.request.urlopen(http_request, timeout=5) as response:
            assert parse_response(response.status, response.read()) == {}
    assert [(e.channels, e.data) for e in pusher_server.events] == [(("a",), "1"), (("b",), "2")]


def test_sign_bodies_many_at_once_and_bad_endpoint(pusher: Pusher) -> None:
    bodies = [f'{{"name": "e", "channels": ["c{i}"], "data": "x"}}'.encode() for i in range(500)]
    requests = pusher.prepare.sign_bodies("events", iter(bodies))
    assert [r.body for r in requests] == bodies
    for request in requests[::97]:
        assert request.query_params["body_md5"] == hashlib.md5(request.body).hexdigest()
    with pytest.raises(ValueError, match="'events' or 'batch_events'"):
        pusher.prepare.sign_bodies("channels", bodies)


def test_official_backend_classes_still_work(pusher_server: LocalPusherServer) -> None:
    """``backend=`` with the official SDK's own backends: they get a request with the attributes they read."""
    import asyncio

    from pusher.aiohttp import AsyncIOBackend
    from pusher.requests import RequestsBackend

    with Pusher(**pusher_server.client_options(), backend=RequestsBackend) as client:
        assert client.trigger("sync-channel", "e", {"via": "requests"}) == {}
    async_client = Pusher(**pusher_server.client_options(), backend=AsyncIOBackend)
    assert asyncio.run(async_client.trigger("async-channel", "e", {"via": "aiohttp"})) == {}
    assert [e.channels for e in pusher_server.events] == [("sync-channel",), ("async-channel",)]
