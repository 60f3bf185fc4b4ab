"""Independent implementations agree with pusher_fast: the official Node SDK (npm ``pusher`` 5.3.4) and the official
Go SDK (``github.com/pusher/pusher-http-go/v5`` v5.1.1). No server is involved.

Both run as small programs (``node/pusher_oracle.js``, ``go/main.go``) that read JSON on stdin and print JSON; neither
sends anything (their HTTP layer is replaced by one that records the request).

What is compared, for the same inputs and a fixed timestamp:

- request signing: the Node and Go signers (Node's public ``createSignedQueryString``; Go's own unexported
  ``createRequestURL``, reached with ``go:linkname`` because no public Go call signs a given body) sign the exact
  method, path, parameters and body bytes of each request pusher_fast prepares; every query parameter must be equal,
  ``auth_signature`` and ``body_md5`` included;
- whole requests through each SDK's public calls: GET queries and terminate_user_connections (whose body ``{}`` is
  the same in all three) must be equal parameter for parameter; for POSTs with other bodies the bodies must decode to
  the same JSON (the bytes differ, see below) and the other parameters must be equal;
- channel authorization, user authentication and shared secrets;
- cross-decryption of end-to-end encrypted event data, both ways;
- webhook verdicts on valid and tampered bodies.

Known differences, each asserted below rather than hidden:

- Request bodies: Node and Go encode JSON compactly (``{"a":1}``), pusher_fast keeps the official Python SDK's spaced
  encoding (``{"a": 1}``), so ``body_md5`` and ``auth_signature`` of a whole trigger differ between SDKs while each is
  correct for its own bytes. Go also orders keys alphabetically, Node keeps its own order.
- ``channel_data`` and ``user_data``: the same spacing difference by default; with a compact ``json_encoder``
  pusher_fast produces byte-identical strings, auth signatures included.
- Query strings: parameter order and percent-encoding differ (pusher_fast encodes ``,`` as ``%2C``; Node and Go send
  it raw; Node puts ``auth_signature`` last); the decoded parameters are identical.
- Webhook signatures in upper-case hex: Go and pusher_fast accept them, Node's string comparison does not.
- ``validate_webhook`` refuses webhooks whose ``time_ms`` is more than 5 minutes old, as the official Python SDK does;
  Node and Go (and pusher_fast's ``webhook()`` without ``max_age``) do not look at the time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any, Callable

import pytest

from pusher_fast import Pusher, PusherWebhookError

from .harness import APP_ID, E2E_DIR, KEY, MASTER_KEY_BASE64, SECRET, go_oracle, node_env, run_json

pytestmark = pytest.mark.e2e

NOW = 1_700_000_000
HOST = "127.0.0.1"
PORT = 8080
SOCKET_ID = "123456.7890123"
ORACLE_CLIENT = {
    "app_id": APP_ID,
    "key": KEY,
    "secret": SECRET,
    "host": f"{HOST}:{PORT}",
    "encryption_master_key_base64": MASTER_KEY_BASE64,
}
SDKS = ("node", "go")


class CompactEncoder(json.JSONEncoder):
    """JSON as Node's ``JSON.stringify`` and Go's ``json.Marshal`` write it (give keys in sorted order for Go)."""

    def __init__(self, **options: Any) -> None:
        options.update(separators=(",", ":"), ensure_ascii=False)
        super().__init__(**options)


def ask(sdk: str, ops: list[dict[str, Any]], client: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Run the ``sdk`` oracle on ``ops``; one result per op, each checked for an error."""
    payload = {"client": client or ORACLE_CLIENT, "ops": ops}
    if sdk == "node":
        results = run_json(["node", str(E2E_DIR / "node" / "pusher_oracle.js")], payload, env=node_env())
    else:
        results = run_json([str(go_oracle())], payload)
    assert len(results) == len(ops)
    for op, result in zip(ops, results):
        assert result["error"] is None, f"{sdk} failed on {op}: {result['error']}"
    return list(results)


def params(query: str) -> dict[str, str]:
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True, strict_parsing=True)
    as_dict = dict(pairs)
    assert len(as_dict) == len(pairs), f"repeated parameter in {query}"
    return as_dict


@pytest.fixture
def ours() -> Iterator[Pusher]:
    with Pusher(
        app_id=APP_ID,
        key=KEY,
        secret=SECRET,
        host=HOST,
        port=PORT,
        ssl=False,
        encryption_master_key_base64=MASTER_KEY_BASE64,
    ) as client:
        yield client


@pytest.fixture
def compact_ours() -> Iterator[Pusher]:
    with Pusher(
        app_id=APP_ID,
        key=KEY,
        secret=SECRET,
        host=HOST,
        port=PORT,
        ssl=False,
        encryption_master_key_base64=MASTER_KEY_BASE64,
        json_encoder=CompactEncoder,
    ) as client:
        yield client


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """``frozen(t)`` stops ``time.time`` at ``t`` (starts at NOW), for building requests with a fixed timestamp."""

    def freeze(timestamp: int) -> None:
        monkeypatch.setattr(time, "time", lambda: float(timestamp))

    freeze(NOW)
    return freeze


# ---------------------------------------------------------------------------------------------------------------------
# Request signing over the same bytes

# (id, how pusher_fast builds it, the extra query parameters the API defines for it)
REQUESTS: list[tuple[str, Callable[[Pusher], Any], dict[str, str]]] = [
    ("trigger-str", lambda p: p.prepare.trigger("my-channel", "my-event", "a str ✓"), {}),
    (
        "trigger-multi",
        lambda p: p.prepare.trigger(["a", "b-", "c_=@,.;"], "evt", {"x": [1, 2]}, socket_id="1.2", info="user_count"),
        {},
    ),
    ("trigger-encrypted", lambda p: p.prepare.trigger("private-encrypted-x", "evt", {"secret": 1}), {}),
    (
        "trigger-batch",
        lambda p: p.prepare.trigger_batch(
            [{"channel": f"ch-{i}", "name": "evt", "data": {"i": i, "é": "ü"}} for i in range(10)]
        ),
        {},
    ),
    ("send-to-user", lambda p: p.prepare.send_to_user("user-1", "direct", "hello"), {}),
    ("terminate", lambda p: p.prepare.terminate_user_connections("user-1"), {}),
    ("channels", lambda p: p.prepare.channels_info(), {}),
    (
        "channels-filtered",
        lambda p: p.prepare.channels_info("presence-", ["user_count"]),
        {"filter_by_prefix": "presence-", "info": "user_count"},
    ),
    (
        "channel",
        lambda p: p.prepare.channel_info("presence-room", ["user_count"]),
        {"info": "user_count"},
    ),
    (
        "channel-subscriptions",
        lambda p: p.prepare.channel_info("my-channel", ["subscription_count"]),
        {"info": "subscription_count"},
    ),
    (
        "channels-odd-prefix",
        lambda p: p.prepare.channels_info("c_=@,.;"),
        {"filter_by_prefix": "c_=@,.;"},
    ),
    ("users", lambda p: p.prepare.users_info("presence-room"), {}),
]


@pytest.mark.parametrize("sdk", SDKS)
def test_signed_query_strings_match_over_the_same_body(ours: Pusher, frozen: object, sdk: str) -> None:
    prepared = [build(ours) for _, build, _ in REQUESTS]
    ops = [
        {
            "op": "sign",
            "method": request.method,
            "path": request.path,
            "params": extra,
            "body": request.body.decode("utf-8") if request.method == "POST" else None,
            "timestamp": str(NOW),
        }
        for request, (_, _, extra) in zip(prepared, REQUESTS)
    ]
    for (case, _, _), request, result in zip(REQUESTS, prepared, ask(sdk, ops)):
        theirs = params(result["query"])
        assert request.query_params == theirs, case
        assert theirs["auth_timestamp"] == str(NOW)
        # body_md5 only on POST, as Node, Go and the servers expect
        assert ("body_md5" in theirs) == (request.method == "POST"), case


def test_difference_query_string_spelling(ours: Pusher, frozen: object) -> None:
    """Same parameters, different spelling: pusher_fast percent-encodes ',' and sorts auth_signature in place."""
    request = ours.prepare.channels_info("a,b")
    op = {"op": "sign", "method": "GET", "path": request.path, "body": None, "timestamp": str(NOW)}
    op["params"] = {"filter_by_prefix": "a,b"}
    node, go = ask("node", [op])[0]["query"], ask("go", [op])[0]["query"]
    assert "filter_by_prefix=a%2Cb" in request.query_string
    assert "filter_by_prefix=a,b" in node
    assert "filter_by_prefix=a,b" in go
    assert node.endswith("&auth_signature=" + request.query_params["auth_signature"])
    assert params(node) == params(go) == request.query_params


# ---------------------------------------------------------------------------------------------------------------------
# Whole requests through each SDK's public calls

NODE_CALLS: list[tuple[str, dict[str, Any], Callable[[Pusher], Any]]] = [
    ("terminate", {"op": "terminate", "user_id": "user-1"}, lambda p: p.prepare.terminate_user_connections("user-1")),
    ("channels", {"op": "get", "path": "/channels"}, lambda p: p.prepare.channels_info()),
    (
        "channels-filtered",
        {"op": "get", "path": "/channels", "params": {"filter_by_prefix": "presence-", "info": "user_count"}},
        lambda p: p.prepare.channels_info("presence-", "user_count"),
    ),
    (
        "channel",
        {"op": "get", "path": "/channels/presence-room", "params": {"info": "user_count"}},
        lambda p: p.prepare.channel_info("presence-room", ["user_count"]),
    ),
    ("users", {"op": "get", "path": "/channels/presence-room/users"}, lambda p: p.prepare.users_info("presence-room")),
]

GO_CALLS: list[tuple[str, dict[str, Any], Callable[[Pusher], Any]]] = [
    ("channels", {"op": "channels"}, lambda p: p.prepare.channels_info()),
    (
        "channels-filtered",
        {"op": "channels", "prefix": "presence-", "info": "user_count"},
        lambda p: p.prepare.channels_info("presence-", "user_count"),
    ),
    (
        "channel",
        {"op": "channel", "channel": "presence-room", "info": "user_count"},
        lambda p: p.prepare.channel_info("presence-room", ["user_count"]),
    ),
    ("users", {"op": "users", "channel": "presence-room"}, lambda p: p.prepare.users_info("presence-room")),
]


def test_node_public_calls_send_the_same_requests(ours: Pusher, frozen: object) -> None:
    ops = [{**op, "timestamp": NOW} for _, op, _ in NODE_CALLS]
    for (case, _, build), result in zip(NODE_CALLS, ask("node", ops)):
        request = build(ours)
        (sent,) = result["requests"]
        assert sent["method"] == request.method, case
        assert sent["url"].split("?")[0] == request.base_url + request.path, case
        assert params(sent["query"]) == request.query_params, case
        assert sent["body"].encode() == request.body, case  # "" for GET, "{}" for terminate


def test_go_public_calls_send_the_same_requests(ours: Pusher, frozen: Callable[[int], None]) -> None:
    # Go's clock cannot be stopped from outside: pusher_fast is given the timestamp Go used.
    for (case, _, build), result in zip(GO_CALLS, ask("go", [op for _, op, _ in GO_CALLS])):
        (sent,) = result["requests"]
        theirs = params(sent["query"])
        frozen(int(theirs["auth_timestamp"]))
        request = build(ours)
        assert sent["method"] == request.method, case
        assert sent["url"].split("?")[0] == request.base_url + request.path, case
        assert theirs == request.query_params, case
        assert sent["body"] == "", case


TRIGGERS: list[tuple[str, dict[str, Any], dict[str, Any], Callable[[Pusher], Any]]] = [
    (
        "trigger",
        {"op": "trigger", "channels": ["a", "b"], "event": "evt", "data": "str data ✓", "params": {"socket_id": "1.2"}},
        {"op": "trigger", "channels": ["a", "b"], "event": "evt", "data": "str data ✓", "socket_id": "1.2"},
        lambda p: p.prepare.trigger(["a", "b"], "evt", "str data ✓", socket_id="1.2"),
    ),
    (
        "trigger-info",
        {"op": "trigger", "channels": ["a"], "event": "evt", "data": '{"k": "v"}', "params": {"info": "user_count"}},
        {"op": "trigger", "channels": ["a"], "event": "evt", "data": '{"k": "v"}', "info": "user_count"},
        lambda p: p.prepare.trigger("a", "evt", '{"k": "v"}', info="user_count"),
    ),
    (
        "batch",
        {"op": "trigger_batch", "batch": [{"channel": f"c{i}", "name": "e", "data": f"d{i}"} for i in range(10)]},
        {"op": "trigger_batch", "batch": [{"channel": f"c{i}", "name": "e", "data": f"d{i}"} for i in range(10)]},
        lambda p: p.prepare.trigger_batch([{"channel": f"c{i}", "name": "e", "data": f"d{i}"} for i in range(10)]),
    ),
    (
        "send-to-user",
        {"op": "send_to_user", "user_id": "u-1", "event": "evt", "data": "hi"},
        {"op": "send_to_user", "user_id": "u-1", "event": "evt", "data": "hi"},
        lambda p: p.prepare.send_to_user("u-1", "evt", "hi"),
    ),
]


@pytest.mark.parametrize("sdk", SDKS)
def test_public_triggers_send_the_same_json(ours: Pusher, frozen: Callable[[int], None], sdk: str) -> None:
    """Same JSON and parameters; the body bytes (so body_md5 and auth_signature) differ by the JSON spacing only."""
    ops = [node_op if sdk == "node" else go_op for _, node_op, go_op, _ in TRIGGERS]
    if sdk == "node":
        ops = [{**op, "timestamp": NOW} for op in ops]
    for (case, _, _, build), result in zip(TRIGGERS, ask(sdk, ops)):
        (sent,) = result["requests"]
        theirs = params(sent["query"])
        frozen(int(theirs["auth_timestamp"]))
        request = build(ours)
        assert sent["url"].split("?")[0] == request.base_url + request.path, case
        assert json.loads(sent["body"]) == json.loads(request.body), case
        assert sent["body"].encode() != request.body  # compact vs spaced, as documented
        mine = request.query_params
        for signed in ("body_md5", "auth_signature"):
            del mine[signed], theirs[signed]
        assert mine == theirs, case
        assert hashlib.md5(sent["body"].encode()).hexdigest() == params(sent["query"])["body_md5"]


# ---------------------------------------------------------------------------------------------------------------------
# Channel authorization, user authentication, shared secrets

CHANNEL_CASES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("private", "private-orders", None),
    ("private-odd-chars", "private-a_b-c=d@e,f.g;h", None),
    ("encrypted", "private-encrypted-vault", None),
    ("presence", "presence-room", {"user_id": "u-1"}),
    ("presence-info", "presence-room", {"user_id": "u-2", "user_info": {"name": "Zoë", "role": "admin"}}),
]


def node_channel_op(channel: str, data: dict[str, Any] | None) -> dict[str, Any]:
    return {"op": "authorize_channel", "socket_id": SOCKET_ID, "channel": channel, "channel_data": data}


def go_channel_op(channel: str, data: dict[str, Any] | None) -> dict[str, Any]:
    op: dict[str, Any] = {"op": "authorize_channel", "socket_id": SOCKET_ID, "channel": channel}
    if data is not None:
        op.update(user_id=data["user_id"], user_info=data.get("user_info"))
    return op


@pytest.mark.parametrize("sdk", SDKS)
def test_channel_auth_matches(compact_ours: Pusher, sdk: str) -> None:
    to_op = node_channel_op if sdk == "node" else go_channel_op
    results = ask(sdk, [to_op(channel, data) for _, channel, data in CHANNEL_CASES])
    for (case, channel, data), result in zip(CHANNEL_CASES, results):
        assert compact_ours.authenticate(channel, SOCKET_ID, data) == result["response"], case


@pytest.mark.parametrize("sdk", SDKS)
def test_difference_channel_data_spacing(ours: Pusher, sdk: str) -> None:
    """By default channel_data is spaced JSON (official Python SDK); same data, so a different but valid auth."""
    channel, data = "presence-room", {"user_id": "u-1", "user_info": {"name": "Zoë"}}
    to_op = node_channel_op if sdk == "node" else go_channel_op
    theirs = ask(sdk, [to_op(channel, data)])[0]["response"]
    mine = ours.authenticate(channel, SOCKET_ID, data)
    assert json.loads(mine["channel_data"]) == json.loads(theirs["channel_data"]) == data
    assert mine["channel_data"] != theirs["channel_data"]
    for auth in (mine, theirs):
        signed = f"{SOCKET_ID}:{channel}:{auth['channel_data']}".encode()
        assert auth["auth"] == f"{KEY}:" + hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()


USER_CASES: list[tuple[str, dict[str, Any]]] = [
    ("id-only", {"id": "u-1"}),
    ("with-info", {"id": "u-2", "name": "Åsa", "user_info": {"plan": "pro"}, "watchlist": ["u-3", "u-4"]}),
]


@pytest.mark.parametrize("sdk", SDKS)
def test_user_auth_matches(compact_ours: Pusher, sdk: str) -> None:
    ops = [{"op": "authenticate_user", "socket_id": SOCKET_ID, "user_data": data} for _, data in USER_CASES]
    for (case, data), result in zip(USER_CASES, ask(sdk, ops)):
        assert compact_ours.authenticate_user(SOCKET_ID, data) == result["response"], case


ENCRYPTED_CHANNELS = ["private-encrypted-a", "private-encrypted-vault-42", "private-encrypted-x_y-z=@.;,"]


def test_shared_secrets_match(ours: Pusher) -> None:
    node = ask("node", [{"op": "shared_secret", "channel": channel} for channel in ENCRYPTED_CHANNELS])
    go = ask("go", [go_channel_op(channel, None) for channel in ENCRYPTED_CHANNELS])
    for channel, from_node, from_go in zip(ENCRYPTED_CHANNELS, node, go):
        mine = ours.authenticate(channel, SOCKET_ID)["shared_secret"]
        assert mine == from_node["shared_secret"] == from_go["response"]["shared_secret"], channel


# ---------------------------------------------------------------------------------------------------------------------
# Encrypted data, both ways (through webhooks, the one place the SDKs decrypt)


def signed_webhook(events: list[dict[str, Any]], time_ms: int | None = None) -> tuple[str, str]:
    body = json.dumps({"time_ms": time_ms if time_ms is not None else int(time.time() * 1000), "events": events})
    return body, hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).hexdigest()


def go_webhook_op(body: str, signature: str, key: str = KEY) -> dict[str, Any]:
    return {"op": "webhook", "headers": {"X-Pusher-Key": [key], "X-Pusher-Signature": [signature]}, "body": body}


def node_webhook_op(body: str, signature: str, key: str = KEY) -> dict[str, Any]:
    headers = {"x-pusher-key": key, "x-pusher-signature": signature, "content-type": "application/json"}
    return {"op": "webhook", "headers": headers, "body": body}


def test_go_decrypts_our_ciphertext(ours: Pusher) -> None:
    plaintext = {"pin": "1234", "text": "ünïcödé 🚀"}
    events = []
    for channel in ENCRYPTED_CHANNELS:
        envelope = json.loads(ours.prepare.trigger(channel, "evt", plaintext).body)["data"]
        events.append({"name": "client_event", "channel": channel, "event": "evt", "data": envelope})
    body, signature = signed_webhook(events)
    (result,) = ask("go", [go_webhook_op(body, signature)])
    assert result["valid"] is True
    decrypted = [json.loads(event["data"]) for event in result["webhook"]["events"]]
    assert decrypted == [plaintext] * len(ENCRYPTED_CHANNELS)


@pytest.mark.parametrize("sdk", SDKS)
def test_we_decrypt_their_ciphertext(ours: Pusher, sdk: str) -> None:
    channel, plaintext = "private-encrypted-vault", "sealed by another SDK ✓"
    op: dict[str, Any] = {"op": "trigger", "channels": [channel], "event": "evt", "data": plaintext}
    (result,) = ask(sdk, [op])
    envelope = json.loads(result["requests"][0]["body"])["data"]
    assert plaintext not in envelope
    body, signature = signed_webhook([{"name": "client_event", "channel": channel, "event": "evt", "data": envelope}])
    webhook = ours.webhook({"X-Pusher-Key": KEY, "X-Pusher-Signature": signature}, body)
    decrypted = webhook.events[0].data
    # Node JSON-encodes every payload before sealing it, str included; Go seals a str as is
    assert (json.loads(decrypted) if sdk == "node" else decrypted) == plaintext


# ---------------------------------------------------------------------------------------------------------------------
# Webhook verdicts


def webhook_cases() -> list[tuple[str, str, str, str, bool]]:
    """(case, key header, signature header, body, valid?) on which all SDKs agree."""
    events = [
        {"name": "channel_occupied", "channel": "presence-room"},
        {"name": "member_added", "channel": "presence-room", "user_id": "u-1"},
        {"name": "client_event", "channel": "private-chat", "event": "client-x", "data": '{"a":1}', "socket_id": "1.2"},
    ]
    body, signature = signed_webhook(events)
    other_secret = hmac.new(b"other-secret", body.encode(), hashlib.sha256).hexdigest()
    not_json, not_json_signature = (
        "not json at all",
        hmac.new(SECRET.encode(), b"not json at all", "sha256").hexdigest(),
    )
    return [
        ("valid", KEY, signature, body, True),
        ("tampered-body", KEY, signature, body.replace("presence-room", "presence-r00m", 1), False),
        ("tampered-user", KEY, signature, body.replace('"u-1"', '"u-9"'), False),
        ("appended-byte", KEY, signature, body + " ", False),
        ("other-secret", KEY, other_secret, body, False),
        ("truncated-signature", KEY, signature[:-2], body, False),
        ("wrong-key", "other-key", signature, body, False),
        ("signed-but-not-json", KEY, not_json_signature, not_json, False),
    ]


def test_webhook_verdicts_agree(ours: Pusher) -> None:
    cases = webhook_cases()
    node = ask("node", [node_webhook_op(body, signature, key) for _, key, signature, body, _ in cases])
    go = ask("go", [go_webhook_op(body, signature, key) for _, key, signature, body, _ in cases])
    for (case, key, signature, body, valid), from_node, from_go in zip(cases, node, go):
        legacy = ours.validate_webhook(key, signature, body) is not None
        try:
            ours.webhook({"X-Pusher-Key": key, "X-Pusher-Signature": signature}, body)
            typed = True
        except PusherWebhookError:
            typed = False
        verdicts = {"validate_webhook": legacy, "webhook()": typed, "node": from_node["valid"], "go": from_go["valid"]}
        assert set(verdicts.values()) == {valid}, (case, verdicts)
    # and on the valid one, everyone read the same events
    parsed = ours.webhook({"X-Pusher-Key": KEY, "X-Pusher-Signature": cases[0][2]}, cases[0][3])
    assert node[0]["data"] == json.loads(cases[0][3])
    assert [(e["name"], e["channel"], e.get("user_id")) for e in go[0]["webhook"]["events"]] == [
        (e.name, e.channel, e.user_id) for e in parsed.events
    ]


def test_difference_upper_case_webhook_signature(ours: Pusher) -> None:
    body, signature = signed_webhook([{"name": "channel_vacated", "channel": "c"}])
    upper = signature.upper()
    (node,) = ask("node", [node_webhook_op(body, upper)])
    (go,) = ask("go", [go_webhook_op(body, upper)])
    assert go["valid"] is True  # hex-decodes, then compares bytes
    assert node["valid"] is False  # compares the hex strings
    assert ours.validate_webhook(KEY, upper, body) is not None  # as Go
    assert ours.webhook({"X-Pusher-Key": KEY, "X-Pusher-Signature": upper}, body).events[0].channel == "c"


def test_difference_old_webhooks(ours: Pusher) -> None:
    ten_minutes_ago = int(time.time() * 1000) - 600_000
    body, signature = signed_webhook([{"name": "channel_vacated", "channel": "c"}], time_ms=ten_minutes_ago)
    (node,) = ask("node", [node_webhook_op(body, signature)])
    (go,) = ask("go", [go_webhook_op(body, signature)])
    assert node["valid"] is True
    assert go["valid"] is True
    headers = {"X-Pusher-Key": KEY, "X-Pusher-Signature": signature}
    assert ours.webhook(headers, body).time_ms == ten_minutes_ago  # no time check unless asked
    assert ours.validate_webhook(KEY, signature, body) is None  # the official Python SDK's 5-minute window
    with pytest.raises(PusherWebhookError):
        ours.webhook(headers, body, max_age=300)


def test_base64_master_key_is_the_same_key_everywhere(ours: Pusher) -> None:
    """The fixture's master key, as each SDK decodes it, gives the shared secret computed by hand."""
    channel = "private-encrypted-by-hand"
    expected = base64.b64encode(
        hashlib.sha256(channel.encode() + base64.b64decode(MASTER_KEY_BASE64)).digest()
    ).decode()
    (node,) = ask("node", [{"op": "shared_secret", "channel": channel}])
    assert ours.authenticate(channel, SOCKET_ID)["shared_secret"] == node["shared_secret"] == expected
