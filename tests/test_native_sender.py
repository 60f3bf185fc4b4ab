"""``pusher_fast._native.NativeSender`` (with its ``CompletionQueue``) over real HTTP: delivery, lane order, the
pool, retries, failures, deadlines, TLS, proxies and shutdown."""

from __future__ import annotations

import json
import select
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from pusher_fast._native import (
    MAX_RESPONSE_BODY_BYTES,
    Completion,
    CompletionQueue,
    FailureKind,
    NativeSender,
    TlsConfig,
    sign_request,
)
from pusher_fast.errors import PusherClientClosed
from pusher_fast.testing import LocalPusherServer

KEY = "app-key"
SECRET = "app-secret"
PATH = "/apps/app-id/events"
HEADERS = [("X-Pusher-Library", "pusher-fast-test"), ("Content-Type", "application/json")]

Result = tuple[int, int, bytes, "FailureKind | None", int]

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "REQUEST_METHOD")


@pytest.fixture(autouse=True)
def _no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """``proxy=None`` reads the proxy variables: make every test start without them."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def event_body(channel: str = "c", name: str = "e", data: str = "x") -> bytes:
    return json.dumps({"name": name, "channels": [channel], "data": data}).encode()


def signed(body: bytes, path: str = PATH) -> str:
    """The request target (path and signed query string) for a POST of ``body``."""
    return f"{path}?{sign_request(KEY, SECRET, 'POST', path, [], body, int(time.time()))}"


class Sender:
    """A ``NativeSender`` with the one ``CompletionQueue`` its results go to."""

    def __init__(self, base_url: str, **options: Any) -> None:
        settings: dict[str, Any] = {
            "timeout": 5.0,
            "lanes": 4,
            "ordered": True,
            "headers": HEADERS,
            "max_body": MAX_RESPONSE_BODY_BYTES,
        }
        settings.update(options)
        self.native = NativeSender(base_url, **settings)
        self.queue = CompletionQueue()

    def submit(self, request_id: int, lane: int | None, method: str, target: str, body: bytes) -> None:
        self.native.submit(request_id, lane, method, target, body, self.queue)

    def close(self) -> None:
        self.native.close()


def make_sender(base_url: str, **options: Any) -> Sender:
    return Sender(base_url, **options)


def submit_event(sender: Sender, request_id: int, lane: int | None, **event: str) -> None:
    body = event_body(**event)
    sender.submit(request_id, lane, "POST", signed(body), body)


def collect_completions(sender: Sender, count: int, timeout: float = 15.0) -> list[Completion]:
    """Wait for ``count`` results; sorted by request id."""
    deadline = time.monotonic() + timeout
    results: list[Completion] = []
    while len(results) < count and time.monotonic() < deadline:
        results.extend(sender.queue.wait(0.5))
    assert len(results) == count, results
    return sorted(results, key=lambda completion: completion.request_id)


def row(completion: Completion) -> Result:
    return (completion.request_id, completion.status, completion.body, completion.failure, completion.attempts)


def collect(sender: Sender, count: int, timeout: float = 15.0) -> list[Result]:
    """``collect_completions`` as ``(request_id, status, body, failure, attempts)`` rows."""
    return [row(completion) for completion in collect_completions(sender, count, timeout)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RecordingServer(ThreadingHTTPServer):
    """Answers every request ``status`` with ``{}`` after ``delay`` seconds; records what it saw."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 64

    def __init__(self, delay: float = 0.0, status: int = 200) -> None:
        super().__init__(("127.0.0.1", 0), _RecordingHandler)
        self.delay = delay
        self.status = status
        self.lock = threading.Lock()
        self.seen: list[tuple[str, dict[str, str], bytes]] = []
        self.active = 0
        self.max_active = 0
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        port: int = self.server_address[1]
        return port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _RecordingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: RecordingServer

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        server = self.server
        with server.lock:
            server.seen.append((self.requestline, {k.lower(): v for k, v in self.headers.items()}, body))
            server.active += 1
            server.max_active = max(server.max_active, server.active)
        time.sleep(server.delay)
        with server.lock:
            server.active -= 1
        self.send_response(server.status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")


@pytest.fixture
def recording_server() -> Iterator[RecordingServer]:
    server = RecordingServer()
    yield server
    server.stop()


@pytest.fixture
def silent_socket() -> Iterator[str]:
    """A URL whose server accepts connections (in the backlog) and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


# -- Delivery and order. ---------------------------------------------------------------------------------------------


def test_delivers_signed_requests(pusher_server: LocalPusherServer) -> None:
    sender = make_sender(pusher_server.url, lanes=4)
    for request_id in range(20):
        submit_event(sender, request_id, request_id % 4, name=f"event-{request_id}")
    results = collect(sender, 20)
    assert results == [(request_id, 200, b"{}", None, 1) for request_id in range(20)]
    assert sorted(event.name for event in pusher_server.events) == sorted(f"event-{i}" for i in range(20))
    request = pusher_server.requests[0]
    assert request.headers["x-pusher-library"] == "pusher-fast-test"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["host"] == f"127.0.0.1:{pusher_server.port}"
    sender.close()


def test_keeps_order_within_each_lane_under_concurrency(pusher_server: LocalPusherServer) -> None:
    lanes, per_lane = 8, 30
    sender = make_sender(pusher_server.url, lanes=lanes)
    request_id = 0
    for sequence in range(per_lane):
        for lane in range(lanes):
            submit_event(sender, request_id, lane, channel=f"lane-{lane}", data=str(sequence))
            request_id += 1
    results = collect(sender, lanes * per_lane)
    assert {status for _, status, _, _, _ in results} == {200}
    events = pusher_server.events
    assert len(events) == lanes * per_lane
    for lane in range(lanes):
        order = [int(event.data) for event in events if event.channels == (f"lane-{lane}",)]
        assert order == list(range(per_lane)), f"lane {lane}"
    sender.close()


def test_lanes_run_in_parallel_and_a_lane_runs_in_series() -> None:
    server = RecordingServer(delay=0.3)
    try:
        sender = make_sender(server.url, lanes=8)
        started = time.monotonic()
        for request_id in range(8):
            submit_event(sender, request_id, request_id)
        collect(sender, 8)
        assert time.monotonic() - started < 1.5
        assert server.max_active == 8

        server.max_active = 0
        started = time.monotonic()
        for request_id in range(3):
            submit_event(sender, request_id, 0)
        collect(sender, 3)
        assert time.monotonic() - started >= 0.85
        assert server.max_active == 1
        sender.close()
    finally:
        server.stop()


# -- Retries. --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [503, 429])
def test_retries_injected_failures_then_succeeds(pusher_server: LocalPusherServer, status: int) -> None:
    pusher_server.fail_next(status, "try later", count=2, retry_after=0.05)
    sender = make_sender(pusher_server.url, lanes=1, retries=3, backoff_base=0.01)
    submit_event(sender, 1, 0, name="first")
    submit_event(sender, 2, 0, name="second")
    assert collect(sender, 2) == [(1, 200, b"{}", None, 3), (2, 200, b"{}", None, 1)]
    assert [request.status for request in pusher_server.requests] == [status, status, 200, 200]
    # Retries stay in their lane: the second event is not sent before the first one is through.
    assert [event.name for event in pusher_server.events] == ["first", "second"]
    sender.close()


@pytest.mark.parametrize("status", [503, 500, 429])
def test_retry_after_is_waited_for(pusher_server: LocalPusherServer, status: int) -> None:
    pusher_server.fail_next(status, count=1, retry_after=0.3)
    # backoff_base=0: the backoff alone would not wait at all.
    sender = make_sender(pusher_server.url, lanes=1, retries=1, backoff_base=0.0, backoff_max=5.0)
    started = time.monotonic()
    submit_event(sender, 1, 0)
    assert collect(sender, 1) == [(1, 200, b"{}", None, 2)]
    assert time.monotonic() - started >= 0.29
    sender.close()


def test_the_final_retry_after_comes_with_the_result(pusher_server: LocalPusherServer) -> None:
    pusher_server.fail_next(429, "slow down", count=1, retry_after=2.5)
    sender = make_sender(pusher_server.url, lanes=1)
    submit_event(sender, 1, 0)
    [completion] = collect_completions(sender, 1)
    assert (completion.status, completion.body, completion.retry_after) == (429, b"slow down", 2.5)
    assert (completion.failure, completion.message) == (None, None)
    submit_event(sender, 2, 0)
    assert collect_completions(sender, 1)[0].retry_after is None
    sender.close()


def test_client_errors_are_not_retried(pusher_server: LocalPusherServer) -> None:
    pusher_server.fail_next(400, "bad event", count=1)
    sender = make_sender(pusher_server.url, lanes=1, retries=3, backoff_base=0.01)
    submit_event(sender, 1, 0)
    assert collect(sender, 1) == [(1, 400, b"bad event", None, 1)]
    assert len(pusher_server.requests) == 1
    sender.close()


def test_gives_up_after_the_last_retry(pusher_server: LocalPusherServer) -> None:
    pusher_server.fail_next(500, "down", count=5)
    sender = make_sender(pusher_server.url, lanes=1, retries=2, backoff_base=0.01)
    submit_event(sender, 1, 0)
    assert collect(sender, 1) == [(1, 500, b"down", None, 3)]
    sender.close()


def test_without_retries_a_failure_is_final(pusher_server: LocalPusherServer) -> None:
    pusher_server.fail_next(503, count=1)
    sender = make_sender(pusher_server.url, lanes=1)
    submit_event(sender, 1, 0)
    assert collect(sender, 1)[0][1::3] == (503, 1)
    sender.close()


# -- Failures without a response. ------------------------------------------------------------------------------------


def test_connection_refused_is_status_0_with_a_connection_error() -> None:
    sender = make_sender(f"http://127.0.0.1:{free_port()}", lanes=1, retries=1, backoff_base=0.01)
    submit_event(sender, 5, 0)
    [completion] = collect_completions(sender, 1)
    assert (completion.request_id, completion.status, completion.body, completion.attempts) == (5, 0, b"", 2)
    assert completion.failure == FailureKind.CONNECT
    assert completion.message is not None
    assert completion.message.startswith("connection refused"), completion.message
    sender.close()


def test_a_silent_server_times_out(silent_socket: str) -> None:
    sender = make_sender(silent_socket, lanes=2, timeout=0.3)
    started = time.monotonic()
    submit_event(sender, 1, 0)
    submit_event(sender, 2, 1)
    results = collect(sender, 2)
    elapsed = time.monotonic() - started
    for _, status, _, failure, attempts in results:
        assert (status, attempts) == (0, 1)
        assert failure == FailureKind.TIMEOUT
    assert 0.25 <= elapsed < 3.0
    sender.close()


# -- The pool. -------------------------------------------------------------------------------------------------------


def test_a_pool_reuses_one_warm_connection_for_one_request_at_a_time() -> None:
    server = RecordingServer()
    try:
        sender = make_sender(server.url, lanes=64, ordered=False)
        for request_id in range(10):
            submit_event(sender, request_id, None)
            assert collect(sender, 1)[0][1] == 200
        assert server.max_active == 1
        sender.close()
    finally:
        server.stop()


def test_a_pool_uses_at_most_lanes_connections_and_the_deadline_counts_the_wait() -> None:
    server = RecordingServer(delay=0.3)
    try:
        sender = make_sender(server.url, lanes=4, ordered=False, timeout=0.5)
        started = time.monotonic()
        for request_id in range(12):
            submit_event(sender, request_id, None)
        results = collect(sender, 12)
        elapsed = time.monotonic() - started
        assert server.max_active == 4
        assert sum(status == 200 for _, status, _, _, _ in results) == 4
        # The other eight waited for a connection past their deadline: they time out, never later than it.
        assert sum(failure == FailureKind.TIMEOUT for _, _, _, failure, _ in results) == 8
        assert elapsed < 1.5
        sender.close()
    finally:
        server.stop()


def test_submit_never_waits_and_everything_completes(pusher_server: LocalPusherServer) -> None:
    sender = make_sender(pusher_server.url, lanes=2)
    started = time.monotonic()
    for request_id in range(300):
        submit_event(sender, request_id, request_id % 2)
    assert time.monotonic() - started < 5
    results = collect_completions(sender, 300, timeout=30)
    assert [result.request_id for result in results] == list(range(300))
    assert {result.status for result in results} == {200}
    assert len(pusher_server.events) == 300
    sender.close()


def test_a_cancelled_request_is_not_sent() -> None:
    server = RecordingServer(delay=0.2)
    try:
        sender = make_sender(server.url, lanes=1, ordered=False)
        submit_event(sender, 1, None, name="first")
        submit_event(sender, 2, None, name="second")
        sender.native.cancel(2)
        assert [row[:2] for row in collect(sender, 1)] == [(1, 200)]
        assert sender.queue.wait(0.4) == []
        assert [json.loads(body)["name"] for _, _, body in server.seen] == ["first"]
        sender.close()
    finally:
        server.stop()


def test_an_oversized_2xx_answer_is_refused_and_never_resent() -> None:
    server = RecordingServer()
    try:
        sender = make_sender(server.url, lanes=1, retries=3, backoff_base=0.01, max_body=1)
        submit_event(sender, 1, 0)
        [completion] = collect_completions(sender, 1)
        assert (completion.status, completion.failure, completion.attempts) == (200, FailureKind.BODY_TOO_LARGE, 1)
        assert completion.body == b""
        assert len(server.seen) == 1
        sender.close()
    finally:
        server.stop()


# -- The life cycle. -------------------------------------------------------------------------------------------------


def test_wait_returns_at_once_what_is_there_and_times_out_otherwise(silent_socket: str) -> None:
    sender = make_sender(silent_socket, lanes=1, timeout=30.0)
    started = time.monotonic()
    assert sender.queue.take() == []
    assert sender.queue.wait(0.0) == []
    submit_event(sender, 1, 0)
    assert sender.queue.wait(0.2) == []
    assert 0.15 <= time.monotonic() - started < 2.0
    with pytest.raises(ValueError, match="timeout"):
        sender.queue.wait(-1.0)
    sender.close()


def test_close_is_idempotent_and_submit_after_close_raises(silent_socket: str) -> None:
    sender = make_sender(silent_socket, lanes=1, timeout=30.0)
    for request_id in range(3):
        submit_event(sender, request_id, 0)
    time.sleep(0.1)
    started = time.monotonic()
    sender.close()
    assert time.monotonic() - started < 1.0
    sender.close()
    # Nothing is lost: what was not finished comes back as cancelled.
    results = sorted(sender.queue.take(), key=lambda completion: completion.request_id)
    assert [(result.request_id, result.status, result.attempts) for result in results] == [
        (0, 0, 1),
        (1, 0, 0),
        (2, 0, 0),
    ]
    assert all(result.failure == FailureKind.CLOSED for result in results)
    assert all("closed" in (result.message or "") for result in results)
    assert sender.queue.wait(0.1) == []
    with pytest.raises(PusherClientClosed, match="closed"):
        submit_event(sender, 9, 0)


def test_close_wakes_a_waiting_thread(silent_socket: str) -> None:
    sender = make_sender(silent_socket, lanes=1, timeout=30.0)
    submit_event(sender, 1, 0)
    woken: list[Completion] = []
    thread = threading.Thread(target=lambda: woken.extend(sender.queue.wait(10.0)))
    thread.start()
    time.sleep(0.2)
    sender.close()
    thread.join(5)
    assert not thread.is_alive()
    assert [completion.failure for completion in woken] == [FailureKind.CLOSED]


def test_the_runtime_thread_exits_when_dropped_without_close(silent_socket: str) -> None:
    # In a fresh interpreter: in this one, senders of earlier tests may still be winding down.
    script = f"""
import os, time
from pusher_fast._native import NativeSender

def sender_threads():
    count = 0
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{{task}}/comm") as comm:
                count += comm.read().startswith("pusher-fast-sen")
        except OSError:
            pass
    return count

def wait_for(count):
    deadline = time.monotonic() + 5
    while sender_threads() != count and time.monotonic() < deadline:
        time.sleep(0.01)
    return sender_threads()

from pusher_fast._native import CompletionQueue
sender = NativeSender({silent_socket!r}, timeout=30.0, lanes=4, ordered=True, headers=[], max_body=1024)
sender.submit(1, 0, "POST", "/apps/app-id/events", b"{{}}", CompletionQueue())
started = wait_for(1)
del sender
print(started, wait_for(0))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "0"]


def test_interpreter_exits_with_requests_in_flight_and_a_thread_waiting(silent_socket: str) -> None:
    script = f"""
import threading, time
from pusher_fast._native import CompletionQueue, NativeSender
sender = NativeSender({silent_socket!r}, timeout=60.0, lanes=2, ordered=True, headers=[], max_body=1024)
queue = CompletionQueue()
sender.submit(1, 0, "POST", "/apps/app-id/events", b"{{}}", queue)
threading.Thread(target=queue.wait, args=(60.0,), daemon=True).start()
time.sleep(0.2)
print("exiting")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "exiting"


def test_bad_arguments_raise_value_error(pusher_server: LocalPusherServer) -> None:
    for base_url in ["", "127.0.0.1:6001", "ftp://x", "http://x/apps", "http://u:p@x"]:
        with pytest.raises(ValueError, match="base_url"):
            make_sender(base_url)
    bad_options: list[dict[str, Any]] = [
        {"lanes": 0},
        {"timeout": 0.0},
        {"timeout": float("nan")},
        {"backoff_base": -1.0},
        {"backoff_max": float("inf")},
        {"headers": [("bad header", "x")]},
        {"proxy": "socks5://127.0.0.1:1080"},
        {"proxy": "http://"},
    ]
    for options in bad_options:
        with pytest.raises(ValueError):  # noqa: PT011
            make_sender(pusher_server.url, **options)
    sender = make_sender(pusher_server.url, lanes=2)
    with pytest.raises(ValueError, match="out of range"):
        sender.submit(1, 2, "POST", "/x", b"")
    with pytest.raises(ValueError, match="method"):
        sender.submit(1, 0, "PO ST", "/x", b"")
    with pytest.raises(ValueError, match="must start with '/'"):
        sender.submit(1, 0, "POST", "apps", b"")
    with pytest.raises(ValueError, match="needs a lane"):
        sender.submit(1, None, "POST", "/x", b"")
    with pytest.raises(ValueError, match="TLS"):
        make_sender("https://127.0.0.1:1")
    pooled = make_sender(pusher_server.url, ordered=False)
    with pytest.raises(ValueError, match="takes no lane"):
        pooled.submit(1, 0, "POST", "/x", b"")
    sender.close()
    pooled.close()


def test_bad_urls_are_refused_without_their_credentials(pusher_server: LocalPusherServer) -> None:
    for base_url, proxy in [
        ("http://user:hunter2@example.com", None),
        (pusher_server.url, "socks5://user:hunter2@127.0.0.1:1080"),
        (pusher_server.url, "http://user:hunter2@127.0.0.1:99999"),
    ]:
        with pytest.raises(ValueError, match=r"credentials|proxy URL") as info:
            make_sender(base_url, proxy=proxy)
        assert "hunter2" not in str(info.value)


# -- Proxies. --------------------------------------------------------------------------------------------------------


def test_an_explicit_http_proxy_gets_absolute_targets(recording_server: RecordingServer) -> None:
    sender = make_sender("http://pusher.invalid:6001", proxy=f"http://user:secret@127.0.0.1:{recording_server.port}")
    sender.submit(1, 0, "POST", "/apps/app-id/events?a=1", b"{}")
    assert collect(sender, 1) == [(1, 200, b"{}", None, 1)]
    [(request_line, headers, body)] = recording_server.seen
    assert request_line == "POST http://pusher.invalid:6001/apps/app-id/events?a=1 HTTP/1.1"
    assert headers["host"] == "pusher.invalid:6001"
    assert headers["proxy-authorization"] == "Basic dXNlcjpzZWNyZXQ="
    assert body == b"{}"
    sender.close()


def test_proxy_variables_are_honoured(recording_server: RecordingServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", recording_server.url)
    closed_port = free_port()
    sender = make_sender(f"http://localhost:{closed_port}", lanes=1)
    sender.submit(1, 0, "POST", "/x", b"{}")
    assert collect(sender, 1)[0][1] == 200
    assert recording_server.seen[0][0] == f"POST http://localhost:{closed_port}/x HTTP/1.1"
    sender.close()

    monkeypatch.setenv("NO_PROXY", "example.com, localhost")
    sender = make_sender(f"http://localhost:{closed_port}", lanes=1)
    sender.submit(1, 0, "POST", "/x", b"{}")
    [(_, status, _, failure, _)] = collect(sender, 1)
    assert status == 0
    assert failure == FailureKind.CONNECT
    assert len(recording_server.seen) == 1
    sender.close()

    monkeypatch.setenv("HTTPS_PROXY", "socks5://127.0.0.1:1")
    with pytest.raises(ValueError, match="HTTPS_PROXY"):
        make_sender("https://api-eu.pusher.com")


# -- TLS. ------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate it signed for 127.0.0.1: (ca.pem, server.pem, server.key)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make test certificates")
    folder = tmp_path_factory.mktemp("tls")
    ca_pem, ca_key = folder / "ca.pem", folder / "ca.key"
    server_pem, server_key, server_csr = folder / "server.pem", folder / "server.key", folder / "server.csr"
    extensions = folder / "server.ext"
    extensions.write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
        "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n"
    )
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    commands = [
        [openssl, "req", "-x509", *ec, "-keyout", ca_key, "-out", ca_pem, "-days", "2", "-subj", "/CN=test CA"],
        [openssl, "req", *ec, "-keyout", server_key, "-out", server_csr, "-subj", "/CN=127.0.0.1"],
        [openssl, "x509", "-req", "-in", server_csr, "-CA", ca_pem, "-CAkey", ca_key, "-CAcreateserial",
         "-out", server_pem, "-days", "2", "-extfile", extensions],
    ]  # fmt: skip
    for command in commands:
        subprocess.run([str(part) for part in command], check=True, capture_output=True)
    return ca_pem, server_pem, server_key


@pytest.fixture
def tls_server(certificates: tuple[Path, Path, Path]) -> Iterator[RecordingServer]:
    import ssl

    _, server_pem, server_key = certificates
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(server_pem, server_key)
    server = RecordingServer()
    server.socket = context.wrap_socket(server.socket, server_side=True)
    yield server
    server.stop()


def _https_url(server: RecordingServer) -> str:
    return f"https://127.0.0.1:{server.server_address[1]}"


def test_tls_with_the_test_ca(tls_server: RecordingServer, certificates: tuple[Path, Path, Path]) -> None:
    sender = make_sender(_https_url(tls_server), lanes=2, tls=TlsConfig(bundle=str(certificates[0])))
    for request_id in range(4):
        sender.submit(request_id, request_id % 2, "POST", "/x", b"{}")
    assert [result[1] for result in collect(sender, 4)] == [200] * 4
    sender.close()


def test_tls_rejects_an_unknown_issuer_unless_verify_is_off(tls_server: RecordingServer) -> None:
    import certifi

    sender = make_sender(_https_url(tls_server), lanes=1, tls=TlsConfig(bundle=certifi.where()))
    sender.submit(1, 0, "POST", "/x", b"{}")
    [completion] = collect_completions(sender, 1)
    assert completion.status == 0
    assert completion.failure == FailureKind.TLS
    assert completion.message is not None
    assert completion.message.startswith("TLS handshake"), completion.message
    assert "certificate" in completion.message.lower()
    sender.close()

    sender = make_sender(_https_url(tls_server), lanes=1, tls=TlsConfig())
    sender.submit(2, 0, "POST", "/x", b"{}")
    assert collect(sender, 1) == [(2, 200, b"{}", None, 1)]
    sender.close()


def test_a_bad_ca_bundle_raises_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"missing\.pem"):
        TlsConfig(bundle=str(tmp_path / "missing.pem"))
    empty = tmp_path / "empty.pem"
    empty.write_text("no certificates here\n")
    with pytest.raises(ValueError, match=r"empty\.pem"):
        TlsConfig(bundle=str(empty))
    with pytest.raises(ValueError, match="nothing-here"):
        TlsConfig(directory=str(tmp_path / "nothing-here"))


class ConnectProxy:
    """A CONNECT-only proxy that tunnels to 127.0.0.1 and records the request lines."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.requests: list[str] = []
        self._stopping = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stopping:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client: socket.socket) -> None:
        with client:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
            request_line = head.split(b"\r\n", 1)[0].decode()
            self.requests.append(request_line)
            method, target, _ = request_line.split(" ")
            host, port = target.rsplit(":", 1)
            if method != "CONNECT" or host != "127.0.0.1":
                client.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                return
            with socket.create_connection((host, int(port))) as upstream:
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                sockets = [client, upstream]
                while True:
                    readable, _, _ = select.select(sockets, [], [], 5)
                    if not readable:
                        return
                    for source in readable:
                        data = source.recv(65536)
                        if not data:
                            return
                        (upstream if source is client else client).sendall(data)

    def stop(self) -> None:
        self._stopping = True
        self.listener.close()


def test_https_through_a_connect_proxy(tls_server: RecordingServer, certificates: tuple[Path, Path, Path]) -> None:
    proxy = ConnectProxy()
    try:
        sender = make_sender(
            _https_url(tls_server), lanes=1, proxy=proxy.url, tls=TlsConfig(bundle=str(certificates[0]))
        )
        for request_id in range(3):
            sender.submit(request_id, 0, "POST", "/x", b"{}")
        assert [result[1] for result in collect(sender, 3)] == [200] * 3
        assert proxy.requests == [f"CONNECT 127.0.0.1:{tls_server.server_address[1]} HTTP/1.1"]
        assert [seen[0] for seen in tls_server.seen] == ["POST /x HTTP/1.1"] * 3
        sender.close()
    finally:
        proxy.stop()
