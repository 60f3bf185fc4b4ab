"""Differential tests: pusher_fast against the official ``pusher`` 3.3.4 SDK, request by request.

Both SDKs build the same calls with the clock frozen. Everything must come out identical (bodies, signatures, auth
responses, webhook verdicts) except the documented differences, each of which has its own ``test_difference_*``
test below asserting both sides.

Nothing here touches the network: the official SDK's requests are built with ``<method>.make_request(...)`` and ours
with ``client.prepare.<method>(...)``; both clients get a backend that refuses to send.
"""

from __future__ import annotations

import base64
import copy
import decimal
import hashlib
import hmac
import json
import re
import time
import urllib.parse
from typing import Any

import nacl.secret
import pusher
import pytest

import pusher_fast
from tests.sdk_pair import APP_ID, KEY, MASTER_KEY, SECRET, NoSend, make_official

NOW = 1_700_000_000.0  # integer-valued, so upstream's '%.0f' rounding and our truncation agree
NOW_MS = int(NOW * 1000)
EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"
ENVELOPE_RE = re.compile(
    r'\A\{"nonce": "(?P<nonce>[A-Za-z0-9+/=]+)", "ciphertext": "(?P<ciphertext>[A-Za-z0-9+/=]+)"\}\Z'
)


class DecimalEncoder(json.JSONEncoder):
    """A typical user encoder: Decimals as strings, sets as sorted lists."""

    def default(self, o: Any) -> Any:
        if isinstance(o, decimal.Decimal):
            return str(o)
        if isinstance(o, (set, frozenset)):
            return sorted(o)
        return super().default(o)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    # Both SDKs read time.time() through the module at call time.
    monkeypatch.setattr(time, "time", lambda: NOW)


def expected_signature(method: str, path: str, query_params: dict[str, str], secret: str = SECRET) -> str:
    """HMAC-SHA256 over ``METHOD\\npath\\nk=v&...`` (sorted, unencoded, without auth_signature), with stdlib only."""
    query = "&".join(f"{k}={v}" for k, v in sorted(query_params.items()) if k != "auth_signature")
    return hmac.new(secret.encode(), f"{method}\n{path}\n{query}".encode(), hashlib.sha256).hexdigest()


def assert_same_post(ours_request: Any, official_request: Any) -> None:
    assert ours_request.method == official_request.method == "POST"
    assert ours_request.path == official_request.path
    assert ours_request.body == official_request.body
    ours_params = ours_request.query_params
    official_params = official_request.query_params
    assert ours_params["body_md5"] == official_params["body_md5"] == hashlib.md5(official_request.body).hexdigest()
    assert ours_params["auth_signature"] == official_params["auth_signature"]
    assert ours_params == official_params
    assert ours_request.url.startswith(f"https://api.pusherapp.com{ours_request.path}?")


def assert_correctly_signed(request: Any) -> None:
    params = request.query_params
    assert params["auth_key"] == KEY
    assert params["auth_version"] == "1.0"
    assert params["auth_timestamp"] == str(int(NOW))
    assert params["auth_signature"] == expected_signature(request.method, request.path, params)
    if request.method == "POST":
        assert params["body_md5"] == hashlib.md5(request.body).hexdigest()


def open_envelope(channel: str, data: str) -> bytes:
    """Decrypt an event's ``data`` envelope with PyNaCl, independently of both SDKs."""
    match = ENVELOPE_RE.match(data)
    assert match is not None, data
    nonce = base64.b64decode(match["nonce"])
    assert len(nonce) == nacl.secret.SecretBox.NONCE_SIZE
    shared_key = hashlib.sha256(channel.encode("utf-8") + MASTER_KEY).digest()
    return nacl.secret.SecretBox(shared_key).decrypt(base64.b64decode(match["ciphertext"]), nonce)


def raised(call: Any, *args: Any, **kwargs: Any) -> type[BaseException] | None:
    try:
        call(*args, **kwargs)
    except Exception as exc:  # the type is what is compared
        return type(exc)
    return None


# --- POST bodies ---------------------------------------------------------------------------------------------------

TRIGGER_CASES = {
    "dict": ("my-channel", "my-event", {"message": "hello world"}, None),
    "list": ("my-channel", "my-event", [1, 2.5, "three", None, True], None),
    "str verbatim": ("my-channel", "my-event", "not JSON at all {", None),
    "json str verbatim": ("my-channel", "my-event", '{"already":"encoded"}', None),
    "unicode str": ("my-channel", "my-event", "héllo wörld ☃ 😀 \u2028", None),
    "unicode dict": ("my-channel", "évènement", {"name": "José", "emoji": "😀", "nested": {"k": [None, 1e-7]}}, None),
    "None": ("my-channel", "my-event", None, None),
    "int": ("my-channel", "my-event", 123, None),
    "empty str": ("my-channel", "my-event", "", None),
    "socket_id": ("presence-room", "my-event", {"a": 1}, "1234.5678"),
    "empty socket_id": ("my-channel", "my-event", {"a": 1}, ""),
    "multi channel": (["a", "private-b", "presence-c", "d_e=f@g,h.i;j"], "my-event", {"a": [1, 2]}, "1.2"),
    "tuple channels": (("x", "y"), "my-event", "data", None),
    "100 channels": ([f"channel-{i}" for i in range(100)], "my-event", {"n": 100}, None),
    "long names": ("c" * 200, "e" * 200, {"k": "v"}, None),
    "server to user": ("#server-to-user-abc", "my-event", {"k": "v"}, None),
    "bytes channel and event": ([b"byte-channel"], b"byte-event", {"k": "v"}, None),
}


@pytest.mark.parametrize("case", TRIGGER_CASES.values(), ids=TRIGGER_CASES.keys())
def test_trigger_body_and_signature_match(case: tuple[Any, ...], official: Any, ours: Any) -> None:
    channels, event_name, data, socket_id = case
    official_request = official._pusher_client.trigger.make_request(channels, event_name, data, socket_id)
    ours_request = ours.prepare.trigger(channels, event_name, data, socket_id)
    assert_same_post(ours_request, official_request)
    assert ours_request.path == "/apps/4/events"


def test_trigger_with_custom_json_encoder_matches(make_ours: Any) -> None:
    official = make_official(json_encoder=DecimalEncoder)
    ours = make_ours(json_encoder=DecimalEncoder)
    data = {"price": decimal.Decimal("1.32"), "tags": {"b", "a"}, "name": "Zoë"}
    official_request = official._pusher_client.trigger.make_request("prices", "update", data)
    ours_request = ours.prepare.trigger("prices", "update", data)
    assert_same_post(ours_request, official_request)
    assert json.loads(ours_request.body)["data"] == '{"price": "1.32", "tags": ["a", "b"], "name": "Zoë"}'


def test_trigger_through_the_official_attribute_path(official: Any, ours: Any) -> None:
    # Code written for the official SDK reaches into _pusher_client; ours answers there too.
    assert ours._pusher_client.key == official._pusher_client.key == KEY
    assert ours._pusher_client.app_id == official._pusher_client.app_id == APP_ID
    assert ours._authentication_client.secret == official._authentication_client.secret == SECRET


BATCH_CASES = {
    "plain": [
        {"channel": "my-channel", "name": "ev-1", "data": {"a": 1}},
        {"channel": "presence-room", "name": "ev-2", "data": "raw string"},
    ],
    "unicode and types": [
        {"channel": "c1", "name": "évènement", "data": {"emoji": "😀", "list": [1, None, False]}},
        {"channel": "c2", "name": "n", "data": None},
        {"channel": "c3", "name": "n", "data": 42},
        {"channel": "c4", "name": "n", "data": "ünïcödé ☃"},
    ],
    "socket ids": [
        {"channel": "c1", "name": "n", "data": "x", "socket_id": "1.1"},
        {"channel": "c2", "name": "n", "data": "y", "socket_id": "123456.654321"},
    ],
    "caller key order kept": [
        {"data": {"z": 1, "a": 2}, "name": "n", "channel": "c1"},
        {"name": "n", "socket_id": "9.9", "channel": "c2", "data": "d"},
    ],
    "ten events": [{"channel": f"c{i}", "name": f"e{i}", "data": {"i": i}} for i in range(10)],
    "server to user": [{"channel": "#server-to-user-u1", "name": "n", "data": "hi"}],
}


@pytest.mark.parametrize("batch", BATCH_CASES.values(), ids=BATCH_CASES.keys())
def test_trigger_batch_body_and_signature_match(batch: list[dict[str, Any]], official: Any, ours: Any) -> None:
    # The official SDK rewrites the caller's dicts, so each side gets its own copy.
    official_request = official._pusher_client.trigger_batch.make_request(copy.deepcopy(batch))
    ours_request = ours.prepare.trigger_batch(copy.deepcopy(batch))
    assert_same_post(ours_request, official_request)
    assert ours_request.path == "/apps/4/batch_events"


def test_trigger_batch_with_custom_json_encoder_matches(make_ours: Any) -> None:
    batch = [{"channel": "c", "name": "n", "data": {"amount": decimal.Decimal("10.00")}}]
    official_request = make_official(json_encoder=DecimalEncoder)._pusher_client.trigger_batch.make_request(
        copy.deepcopy(batch)
    )
    ours_request = make_ours(json_encoder=DecimalEncoder).prepare.trigger_batch(copy.deepcopy(batch))
    assert_same_post(ours_request, official_request)


@pytest.mark.parametrize("data", [{"message": "hello"}, "plain text", ["é", 1]], ids=["dict", "str", "list"])
def test_send_to_user_matches(data: Any, official: Any, ours: Any) -> None:
    # The official Pusher.send_to_user is trigger(["#server-to-user-<id>"], ...) on the internal client.
    official_request = official._pusher_client.trigger.make_request(["#server-to-user-user_1"], "notice", data)
    ours_request = ours.prepare.send_to_user("user_1", "notice", data)
    assert_same_post(ours_request, official_request)


def test_terminate_user_connections_body_and_signature(official: Any, ours: Any) -> None:
    official_request = official._pusher_client.terminate_user_connections.make_request("user-1")
    ours_request = ours.prepare.terminate_user_connections("user-1")
    assert ours_request.method == official_request.method == "POST"
    assert ours_request.body == official_request.body == b"{}"
    # Same body, so the same MD5; the paths differ (see test_difference_terminate_path), so do the signatures.
    assert ours_request.query_params["body_md5"] == official_request.query_params["body_md5"]
    assert_correctly_signed(ours_request)


# --- GET requests --------------------------------------------------------------------------------------------------

GET_CASES = {
    "channels_info": ("channels_info", (), {}),
    "channels_info prefix": ("channels_info", ("presence-",), {}),
    "channels_info prefix and attributes": ("channels_info", ("presence-",), {"attributes": ["user_count"]}),
    "channels_info attributes positional": ("channels_info", ("presence-", ["user_count"]), {}),
    "channel_info": ("channel_info", ("my-channel",), {}),
    "channel_info attributes": ("channel_info", ("presence-room", ["user_count"]), {}),
    "channel_info subscription_count": ("channel_info", ("my-channel", ["subscription_count"]), {}),
    "channel_info empty attributes": ("channel_info", ("presence-room", []), {}),
    "users_info": ("users_info", ("presence-room",), {}),
}


@pytest.mark.parametrize("case", GET_CASES.values(), ids=GET_CASES.keys())
def test_get_request_matches_except_body_md5(
    case: tuple[str, tuple[Any, ...], dict[str, Any]], official: Any, ours: Any
) -> None:
    method, args, kwargs = case
    official_request = getattr(official._pusher_client, method).make_request(*args, **kwargs)
    ours_request = getattr(ours.prepare, method)(*args, **kwargs)
    assert ours_request.method == official_request.method == "GET"
    assert ours_request.path == official_request.path
    assert ours_request.body == official_request.body == b""
    official_params = dict(official_request.query_params)
    assert official_params.pop("body_md5") == EMPTY_MD5
    official_signature = official_params.pop("auth_signature")
    ours_params = dict(ours_request.query_params)
    ours_signature = ours_params.pop("auth_signature")
    assert ours_params == official_params
    # Upstream also signs body_md5; without it the signature differs, and ours must be right on its own.
    assert ours_signature != official_signature
    assert_correctly_signed(ours_request)
    assert ours_request.url == f"https://api.pusherapp.com{ours_request.path}?{ours_request.query_string}"


def test_get_signature_matches_official_when_body_md5_is_added_back(official: Any, ours: Any) -> None:
    # Upstream's signature is our canonical string plus body_md5: the same scheme, one parameter apart.
    ours_request = ours.prepare.channels_info("presence-", ["user_count"])
    official_request = official._pusher_client.channels_info.make_request("presence-", ["user_count"])
    with_md5 = {**ours_request.query_params, "body_md5": EMPTY_MD5}
    assert expected_signature("GET", ours_request.path, with_md5) == official_request.query_params["auth_signature"]


# --- channel authorization and user authentication -----------------------------------------------------------------

AUTH_CASES = {
    "private": ("private-channel", "345.23", None),
    "private with custom_data": ("private-channel", "1.1", {"anything": ["goes", 1]}),
    "private with empty custom_data": ("private-channel", "1.1", {}),
    "presence": ("presence-room", "1234.5678", {"user_id": "42"}),
    "presence unicode user_info": (
        "presence-room",
        "1.1",
        {"user_id": "zoë", "user_info": {"name": "Zoë 😀", "twitter": "@zoe", "age": 30}},
    ),
    "presence int user_id": ("presence-room", "1.1", {"user_id": 42, "user_info": None}),
    "presence user_id only": ("presence-room", "1.1", {"user_id": "u"}),
    "plain channel": ("my-channel", "1.1", None),
    "bytes arguments": (b"private-bytes", b"1.2", None),
    "long channel": ("private-" + "x" * 192, "1.2", None),
}


@pytest.mark.parametrize("case", AUTH_CASES.values(), ids=AUTH_CASES.keys())
def test_authenticate_matches(case: tuple[Any, ...], official: Any, ours: Any) -> None:
    channel, socket_id, custom_data = case
    expected = official._authentication_client.authenticate(channel, socket_id, custom_data)
    assert ours.authenticate(channel, socket_id, custom_data) == expected


def test_authenticate_presence_with_custom_json_encoder_matches(make_ours: Any) -> None:
    custom_data = {"user_id": "u1", "user_info": {"money": decimal.Decimal("1.32")}}
    expected = make_official(json_encoder=DecimalEncoder)._authentication_client.authenticate(
        "presence-c1", "1.1", custom_data
    )
    assert make_ours(json_encoder=DecimalEncoder).authenticate("presence-c1", "1.1", custom_data) == expected


def test_authenticate_encrypted_channel_matches_apart_from_the_shared_secret_type(official: Any, ours: Any) -> None:
    expected = official._authentication_client.authenticate("private-encrypted-room", "1.1")
    actual = ours.authenticate("private-encrypted-room", "1.1")
    assert actual["auth"] == expected["auth"]
    assert actual.keys() == expected.keys() == {"auth", "shared_secret"}
    assert actual["shared_secret"] == expected["shared_secret"].decode("ascii")
    shared_key = hashlib.sha256(b"private-encrypted-room" + MASTER_KEY).digest()
    assert base64.b64decode(actual["shared_secret"]) == shared_key


def test_authenticate_known_vectors() -> None:
    # The official SDK's own test vectors (reference §13), checked without the official SDK.
    client = pusher_fast.Pusher(
        app_id="4",
        key="foo",
        secret="bar",
        encryption_master_key_base64="OHRXNUZRTG5pUTFzQlFGd3J3N3Q2VFZFc0paZDEweVk=",
        backend=NoSend,
    )
    with client:
        assert client.authenticate("private-channel", "345.23") == {
            "auth": "foo:89955e77e1b40e33df6d515a5ecbba86a01dc816a5b720da18a06fd26f7d92ff"
        }
        assert client.authenticate("private-encrypted-channel", "345.23") == {
            "auth": "foo:fff0503dfe4929f5162efe4d1dacbce524b0d8e7e1331117a8651c0e74d369e3",
            "shared_secret": "VmIsNZtCSteh8kazd2toc+ofhohBtUouQRSDtRvuyVI=",
        }


def test_request_signing_known_vectors() -> None:
    # The official SDK's request-signing vectors (reference §13): upstream signs body_md5 on GET too, so the GET
    # vector is reproduced by signing an empty body.
    from pusher_fast import _native

    get_query = _native.sign_request("key", "secret", "GET", "/some/obscure/api", [("foo", "bar")], b"", 1000)
    assert dict(urllib.parse.parse_qsl(get_query))["auth_signature"] == (
        "5c49f04a95eedc9028b1e0e8de7c2c7ad63504a0e3b5c145d2accaef6c14dbac"
    )
    post_query = _native.sign_request("key", "secret", "POST", "/some/obscure/api", [], b'{"foo": "bar"}', 1000)
    post_params = dict(urllib.parse.parse_qsl(post_query))
    assert post_params["body_md5"] == "94232c5b8fc9272f6f73a1e36eb68fcf"
    assert post_params["auth_signature"] == "e05fa4cafee86311746ee3981d5581a5e4e87c27bbab0aeb1059e2df5c90258b"


USER_DATA_CASES = {
    "id only": {"id": "1"},
    "full": {"id": "user_42", "user_info": {"name": "Ünïcødé 😀", "langs": ["fr", "de"]}, "watchlist": ["a", "b"]},
    "channel alphabet id": {"id": "a-b_c=d@e,f.g;h"},
    "200 char id": {"id": "u" * 200},
    "nested nulls": {"id": "x", "user_info": None, "extra": {"k": [None, True]}},
}


@pytest.mark.parametrize("user_data", USER_DATA_CASES.values(), ids=USER_DATA_CASES.keys())
def test_authenticate_user_matches(user_data: dict[str, Any], official: Any, ours: Any) -> None:
    expected = official._authentication_client.authenticate_user("1234.5678", user_data)
    assert ours.authenticate_user("1234.5678", user_data) == expected


def test_authenticate_user_with_custom_json_encoder_matches(make_ours: Any) -> None:
    user_data = {"id": "u1", "balance": decimal.Decimal("9.99")}
    expected = make_official(json_encoder=DecimalEncoder)._authentication_client.authenticate_user("1.1", user_data)
    assert make_ours(json_encoder=DecimalEncoder).authenticate_user("1.1", user_data) == expected


# --- errors both SDKs raise alike ------------------------------------------------------------------------------------

TRIGGER_ERROR_CASES = {
    "invalid channel char": (ValueError, ("bad channel", "e", "d")),
    "channel too long": (ValueError, ("c" * 201, "e", "d")),
    "empty channel name": (ValueError, ("", "e", "d")),
    "hash channel": (ValueError, ("#not-server-to-user", "e", "d")),
    "bad server to user": (ValueError, ("#server-to-user-b@d id", "e", "d")),
    "event name too long": (ValueError, ("c", "e" * 201, "d")),
    "too many channels": (ValueError, ([f"c{i}" for i in range(101)], "e", "d")),
    "bad socket id": (ValueError, ("c", "e", "d", "not-a-socket")),
    "socket id without dot": (ValueError, ("c", "e", "d", "1234")),
    "multi channel encrypted": (ValueError, (["private-encrypted-a", "b"], "e", "d")),
    "bytes data": (TypeError, ("c", "e", b"bytes")),
    "dict channels": (TypeError, ({"c": 1}, "e", "d")),
    "int channel": (TypeError, (123, "e", "d")),
    "int channel in list": (TypeError, ([123], "e", "d")),
    "int event name": (TypeError, ("c", 5, "d")),
    "unserializable data": (TypeError, ("c", "e", object())),
}


@pytest.mark.parametrize("case", TRIGGER_ERROR_CASES.values(), ids=TRIGGER_ERROR_CASES.keys())
def test_trigger_errors_match(case: tuple[type[Exception], tuple[Any, ...]], official: Any, ours: Any) -> None:
    error, args = case
    assert raised(official._pusher_client.trigger.make_request, *args) is error
    assert raised(ours.prepare.trigger, *args) is error


def test_encrypted_channel_without_master_key_raises_in_both(make_ours: Any) -> None:
    official = make_official()
    ours = make_ours()
    assert raised(official._pusher_client.trigger.make_request, "private-encrypted-x", "e", "d") is ValueError
    assert raised(ours.prepare.trigger, "private-encrypted-x", "e", "d") is ValueError
    assert raised(official._authentication_client.authenticate, "private-encrypted-x", "1.1") is ValueError
    assert raised(ours.authenticate, "private-encrypted-x", "1.1") is ValueError


AUTH_ERROR_CASES = {
    "server to user channel": (ValueError, ("#server-to-user-u1", "1.1")),
    "invalid channel": (ValueError, ("private channel", "1.1")),
    "bad socket id": (ValueError, ("private-c", "1.1x")),
    "socket id with newline": (ValueError, ("private-c", "1.1\n")),
    "empty socket id": (ValueError, ("private-c", "")),
    "int socket id": (TypeError, ("private-c", 1.1)),
    "int channel": (TypeError, (5, "1.1")),
}


@pytest.mark.parametrize("case", AUTH_ERROR_CASES.values(), ids=AUTH_ERROR_CASES.keys())
def test_authenticate_errors_match(case: tuple[type[Exception], tuple[Any, ...]], official: Any, ours: Any) -> None:
    error, args = case
    assert raised(official._authentication_client.authenticate, *args) is error
    assert raised(ours.authenticate, *args) is error


USER_ERROR_CASES = {
    "no user data": (ValueError, ("1.1", None)),
    "no id": (ValueError, ("1.1", {"name": "x"})),
    "id None": (ValueError, ("1.1", {"id": None})),
    "empty id": (ValueError, ("1.1", {"id": ""})),
    "id with space": (ValueError, ("1.1", {"id": "a b"})),
    "id too long": (ValueError, ("1.1", {"id": "u" * 201})),
    "int id": (TypeError, ("1.1", {"id": 5})),
    "bad socket id": (ValueError, ("x.1", {"id": "u"})),
}


@pytest.mark.parametrize("case", USER_ERROR_CASES.values(), ids=USER_ERROR_CASES.keys())
def test_authenticate_user_errors_match(
    case: tuple[type[Exception], tuple[Any, ...]], official: Any, ours: Any
) -> None:
    error, args = case
    assert raised(official._authentication_client.authenticate_user, *args) is error
    assert raised(ours.authenticate_user, *args) is error


@pytest.mark.parametrize("user_id", ["", "a b", "u" * 201, "é"], ids=["empty", "space", "too long", "non-ascii"])
def test_invalid_user_ids_refused_by_both(user_id: str, official: Any, ours: Any) -> None:
    assert raised(official._pusher_client.terminate_user_connections.make_request, user_id) is ValueError
    assert raised(ours.prepare.terminate_user_connections, user_id) is ValueError
    assert raised(ours.prepare.send_to_user, user_id, "e", "d") is ValueError


@pytest.mark.parametrize("channel", ["bad channel", "c" * 201, "", "#other"], ids=["space", "long", "empty", "hash"])
def test_channel_queries_refuse_the_same_invalid_channels(channel: str, official: Any, ours: Any) -> None:
    assert raised(official._pusher_client.channel_info.make_request, channel) is ValueError
    assert raised(official._pusher_client.users_info.make_request, channel) is ValueError
    assert raised(ours.prepare.channel_info, channel) is ValueError
    assert raised(ours.prepare.users_info, channel) is ValueError


# --- webhooks ------------------------------------------------------------------------------------------------------


def webhook_body(time_ms: Any = NOW_MS, **extra: Any) -> str:
    events = [
        {"name": "channel_occupied", "channel": "presence-room"},
        {"name": "member_added", "channel": "presence-room", "user_id": "zoë"},
        {"name": "client_event", "channel": "private-c", "event": "client-typing", "data": '{"ünï": "ç"}'},
    ]
    body: dict[str, Any] = {"time_ms": time_ms, "events": events, **extra}
    return json.dumps(body, ensure_ascii=False)


def sign(body: str | bytes, secret: str = SECRET) -> str:
    raw = body.encode("utf-8") if isinstance(body, str) else body
    return hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


BODY = webhook_body()
WEBHOOK_CASES = {
    "valid": (KEY, sign(BODY), BODY),
    "valid bytes": (KEY, sign(BODY), BODY.encode("utf-8")),
    "valid bytes signature and key": (KEY.encode(), sign(BODY).encode(), BODY),
    "wrong key": ("other-key", sign(BODY), BODY),
    "signed with another secret": (KEY, sign(BODY, "other-secret"), BODY),
    "tampered body": (KEY, sign(BODY), BODY.replace("zoë", "zoe")),
    "tampered body bytes": (KEY, sign(BODY), BODY.encode("utf-8") + b" "),
    "tampered signature": (KEY, sign(BODY)[:-1] + ("0" if sign(BODY)[-1] != "0" else "1"), BODY),
    "truncated signature": (KEY, sign(BODY)[:32], BODY),
    "empty signature": (KEY, "", BODY),
    "stale": (KEY, sign(webhook_body(NOW_MS - 300_001)), webhook_body(NOW_MS - 300_001)),
    "far future": (KEY, sign(webhook_body(NOW_MS + 300_001)), webhook_body(NOW_MS + 300_001)),
    "old but in window": (KEY, sign(webhook_body(NOW_MS - 299_000)), webhook_body(NOW_MS - 299_000)),
    "edge of window": (KEY, sign(webhook_body(NOW_MS - 300_000)), webhook_body(NOW_MS - 300_000)),
    "float time_ms": (KEY, sign(webhook_body(NOW_MS + 0.5)), webhook_body(NOW_MS + 0.5)),
    "no time_ms": (KEY, sign('{"events": []}'), '{"events": []}'),
    "zero time_ms": (KEY, sign('{"time_ms": 0, "events": []}'), '{"time_ms": 0, "events": []}'),
    "signed invalid JSON": (KEY, sign("{not json"), "{not json"),
}


@pytest.mark.parametrize("case", WEBHOOK_CASES.values(), ids=WEBHOOK_CASES.keys())
def test_validate_webhook_matches(case: tuple[Any, Any, Any], official: Any, ours: Any) -> None:
    key, signature, body = case
    expected = official._authentication_client.validate_webhook(key, signature, body)
    assert ours.validate_webhook(key, signature, body) == expected


def test_validate_webhook_verdicts_are_the_expected_ones(official: Any) -> None:
    # Guards the table above: the official SDK accepts exactly the cases meant to be valid.
    valid = {name for name, case in WEBHOOK_CASES.items() if official._authentication_client.validate_webhook(*case)}
    assert valid == {
        "valid",
        "valid bytes",
        "valid bytes signature and key",
        "old but in window",
        "edge of window",
        "float time_ms",
    }


def test_validate_webhook_with_custom_json_decoder_matches(make_ours: Any) -> None:
    class FloatAsDecimal(json.JSONDecoder):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(parse_float=decimal.Decimal, **kwargs)

    body = webhook_body(extra=1.25)
    official = make_official(json_decoder=FloatAsDecimal)
    ours = make_ours(json_decoder=FloatAsDecimal)
    expected = official._authentication_client.validate_webhook(KEY, sign(body), body)
    assert expected is not None
    assert expected["extra"] == decimal.Decimal("1.25")
    assert ours.validate_webhook(KEY, sign(body), body) == expected


def test_typed_webhook_accepts_what_validate_webhook_accepts(ours: Any) -> None:
    webhook = ours.webhook({"X-Pusher-Key": KEY, "X-Pusher-Signature": sign(BODY)}, BODY.encode("utf-8"))
    assert webhook.time_ms == NOW_MS
    assert [event.name for event in webhook.events] == ["channel_occupied", "member_added", "client_event"]
    assert webhook.events[1].user_id == "zoë"
    assert webhook.events[2].data == '{"ünï": "ç"}'


# --- end-to-end encryption -----------------------------------------------------------------------------------------

ENCRYPTED_DATA = {
    "dict": {"message": "secret ☃", "n": [1, 2]},
    "str": "plain secret text 😀",
    "empty str": "",
    "None": None,
}


@pytest.mark.parametrize("data", ENCRYPTED_DATA.values(), ids=ENCRYPTED_DATA.keys())
def test_encrypted_trigger_envelopes_open_to_the_same_plaintext(data: Any, official: Any, ours: Any) -> None:
    channel = "private-encrypted-room"
    official_request = official._pusher_client.trigger.make_request(channel, "secret-event", data, "1.1")
    ours_request = ours.prepare.trigger(channel, "secret-event", data, "1.1")
    official_body = json.loads(official_request.body)
    ours_body = json.loads(ours_request.body)
    official_plain = open_envelope(channel, official_body.pop("data"))
    ours_plain = open_envelope(channel, ours_body.pop("data"))
    assert ours_plain == official_plain
    assert ours_plain == (data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)).encode("utf-8")
    assert ours_body == official_body
    # Same plaintext length, so the same envelope length and therefore the same body length and layout.
    assert len(ours_request.body) == len(official_request.body)
    assert_correctly_signed(ours_request)


def test_encrypted_trigger_uses_a_fresh_nonce_each_time(ours: Any) -> None:
    first = json.loads(json.loads(ours.prepare.trigger("private-encrypted-a", "e", "same").body)["data"])
    second = json.loads(json.loads(ours.prepare.trigger("private-encrypted-a", "e", "same").body)["data"])
    assert first["nonce"] != second["nonce"]
    assert first["ciphertext"] != second["ciphertext"]


def test_encrypted_batch_event_matches(official: Any, ours: Any) -> None:
    batch = [
        {"channel": "plain-channel", "name": "a", "data": {"x": 1}},
        {"channel": "private-encrypted-one", "name": "b", "data": {"secret": "é"}},
        {"channel": "private-encrypted-two", "name": "c", "data": "text secret", "socket_id": "1.2"},
    ]
    official_request = official._pusher_client.trigger_batch.make_request(copy.deepcopy(batch))
    ours_request = ours.prepare.trigger_batch(copy.deepcopy(batch))
    official_events = json.loads(official_request.body)["batch"]
    ours_events = json.loads(ours_request.body)["batch"]
    assert ours_events[0] == official_events[0]
    for ours_event, official_event in zip(ours_events[1:], official_events[1:]):
        channel = ours_event["channel"]
        assert open_envelope(channel, ours_event.pop("data")) == open_envelope(channel, official_event.pop("data"))
        assert ours_event == official_event
    assert len(ours_request.body) == len(official_request.body)
    assert_correctly_signed(ours_request)


def test_our_webhook_decrypts_an_envelope_made_by_the_official_sdk(official: Any, ours: Any) -> None:
    channel = "private-encrypted-room"
    request = official._pusher_client.trigger.make_request(channel, "e", {"hidden": "☃"})
    envelope = json.loads(request.body)["data"]
    body = json.dumps(
        {"time_ms": NOW_MS, "events": [{"name": "client_event", "channel": channel, "event": "e", "data": envelope}]}
    )
    webhook = ours.webhook({"x-pusher-key": KEY, "x-pusher-signature": sign(body)}, body)
    assert webhook.events[0].data == '{"hidden": "☃"}'


# --- documented differences ----------------------------------------------------------------------------------------


def test_difference_terminate_path(official: Any, ours: Any) -> None:
    assert (
        official._pusher_client.terminate_user_connections.make_request("u1").path == "/users/u1/terminate_connections"
    )
    assert ours.prepare.terminate_user_connections("u1").path == "/apps/4/users/u1/terminate_connections"


def test_difference_shared_secret_is_str(official: Any, ours: Any) -> None:
    expected = official._authentication_client.authenticate("private-encrypted-x", "1.1")["shared_secret"]
    actual = ours.authenticate("private-encrypted-x", "1.1")["shared_secret"]
    assert isinstance(expected, bytes)
    assert isinstance(actual, str)
    assert actual.encode("ascii") == expected
    json.dumps(ours.authenticate("private-encrypted-x", "1.1"))  # serializable as is


def test_difference_payload_size_is_utf8_bytes_with_limit_10240(official: Any, ours: Any) -> None:
    official_trigger = official._pusher_client.trigger.make_request
    ours.prepare.trigger("c", "e", "a" * 10240)
    with pytest.raises(ValueError, match="Too much data"):
        ours.prepare.trigger("c", "e", "a" * 10241)
    # Upstream measures sys.getsizeof (about 49 + n for ASCII) against 30720.
    official_trigger("c", "e", "a" * 10241)
    official_trigger("c", "e", "a" * 30000)
    with pytest.raises(ValueError, match="Too much data"):
        official_trigger("c", "e", "a" * 30720)
    with pytest.raises(ValueError, match="Too much data"):
        ours.prepare.trigger("c", "e", "a" * 30000)


def test_difference_payload_size_counts_multibyte_characters(official: Any, ours: Any) -> None:
    emoji = "😀" * 3000  # 3000 code points, 12000 UTF-8 bytes
    official._pusher_client.trigger.make_request("c", "e", emoji)
    with pytest.raises(ValueError, match="Too much data"):
        ours.prepare.trigger("c", "e", emoji)
    ours.prepare.trigger("c", "e", "😀" * 2560)  # exactly 10240 bytes
    with pytest.raises(ValueError, match="Too much data"):
        ours.prepare.trigger("c", "e", "😀" * 2560 + "a")


def test_difference_payload_size_is_measured_after_encryption(official: Any, ours: Any) -> None:
    plaintext = "a" * 8000  # fits in 10240 bytes, its envelope (about 4/3 larger) does not
    ours.prepare.trigger("plain", "e", plaintext)
    with pytest.raises(ValueError, match="Too much data"):
        ours.prepare.trigger("private-encrypted-x", "e", plaintext)
    official._pusher_client.trigger.make_request("private-encrypted-x", "e", plaintext)


def test_difference_batch_event_size_limit(official: Any, ours: Any) -> None:
    # Upstream's batch limit is sys.getsizeof > 10240, so it refuses 10200 ASCII characters; we count 10200 bytes.
    event = {"channel": "c", "name": "e", "data": "a" * 10200}
    with pytest.raises(ValueError, match="Too much data"):
        official._pusher_client.trigger_batch.make_request([dict(event)])
    ours.prepare.trigger_batch([event])
    with pytest.raises(ValueError, match="Too much data"):
        ours.prepare.trigger_batch([{"channel": "c", "name": "e", "data": "a" * 10241}])


def test_max_payload_bytes_raises_our_limit(make_ours: Any) -> None:
    ours = make_ours(max_payload_bytes=30720)
    ours.prepare.trigger("c", "e", "😀" * 7680)
    with pytest.raises(ValueError, match="Too much data"):
        ours.prepare.trigger("c", "e", "😀" * 7680 + "a")


def test_difference_from_url_with_port() -> None:
    official = pusher.Pusher.from_url("http://k:s@host:8080/apps/4", backend=NoSend)
    assert official._pusher_client.host == "host:8080"
    assert official._pusher_client.port == 80
    with pusher_fast.Pusher.from_url("http://k:s@host:8080/apps/4", backend=NoSend) as ours:
        assert ours.host == "host"
        assert ours.port == 8080
        assert ours.ssl is False
        assert (ours.key, ours.secret, ours.app_id) == ("k", "s", "4")
        assert ours.prepare.channels_info().url.startswith("http://host:8080/apps/4/channels?")


def test_from_url_without_port_matches() -> None:
    official = pusher.Pusher.from_url("https://key:secret@api-eu.pusher.com/apps/4", backend=NoSend)._pusher_client
    with pusher_fast.Pusher.from_url("https://key:secret@api-eu.pusher.com/apps/4", backend=NoSend) as ours:
        for name in ("host", "port", "ssl", "key", "secret", "app_id", "scheme"):
            assert getattr(ours, name) == getattr(official, name), name


def test_difference_empty_channel_list(official: Any, ours: Any) -> None:
    with pytest.raises(IndexError):
        official._pusher_client.trigger.make_request([], "e", "d")
    with pytest.raises(ValueError, match="channel"):
        ours.prepare.trigger([], "e", "d")


def test_difference_batch_dicts_not_mutated(official: Any, ours: Any) -> None:
    def batch() -> list[dict[str, Any]]:
        return [
            {"channel": "c", "name": "e", "data": {"a": 1}},
            {"channel": "private-encrypted-c", "name": "e", "data": "secret"},
        ]

    official_batch = batch()
    official._pusher_client.trigger_batch.make_request(official_batch)
    assert official_batch != batch()
    assert official_batch[0]["data"] == '{"a": 1}'
    assert "nonce" in official_batch[1]["data"]

    ours_batch = batch()
    first = ours.prepare.trigger_batch(ours_batch)
    assert ours_batch == batch()
    # So a second call sends the same thing, not a doubly encrypted event.
    second = ours.prepare.trigger_batch(ours_batch)
    first_events, second_events = json.loads(first.body)["batch"], json.loads(second.body)["batch"]
    assert open_envelope("private-encrypted-c", first_events[1]["data"]) == b"secret"
    assert open_envelope("private-encrypted-c", second_events[1]["data"]) == b"secret"


def test_difference_non_numeric_app_id_accepted(make_ours: Any) -> None:
    with pytest.raises(ValueError, match="Invalid app id"):
        make_official(app_id="app-id")
    ours = make_ours(app_id="app-id")
    assert ours.prepare.trigger("c", "e", "d").path == "/apps/app-id/events"


def test_difference_attributes_str_not_split(official: Any, ours: Any) -> None:
    official_request = official._pusher_client.channels_info.make_request("presence-", "user_count")
    assert official_request.query_params["info"] == "u,s,e,r,_,c,o,u,n,t"
    assert ours.prepare.channels_info("presence-", "user_count").query_params["info"] == "user_count"
    assert ours.prepare.channel_info("presence-r", "user_count").query_params["info"] == "user_count"


def test_difference_batch_of_11_refused(official: Any, ours: Any) -> None:
    batch = [{"channel": f"c{i}", "name": "e", "data": "d"} for i in range(11)]
    official._pusher_client.trigger_batch.make_request(copy.deepcopy(batch))
    with pytest.raises(ValueError, match="Too many events"):
        ours.prepare.trigger_batch(copy.deepcopy(batch))


def test_difference_bad_socket_id_in_batch_event_refused(official: Any, ours: Any) -> None:
    batch = [{"channel": "c", "name": "e", "data": "d", "socket_id": "not-a-socket"}]
    request = official._pusher_client.trigger_batch.make_request(copy.deepcopy(batch))
    assert json.loads(request.body)["batch"][0]["socket_id"] == "not-a-socket"
    with pytest.raises(ValueError, match="Invalid socket ID"):
        ours.prepare.trigger_batch(copy.deepcopy(batch))


def test_difference_webhooks_accept_any_bytes_like_body(official: Any, ours: Any) -> None:
    raw = BODY.encode("utf-8")
    for body in (bytearray(raw), memoryview(raw)):
        with pytest.raises(TypeError):
            official._authentication_client.validate_webhook(KEY, sign(raw), body)
        assert ours.validate_webhook(KEY, sign(raw), body) == json.loads(BODY)


def test_difference_webhook_body_that_is_not_utf8_is_invalid_not_an_error(official: Any, ours: Any) -> None:
    raw = b"\xff" + BODY.encode("utf-8")
    with pytest.raises(UnicodeDecodeError):
        official._authentication_client.validate_webhook(KEY, sign(raw), raw)
    assert ours.validate_webhook(KEY, sign(raw), raw) is None


def test_difference_no_body_md5_on_get(official: Any, ours: Any) -> None:
    assert official._pusher_client.users_info.make_request("presence-r").query_params["body_md5"] == EMPTY_MD5
    for request in (
        ours.prepare.users_info("presence-r"),
        ours.prepare.channel_info("presence-r"),
        ours.prepare.channels_info("presence-"),
    ):
        assert "body_md5" not in request.query_params
        assert "body_md5" not in request.url


def test_difference_empty_event_name_refused(official: Any, ours: Any) -> None:
    request = official._pusher_client.trigger.make_request("c", "", "d")
    assert json.loads(request.body)["name"] == ""
    with pytest.raises(ValueError, match="event_name"):
        ours.prepare.trigger("c", "", "d")
    with pytest.raises(ValueError, match="event_name"):
        ours.prepare.trigger_batch([{"channel": "c", "name": "", "data": "d"}])


@pytest.mark.parametrize(
    ("custom_data", "error"),
    [
        (None, ValueError),
        ({}, ValueError),
        ({"user_info": {"name": "x"}}, ValueError),
        ({"user_id": None}, ValueError),
        ("just a string", TypeError),
    ],
)
def test_difference_presence_auth_without_user_id_refused(
    custom_data: Any, error: type[Exception], official: Any, ours: Any
) -> None:
    result = official._authentication_client.authenticate("presence-room", "1.1", custom_data)
    assert result["auth"].startswith(f"{KEY}:")
    with pytest.raises(error, match=r"custom_data|user_id"):
        ours.authenticate("presence-room", "1.1", custom_data)


# --- smaller documented differences --------------------------------------------------------------------------------
# Each case is listed in the README's "Migrating from pusher" section. The test pins that the two SDKs really differ
# there (our side of each case is asserted in detail in test_bad_input.py and test_webhook.py).


def outcome(call: Any, *args: Any) -> tuple[str, Any]:
    """("ok", comparable result) or ("raises", exception type), so both SDKs can be compared on bad input too."""
    try:
        result = call(*args)
    except Exception as exc:  # the type is what is compared
        return "raises", type(exc)
    return "ok", result.body if hasattr(result, "body") and result.method == "POST" else getattr(
        result, "query_params", result
    )


def _difference(case_id: str, reason: str) -> dict[str, Any]:
    """pytest.param keywords for one case; ``reason`` says how the two sides differ."""
    return {"id": case_id}


DIFFERENCE_CASES = [
    pytest.param(
        "validate_webhook",
        (KEY, sign(BODY).upper(), BODY),
        **_difference("upper-case webhook signature", "we accept upper-case hex signatures, upstream returns None"),
    ),
    pytest.param(
        "authenticate",
        ("private-c", "\u0661.\u0661"),
        **_difference("unicode-digit socket id", "upstream's \\d accepts Arabic-Indic digits, we refuse them"),
    ),
    pytest.param(
        "channels_info",
        (None, ["user_count", "unknown_attribute"]),
        **_difference("unknown info attribute", "we refuse info attributes other than user_count/subscription_count"),
    ),
    pytest.param(
        "channels_info",
        ("a b",),
        **_difference("prefix outside channel alphabet", "we refuse a prefix_filter outside the channel alphabet"),
    ),
    pytest.param(
        "channel_info",
        ("#server-to-user-u1",),
        **_difference("server-to-user channel_info", "upstream queries a #server-to-user- channel, we refuse"),
    ),
    pytest.param(
        "users_info",
        ("#server-to-user-u1",),
        **_difference("server-to-user users_info", "upstream queries a #server-to-user- channel, we refuse"),
    ),
    pytest.param(
        "trigger_batch",
        ([{"channel": "c", "name": "n", "data": "d", "extra": 1}],),
        **_difference("batch event extra key", "upstream passes unknown event keys through, we refuse them"),
    ),
    pytest.param(
        "trigger_batch",
        ([{"channel": "c", "name": "n"}],),
        **_difference("batch event missing key", "upstream raises KeyError, we raise ValueError"),
    ),
    pytest.param(
        "trigger_batch",
        ([],),
        **_difference("empty batch", 'upstream sends {"batch": []}, we refuse an empty batch'),
    ),
    pytest.param(
        "trigger_batch",
        ([{"channel": "c", "name": "n", "data": "x", "socket_id": ""}],),
        **_difference("empty batch socket id", 'upstream keeps "socket_id": "" in the body, we drop it'),
    ),
    pytest.param(
        "trigger_batch",
        ([{"channel": "c", "name": "n", "data": {"a": 1}}], True),
        **_difference("already_encoded dict data", "upstream sends non-str data as a JSON object, we refuse it"),
    ),
    pytest.param(
        "trigger_batch",
        ([{"channel": "bad channel", "name": "n", "data": "x"}], True),
        **_difference("already_encoded skips checks", "upstream skips all validation with already_encoded=True"),
    ),
    pytest.param(
        "authenticate_user",
        ("1.1", "not a mapping"),
        **_difference("non-mapping user_data", "upstream raises AttributeError, we raise TypeError"),
    ),
]


@pytest.mark.parametrize(("method", "args"), DIFFERENCE_CASES)
def test_documented_difference(method: str, args: tuple[Any, ...], official: Any, ours: Any) -> None:
    if method in {"authenticate", "authenticate_user", "validate_webhook"}:
        official_call, ours_call = getattr(official._authentication_client, method), getattr(ours, method)
    else:
        official_call, ours_call = getattr(official._pusher_client, method).make_request, getattr(ours.prepare, method)
    official_outcome = outcome(official_call, *copy.deepcopy(args))
    ours_outcome = outcome(ours_call, *copy.deepcopy(args))
    if method in {"channels_info", "channel_info", "users_info"} and official_outcome[0] == ours_outcome[0] == "ok":
        # GET query params: compare without the documented body_md5 difference and the signature it changes.
        for params in (official_outcome[1], ours_outcome[1]):
            params.pop("body_md5", None)
            params.pop("auth_signature", None)
    assert ours_outcome != official_outcome


def test_difference_empty_key_and_secret_refused() -> None:
    official = pusher.Pusher(APP_ID, "", "", backend=NoSend)
    assert official._pusher_client.key == official._pusher_client.secret == ""
    with pytest.raises(ValueError, match="must not be empty"):
        pusher_fast.Pusher(APP_ID, "", "", backend=NoSend)


# --- bugs ----------------------------------------------------------------------------------------------------------


def test_encrypted_data_with_a_lone_surrogate_is_refused(official: Any, ours: Any) -> None:
    # A lone surrogate has no UTF-8 form. Upstream raises UnicodeEncodeError (a ValueError); we must not encrypt
    # CESU-8 bytes that the subscriber's decryption then cannot decode as UTF-8.
    with pytest.raises(UnicodeEncodeError):
        official._pusher_client.trigger.make_request("private-encrypted-x", "e", "a\ud800b")
    with pytest.raises(ValueError, match=r"(?i)utf-8|surrogate"):
        ours.prepare.trigger("private-encrypted-x", "e", "a\ud800b")
    with pytest.raises(ValueError, match=r"(?i)utf-8|surrogate"):
        ours.prepare.trigger_batch([{"channel": "private-encrypted-x", "name": "e", "data": "a\ud800b"}])
