"""Drop-in behaviour where pusher_fast once differed from ``pusher`` 3.3.4 or from ``json.loads`` (issue 8).

Lone surrogates are sent as the official SDK sends them; webhook bodies are read exactly as ``json.loads`` reads them
and never raise ``RecursionError``; raw master keys are used as they are; the channel-attribute rules are the same in
the client and in the local test server; iterables are read only one item past a limit; mapping-likes are mappings;
credentials never appear in ``from_url`` errors; the retry options have ranges.
"""

from __future__ import annotations

import base64
import collections.abc
import hashlib
import hmac
import http.client
import itertools
import json
import math
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pusher
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pusher_fast
from pusher_fast import _native
from pusher_fast.errors import PusherWebhookError
from pusher_fast.testing import LocalPusherServer

APP_ID = "4"
KEY = "key"
SECRET = "secret"
NOW = 1_700_000_000.0
MASTER_KEY_BASE64 = base64.b64encode(bytes(range(32))).decode("ascii")


class _NoSend:
    def __init__(self, client: Any, **options: Any) -> None:
        pass

    def send_request(self, request: Any) -> Any:
        raise AssertionError("these tests never send through a backend")


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "time", lambda: NOW)


@pytest.fixture
def official() -> Any:
    return pusher.Pusher(app_id=APP_ID, key=KEY, secret=SECRET, backend=_NoSend)


@pytest.fixture
def ours() -> Iterator[pusher_fast.Pusher]:
    with pusher_fast.Pusher(app_id=APP_ID, key=KEY, secret=SECRET, backend=_NoSend) as client:
        yield client


def _official_body(request: Any) -> bytes:
    body = request.body
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


# --- lone surrogates ------------------------------------------------------------------------------------------------

SURROGATE_DATA = ["\ud800", "a\udfffb", {"text": "x\udbff", "list": ["\udc00"]}, ["\ud83d"]]


@pytest.mark.parametrize("data", SURROGATE_DATA, ids=["str", "str-inside", "dict", "list"])
def test_trigger_with_lone_surrogates_sends_the_official_request(data: Any, official: Any, ours: Any) -> None:
    theirs = official._pusher_client.trigger.make_request(["c"], "e\ud801", data)
    mine = ours.prepare.trigger("c", "e\ud801", data)
    assert mine.body == _official_body(theirs)
    assert b"\\ud801" in mine.body
    assert mine.query_params == dict(theirs.query_params)


def test_batch_with_lone_surrogates_sends_the_official_request(official: Any, ours: Any) -> None:
    batch = [{"channel": "c", "name": "n\udc01", "data": data} for data in SURROGATE_DATA]
    theirs = official._pusher_client.trigger_batch.make_request([dict(event) for event in batch])
    mine = ours.prepare.trigger_batch(batch)
    assert mine.body == _official_body(theirs)
    assert mine.query_params == dict(theirs.query_params)


def test_presence_and_user_auth_with_lone_surrogates_match(official: Any, ours: Any) -> None:
    custom_data = {"user_id": "u\ud800", "user_info": {"name": "\udfff"}}
    expected = official._authentication_client.authenticate("presence-r", "1.1", custom_data)
    assert ours.authenticate("presence-r", "1.1", custom_data) == expected
    user_data = {"id": "42", "name": "\ud800"}
    expected_user = official._authentication_client.authenticate_user("1.1", user_data)
    assert ours.authenticate_user("1.1", user_data) == expected_user


def test_lone_surrogate_on_an_encrypted_channel_is_a_plain_value_error() -> None:
    client = pusher_fast.Pusher(app_id=APP_ID, key=KEY, secret=SECRET, encryption_master_key_base64=MASTER_KEY_BASE64)
    with pytest.raises(ValueError, match="surrogate") as raised:
        client.prepare.trigger("private-encrypted-c", "e", "\ud800")
    assert not isinstance(raised.value, UnicodeError)
    client.close()


def test_the_size_limit_counts_three_bytes_per_lone_surrogate(ours: Any) -> None:
    limit = pusher_fast.validation.DEFAULT_MAX_PAYLOAD_BYTES
    fits = "\ud800" * (limit // 3)
    assert ours.prepare.trigger("c", "e", fits).body
    with pytest.raises(ValueError, match=str(limit)):
        ours.prepare.trigger("c", "e", fits + "\ud800")


# --- webhooks read as json.loads reads them -------------------------------------------------------------------------


def _signed(body: bytes) -> tuple[str, str, bytes]:
    return KEY, hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest(), body


def _webhook_body(members: str) -> bytes:
    return f'{{"time_ms": {int(NOW * 1000)}, "events": [], {members}}}'.encode()


ODD_MEMBERS = [
    '"big": 1180591620717411303424',
    '"negative_zero": -0',
    '"float_negative_zero": -0.0',
    '"nan": NaN, "inf": Infinity, "minus_inf": -Infinity',
    '"overflow": 1e400',
    '"surrogate": "\\ud800", "pair": "\\ud83d\\ude00"',
    '"dup": 1, "dup": 2',
    '"floats": [0.1, 1e-320, 2.2250738585072014e-308, 1795865346818.6663, 5e-324]',
    '"nested": [[[[{"a": [{}]}]]]]',
    '"int_like": 1.0, "exp": 1E2',
]


@pytest.mark.parametrize("members", ODD_MEMBERS)
def test_validate_webhook_equals_json_loads(members: str, ours: Any) -> None:
    key, signature, body = _signed(_webhook_body(members))
    assert repr(ours.validate_webhook(key, signature, body)) == repr(json.loads(body))
    assert repr(ours.webhook({"X-Pusher-Key": key, "X-Pusher-Signature": signature}, body).events) == "()"


@pytest.mark.parametrize("body", [b"{", b'{"time_ms": 1, "events": [1,]}', b"\xff\xfe{}", b'{"a": 1} x', b""])
def test_invalid_json_is_not_valid(body: bytes, ours: Any) -> None:
    with pytest.raises((json.JSONDecodeError, UnicodeDecodeError)):
        json.loads(body)
    key, signature, _ = _signed(body)
    assert ours.validate_webhook(key, signature, body) is None
    with pytest.raises(PusherWebhookError):
        ours.webhook({"X-Pusher-Key": key, "X-Pusher-Signature": signature}, body)


DEEP_BODIES = [
    b'{"time_ms": 1, "events": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    b"[" * 1_000_000,
    b'{"a": ' * 50_000 + b"1" + b"}" * 50_000,
]


@pytest.mark.parametrize("body", DEEP_BODIES, ids=["deep-array", "unclosed", "deep-object"])
def test_deeply_nested_bodies_never_raise_recursion_error(body: bytes, ours: Any) -> None:
    key, signature, _ = _signed(body)
    assert ours.validate_webhook(key, signature, body) is None
    with pytest.raises(PusherWebhookError, match="not valid JSON"):
        ours.webhook({"X-Pusher-Key": key, "X-Pusher-Signature": signature}, body)


def test_deep_nesting_with_a_custom_decoder_is_not_valid() -> None:
    client = pusher_fast.Pusher(app_id=APP_ID, key=KEY, secret=SECRET, json_decoder=json.JSONDecoder)
    key, signature, body = _signed(DEEP_BODIES[0])
    assert client.validate_webhook(key, signature, body) is None
    with pytest.raises(PusherWebhookError):
        client.webhook({"X-Pusher-Key": key, "X-Pusher-Signature": signature}, body)
    client.close()


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**100), max_value=2**100)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(st.characters(codec=None)),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4),
    max_leaves=12,
)


def _same(left: Any, right: Any) -> bool:
    if type(left) is not type(right):
        return False
    if isinstance(left, float):
        return repr(left) == repr(right) or (math.isnan(left) and math.isnan(right))
    if isinstance(left, list):
        return len(left) == len(right) and all(_same(a, b) for a, b in zip(left, right))
    if isinstance(left, dict):
        return list(left) == list(right) and all(_same(left[key], right[key]) for key in left)
    return bool(left == right)


@settings(max_examples=300, deadline=None)
@given(value=json_values, ascii_only=st.booleans(), indent=st.sampled_from([None, 1, "\t"]))
def test_loads_json_equals_json_loads(value: Any, ascii_only: bool, indent: Any) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only, indent=indent)
    body = text.encode("utf-8", "surrogatepass")
    try:
        expected = json.loads(body)
    except ValueError:  # bytes json.loads refuses
        with pytest.raises(json.JSONDecodeError):
            _native.loads_json(body)
        return
    assert _same(_native.loads_json(body), expected)


# --- raw master keys ------------------------------------------------------------------------------------------------


def test_a_raw_32_byte_master_key_is_used_as_is() -> None:
    raw = bytes(range(200, 232))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = pusher.Pusher(app_id=APP_ID, key=KEY, secret=SECRET, encryption_master_key=raw)
    with pytest.warns(DeprecationWarning, match="deprecated"):
        mine = pusher_fast.Pusher(app_id=APP_ID, key=KEY, secret=SECRET, encryption_master_key=raw)
    expected = theirs._authentication_client.authenticate("private-encrypted-x", "1.1")
    result = mine.authenticate("private-encrypted-x", "1.1")
    assert result["auth"] == expected["auth"]
    shared = expected["shared_secret"]
    assert result["shared_secret"] == (shared.decode() if isinstance(shared, bytes) else shared)
    mine.close()


def test_a_32_character_master_key_is_its_utf8() -> None:
    text = "k" * 31 + "é"  # 32 characters, 33 bytes: the official rule counts characters
    with pytest.warns(DeprecationWarning, match="deprecated"):
        by_text = pusher_fast.Pusher(app_id=APP_ID, key=KEY, secret=SECRET, encryption_master_key=text)
    by_base64 = pusher_fast.Pusher(
        app_id=APP_ID,
        key=KEY,
        secret=SECRET,
        encryption_master_key_base64=base64.b64encode(hashlib.sha256(text.encode()).digest()).decode(),
    )
    channel = "private-encrypted-x"
    expected = base64.b64encode(hashlib.sha256(channel.encode() + text.encode()).digest()).decode()
    assert by_text.authenticate(channel, "1.1")["shared_secret"] == expected
    assert by_base64.authenticate(channel, "1.1")["shared_secret"] != expected
    by_text.close()
    by_base64.close()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"encryption_master_key": b"S3CR3TKEY" * 3}, "encryption_master_key must be 32 bytes long"),
        ({"encryption_master_key": "S3CR3TKEY"}, "encryption_master_key must be 32 bytes long"),
        ({"encryption_master_key_base64": "S3CR3TKEY!!"}, "encryption_master_key_base64 must be valid base64"),
        (
            {"encryption_master_key_base64": base64.b64encode(b"S3CR3TKEY").decode()},
            "encryption_master_key_base64 must be a base64 string which decodes to 32 bytes",
        ),
    ],
)
def test_master_key_errors_keep_the_official_wording(options: dict[str, Any], message: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(ValueError, match="encryption_master_key") as raised:
            pusher_fast.Pusher(app_id=APP_ID, key=KEY, secret=SECRET, **options)
    assert str(raised.value).startswith(message)
    assert "S3CR3T" not in str(raised.value)
    assert base64.b64encode(b"S3CR3TKEY").decode() not in str(raised.value)


# --- channel attributes: the client refuses exactly what the local server refuses ----------------------------------

ATTRIBUTE_SETS = [["user_count"], ["subscription_count"], ["user_count", "subscription_count"], ["bogus"]]


def _server_status(server: LocalPusherServer, method: str, path: str, query: dict[str, str], body: bytes) -> int:
    params = {**query, "auth_key": server.key, "auth_timestamp": str(int(NOW)), "auth_version": "1.0"}
    if body:
        params["body_md5"] = hashlib.md5(body, usedforsecurity=False).hexdigest()
    canonical = "&".join(f"{key}={value}" for key, value in sorted(params.items()))
    signature = hmac.new(server.secret.encode(), f"{method}\n{path}\n{canonical}".encode(), hashlib.sha256)
    params["auth_signature"] = signature.hexdigest()
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    try:
        query_string = "&".join(f"{key}={value}" for key, value in params.items())
        headers = {"Content-Type": "application/json"} if body else {}
        connection.request(method, f"{path}?{query_string}", body=body or None, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.fixture
def server() -> Iterator[LocalPusherServer]:
    # The requests are signed at the frozen NOW, which the server's clock may see as long past.
    with LocalPusherServer(timestamp_tolerance=1e12) as running:
        yield running


def _client_refuses(call: Callable[[], object]) -> bool:
    try:
        call()
    except ValueError:
        return True
    return False


@pytest.mark.parametrize("attributes", ATTRIBUTE_SETS, ids=",".join)
@pytest.mark.parametrize("prefix", ["", "presence-", "private-"])
def test_channel_list_rules_are_the_servers(server: LocalPusherServer, prefix: str, attributes: list[str]) -> None:
    with pusher_fast.Pusher(**server.client_options()) as client:
        refused = _client_refuses(lambda: client.prepare.channels_info(prefix or None, attributes))
    query = {"info": ",".join(attributes), **({"filter_by_prefix": prefix} if prefix else {})}
    status = _server_status(server, "GET", f"/apps/{server.app_id}/channels", query, b"")
    assert (status == 400) == refused, (status, refused)


@pytest.mark.parametrize("attributes", ATTRIBUTE_SETS, ids=",".join)
@pytest.mark.parametrize("channel", ["presence-r", "my-channel"])
def test_one_channel_rules_are_the_servers(server: LocalPusherServer, channel: str, attributes: list[str]) -> None:
    with pusher_fast.Pusher(**server.client_options()) as client:
        refused = _client_refuses(lambda: client.prepare.channel_info(channel, attributes))
    query = {"info": ",".join(attributes)}
    status = _server_status(server, "GET", f"/apps/{server.app_id}/channels/{channel}", query, b"")
    assert (status == 400) == refused, (status, refused)


@pytest.mark.parametrize("attributes", ATTRIBUTE_SETS, ids=",".join)
@pytest.mark.parametrize("channel", ["presence-r", "my-channel"])
def test_trigger_info_rules_are_the_servers(server: LocalPusherServer, channel: str, attributes: list[str]) -> None:
    with pusher_fast.Pusher(**server.client_options()) as client:
        refused = _client_refuses(lambda: client.prepare.trigger(channel, "e", "d", info=attributes))
    body = json.dumps({"name": "e", "channels": [channel], "data": "d", "info": ",".join(attributes)}).encode()
    status = _server_status(server, "POST", f"/apps/{server.app_id}/events", {}, body)
    assert (status == 400) == refused, (status, refused)


# --- bounded reading of iterables ----------------------------------------------------------------------------------


class Counting:
    """An endless iterable that counts what was read from it."""

    def __init__(self, item: Any) -> None:
        self.item = item
        self.read = 0

    def __iter__(self) -> Iterator[Any]:
        for _ in itertools.count():
            self.read += 1
            yield self.item


def test_endless_channels_are_read_one_past_the_limit(ours: Any) -> None:
    channels = Counting("a")
    with pytest.raises(ValueError, match="100"):
        ours.prepare.trigger(channels, "e", "d")
    assert channels.read == 101


def test_endless_batches_are_read_one_past_the_limit(ours: Any) -> None:
    events = Counting({"channel": "c", "name": "e", "data": "d"})
    with pytest.raises(ValueError, match="10"):
        ours.prepare.trigger_batch(events)
    assert events.read == 11


def test_endless_iterables_send_nothing(server: LocalPusherServer) -> None:
    with pusher_fast.Pusher(**server.client_options()) as client:
        with pytest.raises(ValueError, match="Too many channels"):
            client.trigger(itertools.repeat("a"), "e", "d")
        with pytest.raises(ValueError, match="Too many events"):
            client.trigger_batch(itertools.repeat({"channel": "c", "name": "e", "data": "d"}))
    assert server.events == ()


# --- mapping-likes --------------------------------------------------------------------------------------------------


class FrozenMapping(collections.abc.Mapping[str, Any]):
    def __init__(self, items: dict[str, Any]) -> None:
        self._items = items

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


class KeysOnly:
    """Not a Mapping subclass: only ``keys`` and ``__getitem__``, as ``dict(obj)`` needs."""

    def __init__(self, items: dict[str, Any]) -> None:
        self._items = items

    def keys(self) -> Any:
        return self._items.keys()

    def __getitem__(self, key: str) -> Any:
        return self._items[key]


@pytest.mark.parametrize("wrap", [FrozenMapping, KeysOnly])
def test_mapping_likes_work_as_dicts(wrap: Callable[[dict[str, Any]], Any], ours: Any) -> None:
    custom = {"user_id": "u", "user_info": {"n": 1}}
    assert ours.authenticate("presence-r", "1.1", wrap(custom)) == ours.authenticate("presence-r", "1.1", custom)
    user = {"id": "42", "name": "Ada"}
    assert ours.authenticate_user("1.1", wrap(user)) == ours.authenticate_user("1.1", user)
    event = {"channel": "c", "name": "e", "data": {"k": "v"}}
    assert ours.prepare.trigger_batch([wrap(event)]).body == ours.prepare.trigger_batch([event]).body


@pytest.mark.parametrize("wrap", [FrozenMapping, KeysOnly])
def test_mapping_likes_work_in_trigger_many(wrap: Callable[[dict[str, Any]], Any], server: LocalPusherServer) -> None:
    with pusher_fast.Pusher(**server.client_options()) as client:
        result = client.trigger_many([wrap({"channel": "c", "name": "e", "data": "d"})])
    assert (result.sent, result.failed) == (1, [])
    assert [event.data for event in server.events] == ["d"]


@pytest.mark.parametrize("not_a_mapping", ["user", ["user_id", "u"], 7])
def test_non_mappings_are_type_errors_naming_the_argument(not_a_mapping: Any, ours: Any) -> None:
    with pytest.raises(TypeError, match="custom_data"):
        ours.authenticate("presence-r", "1.1", not_a_mapping)
    with pytest.raises(TypeError, match="user_data"):
        ours.authenticate_user("1.1", not_a_mapping)
    with pytest.raises(TypeError):
        ours.prepare.trigger_batch([not_a_mapping])


# --- from_url and the retry options ---------------------------------------------------------------------------------


def test_from_url_takes_a_secret_holding_at_signs() -> None:
    client = pusher_fast.Pusher.from_url("http://key:S3CR3T@7f9a2b@host/apps/1")
    assert (client.key, client.secret, client.host, client.app_id) == ("key", "S3CR3T@7f9a2b", "host", "1")
    client.close()


SECRET_IN_URL = "Zq8vS3CR3Tw"


@pytest.mark.parametrize(
    "url",
    [
        f"http://key:{SECRET_IN_URL}@host:99999/apps/1",
        f"http://key:{SECRET_IN_URL}@host/apps/",
        f"ftp://key:{SECRET_IN_URL}@host/apps/1",
        f"http://key:{SECRET_IN_URL}@ho st/apps/1",
        f"http://key:{SECRET_IN_URL}@@/apps/1",
    ],
)
def test_from_url_errors_never_show_the_secret(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    pieces = {SECRET_IN_URL[start : start + 4] for start in range(len(SECRET_IN_URL) - 3)}
    with pytest.raises(ValueError, match=r"(?i)url|host|port") as raised:
        pusher_fast.Pusher.from_url(url)
    assert not any(piece in str(raised.value) for piece in pieces), raised.value
    monkeypatch.setenv("PUSHER_URL", url)
    with pytest.raises(ValueError, match=r"(?i)url|host|port") as raised_env:
        pusher_fast.Pusher.from_env()
    assert not any(piece in str(raised_env.value) for piece in pieces), raised_env.value


def test_retry_bounds_come_from_the_core() -> None:
    assert (_native.MAX_RETRIES, _native.MAX_BACKOFF_SECONDS) == (100, 3600.0)


@pytest.mark.parametrize("retries", [2**40, -1, 101])
def test_retries_out_of_range_are_value_errors(retries: int) -> None:
    with pytest.raises(ValueError, match="retries"):
        pusher_fast.Pusher(app_id=APP_ID, key=KEY, secret=SECRET, retries=retries)


@pytest.mark.parametrize("name", ["backoff", "max_backoff"])
@pytest.mark.parametrize("seconds", [math.inf, math.nan, 1e20, 0, -1, 3600.0001, 2**2000])
def test_backoffs_out_of_range_are_value_errors(name: str, seconds: float) -> None:
    with pytest.raises(ValueError, match=name):
        pusher_fast.Pusher(app_id=APP_ID, key=KEY, secret=SECRET, **{name: seconds})
    with pusher_fast.Pusher(app_id=APP_ID, key=KEY, secret=SECRET) as client, pytest.raises(ValueError, match=name):
        client.trigger_many([], **{name: seconds})


def test_retry_options_at_their_bounds_are_accepted() -> None:
    for options in ({"retries": 0}, {"retries": 100, "backoff": 0.001, "max_backoff": 3600}):
        pusher_fast.Pusher(app_id=APP_ID, key=KEY, secret=SECRET, **options).close()
    with pytest.raises(TypeError):
        pusher_fast.Pusher(app_id=APP_ID, key=KEY, secret=SECRET, retries=True)


def test_mapping_helpers_are_mappings() -> None:
    # What the mapping-like tests above rely on: FrozenMapping is a Mapping, KeysOnly is not.
    assert isinstance(FrozenMapping({}), Mapping)
    assert not isinstance(KeysOnly({}), Mapping)
