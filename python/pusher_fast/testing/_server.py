"""The socket layer: a keep-alive HTTP/1.1 server in a daemon thread, and the public ``LocalPusherServer``."""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import logging
import math
import re
import selectors
import socket
import socketserver
import threading
import time
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, Union, cast
from urllib.parse import parse_qsl, urlsplit

from pusher_fast.encryption import decrypt_event_data, master_key_from_base64
from pusher_fast.validation import DEFAULT_MAX_PAYLOAD_BYTES, MAX_BATCH_SIZE, MAX_CHANNELS, is_encrypted_channel

from ._app import AppConfig, Application, Response, text_response
from ._models import ClientOptions, RecordedEvent, RecordedRequest, WebhookRequest
from ._state import Failure, ServerState
from ._validation import Limits, channel_name_error, is_presence
from ._webhook import build_webhook, send_webhook, sign_webhook, webhook_body

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self is 3.11+; only the type checker needs it

__all__ = ["MAX_REQUEST_BODY_BYTES", "AddressInUseError", "LocalPusherServer"]

logger = logging.getLogger("pusher_fast.testing")

MAX_REQUEST_BODY_BYTES = 1024 * 1024
"""Request bodies above this size are answered with 413."""

# An oversized body up to this size is read and discarded before the 413, so that the client sees the response
# rather than a reset while it is still sending, and the connection stays usable. Larger ones close the connection.
_MAX_DRAIN_BYTES = 16 * 1024 * 1024
_DRAIN_CHUNK = 64 * 1024

_MAX_LINE = 65536
_DIGITS_RE = re.compile(r"[0-9]+")
_HEX_RE = re.compile(rb"[0-9a-fA-F]+")
_STOP_JOIN_TIMEOUT = 5.0

_Request = Union[socket.socket, "tuple[bytes, socket.socket]"]


class AddressInUseError(OSError):
    """The server's address is taken, by another server or another test: an ``OSError`` with ``EADDRINUSE``."""

    def __init__(self, host: str, port: int) -> None:
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        super().__init__(
            errno.EADDRINUSE,
            f"{address} is already in use (another server is listening there); "
            "choose another port, or port 0 for any free one",
        )
        self.host = host
        self.port = port

    def __str__(self) -> str:
        return str(self.strerror)


class _BodyError(Exception):
    def __init__(self, status: int, message: str, *, close: bool = True) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.close = close


class _DisconnectedError(Exception):
    """The client went away before sending the whole body."""


class _HTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that tracks its open connections so that ``stop`` can close idle keep-alive ones."""

    daemon_threads = True
    # socketserver's default backlog of 5 drops connections from a burst of concurrent clients (they then retry
    # only after a 1 s SYN timeout).
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], application: Application, address_family: int) -> None:
        self.address_family = address_family
        self.application = application
        self._connections: dict[_Request, threading.Thread] = {}
        self._connections_lock = threading.Lock()
        self._closing = False
        # serve_forever notices shutdown() only at its next poll; a socket pair wakes this loop at once instead.
        # It exists before binding, since a failed bind calls server_close.
        self._wake_reader, self._wake_writer = socket.socketpair()
        super().__init__(address, _Handler)

    def serve(self) -> None:
        """Accept connections until ``wake`` is called, handing each to its own thread."""
        with selectors.DefaultSelector() as selector:
            selector.register(self.socket, selectors.EVENT_READ)
            selector.register(self._wake_reader, selectors.EVENT_READ)
            while True:
                ready = selector.select()
                if any(key.fileobj is self._wake_reader for key, _ in ready):
                    return
                try:
                    request, client_address = self.get_request()
                except OSError:
                    continue
                try:
                    self.process_request(request, client_address)
                except Exception:
                    self.handle_error(request, client_address)
                    self.shutdown_request(request)

    def wake(self) -> None:
        """Make ``serve`` return."""
        with contextlib.suppress(OSError):
            self._wake_writer.send(b"\0")

    def server_close(self) -> None:
        super().server_close()
        self._wake_reader.close()
        self._wake_writer.close()

    def server_bind(self) -> None:
        # HTTPServer.server_bind would resolve the host's FQDN, which can stall on a badly configured resolver.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(self, request: _Request, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name="pusher-fast-testing-connection",
            daemon=True,
        )
        with self._connections_lock:
            if self._closing:
                self.shutdown_request(request)
                return
            self._connections[request] = thread
        thread.start()

    def process_request_thread(self, request: _Request, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._connections_lock:
                self._connections.pop(request, None)

    def handle_error(self, request: _Request, client_address: Any) -> None:
        # Clients resetting connections is routine in tests; keep it off stderr.
        logger.debug("connection error", exc_info=True)

    def close_connections(self, timeout: float) -> None:
        """Shut down every open connection, waking handlers blocked on an idle keep-alive read, then join them."""
        with self._connections_lock:
            self._closing = True
            connections = list(self._connections.items())
        for request, _ in connections:
            if isinstance(request, socket.socket):
                with contextlib.suppress(OSError):
                    request.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        for _, thread in connections:
            thread.join(max(0.0, deadline - time.monotonic()))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pusher-fast-testing"
    sys_version = ""
    # Headers and body go out in separate writes; with Nagle's algorithm the body would wait for the client's
    # delayed ACK (tens of milliseconds per request on a keep-alive connection).
    disable_nagle_algorithm = True

    # Every method is routed by the application, which answers 405 or 404 as appropriate.
    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def do_OPTIONS(self) -> None:
        self._serve()

    def log_message(self, *args: Any, **kwargs: Any) -> None:
        # The default writes every request line, query string and all, to stderr.
        pass

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass

    def _serve(self) -> None:
        server = cast(_HTTPServer, self.server)
        raw_path, _, raw_query = _request_target(self.path).partition("?")
        body = b""
        try:
            body = self._read_body()
        except _DisconnectedError:
            self.close_connection = True
            return
        except _BodyError as error:
            if error.close:
                # The body was not (fully) read, so the connection cannot carry another request.
                self.close_connection = True
            response = text_response(error.status, error.message)
        else:
            try:
                response = server.application.handle(self.command, raw_path, raw_query, body)
            except Exception as error:
                logger.exception("local Pusher server failed on %s %s", self.command, raw_path)
                response = text_response(500, f"internal error in the local Pusher server: {type(error).__name__}")

        recorded = RecordedRequest(
            method=self.command,
            path=raw_path,
            query=MappingProxyType(dict(parse_qsl(raw_query, keep_blank_values=True))),
            headers=MappingProxyType(self._header_map()),
            body=body,
            status=response.status,
            response=response.body,
        )
        # Record before answering, so that a client which has its response can already see the recording.
        server.application.record(recorded)
        logger.debug("%s %s -> %d", self.command, raw_path, response.status)
        self._send(response)

    def _header_map(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        return headers

    def _read_body(self) -> bytes:
        transfer_encoding = self.headers.get("Transfer-Encoding")
        lengths = self.headers.get_all("Content-Length") or []
        if transfer_encoding is not None:
            if transfer_encoding.strip().lower() != "chunked":
                raise _BodyError(400, f"unsupported Transfer-Encoding {transfer_encoding!r}")
            if lengths:
                raise _BodyError(400, "both Content-Length and Transfer-Encoding given")
            return self._read_chunked()
        if not lengths:
            return b""
        values = {value.strip() for value in lengths}
        if len(values) != 1:
            raise _BodyError(400, "conflicting Content-Length headers")
        (value,) = values
        if not _DIGITS_RE.fullmatch(value):
            raise _BodyError(400, f"invalid Content-Length {value!r}")
        length = int(value)
        if length > MAX_REQUEST_BODY_BYTES:
            message = f"request body is {length} bytes, over the limit of {MAX_REQUEST_BODY_BYTES} bytes"
            if length > _MAX_DRAIN_BYTES:
                raise _BodyError(413, message)
            self._discard(length)
            raise _BodyError(413, message, close=False)
        return self._read_exactly(length)

    def _discard(self, length: int) -> None:
        while length > 0:
            length -= len(self._read_exactly(min(length, _DRAIN_CHUNK)))

    def _read_exactly(self, length: int) -> bytes:
        data = self.rfile.read(length)
        if len(data) < length:
            raise _DisconnectedError
        return data

    def _read_line(self) -> bytes:
        line = self.rfile.readline(_MAX_LINE + 1)
        if not line:
            raise _DisconnectedError
        if len(line) > _MAX_LINE:
            raise _BodyError(400, "chunked encoding line too long")
        return line

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            size_text = self._read_line().split(b";", 1)[0].strip()
            if not _HEX_RE.fullmatch(size_text):
                raise _BodyError(400, "invalid chunk size")
            size = int(size_text, 16)
            if size == 0:
                break
            total += size
            if total > _MAX_DRAIN_BYTES:
                raise _BodyError(413, f"request body is over the limit of {MAX_REQUEST_BODY_BYTES} bytes")
            if total > MAX_REQUEST_BODY_BYTES:
                chunks.clear()
                self._discard(size)
            else:
                chunks.append(self._read_exactly(size))
            if self._read_line().strip():
                raise _BodyError(400, "chunk not followed by CRLF")
        while self._read_line().strip():  # trailer fields, ignored
            pass
        if total > MAX_REQUEST_BODY_BYTES:
            message = f"request body is {total} bytes, over the limit of {MAX_REQUEST_BODY_BYTES} bytes"
            raise _BodyError(413, message, close=False)
        return b"".join(chunks)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)
        self.wfile.flush()


def _request_target(target: str) -> str:
    """Undo http.server's Latin-1 decoding of the request line, so that raw UTF-8 in a path reads as text."""
    try:
        return target.encode("iso-8859-1").decode("utf-8")
    except UnicodeError:
        return target


def _client_host(host: str) -> str:
    """The address a client on this machine should use to reach a server bound to ``host``."""
    if not host:
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.is_unspecified:
        return "::1" if isinstance(address, ipaddress.IPv6Address) else "127.0.0.1"
    return host


class LocalPusherServer:
    """An in-process Pusher Channels HTTP API for tests.

    It authenticates every request exactly as Channels does (auth_version 1.0, HMAC-SHA256, body_md5, timestamp
    window), validates bodies against the API's limits, records accepted events, answers channel queries from state
    that the test sets up, and can inject failures. Use it as a context manager or call ``start``/``stop``::

        with LocalPusherServer() as server:
            client = Pusher(**server.client_options())
            client.trigger("my-channel", "my-event", {"message": "hi"})
            assert server.events[0].name == "my-event"
    """

    def __init__(
        self,
        app_id: str = "app-id",
        key: str = "app-key",
        secret: str = "app-secret",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
        max_channels: int = MAX_CHANNELS,
        max_batch_size: int = MAX_BATCH_SIZE,
        timestamp_tolerance: float = 600.0,
        encryption_master_key_base64: str | None = None,
    ) -> None:
        for name, text in (("app_id", app_id), ("key", key), ("secret", secret)):
            if not isinstance(text, str) or not text:
                raise ValueError(f"{name} must be a non-empty string")
        if not 0 <= port <= 65535:
            raise ValueError("port must be between 0 and 65535")
        for name, limit in (
            ("max_payload_bytes", max_payload_bytes),
            ("max_channels", max_channels),
            ("max_batch_size", max_batch_size),
        ):
            if limit < 1:
                raise ValueError(f"{name} must be at least 1")
        if not (timestamp_tolerance >= 0 and math.isfinite(timestamp_tolerance)):
            raise ValueError("timestamp_tolerance must be a finite number of seconds >= 0")
        if encryption_master_key_base64 is not None:
            master_key_from_base64(encryption_master_key_base64)
        self._master_key_base64 = encryption_master_key_base64

        self._config = AppConfig(
            app_id=app_id,
            key=key,
            secret=secret,
            limits=Limits(
                max_payload_bytes=max_payload_bytes, max_channels=max_channels, max_batch_size=max_batch_size
            ),
            timestamp_tolerance=float(timestamp_tolerance),
        )
        self._state = ServerState()
        self._application = Application(self._config, self._state)
        self._host = host
        self._configured_port = port
        self._bound_port: int | None = None
        self._lifecycle = threading.Lock()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<LocalPusherServer {self.url} app_id={self.app_id!r} key={self.key!r} {state}>"

    # Lifecycle.

    def start(self) -> Self:
        """Bind and serve in a daemon thread. Does nothing if already running; a stopped server can be restarted."""
        with self._lifecycle:
            if self._httpd is not None:
                return self
            httpd = self._bind()
            thread = threading.Thread(
                target=httpd.serve,
                name=f"pusher-fast-testing-{httpd.server_port}",
                daemon=True,
            )
            thread.start()
            self._httpd, self._thread = httpd, thread
            self._bound_port = httpd.server_port
            logger.debug("local Pusher server listening on %s", self.url)
        return self

    def _bind(self) -> _HTTPServer:
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        if self._configured_port == 0 and self._bound_port is not None:
            # Restarting: keep the old port if it is still free, so existing client options stay valid.
            try:
                return _HTTPServer((self._host, self._bound_port), self._application, family)
            except OSError:
                pass
        try:
            return _HTTPServer((self._host, self._configured_port), self._application, family)
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            raise AddressInUseError(self._host, self._configured_port) from None

    def stop(self) -> None:
        """Stop serving, close open connections and the listening socket, and join the threads. Safe to repeat."""
        with self._lifecycle:
            httpd, thread = self._httpd, self._thread
            self._httpd = self._thread = None
            if httpd is None:
                return
            try:
                httpd.wake()
                if thread is not None:
                    thread.join(_STOP_JOIN_TIMEOUT)
            finally:
                httpd.server_close()
                httpd.close_connections(_STOP_JOIN_TIMEOUT)
            logger.debug("local Pusher server on port %s stopped", self._bound_port)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # Addresses and configuration.

    @property
    def running(self) -> bool:
        return self._httpd is not None

    @property
    def host(self) -> str:
        """The host clients should connect to (a wildcard bind address is mapped to the loopback address)."""
        return _client_host(self._host)

    @property
    def port(self) -> int:
        """The bound port once started (the configured port before that)."""
        return self._bound_port if self._bound_port is not None else self._configured_port

    @property
    def url(self) -> str:
        host = self.host
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    @property
    def app_id(self) -> str:
        return self._config.app_id

    @property
    def key(self) -> str:
        return self._config.key

    @property
    def secret(self) -> str:
        return self._config.secret

    @property
    def encryption_master_key_base64(self) -> str | None:
        """The master key :meth:`plaintext` opens encrypted events with (give the same one to your client)."""
        return self._master_key_base64

    def client_options(self) -> ClientOptions:
        """Keyword arguments for ``Pusher(**options)`` that point a client at this server (typed for mypy)."""
        return {
            "app_id": self.app_id,
            "key": self.key,
            "secret": self.secret,
            "host": self.host,
            "port": self.port,
            "ssl": False,
        }

    # Recordings.

    @property
    def events(self) -> tuple[RecordedEvent, ...]:
        """Every accepted event in arrival order; each batch item is one event."""
        return self._state.events()

    @property
    def requests(self) -> tuple[RecordedRequest, ...]:
        """Every request handled, accepted or rejected, in the order the responses were decided."""
        return self._state.requests()

    @property
    def terminated_users(self) -> tuple[str, ...]:
        """User ids whose connections were terminated, in order."""
        return self._state.terminated_users()

    def plaintext(self, event: RecordedEvent) -> str:
        """``event.data`` as subscribers read it: opened with the master key on a ``private-encrypted-`` channel
        (``ValueError`` if it does not open, or the server was given no ``encryption_master_key_base64``), as
        recorded otherwise."""
        (channel, *others) = event.channels
        if others or not is_encrypted_channel(channel):
            return event.data
        if self._master_key_base64 is None:
            raise ValueError(
                f"the event on {channel} is encrypted: give LocalPusherServer(encryption_master_key_base64=...)"
            )
        return decrypt_event_data(channel, event.data, self._master_key_base64)

    def wait_for_events(self, count: int, timeout: float = 5.0) -> tuple[RecordedEvent, ...]:
        """Block until at least ``count`` events were recorded and return them all; ``TimeoutError`` otherwise."""
        return self._state.wait_for_events(count, timeout)

    def clear(self) -> None:
        """Forget recorded events, requests and terminated users (channel state and armed failures stay)."""
        self._state.clear()

    # Channel state.

    def set_channel(self, name: str, *, subscription_count: int = 1) -> None:
        """Mark a channel as occupied with ``subscription_count`` subscribers."""
        _check_channel_name(name)
        if subscription_count < 1:
            raise ValueError("subscription_count must be at least 1 (use remove_channel to vacate)")
        self._state.set_channel(name, subscription_count)

    def set_presence_members(self, channel: str, user_ids: Sequence[str]) -> None:
        """Make a presence channel hold exactly these members (duplicates count once); empty vacates it."""
        _check_channel_name(channel)
        if not is_presence(channel):
            raise ValueError(f"{channel!r} is not a presence channel")
        if isinstance(user_ids, str):
            raise TypeError("user_ids must be a sequence of user ids, not a single string")
        for user_id in user_ids:
            if not isinstance(user_id, str) or not user_id:
                raise ValueError("user ids must be non-empty strings")
        self._state.set_presence_members(channel, user_ids)

    def remove_channel(self, name: str) -> None:
        """Mark a channel as vacated (no error if it was not occupied)."""
        self._state.remove_channel(name)

    # Failure injection.

    def fail_next(self, status: int, body: str = "", *, count: int = 1, retry_after: float | None = None) -> None:
        """Answer the next ``count`` authenticated API requests with ``status`` and the plain-text ``body``.

        ``retry_after`` adds a ``Retry-After`` header (whole seconds are written as an integer, fractions as a
        decimal). Calls queue up: arming 503 and then 500 gives 503 to the next request and 500 to the one after.
        """
        if not 200 <= status <= 599:
            raise ValueError("status must be between 200 and 599")
        if count < 1:
            raise ValueError("count must be at least 1")
        if retry_after is not None and not (retry_after >= 0 and math.isfinite(retry_after)):
            raise ValueError("retry_after must be a finite number of seconds >= 0")
        self._state.add_failures(Failure(status=status, body=body, retry_after=retry_after), count)

    # Webhooks.

    def send_webhook(
        self,
        url: str,
        events: Sequence[Mapping[str, object]],
        *,
        time_ms: int | None = None,
        key: str | None = None,
        secret: str | None = None,
        timeout: float = 5.0,
    ) -> int:
        """POST a signed webhook ``{"time_ms": ..., "events": [...]}`` to ``url`` and return the HTTP status.

        The body is compact JSON; ``X-Pusher-Signature`` is the hex HMAC-SHA256 of it keyed with ``secret`` (the
        app's secret unless given), and ``X-Pusher-Key`` is ``key`` (the app's key unless given). ``time_ms``
        defaults to now. Non-2xx statuses are returned, not raised; connection errors raise ``OSError``.
        """
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError("webhook url must be http or https")
        return send_webhook(url, self.webhook_request(events, time_ms=time_ms, key=key, secret=secret), timeout=timeout)

    def webhook_request(
        self,
        events: Sequence[Mapping[str, object]],
        *,
        time_ms: int | None = None,
        key: str | None = None,
        secret: str | None = None,
    ) -> WebhookRequest:
        """A signed webhook ``{"time_ms": ..., "events": [...]}`` to post with your framework's test client.

        Signed as :meth:`send_webhook` signs it::

            hook = pusher_server.webhook_request([{"name": "channel_occupied", "channel": "orders"}])
            response = client.post("/pusher/webhook", data=hook.body, headers=dict(hook.headers))
        """
        return build_webhook(
            webhook_body(events, time_ms),
            key=self.key if key is None else key,
            secret=self.secret if secret is None else secret,
        )

    @staticmethod
    def sign_webhook(secret: str, body: bytes) -> str:
        """The ``X-Pusher-Signature`` for ``body``: lower-case hex HMAC-SHA256 keyed with ``secret``."""
        return sign_webhook(secret, body)


def _check_channel_name(name: str) -> None:
    error = channel_name_error(name)
    if error is not None:
        raise ValueError(error)
