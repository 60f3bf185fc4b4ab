"""Property tests: random valid and invalid input through pusher_fast, the official ``pusher`` 3.3.4 and stdlib crypto.

The clock is frozen only around the calls that read it (``frozen_clock``), so hypothesis itself runs on a real clock.
Nothing is sent: both SDKs get a backend that refuses to send.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import math
import re
import struct
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import nacl.secret
import pusher
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pusher_fast
from pusher_fast import _native
from tests.sdk_pair import APP_ID, KEY, MASTER_KEY, MASTER_KEY_BASE64, SECRET, NoSend

NOW = 1_700_000_000.0  # integer-valued, so upstream's '%.0f' rounding and our truncation agree
CHANNEL_ALPHABET = "-a-zA-Z0-9_=@,.;"
VALID_CHANNEL_RE = re.compile(rf"\A[{CHANNEL_ALPHABET}]+\Z")
SERVER_TO_USER_RE = re.compile(rf"\A#server-to-user-[{CHANNEL_ALPHABET}]+\Z")

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    # The SDK clients are module-level and stateless; no fixture state leaks between examples.
    suppress_health_check=[HealthCheck.too_slow],
)


@contextmanager
def frozen_clock() -> Iterator[None]:
    with mock.patch.object(time, "time", return_value=NOW):
        yield


@pytest.fixture(scope="module")
def clients() -> Iterator[tuple[Any, pusher_fast.Pusher]]:
    official = pusher.Pusher(APP_ID, KEY, SECRET, encryption_master_key_base64=MASTER_KEY_BASE64, backend=NoSend)
    with pusher_fast.Pusher(
        APP_ID, KEY, SECRET, encryption_master_key_base64=MASTER_KEY_BASE64, backend=NoSend
    ) as ours:
        yield official, ours


# --- strategies ----------------------------------------------------------------------------------------------------

channel_names = st.from_regex(rf"[{CHANNEL_ALPHABET}]{{1,200}}", fullmatch=True).filter(
    lambda name: not name.startswith("private-encrypted-")
)
socket_ids = st.from_regex(r"[0-9]{1,12}\.[0-9]{1,12}", fullmatch=True)
# Surrogates are left out: neither SDK can encode a lone surrogate on every path.
texts = st.text(st.characters(exclude_categories=["Cs"]))
event_names = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=200)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | texts,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4),
    max_leaves=12,
)
event_data = texts | st.dictionaries(texts, texts, max_size=5) | json_values


def _is_valid_channel(name: str) -> bool:
    return len(name) <= 200 and bool(VALID_CHANNEL_RE.match(name) or SERVER_TO_USER_RE.match(name))


invalid_channel_names = st.one_of(
    # at least one character outside the alphabet (including the empty name)
    st.text(max_size=250).filter(lambda name: not _is_valid_channel(name)),
    # valid characters, too long
    st.from_regex(rf"[{CHANNEL_ALPHABET}]{{201,260}}", fullmatch=True),
)


@st.composite
def batch_events(draw: st.DrawFn) -> dict[str, Any]:
    event: dict[str, Any] = {"channel": draw(channel_names), "name": draw(event_names), "data": draw(event_data)}
    if draw(st.booleans()):
        event["socket_id"] = draw(socket_ids)
    return event


# --- requests and auth equal to the official SDK's ------------------------------------------------------------------


@SETTINGS
@given(
    channels=channel_names | st.lists(channel_names, min_size=1, max_size=5),
    event_name=event_names,
    data=event_data,
    socket_id=st.none() | socket_ids,
)
def test_trigger_matches_official(
    clients: tuple[Any, pusher_fast.Pusher], channels: Any, event_name: str, data: Any, socket_id: str | None
) -> None:
    official, ours = clients
    with frozen_clock():
        expected = official._pusher_client.trigger.make_request(channels, event_name, data, socket_id)
        actual = ours.prepare.trigger(channels, event_name, data, socket_id)
    assert actual.path == expected.path
    assert actual.body == expected.body
    assert actual.query_params == expected.query_params


def _float_of_bits(bits: int) -> float:
    return float(struct.unpack("<d", struct.pack("<Q", bits))[0])


# Every exponent, subnormals and the fixed/exponent notation edges included, not only hypothesis' favourite floats.
any_finite_float = st.floats(allow_nan=False, allow_infinity=False) | st.integers(0, 2**64 - 1).map(
    _float_of_bits
).filter(math.isfinite)


@settings(SETTINGS, max_examples=400)
@given(values=st.lists(any_finite_float, min_size=1, max_size=50))
def test_floats_are_written_as_json_dumps_writes_them(
    clients: tuple[Any, pusher_fast.Pusher], values: list[float]
) -> None:
    # The core writes floats itself (shortest digits, Python's notation): the signed body must hold repr's digits.
    _, ours = clients
    body = json.loads(ours.prepare.trigger("c", "e", {"values": values}).body)
    assert body["data"] == json.dumps({"values": values}, ensure_ascii=False)


@SETTINGS
@given(batch=st.lists(batch_events(), min_size=1, max_size=10))
def test_trigger_batch_matches_official(clients: tuple[Any, pusher_fast.Pusher], batch: list[dict[str, Any]]) -> None:
    official, ours = clients
    with frozen_clock():
        expected = official._pusher_client.trigger_batch.make_request(copy.deepcopy(batch))
        actual = ours.prepare.trigger_batch(batch)
    assert actual.body == expected.body
    assert actual.query_params == expected.query_params


@SETTINGS
@given(
    channel=channel_names.map(lambda name: ("private-" + name)[:200]).filter(
        lambda name: not name.startswith("private-encrypted-")
    ),
    socket_id=socket_ids,
    custom_data=st.none() | st.dictionaries(texts, texts, max_size=3),
)
def test_private_authenticate_matches_official(
    clients: tuple[Any, pusher_fast.Pusher], channel: str, socket_id: str, custom_data: dict[str, str] | None
) -> None:
    official, ours = clients
    expected = official._authentication_client.authenticate(channel, socket_id, custom_data)
    assert ours.authenticate(channel, socket_id, custom_data) == expected


@SETTINGS
@given(
    channel=st.from_regex(rf"[{CHANNEL_ALPHABET}]{{1,191}}", fullmatch=True).map(lambda name: "presence-" + name),
    socket_id=socket_ids,
    user_id=texts.filter(bool) | st.integers(),
    user_info=st.dictionaries(texts, json_values, max_size=3),
)
def test_presence_authenticate_matches_official(
    clients: tuple[Any, pusher_fast.Pusher], channel: str, socket_id: str, user_id: Any, user_info: dict[str, Any]
) -> None:
    official, ours = clients
    custom_data = {"user_id": user_id, "user_info": user_info}
    expected = official._authentication_client.authenticate(channel, socket_id, custom_data)
    assert ours.authenticate(channel, socket_id, custom_data) == expected


@SETTINGS
@given(
    socket_id=socket_ids,
    user_id=st.from_regex(rf"[{CHANNEL_ALPHABET}]{{1,200}}", fullmatch=True),
    extra=st.dictionaries(texts.filter(lambda key: key != "id"), json_values, max_size=3),
)
def test_authenticate_user_matches_official(
    clients: tuple[Any, pusher_fast.Pusher], socket_id: str, user_id: str, extra: dict[str, Any]
) -> None:
    official, ours = clients
    user_data = {"id": user_id, **extra}
    expected = official._authentication_client.authenticate_user(socket_id, user_data)
    assert ours.authenticate_user(socket_id, user_data) == expected


# --- invalid input refused by both ----------------------------------------------------------------------------------


@SETTINGS
@given(channel=invalid_channel_names)
def test_invalid_channel_names_refused_by_both(clients: tuple[Any, pusher_fast.Pusher], channel: str) -> None:
    official, ours = clients
    with pytest.raises(ValueError, match="Channel"):
        official._pusher_client.trigger.make_request(channel, "event", "data")
    with pytest.raises(ValueError, match="Channel"):
        ours.prepare.trigger(channel, "event", "data")
    with pytest.raises(ValueError, match="Channel"):
        official._pusher_client.trigger.make_request(["fine", channel], "event", "data")
    with pytest.raises(ValueError, match="Channel"):
        ours.prepare.trigger(["fine", channel], "event", "data")
    with pytest.raises(ValueError, match="Channel"):
        ours.prepare.trigger_batch([{"channel": channel, "name": "event", "data": "data"}])
    with pytest.raises(ValueError, match="Channel"):
        official._authentication_client.authenticate(channel, "1.1")
    with pytest.raises(ValueError, match="Channel"):
        ours.authenticate(channel, "1.1")


@SETTINGS
@given(socket_id=texts.filter(lambda text: not re.fullmatch(r"\d+\.\d+", text)))
def test_invalid_socket_ids_refused_by_both(clients: tuple[Any, pusher_fast.Pusher], socket_id: str) -> None:
    official, ours = clients
    with pytest.raises(ValueError, match="Invalid socket ID"):
        official._authentication_client.authenticate("private-c", socket_id)
    with pytest.raises(ValueError, match="Invalid socket ID"):
        ours.authenticate("private-c", socket_id)
    if socket_id:  # both SDKs skip a falsy socket_id in trigger
        with pytest.raises(ValueError, match="Invalid socket ID"):
            official._pusher_client.trigger.make_request("c", "e", "d", socket_id)
        with pytest.raises(ValueError, match="Invalid socket ID"):
            ours.prepare.trigger("c", "e", "d", socket_id)


# --- end-to-end encryption ------------------------------------------------------------------------------------------


def _open(channel: str, envelope: str) -> bytes:
    parsed = json.loads(envelope)
    assert list(parsed) == ["nonce", "ciphertext"]
    assert envelope == json.dumps(parsed)  # the official spacing: {"nonce": "...", "ciphertext": "..."}
    shared_key = hashlib.sha256(channel.encode("utf-8") + MASTER_KEY).digest()
    nonce = base64.b64decode(parsed["nonce"], validate=True)
    assert len(nonce) == nacl.secret.SecretBox.NONCE_SIZE
    return nacl.secret.SecretBox(shared_key).decrypt(base64.b64decode(parsed["ciphertext"], validate=True), nonce)


@SETTINGS
@given(
    suffix=st.from_regex(rf"[{CHANNEL_ALPHABET}]{{1,182}}", fullmatch=True),
    data=st.text(st.characters(exclude_categories=["Cs"]), max_size=2000) | st.dictionaries(texts, texts, max_size=4),
)
def test_encrypted_trigger_opens_to_the_serialized_data(
    clients: tuple[Any, pusher_fast.Pusher], suffix: str, data: Any
) -> None:
    _, ours = clients
    channel = "private-encrypted-" + suffix
    request = ours.prepare.trigger(channel, "secret", data)
    body = json.loads(request.body)
    serialized = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    assert _open(channel, body["data"]) == serialized.encode("utf-8")
    batch = ours.prepare.trigger_batch([{"channel": channel, "name": "secret", "data": data}])
    assert _open(channel, json.loads(batch.body)["batch"][0]["data"]) == serialized.encode("utf-8")


# --- signatures, checked with the standard library only --------------------------------------------------------------


def _stdlib_signature(method: str, path: str, params: dict[str, str]) -> str:
    query = "&".join(f"{key}={value}" for key, value in sorted(params.items()) if key != "auth_signature")
    return hmac.new(SECRET.encode(), f"{method}\n{path}\n{query}".encode(), hashlib.sha256).hexdigest()


prefixes = st.none() | st.from_regex(rf"(presence-)?[{CHANNEL_ALPHABET}]{{1,40}}", fullmatch=True)


@st.composite
def channel_list_queries(draw: st.DrawFn) -> tuple[str, str | None, list[str]]:
    """The channel list offers user_count, with a presence- prefix only."""
    prefix = draw(prefixes)
    offered = prefix is not None and prefix.startswith("presence-")
    return ("channels_info", prefix, ["user_count"] if offered and draw(st.booleans()) else [])


@st.composite
def channel_queries(draw: st.DrawFn) -> tuple[str, str, list[str]]:
    """One channel offers user_count when it is a presence channel, subscription_count otherwise."""
    name = draw(channel_names | st.from_regex(rf"presence-[{CHANNEL_ALPHABET}]{{1,40}}", fullmatch=True))
    offered = "user_count" if name.startswith("presence-") else "subscription_count"
    return ("channel_info", name, [offered] if draw(st.booleans()) else [])


@SETTINGS
@given(
    query=st.one_of(
        channel_list_queries(),
        channel_queries(),
        st.tuples(st.just("users_info"), channel_names),
    )
)
def test_get_signatures_verify_with_stdlib(clients: tuple[Any, pusher_fast.Pusher], query: tuple[Any, ...]) -> None:
    _, ours = clients
    method, *args = query
    with frozen_clock():
        request = getattr(ours.prepare, method)(*args)
    params = request.query_params
    assert request.method == "GET"
    assert "body_md5" not in params
    assert params["auth_timestamp"] == str(int(NOW))
    assert params["auth_signature"] == _stdlib_signature("GET", request.path, params)
    assert request.url == f"{request.base_url}{request.path}?{request.query_string}"


_RESERVED = {"auth_key", "auth_timestamp", "auth_version", "auth_signature", "body_md5"}
param_keys = st.from_regex(r"[a-z_][a-z0-9_]{0,15}", fullmatch=True).filter(lambda key: key not in _RESERVED)


@SETTINGS
@given(
    params=st.dictionaries(param_keys, texts, max_size=6),
    path=st.from_regex(r"/apps/[0-9]{1,6}(/[A-Za-z0-9_.-]{1,20}){0,3}", fullmatch=True),
    timestamp=st.integers(min_value=0, max_value=2**40),
    body=st.none() | st.binary(max_size=200),
)
def test_native_signature_verifies_with_stdlib(
    params: dict[str, str], path: str, timestamp: int, body: bytes | None
) -> None:
    method = "GET" if body is None else "POST"
    query = _native.sign_request(KEY, SECRET, method, path, list(params.items()), body, timestamp)
    # The query string is percent-encoded, and decodes back to exactly the signed values.
    assert re.fullmatch(r"[A-Za-z0-9%._~=&-]*", query)
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True, strict_parsing=True)
    keys = [key for key, _ in pairs]
    assert keys == sorted(keys)
    decoded = dict(pairs)
    expected_keys = set(params) | {"auth_key", "auth_timestamp", "auth_version", "auth_signature"}
    if body is not None:
        expected_keys.add("body_md5")
        assert decoded["body_md5"] == hashlib.md5(body).hexdigest()
    assert set(decoded) == expected_keys
    assert {key: decoded[key] for key in params} == params
    assert decoded["auth_timestamp"] == str(timestamp)
    assert decoded["auth_signature"] == _stdlib_signature(method, path, decoded)
