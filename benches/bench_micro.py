"""Micro benchmarks: the official ``pusher`` 3.3.4 SDK and pusher_fast side by side, no I/O.

Every case runs once per library (``[official]`` and ``[fast]`` in one pytest-benchmark group) and then checks the
result against the protocol, recomputed independently in ``_support``: both signatures must verify and both outputs
must say the same thing, so no speed is reported for wrong output. ``make test`` runs these once each, as tests
(``--benchmark-disable``); ``make bench`` times them and ``python -m benches.throughput`` prints the ratios.

Request preparation uses each SDK's own no-I/O entry point: upstream's ``<method>.make_request(...)`` on its internal
``_pusher_client`` and pusher_fast's ``client.prepare.<method>(...)``. Both clients get a backend that refuses to send.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import Any

import pusher
import pytest

import pusher_fast
from benches._support import (
    APP_ID,
    KEY,
    MASTER_KEY_BASE64,
    SECRET,
    SOCKET_ID,
    check_signed_query,
    check_signed_request,
    decrypt_data,
    hmac_hex,
    webhook_body,
)
from pusher_fast import _native

LIBRARIES = ("official", "fast")
# Rounds of the cases timed with a fresh input per call (pytest-benchmark's pedantic mode).
PEDANTIC_ROUNDS = int(os.environ.get("BENCH_PEDANTIC_ROUNDS", "2000"))

CHANNEL = "bench-channel"
PRIVATE_CHANNEL = "private-bench"
PRESENCE_CHANNEL = "presence-bench"
ENCRYPTED_CHANNEL = "private-encrypted-bench"
EVENT = "bench-event"
DATA = {"message": "hello world", "id": 12345, "tags": ["a", "b"], "ok": True}
PRESENCE_DATA = {"user_id": "42", "user_info": {"name": "Ada Lovelace", "role": "admin"}}
USER_DATA = {"id": "42", "name": "Ada Lovelace", "watchlist": ["7", "9"]}
BATCH = [{"channel": f"bench-channel-{i}", "name": EVENT, "data": {"i": i, "message": "hello"}} for i in range(10)]
WEBHOOK_EVENTS = [{"name": "channel_occupied", "channel": "private-bench"}, {"name": "member_added", "channel": "x"}]
EVENTS_PATH = f"/apps/{APP_ID}/events"
BATCH_PATH = f"/apps/{APP_ID}/batch_events"


class _NoSend:
    """A ``backend=`` for both SDKs that refuses to send: nothing here does I/O."""

    def __init__(self, client: Any, **options: Any) -> None:
        pass

    def send_request(self, request: Any) -> Any:
        raise AssertionError("the micro benchmarks never send a request")


def _make(library: str) -> Any:
    options: dict[str, Any] = {
        "app_id": APP_ID,
        "key": KEY,
        "secret": SECRET,
        "encryption_master_key_base64": MASTER_KEY_BASE64,
        "backend": _NoSend,
    }
    return pusher.Pusher(**options) if library == "official" else pusher_fast.Pusher(**options)


# Function-scoped on purpose: both libraries of one case then run back to back (a module-scoped parameter would run
# every official case, then every fast one), so a drift in machine load skews a ratio less.
@pytest.fixture(params=LIBRARIES)
def library(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def client(library: str) -> Any:
    return _make(library)


def _prepare(client: Any, library: str, method: str) -> Callable[..., Any]:
    """The SDK's no-I/O request builder for ``method`` (``trigger`` or ``trigger_batch``)."""
    if library == "official":
        return getattr(client._pusher_client, method).make_request  # type: ignore[no-any-return]
    return getattr(client.prepare, method)  # type: ignore[no-any-return]


def _fresh_batch() -> tuple[tuple[list[dict[str, Any]]], dict[str, Any]]:
    # Upstream rewrites each event's data in place, so every call gets new dicts (same cost for both libraries).
    return ([dict(event) for event in BATCH],), {}


# --- channel and user auth -----------------------------------------------------------------------------------------


@pytest.mark.benchmark(group="auth: private channel")
def test_channel_auth(benchmark: Any, client: Any) -> None:
    result = benchmark(client.authenticate, PRIVATE_CHANNEL, SOCKET_ID)
    assert result == {"auth": f"{KEY}:{hmac_hex(f'{SOCKET_ID}:{PRIVATE_CHANNEL}')}"}


@pytest.mark.benchmark(group="auth: presence channel")
def test_presence_auth(benchmark: Any, client: Any) -> None:
    result = benchmark(client.authenticate, PRESENCE_CHANNEL, SOCKET_ID, PRESENCE_DATA)
    channel_data = result["channel_data"]
    assert json.loads(channel_data) == PRESENCE_DATA
    assert result == {
        "auth": f"{KEY}:{hmac_hex(f'{SOCKET_ID}:{PRESENCE_CHANNEL}:{channel_data}')}",
        "channel_data": channel_data,
    }


@pytest.mark.benchmark(group="auth: user")
def test_user_auth(benchmark: Any, client: Any) -> None:
    result = benchmark(client.authenticate_user, SOCKET_ID, USER_DATA)
    user_data = result["user_data"]
    assert json.loads(user_data) == USER_DATA
    assert result == {"auth": f"{KEY}:{hmac_hex(f'{SOCKET_ID}::user::{user_data}')}", "user_data": user_data}


# --- webhooks ------------------------------------------------------------------------------------------------------


@pytest.mark.benchmark(group="webhook: validate")
def test_webhook_validate(benchmark: Any, client: Any) -> None:
    body, signature = webhook_body(WEBHOOK_EVENTS)
    result = benchmark(client.validate_webhook, KEY, signature, body)
    assert result == json.loads(body)
    # A tampered body is refused by both: the fast path must not skip the check.
    assert client.validate_webhook(KEY, signature, body.replace("member_added", "member_removed")) is None


# --- signed request preparation (validate + serialize + MD5 + sign) ------------------------------------------------


@pytest.mark.benchmark(group="prepare: trigger")
def test_prepare_trigger(benchmark: Any, client: Any, library: str) -> None:
    request = benchmark(_prepare(client, library, "trigger"), CHANNEL, EVENT, DATA)
    body = check_signed_request(request, "POST", EVENTS_PATH)
    assert body.keys() == {"name", "channels", "data"}, body
    assert (body["name"], body["channels"], json.loads(body["data"])) == (EVENT, [CHANNEL], DATA)


@pytest.mark.benchmark(group="prepare: trigger_batch of 10")
def test_prepare_batch(benchmark: Any, client: Any, library: str) -> None:
    request = benchmark.pedantic(
        _prepare(client, library, "trigger_batch"), setup=_fresh_batch, rounds=PEDANTIC_ROUNDS, warmup_rounds=50
    )
    body = check_signed_request(request, "POST", BATCH_PATH)
    assert body.keys() == {"batch"}, body
    sent = [{**event, "data": json.loads(event["data"])} for event in body["batch"]]
    assert sent == BATCH


@pytest.mark.benchmark(group="prepare: encrypted trigger")
def test_prepare_encrypted(benchmark: Any, client: Any, library: str) -> None:
    request = benchmark(_prepare(client, library, "trigger"), ENCRYPTED_CHANNEL, EVENT, DATA)
    body = check_signed_request(request, "POST", EVENTS_PATH)
    assert body.keys() == {"name", "channels", "data"}, body
    assert (body["name"], body["channels"]) == (EVENT, [ENCRYPTED_CHANNEL])
    assert decrypt_data(ENCRYPTED_CHANNEL, body["data"]) == DATA


# --- signing alone (MD5 of a serialized body + HMAC-SHA256 of the auth string) --------------------------------------


BULK_BODIES = 1000


@pytest.mark.benchmark(group=f"sign: {BULK_BODIES} bodies in bulk")
def test_sign_bulk(benchmark: Any, client: Any, library: str) -> None:
    """Raw signing throughput: MD5 + HMAC of many already serialized bodies (upstream: ``_generate_auth`` in a
    loop; pusher_fast: the Rust core's ``Signer.sign_posts``, under ``prepare.sign_bodies``)."""
    prepare = _prepare(client, library, "trigger")
    requests = [prepare(f"{CHANNEL}-{i}", EVENT, DATA) for i in range(BULK_BODIES)]
    if library == "official":

        def sign_all() -> None:
            for request in requests:
                del request.query_params["auth_signature"]
                request._generate_auth()

        benchmark(sign_all)
        for request in requests[::97]:
            check_signed_request(request, "POST", EVENTS_PATH)
    else:
        bodies = [bytes(request.body) for request in requests]
        path, queries = benchmark(client._signer.sign_posts, "events", bodies, int(time.time()))
        assert path == EVENTS_PATH
        for query, body in list(zip(queries, bodies))[::97]:
            check_signed_query(query, "POST", EVENTS_PATH, body)


@pytest.mark.benchmark(group="sign: one request")
def test_sign_only(benchmark: Any, client: Any, library: str) -> None:
    """Only the signature of an already serialized body: upstream's ``Request._generate_auth`` and the Rust core."""
    prepared = _prepare(client, library, "trigger")(CHANNEL, EVENT, DATA)
    body = bytes(prepared.body)
    if library == "official":

        def sign() -> None:
            # Upstream signs every query parameter present, so the previous signature goes first.
            del prepared.query_params["auth_signature"]
            prepared._generate_auth()

        benchmark(sign)
        check_signed_request(prepared, "POST", EVENTS_PATH)
    else:
        query = benchmark(
            lambda: _native.sign_request(KEY, SECRET, "POST", EVENTS_PATH, [], body, int(time.time())),
        )
        check_signed_query(query, "POST", EVENTS_PATH, body)
