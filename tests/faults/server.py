"""The fault server: a plain TCP server on 127.0.0.1 that answers each HTTP request with a chosen fault.

One thread per connection, HTTP/1.1 keep-alive, optional TLS. Every request it reads is recorded (method, path, the
events in its body, the fault it got), so tests can prove that nothing was sent twice or after a cancellation. A
*chooser* picks the fault of each request: a fixed fault, :func:`sequence` (in order of arrival) or :func:`route`
(by channel name). Faults that hold a connection (stall, delay, drip) end when the server stops, and never later
than ``hold`` seconds (5 by default), so a client that ignores its deadline fails its test instead of hanging it.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import ssl
import struct
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CLOSE",
    "CLOSE_AFTER_HEAD",
    "ECHO",
    "GARBAGE",
    "NOT_JSON",
    "NOT_OBJECT",
    "OK",
    "RESET",
    "SECRET",
    "STALL",
    "TRUNCATE",
    "Chooser",
    "Fault",
    "FaultServer",
    "Received",
    "Request",
    "answer",
    "attempts",
    "delayed",
    "drip",
    "oversized",
    "refused_port",
    "route",
    "sequence",
]

SECRET = "s3cr3t-7f9a2b-fault-suite"
"""The app secret every fault test's client uses; tests look for it in errors, reprs and logs."""

_HEAD_LIMIT = 64 * 1024
_OVERSIZED_CHUNK = 64 * 1024
GARBAGE_BYTES = b"\x00\xff\xfeSSH-2.0-not-http\r\n\x15\x03\x01 this is not HTTP/1.1\r\n\r\n"


@dataclass(frozen=True)
class Request:
    """What the server read: the request line, headers, body, and the events the body carries."""

    method: str
    target: str
    headers: Mapping[str, str]
    body: bytes
    is_http: bool = True

    @property
    def path(self) -> str:
        return urllib.parse.urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.target).query))

    @property
    def events(self) -> list[dict[str, Any]]:
        """The events of a ``/events`` or ``/batch_events`` body (each with ``channel`` or ``channels``)."""
        try:
            decoded = json.loads(self.body) if self.body else None
        except ValueError:
            return []
        if isinstance(decoded, dict) and isinstance(decoded.get("batch"), list):
            return [event for event in decoded["batch"] if isinstance(event, dict)]
        if isinstance(decoded, dict) and "name" in decoded:
            return [decoded]
        return []

    @property
    def channels(self) -> list[str]:
        """Every channel the request names: in its events, or the channel of a ``/channels/NAME`` path."""
        names: list[str] = []
        for event in self.events:
            channels = event.get("channels") or [event.get("channel")]
            names.extend(str(name) for name in channels if name)
        marker = "/channels/"
        if marker in self.path:
            names.append(self.path.split(marker, 1)[1].split("/", 1)[0])
        return names


@dataclass(frozen=True)
class Fault:
    """How the server treats one request. Build them with the module's constants and functions."""

    kind: str
    status: int = 200
    body: bytes = b"{}"
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0
    interval: float = 0.25
    size: int = 0
    chunked: bool = False
    echo: bool = False

    def __str__(self) -> str:
        details = {
            "answer": f"{self.status}"
            + (" echo" if self.echo else f" {self.body[:16]!r}" if self.body != b"{}" else "")
            + (f" after {self.delay:g} s" if self.delay else ""),
            "drip": f"one byte every {self.interval:g} s",
            "oversized": f"{self.size} bytes{' chunked' if self.chunked else ''}",
        }.get(self.kind)
        return f"{self.kind}({details})" if details else self.kind


def answer(
    status: int = 200,
    body: bytes | str = b"{}",
    *,
    retry_after: str | float | None = None,
    delay: float = 0.0,
    headers: Mapping[str, str] | None = None,
    echo: bool = False,
) -> Fault:
    """A complete response (after ``delay`` seconds), with ``Retry-After`` when given; with ``echo``, the body is
    the request's own path and channels (see :data:`ECHO`)."""
    extra = dict(headers or {})
    if retry_after is not None:
        extra["Retry-After"] = f"{retry_after:g}" if isinstance(retry_after, (int, float)) else retry_after
    raw = body.encode() if isinstance(body, str) else body
    return Fault("answer", status=status, body=raw, headers=tuple(extra.items()), delay=delay, echo=echo)


def delayed(seconds: float) -> Fault:
    """``200 {}`` after ``seconds``."""
    return answer(delay=seconds)


def drip(interval: float = 0.25) -> Fault:
    """A valid ``200 {}`` response written one byte every ``interval`` seconds."""
    return Fault("drip", interval=interval)


def oversized(size: int = 50 * 1024 * 1024, *, chunked: bool = False) -> Fault:
    """A 200 whose JSON object body is ``size`` bytes, streamed (announced by Content-Length, or chunked)."""
    return Fault("oversized", size=size, chunked=chunked)


OK = answer()
ECHO = answer(echo=True)
"""``200 {"path": ..., "channels": [...]}``: the request's own path and channels, so a client can tell whose answer
it got."""
STALL = Fault("stall")
"""Read the request, never answer (until the server stops or ``hold`` passes)."""
RESET = Fault("reset")
"""Read the request, then reset the connection (RST)."""
CLOSE = Fault("close")
"""Read the request, then close the connection without a response."""
TRUNCATE = Fault("truncate")
"""A head promising 100 body bytes, 9 of them, then close."""
CLOSE_AFTER_HEAD = Fault("close_after_head")
"""A complete head promising a body, then close."""
GARBAGE = Fault("garbage")
"""Bytes that are not HTTP/1.1, then close."""
NOT_JSON = answer(body=b"<html><body>502 Bad Gateway (from a proxy that says 200)</body></html>")
NOT_OBJECT = answer(body=b'["a JSON array, not an object"]')

Chooser = Callable[[Request], Fault]


def sequence(*faults: Fault, then: Fault = OK) -> Chooser:
    """The n-th request (in order of arrival) gets ``faults[n]``; requests after those get ``then``."""
    counter = itertools.count()
    lock = threading.Lock()

    def choose(request: Request) -> Fault:
        with lock:
            index = next(counter)
        return faults[index] if index < len(faults) else then

    return choose


def attempts(*faults: Fault, then: Fault = OK) -> Chooser:
    """The n-th attempt of each distinct request (same path and body, as a retry resends it) gets ``faults[n]``."""
    seen: dict[tuple[str, bytes], int] = {}
    lock = threading.Lock()

    def choose(request: Request) -> Fault:
        key = (request.path, request.body)
        with lock:
            attempt = seen.get(key, 0)
            seen[key] = attempt + 1
        return faults[attempt] if attempt < len(faults) else then

    return choose


def route(rules: Mapping[str, Fault], default: Fault = OK) -> Chooser:
    """The fault of the first rule whose key is a prefix of one of the request's channels, else ``default``."""

    def choose(request: Request) -> Fault:
        for prefix, fault in rules.items():
            if any(channel.startswith(prefix) for channel in request.channels):
                return fault
        return default

    return choose


@dataclass
class Received:
    """One request the server read and the fault it answered with."""

    request: Request
    fault: Fault
    at: float = field(default_factory=time.monotonic)


class FaultServer:
    """A TCP server on 127.0.0.1 (a free port chosen by the kernel) answering requests with faults.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`. ``chooser`` may be replaced at any time
    (``server.chooser = ...``). With ``tls``, every connection is wrapped in that server-side context.
    """

    def __init__(self, chooser: Chooser | Fault = OK, *, tls: ssl.SSLContext | None = None, hold: float = 5.0) -> None:
        self.chooser: Chooser = chooser if callable(chooser) else (lambda _request, fault=chooser: fault)
        self.tls = tls
        self.hold = hold
        self._listener: socket.socket | None = None
        self._stopping = threading.Event()
        self._changed = threading.Condition()
        self._received: list[Received] = []
        self._connections: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self.accepted = 0

    # Lifecycle
    def start(self) -> FaultServer:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(512)
        self._listener = listener
        self._spawn(self._accept_loop, "fault-server-accept")
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
        with self._changed:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        for thread in list(self._threads):
            thread.join(5)

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._listener is not None, "the fault server is not started"
        return int(self._listener.getsockname()[1])

    def client_options(self, **overrides: Any) -> dict[str, Any]:
        """Constructor arguments of a Pusher client pointed at this server."""
        options: dict[str, Any] = {
            "app_id": "1",
            "key": "fault-key",
            "secret": SECRET,
            "host": "127.0.0.1",
            "port": self.port,
            "ssl": self.tls is not None,
            "timeout": 1,
        }
        options.update(overrides)
        return options

    # What was received
    @property
    def received(self) -> list[Received]:
        with self._changed:
            return list(self._received)

    @property
    def request_count(self) -> int:
        with self._changed:
            return len(self._received)

    def event_count(self) -> int:
        return sum(len(item.request.events) for item in self.received)

    def by_request(self) -> dict[tuple[str, bytes], list[Received]]:
        """The attempts of each distinct request (same path and body), in order of arrival."""
        grouped: dict[tuple[str, bytes], list[Received]] = {}
        for item in self.received:
            grouped.setdefault((item.request.path, item.request.body), []).append(item)
        return grouped

    def wait_for_requests(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until at least ``count`` requests were read; False when ``timeout`` passed first."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self._received) >= count, timeout)

    def signatures(self) -> set[str]:
        """Every ``auth_signature`` the server was sent."""
        return {
            item.request.query["auth_signature"] for item in self.received if "auth_signature" in item.request.query
        }

    # Serving
    def _spawn(self, target: Callable[..., None], name: str, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._threads = [alive for alive in self._threads if alive.is_alive()]
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self.accepted += 1
            self._spawn(self._serve_connection, "fault-server-connection", connection)

    def _serve_connection(self, raw: socket.socket) -> None:
        connection = raw
        with self._changed:
            self._connections.add(raw)
        try:
            if self.tls is not None:
                raw.settimeout(5)
                try:
                    connection = self.tls.wrap_socket(raw, server_side=True)
                except (OSError, ssl.SSLError):
                    return  # the client refused the certificate, or did not speak TLS
                with self._changed:
                    self._connections.add(connection)
            connection.settimeout(None)
            reader = _Reader(connection)
            while not self._stopping.is_set():
                request = reader.read_request()
                if request is None:
                    return
                fault = self.chooser(request)
                with self._changed:
                    self._received.append(Received(request, fault))
                    self._changed.notify_all()
                if not self._respond(connection, request, fault):
                    return
                if request.headers.get("connection", "").lower() == "close":
                    return
        except OSError:
            return  # the client went away: expected after most faults
        finally:
            with self._changed:
                self._connections.discard(raw)
                self._connections.discard(connection)
            _close(connection)

    def _respond(self, connection: socket.socket, request: Request, fault: Fault) -> bool:
        """Answer ``request`` with ``fault``; False when the connection must close afterwards."""
        if not request.is_http or fault.kind == "garbage":
            connection.sendall(GARBAGE_BYTES)
            return False
        if fault.kind == "stall":
            self._stopping.wait(self.hold)
            return False
        if fault.kind == "reset":
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False
        if fault.kind == "close":
            return False
        if fault.kind == "truncate":
            connection.sendall(_head(200, 100) + b'{"ok": tr')
            return False
        if fault.kind == "close_after_head":
            connection.sendall(_head(200, 2))
            return False
        if fault.kind == "oversized":
            self._send_oversized(connection, fault)
            return True
        body = fault.body
        if fault.echo:
            body = json.dumps({"path": request.path, "channels": request.channels}).encode()
        response = _head(fault.status, len(body), fault.headers) + body
        if fault.kind == "drip":
            give_up = time.monotonic() + self.hold
            for byte in response:
                if self._stopping.wait(fault.interval) or time.monotonic() > give_up:
                    return False
                connection.sendall(bytes([byte]))
            return True
        if fault.delay and self._stopping.wait(min(fault.delay, self.hold)):
            return False
        connection.sendall(response)
        return True

    def _send_oversized(self, connection: socket.socket, fault: Fault) -> None:
        prefix, suffix = b'{"padding": "', b'"}'
        filler = b"a" * _OVERSIZED_CHUNK
        if fault.chunked:
            connection.sendall(_head(200, None, (("Transfer-Encoding", "chunked"),)))
        else:
            connection.sendall(_head(200, fault.size))

        def send(part: bytes) -> None:
            connection.sendall(b"%x\r\n%s\r\n" % (len(part), part) if fault.chunked else part)

        send(prefix)
        remaining = fault.size - len(prefix) - len(suffix)
        while remaining > 0 and not self._stopping.is_set():
            part = filler[: min(remaining, _OVERSIZED_CHUNK)]
            send(part)
            remaining -= len(part)
        send(suffix)
        if fault.chunked:
            connection.sendall(b"0\r\n\r\n")


def _head(status: int, length: int | None, headers: tuple[tuple[str, str], ...] = ()) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}", "Content-Type: application/json"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines.extend(f"{name}: {value}" for name, value in headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}
_REASONS.update({413: "Payload Too Large", 429: "Too Many Requests", 500: "Internal Server Error"})
_REASONS.update({502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"})


class _Reader:
    """Reads HTTP/1.1 requests (Content-Length bodies) from one connection, keeping what it read ahead."""

    def __init__(self, connection: socket.socket) -> None:
        self._connection = connection
        self._buffer = b""

    def _fill(self) -> bool:
        chunk = self._connection.recv(65536)
        self._buffer += chunk
        return bool(chunk)

    def read_request(self) -> Request | None:
        """The next request; None at end of stream. Bytes that are not an HTTP request make a non-HTTP request."""
        while b"\r\n\r\n" not in self._buffer:
            if not self._fill():
                return None
            if not _looks_like_http(self._buffer) or len(self._buffer) > _HEAD_LIMIT:
                return Request("", "", {}, self._buffer, is_http=False)
        head, _, self._buffer = self._buffer.partition(b"\r\n\r\n")
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        parts = request_line.split(" ")
        if len(parts) != 3:
            return Request("", "", {}, head, is_http=False)
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length") or 0)
        while len(self._buffer) < length:
            if not self._fill():
                return None
        body, self._buffer = self._buffer[:length], self._buffer[length:]
        return Request(parts[0], parts[1], headers, body)


def _looks_like_http(data: bytes) -> bool:
    method = data.split(b" ", 1)[0]
    return bool(method) and method.isalpha() and method.isupper()


def _close(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.close()


@contextlib.contextmanager
def refused_port() -> Iterator[int]:
    """A port of 127.0.0.1 held (bound, not listening) for the block, so connecting to it is refused."""
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        holder.bind(("127.0.0.1", 0))
        yield int(holder.getsockname()[1])
    finally:
        holder.close()
