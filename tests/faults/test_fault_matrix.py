"""Each fault, on every path, maps to its documented exception within the deadline (``timeout`` + 0.5 s).

Plain HTTP and TLS (a generated CA given as ``verify=``); for ``trigger_many`` every event is accounted for and
fails with the same exception ``trigger`` raises.
"""

from __future__ import annotations

import pytest

from pusher_fast import (
    PusherBadAuth,
    PusherBadRequest,
    PusherBadStatus,
    PusherConnectionError,
    PusherForbidden,
    PusherTimeout,
)

from .certs import TlsSetup
from .conftest import ServerFactory
from .paths import PATHS, SLACK, TIMEOUT, Path, call, expect_error, expect_success, response_cap
from .server import (
    CLOSE,
    CLOSE_AFTER_HEAD,
    GARBAGE,
    NOT_JSON,
    NOT_OBJECT,
    OK,
    RESET,
    STALL,
    TRUNCATE,
    Fault,
    answer,
    attempts,
    delayed,
    drip,
    oversized,
    refused_port,
)

TRANSPORT_FAULTS: dict[str, tuple[Fault, type[BaseException]]] = {
    "stall": (STALL, PusherTimeout),
    "answer-after-3s": (delayed(3), PusherTimeout),
    "drip": (drip(0.25), PusherTimeout),
    "reset": (RESET, PusherConnectionError),
    "close-without-response": (CLOSE, PusherConnectionError),
    "truncated-body": (TRUNCATE, PusherConnectionError),
    "close-after-head": (CLOSE_AFTER_HEAD, PusherConnectionError),
    "garbage": (GARBAGE, PusherConnectionError),
}

STATUS_BODY = '{"error": "refused by the fault server"}'
STATUS_FAULTS: dict[str, tuple[Fault, type[BaseException], int, float | None]] = {
    "400": (answer(400, STATUS_BODY), PusherBadRequest, 400, None),
    "401": (answer(401, STATUS_BODY), PusherBadAuth, 401, None),
    "403": (answer(403, STATUS_BODY), PusherForbidden, 403, None),
    "404": (answer(404, STATUS_BODY), PusherBadStatus, 404, None),
    "413": (answer(413, STATUS_BODY), PusherBadStatus, 413, None),
    "429-retry-after": (answer(429, STATUS_BODY, retry_after=7), PusherBadStatus, 429, 7.0),
    "500": (answer(500, STATUS_BODY), PusherBadStatus, 500, None),
    "503-retry-after": (answer(503, STATUS_BODY, retry_after=2), PusherBadStatus, 503, 2.0),
}

BAD_2XX_FAULTS: dict[str, Fault] = {
    "not-json": NOT_JSON,
    "not-an-object": NOT_OBJECT,
    "50MB-content-length": oversized(),
    "50MB-chunked": oversized(chunked=True),
}

TLS_FAULTS = ("stall", "reset", "truncated-body", "garbage")


@pytest.mark.parametrize("path", PATHS, ids=str)
@pytest.mark.parametrize("fault_name", TRANSPORT_FAULTS)
def test_transport_fault(serve: ServerFactory, path: Path, fault_name: str) -> None:
    fault, expected = TRANSPORT_FAULTS[fault_name]
    server = serve(fault)
    # A timeout must come from the deadline, not before it.
    at_least = 0.9 * TIMEOUT if expected is PusherTimeout else 0.0
    expect_error(call(path, server.client_options()), expected, fault=fault_name, at_least=at_least)


@pytest.mark.parametrize("path", PATHS, ids=str)
def test_connection_refused(path: Path) -> None:
    with refused_port() as port:
        outcome = call(
            path, {"app_id": "1", "key": "k", "secret": "s", "host": "127.0.0.1", "port": port, "ssl": False}
        )
    expect_error(outcome, PusherConnectionError, fault="connection refused")


@pytest.mark.parametrize("path", PATHS, ids=str)
@pytest.mark.parametrize("fault_name", STATUS_FAULTS)
def test_status_fault(serve: ServerFactory, path: Path, fault_name: str) -> None:
    fault, expected, status, retry_after = STATUS_FAULTS[fault_name]
    server = serve(fault)
    outcome = call(path, server.client_options())
    expect_error(outcome, expected, fault=fault_name, status=status, retry_after=retry_after, body=STATUS_BODY)


@pytest.mark.parametrize("path", PATHS, ids=str)
@pytest.mark.parametrize("fault_name", BAD_2XX_FAULTS)
def test_bad_2xx_body(serve: ServerFactory, path: Path, fault_name: str) -> None:
    server = serve(BAD_2XX_FAULTS[fault_name])
    expect_error(call(path, server.client_options()), PusherBadStatus, fault=fault_name, status=200)


@pytest.mark.parametrize("path", PATHS, ids=str)
@pytest.mark.parametrize("over", [0, 1], ids=["at-the-cap", "one-byte-over"])
def test_the_response_cap_boundary(serve: ServerFactory, path: Path, over: int) -> None:
    """A 2xx body of exactly MAX_RESPONSE_BODY_BYTES is read; one byte more is PusherBadStatus, never retried."""
    size = response_cap() + over
    server = serve(attempts(oversized(size)))
    outcome = call(path, server.client_options(), retry={"retries": 1, "backoff": 0.01})
    fault = f"200 with a {size}-byte body"
    if over:
        expect_error(outcome, PusherBadStatus, fault=fault, status=200)
    else:
        expect_success(outcome, fault=fault, within=TIMEOUT + SLACK)
    if any(len(items) > 1 for items in server.by_request().values()):
        pytest.fail(f"[{path} / {fault}] the request was sent again")


@pytest.mark.parametrize("path", PATHS, ids=str)
@pytest.mark.parametrize("fault_name", TLS_FAULTS)
def test_fault_over_tls(serve: ServerFactory, tls: TlsSetup, path: Path, fault_name: str) -> None:
    fault, expected = TRANSPORT_FAULTS[fault_name]
    server = serve(fault, tls=tls.trusted.server_context())
    outcome = call(path, server.client_options(verify=str(tls.ca_file)))
    expect_error(outcome, expected, fault=f"TLS {fault_name}")


@pytest.mark.parametrize("path", PATHS, ids=str)
def test_plain_http_where_tls_is_expected(serve: ServerFactory, tls: TlsSetup, path: Path) -> None:
    """A server that answers a TLS handshake with bytes that are not TLS."""
    server = serve(OK)
    outcome = call(path, server.client_options(ssl=True, verify=str(tls.ca_file)))
    expect_error(outcome, PusherConnectionError, fault="plain HTTP server, client expects TLS")


@pytest.mark.parametrize("path", PATHS, ids=str)
def test_a_normal_answer_succeeds(serve: ServerFactory, path: Path) -> None:
    """The control: the same calls succeed against the same server answering ``200 {}`` (over TLS: test_tls)."""
    server = serve(OK)
    outcome = call(path, server.client_options())
    expect_success(outcome, fault="200 {}", within=TIMEOUT + SLACK)
    if server.event_count() != outcome.events:
        pytest.fail(f"[{path} / 200 {{}}] the server received {server.event_count()} events, not {outcome.events}")
