"""Drop-in behaviour of request building and webhooks, differential against the official ``pusher`` 3.3.4 SDK.

Lone surrogates are sent exactly as the official SDK sends them; webhook bodies are read exactly as ``json.loads``
reads them (and bodies nested too deeply for it are refused, never a RecursionError); the deprecated raw master key
works as it does upstream. Nothing is sent: both SDKs get a backend that refuses to send. The request-building
tests freeze the clock; the webhook tests use the real one (``time_ms`` is within the five-minute window).
Arguments and the local test server: see test_drop_in_args.py.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pusher_fast
from pusher_fast import _native
from pusher_fast.errors import PusherWebhookError
from pusher_fast.validation import DEFAULT_MAX_PAYLOAD_BYTES
from tests.sdk_pair import APP_ID, KEY, SECRET, NoSend, make_official

NOW = 1_700_000_000.0
LIMIT = 10240


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    # Both SDKs read time.time() through the module at call time.
    monkeypatch.setattr(time, "time", lambda: NOW)


def assert_same_post(ours_request: Any, official_request: Any) -> None:
    """Same bytes, same MD5, same signature: the official body is bytes, its MD5 is of those bytes."""
    assert isinstance(official_request.body, bytes)
    assert ours_request.body == official_request.body
    assert ours_request.query_params["body_md5"] == hashlib.md5(official_request.body).hexdigest()
    assert ours_request.query_params["auth_signature"] == official_request.query_params["auth_signature"]
    assert ours_request.query_params == official_request.query_params
    assert ours_request.path == official_request.path


# --- a. lone surrogates --------------------------------------------------------------------------------------------

SURROGATE_TRIGGERS = {
    "str data": ("c", "e", "\ud800", b'"data": "\\ud800"'),
    "dict data": ("c", "e", {"k": "x\udfff"}, b'"data": "{\\"k\\": \\"x\\udfff\\"}"'),
    "event name": ("c", "e\ud800v", "d", b'"name": "e\\ud800v"'),
    "reversed pair and real pair": ("c", "e", ["\udc00\ud800", "\ud83d\ude00"], b"\\udc00\\ud800"),
    "several channels": (["a", "b"], "\udfff", {"\ud800": None}, b'"name": "\\udfff"'),
}


@pytest.mark.usefixtures("frozen_clock")
@pytest.mark.parametrize("case", SURROGATE_TRIGGERS.values(), ids=SURROGATE_TRIGGERS.keys())
def test_trigger_with_lone_surrogates_matches_official(case: tuple[Any, ...], official: Any, ours: Any) -> None:
    channels, event_name, data, fragment = case
    official_request = official._pusher_client.trigger.make_request(channels, event_name, data)
    ours_request = ours.prepare.trigger(channels, event_name, data)
    assert_same_post(ours_request, official_request)
    assert fragment in ours_request.body
    ours_request.body.decode("ascii")  # escaped: nothing that cannot be sent as UTF-8


@pytest.mark.usefixtures("frozen_clock")
def test_trigger_batch_with_lone_surrogates_matches_official(official: Any, ours: Any) -> None:
    batch = [
        {"channel": "c1", "name": "e\udfff", "data": "\ud800"},
        {"channel": "c2", "name": "e", "data": {"x": ["\ud800", "ok"]}, "socket_id": "1.2"},
        {"channel": "c3", "name": "plain", "data": "no surrogate"},
    ]
    official_request = official._pusher_client.trigger_batch.make_request(copy.deepcopy(batch))
    ours_request = ours.prepare.trigger_batch(copy.deepcopy(batch))
    assert_same_post(ours_request, official_request)
    assert b'"name": "e\\udfff", "data": "\\ud800"' in ours_request.body


def test_presence_auth_with_a_lone_surrogate_matches_official(official: Any, ours: Any) -> None:
    custom_data = {"user_id": "u", "user_info": {"n": "\ud800"}}
    expected = official._authentication_client.authenticate("presence-r", "1.1", custom_data)
    actual = ours.authenticate("presence-r", "1.1", custom_data)
    assert actual == expected
    assert actual["channel_data"] == '{"user_id": "u", "user_info": {"n": "\\ud800"}}'


def test_user_auth_with_a_lone_surrogate_matches_official(official: Any, ours: Any) -> None:
    user_data = {"id": "u", "name": "a\udfffb", "tags": ["\ud800"]}
    expected = official._authentication_client.authenticate_user("1.1", user_data)
    actual = ours.authenticate_user("1.1", user_data)
    assert actual == expected
    assert actual["user_data"] == '{"id": "u", "name": "a\\udfffb", "tags": ["\\ud800"]}'


@pytest.mark.parametrize(
    "data", ["\ud800", "a\udfffb", {"k": "x\udfff"}, ["\ud800"]], ids=["str", "mid", "dict", "list"]
)
def test_encrypted_data_with_a_lone_surrogate_is_a_plain_value_error(data: Any, ours: Any) -> None:
    calls: list[Callable[[], Any]] = [
        lambda: ours.prepare.trigger("private-encrypted-x", "e", data),
        lambda: ours.prepare.trigger_batch([{"channel": "private-encrypted-x", "name": "e", "data": data}]),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="lone surrogate") as caught:
            call()
        assert type(caught.value) is ValueError
        assert "private-encrypted-x" in str(caught.value)
    # The same data on a channel that is not encrypted goes out escaped.
    assert b"\\ud" in ours.prepare.trigger("private-x", "e", data).body


def utf8_size(text: str) -> int:
    """UTF-8 length, a lone surrogate counting as the 3 bytes of its (CESU-8) encoding."""
    return len(text.encode("utf-8", "surrogatepass"))


def test_payload_limit_counts_three_bytes_per_lone_surrogate(ours: Any) -> None:
    assert DEFAULT_MAX_PAYLOAD_BYTES == LIMIT
    count, rest = divmod(LIMIT, 3)
    exact = "\ud800" * count + "a" * rest
    assert utf8_size(exact) == LIMIT
    ours.prepare.trigger("c", "e", exact)
    ours.prepare.trigger_batch([{"channel": "c", "name": "e", "data": exact}])
    for over in (exact + "a", "\ud800" * (count + 1)):
        assert utf8_size(over) > LIMIT
        assert len(over) < LIMIT // 2  # far under the limit in characters: the bytes decide
        with pytest.raises(ValueError, match=rf"Too much data: Event data is {utf8_size(over)} bytes"):
            ours.prepare.trigger("c", "e", over)
        with pytest.raises(ValueError, match="Too much data"):
            ours.prepare.trigger_batch([{"channel": "c", "name": "e", "data": over}])


def test_payload_limit_counts_lone_surrogates_in_serialized_data(ours: Any) -> None:
    # '{"k": "' + text + '"}' is 9 bytes around the text; the body escapes each surrogate into 6 bytes, the limit
    # counts 3 (what the API measures after decoding the body's JSON).
    count, rest = divmod(LIMIT - 9, 3)
    exact = {"k": "\ud800" * count + "a" * rest}
    assert utf8_size(json.dumps(exact, ensure_ascii=False)) == LIMIT
    request = ours.prepare.trigger("c", "e", exact)
    assert len(request.body) > LIMIT * 2 - 9  # the escaped form on the wire is far larger
    with pytest.raises(ValueError, match="Event data is 10241 bytes"):
        ours.prepare.trigger("c", "e", {"k": exact["k"] + "a"})


# --- b. webhook JSON is json.loads's -------------------------------------------------------------------------------


def sign(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def headers(body: bytes) -> dict[str, str]:
    return {"X-Pusher-Key": KEY, "X-Pusher-Signature": sign(body)}


def webhook_body(extra: bytes) -> bytes:
    """A webhook body stamped now, with ``extra`` as the text of one more member."""
    return b'{"time_ms": %d, "events": [], "extra": %s}' % (int(time.time() * 1000), extra)


JSON_TEXTS = {
    "2**70": b"1180591620717411303424",
    "-2**70": b"-1180591620717411303424",
    "minus zero": b"[-0, -0.0, 0.0, 0]",
    "NaN": b"NaN",
    "infinities": b"[Infinity, -Infinity]",
    "1e400": b"[1e400, -1e400, 1E+400]",
    "lone surrogate escapes": b'["\\ud800", "\\udfff\\ud800", "\\uD83D\\uDE00", "\\u00e9"]',
    "duplicate keys": b'{"a": 1, "a": 2.0, "b": {"c": [1], "c": null}}',
    "0.1": b"0.1",
    "subnormal": b"[1e-320, 5e-324, 2.4e-324]",
    "smallest normal": b"2.2250738585072014e-308",
    "largest float and beyond": b"[1.7976931348623157e308, 1.7976931348623159e308]",
    "int and float": b"[1, 1.0, 1e0, 10E-1]",
    "nested": b'{"a": [[{"b": [true, false, null, {}]}], []], "": ""}',
    "long mantissa": b"123456789012345678901234567890.123456789",
    "escapes": b'"\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0000"',
    "raw UTF-8": '"héllo ☃ 😀"'.encode(),
    "surrogate bytes": b'"\xed\xa0\x80"',
}


@pytest.mark.parametrize("text", JSON_TEXTS.values(), ids=JSON_TEXTS.keys())
def test_validate_webhook_returns_exactly_json_loads(text: bytes, official: Any, ours: Any) -> None:
    body = webhook_body(text)
    expected = json.loads(body)
    actual = ours.validate_webhook(KEY, sign(body), body)
    assert actual is not None
    assert repr(actual) == repr(expected)
    if text != b'"\xed\xa0\x80"':  # upstream decodes strict UTF-8 first and raises; json.loads reads it
        assert repr(official._authentication_client.validate_webhook(KEY, sign(body), body)) == repr(expected)
    assert repr(_native.loads_json(text)) == repr(json.loads(text))


def test_duplicate_time_ms_is_read_as_json_loads_reads_it(official: Any, ours: Any) -> None:
    now_ms = int(time.time() * 1000)
    last_wins = b'{"time_ms": 5, "events": [], "time_ms": %d}' % now_ms
    assert repr(ours.validate_webhook(KEY, sign(last_wins), last_wins)) == repr(json.loads(last_wins))
    stale = b'{"time_ms": %d, "events": [], "time_ms": 5}' % now_ms
    assert official._authentication_client.validate_webhook(KEY, sign(stale), stale) is None
    assert ours.validate_webhook(KEY, sign(stale), stale) is None


INVALID_JSON = {
    "unclosed object": b"{",
    "trailing comma": b"[1,]",
    "object trailing comma": b'{"a": 1,}',
    "empty": b"",
    "extra data": b'{"time_ms": 1} x',
    "not UTF-8": b'{"a": "\xff"}',
    "overlong UTF-8": b'"\xc0\xaf"',
    "bad escape": b'"\\x"',
    "short unicode escape": b'"\\ud80"',
    "raw control character": b'"a\x01b"',
    "lower-case nan": b"nan",
    "-NaN": b"-NaN",
    "leading zero": b"01",
    "bare minus": b"-",
    "single quotes": b"{'a': 1}",
    "over int digit limit": b"1" * 5000,
}


@pytest.mark.parametrize("body", INVALID_JSON.values(), ids=INVALID_JSON.keys())
def test_invalid_json_webhook_is_none_and_a_webhook_error(body: bytes, ours: Any) -> None:
    try:
        json.loads(body)
    except ValueError:
        pass
    else:
        pytest.fail("json.loads reads this body")
    assert ours.validate_webhook(KEY, sign(body), body) is None
    with pytest.raises(PusherWebhookError, match="not valid JSON"):
        ours.webhook(headers(body), body)


SURROGATES = st.sampled_from(["\ud800", "\udbff", "\udc00", "\udfff", "\ud83d\ude00", "\ude00\ud83d"])
TEXT = st.lists(st.characters() | SURROGATES, max_size=8).map("".join)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats()
    | st.sampled_from([0.1, -0.0, 1e-320, 2.2250738585072014e-308, 1e308])
    | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=20,
)
MUTATION_BYTES = st.sampled_from([*b'{}[]",:-+.eE0123456789 \t\nNaIfyntrulsx\\/', 0, 0x80, 0xC3, 0xED, 0xFF])
MUTATIONS = st.lists(
    st.tuples(st.sampled_from(["insert", "delete", "replace"]), st.integers(min_value=0), MUTATION_BYTES),
    max_size=3,
)


def mutate(text: bytes, mutations: list[tuple[str, int, int]]) -> bytes:
    data = bytearray(text)
    for operation, position, byte in mutations:
        index = position % (len(data) + 1)
        if operation == "insert":
            data.insert(index, byte)
        elif data and operation == "delete":
            del data[index % len(data)]
        elif data:
            data[index % len(data)] = byte
    return bytes(data)


def outcome(loads: Callable[[bytes], Any], text: bytes) -> tuple[Any, ...]:
    try:
        value = loads(text)
    except ValueError as exc:
        return "error", type(exc), str(exc)
    return "ok", repr(value)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    value=JSON_VALUES,
    ensure_ascii=st.booleans(),
    indent=st.sampled_from([None, 0, 2]),
    mutations=MUTATIONS,
)
def test_loads_json_is_json_loads(
    value: Any, ensure_ascii: bool, indent: int | None, mutations: list[tuple[str, int, int]]
) -> None:
    text = json.dumps(value, ensure_ascii=ensure_ascii, allow_nan=True, indent=indent)
    raw = mutate(text.encode("utf-8", "surrogatepass"), mutations)
    expected = outcome(json.loads, raw)
    if not mutations:
        assert expected[0] == "ok"
    assert outcome(_native.loads_json, raw) == expected


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(max_size=40))
def test_loads_json_is_json_loads_on_any_bytes(raw: bytes) -> None:
    assert outcome(_native.loads_json, raw) == outcome(json.loads, raw)


@settings(max_examples=100, deadline=None)
@given(value=JSON_VALUES, mutations=MUTATIONS)
def test_validate_webhook_is_json_loads(value: Any, mutations: list[tuple[str, int, int]]) -> None:
    with pusher_fast.Pusher(APP_ID, KEY, SECRET, backend=NoSend) as client:
        body = webhook_body(mutate(json.dumps(value).encode(), mutations))
        try:
            expected: str | None = repr(json.loads(body))
        except ValueError:
            expected = None
        result = client.validate_webhook(KEY, sign(body), body)
        assert (None if result is None else repr(result)) == expected


# --- g. deep nesting -----------------------------------------------------------------------------------------------


class PlainDecoder(json.JSONDecoder):
    """A custom decoder: the client then reads webhooks with json.loads(cls=PlainDecoder)."""


DEEP_BODIES = {
    "events nested 100000 deep": b'{"time_ms": 1, "events": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "a million open brackets": b"[" * 10**6,
    "objects nested 100000 deep": b'{"time_ms": 1, "events": [' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_000 + b"]}",
}


@pytest.mark.parametrize("decoder", [None, PlainDecoder], ids=["native reader", "custom json_decoder"])
@pytest.mark.parametrize("body", DEEP_BODIES.values(), ids=DEEP_BODIES.keys())
def test_deep_nesting_is_invalid_json_not_a_recursion_error(
    body: bytes, decoder: type[json.JSONDecoder] | None, make_ours: Callable[..., pusher_fast.Pusher]
) -> None:
    client = make_ours(json_decoder=decoder)
    # Anything else (RecursionError included) propagates and fails the test.
    assert client.validate_webhook(KEY, sign(body), body) is None
    with pytest.raises(PusherWebhookError, match=r"not valid JSON: .*nested too deeply"):
        client.webhook(headers(body), body)
    with pytest.raises(ValueError, match="nested too deeply") as caught:
        _native.loads_json(body)
    assert not isinstance(caught.value, RecursionError)


@pytest.mark.parametrize("decoder", [None, PlainDecoder], ids=["native reader", "custom json_decoder"])
def test_nesting_json_loads_reads_is_read(
    decoder: type[json.JSONDecoder] | None, make_ours: Callable[..., pusher_fast.Pusher]
) -> None:
    client = make_ours(json_decoder=decoder)
    depth = 400
    event = b'{"name": "client_event", "channel": "c", "event": "e", "data": ' + b"[" * depth + b"]" * depth + b"}"
    body = b'{"time_ms": %d, "events": [%s]}' % (int(time.time() * 1000), event)
    assert repr(client.validate_webhook(KEY, sign(body), body)) == repr(json.loads(body))
    webhook = client.webhook(headers(body), body)
    assert webhook.events[0].data == "[" * depth + "]" * depth


# --- c. raw master keys --------------------------------------------------------------------------------------------

RAW_KEY_MATERIAL = "Zq9XwV7pL3mN8rT2yU6kJ4hG1fD5sA0c"  # 32 characters; no 4-character piece appears in any message


def shared_secret(client: Any, official_sdk: bool = False) -> Any:
    auth = client._authentication_client if official_sdk else client
    return auth.authenticate("private-encrypted-x", "1.1")["shared_secret"]


@pytest.mark.parametrize(
    "raw_key",
    [bytes(range(200, 232)), RAW_KEY_MATERIAL, "é" * 32, RAW_KEY_MATERIAL.encode()],
    ids=["non-ASCII bytes", "str", "non-ASCII str", "ASCII bytes"],
)
def test_raw_master_key_matches_official(raw_key: str | bytes, make_ours: Callable[..., pusher_fast.Pusher]) -> None:
    with pytest.warns(UserWarning, match="deprecated"):
        official = make_official(encryption_master_key=raw_key)
    with pytest.warns(DeprecationWarning, match="encryption_master_key is deprecated"):
        ours = make_ours(encryption_master_key=raw_key)
    expected = shared_secret(official, official_sdk=True)
    assert shared_secret(ours) == expected.decode("ascii")
    key_bytes = raw_key if isinstance(raw_key, bytes) else raw_key.encode("utf-8")
    digest = hashlib.sha256(b"private-encrypted-x" + key_bytes).digest()
    assert base64.b64decode(shared_secret(ours)) == digest
    # The raw key and its base64 form are the same key.
    if len(key_bytes) == 32:
        same = make_ours(encryption_master_key_base64=base64.b64encode(key_bytes).decode())
        assert shared_secret(same) == shared_secret(ours)


def assert_no_key_material(message: str, material: str) -> None:
    if not material:
        return
    assert material not in message
    for start in range(len(material) - 3):
        assert material[start : start + 4] not in message, (message, material[start : start + 4])


@pytest.mark.parametrize(
    "raw_key",
    [b"", RAW_KEY_MATERIAL.encode()[:31], RAW_KEY_MATERIAL.encode() + b"x", RAW_KEY_MATERIAL[:31], "é" * 16],
    ids=["empty", "31 bytes", "33 bytes", "31 chars", "16 chars of 32 UTF-8 bytes"],
)
def test_raw_master_key_of_the_wrong_length(raw_key: str | bytes, make_ours: Callable[..., pusher_fast.Pusher]) -> None:
    with (
        pytest.warns(UserWarning, match="deprecated"),
        pytest.raises(ValueError, match=r"\Aencryption_master_key must be 32 bytes long\Z"),
    ):
        make_official(encryption_master_key=raw_key)
    with (
        pytest.warns(DeprecationWarning, match="encryption_master_key is deprecated"),
        pytest.raises(ValueError, match=r"\Aencryption_master_key must be 32 bytes long\b") as caught,
    ):
        make_ours(encryption_master_key=raw_key)
    text = raw_key.decode() if isinstance(raw_key, bytes) else raw_key
    assert_no_key_material(str(caught.value), text)


BAD_BASE64 = {
    "invalid characters": (RAW_KEY_MATERIAL[:12] + "%%", "must be valid base64"),
    "inner space": (RAW_KEY_MATERIAL[:8] + " " + RAW_KEY_MATERIAL[8:12], "must be valid base64"),
    "missing padding": (base64.b64encode(RAW_KEY_MATERIAL.encode()).decode().rstrip("="), "must be valid base64"),
    "url-safe alphabet": (base64.urlsafe_b64encode(bytes(range(200, 232))).decode(), "must be valid base64"),
    "24 bytes": (RAW_KEY_MATERIAL, "must be a base64 string which decodes to 32 bytes"),
    "31 bytes": (base64.b64encode(RAW_KEY_MATERIAL.encode()[:31]).decode(), "must be a base64 string which decodes"),
    "33 bytes": (base64.b64encode(RAW_KEY_MATERIAL.encode() + b"x").decode(), "must be a base64 string which decodes"),
    "empty": ("", "must be a base64 string which decodes to 32 bytes"),
}


@pytest.mark.parametrize("case", BAD_BASE64.values(), ids=BAD_BASE64.keys())
def test_bad_base64_master_key(case: tuple[str, str], make_ours: Callable[..., pusher_fast.Pusher]) -> None:
    key, wording = case
    expected = rf"\Aencryption_master_key_base64 {wording}"
    with pytest.raises(ValueError, match=expected):
        make_official(encryption_master_key_base64=key)
    with pytest.raises(ValueError, match=expected) as caught:
        make_ours(encryption_master_key_base64=key)
    assert type(caught.value) is ValueError
    assert_no_key_material(str(caught.value), key)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__ or caught.value.__context__ is None
