"""The physical ceilings: what the sink answers to pre-built, correctly signed requests sent as fast as possible.

The requests are built and signed here with the standard library (``benches._support``'s HMAC), checked with the
same independent verifier as everything else, and written to files for the Go load generator. The sequential row's
ceiling is a loop over one connection: in Python (``socket``: what a Python caller can reach) and in Go (a raw
``net.Conn``); the higher of the two is the ceiling, so a target is never met against a slow loop. The other rows'
ceiling is the Go load generator with the row's concurrency.
"""

from __future__ import annotations

import hashlib
import json
import socket
import time
import urllib.parse
from pathlib import Path

from benches._support import APP_ID, KEY, check_signed_query, hmac_hex
from benches.throughput.common import (
    BATCH_SIZE,
    CHANNELS,
    DATA,
    EVENT,
    CheckFailed,
    RequestCounter,
    Sample,
    TimedLoop,
)
from devtools.processes import HOST

RESPONSE_END = b"\r\n\r\n"


def trigger_body() -> bytes:
    """The body of one trigger of the benchmark's event, as the SDKs send it (data as a JSON string)."""
    return json.dumps({"name": EVENT, "channels": [CHANNELS[0]], "data": json.dumps(DATA)}).encode()


def batch_body() -> bytes:
    """The body of one batch of ``BATCH_SIZE`` of the benchmark's events."""
    batch = [{"channel": CHANNELS[i], "name": EVENT, "data": json.dumps(DATA)} for i in range(BATCH_SIZE)]
    return json.dumps({"batch": batch}).encode()


def signed_request(port: int, path: str, body: bytes) -> bytes:
    """A complete HTTP/1.1 POST of ``body`` to ``path``, signed for the benchmark's app now."""
    params = {
        "auth_key": KEY,
        "auth_timestamp": str(int(time.time())),
        "auth_version": "1.0",
        "body_md5": hashlib.md5(body).hexdigest(),
    }
    query = "&".join(f"{name}={value}" for name, value in sorted(params.items()))
    signature = hmac_hex("\n".join(["POST", path, query]))
    query = f"{query}&auth_signature={signature}"
    check_signed_query(query, "POST", path, body)
    head = (
        f"POST {path}?{urllib.parse.quote(query, safe='=&')} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


def write_requests(directory: Path, port: int) -> dict[str, Path]:
    """Pre-built ``trigger`` and ``batch`` requests as files, for the Go load generator."""
    files = {
        "trigger": (f"/apps/{APP_ID}/events", trigger_body()),
        "batch": (f"/apps/{APP_ID}/batch_events", batch_body()),
    }
    paths = {}
    for name, (path, body) in files.items():
        paths[name] = directory / f"request-{name}.http"
        paths[name].write_bytes(signed_request(port, path, body))
    return paths


def _read_response(sock: socket.socket) -> None:
    """Read one complete answer (headers, then Content-Length bytes of body); it must be a 200."""
    data = sock.recv(65536)
    while RESPONSE_END not in data:
        more = sock.recv(65536)
        if not more:
            raise CheckFailed("the sink closed the connection")
        data += more
    head, _, body = data.partition(RESPONSE_END)
    if not head.startswith(b"HTTP/1.1 200 "):
        raise CheckFailed(f"the sink answered {head.splitlines()[0]!r}")
    marker = head.lower().find(b"\r\ncontent-length:")
    if marker < 0:
        raise CheckFailed("an answer without Content-Length")
    length = int(head[marker + 17 :].split(b"\r\n", 1)[0])
    while len(body) < length:
        more = sock.recv(65536)
        if not more:
            raise CheckFailed("the sink closed the connection")
        body += more


def python_raw_sample(request: bytes, port: int, n: int, max_seconds: float, sink: RequestCounter) -> Sample:
    """One connection, one pre-built request at a time: the fastest sequential loop a Python caller can write."""
    with socket.create_connection((HOST, port), timeout=5) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        loop = TimedLoop(n, max_seconds, sink)
        sock.sendall(request)  # the warm-up
        _read_response(sock)
        for _ in loop:
            sock.sendall(request)
            _read_response(sock)
    return loop.sample(extra=1)
