"""Bad input gets a clear ValueError/TypeError naming the problem, and nothing is sent."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any, Callable

import pytest

from pusher_fast import AsyncPusher, Pusher, validation
from pusher_fast._config import DEFAULT_MAX_PAYLOAD_BYTES
from pusher_fast.testing import LocalPusherServer
from pusher_fast.testing._validation import channel_name_error

Call = Callable[[Pusher], Any]

BAD_CALLS: list[tuple[str, Call, type[Exception], str]] = [
    # channels
    ("channels: dict", lambda p: p.trigger({"a": 1}, "e", 1), TypeError, "single or a list"),
    ("channels: int", lambda p: p.trigger(5, "e", 1), TypeError, "single or a list"),
    ("channels: empty list", lambda p: p.trigger([], "e", 1), ValueError, "at least one channel"),
    ("channels: 101", lambda p: p.trigger([f"c{i}" for i in range(101)], "e", 1), ValueError, "Too many channels"),
    ("channel: empty name", lambda p: p.trigger("", "e", 1), ValueError, "Invalid Channel"),
    ("channel: bad char", lambda p: p.trigger("a b", "e", 1), ValueError, "Invalid Channel"),
    ("channel: slash", lambda p: p.trigger("a/b", "e", 1), ValueError, "Invalid Channel"),
    ("channel: 201 chars", lambda p: p.trigger("a" * 201, "e", 1), ValueError, "Channel too long"),
    ("channel: int in list", lambda p: p.trigger(["a", 3], "e", 1), TypeError, "channel should be a string"),
    ("channel: bad #", lambda p: p.trigger("#other", "e", 1), ValueError, "Invalid Channel"),
    ("channel: bad server-to-user", lambda p: p.trigger("#server-to-user-a b", "e", 1), ValueError, "server to user"),
    # event names
    ("event: empty", lambda p: p.trigger("c", "", 1), ValueError, "must not be empty"),
    ("event: 201 chars", lambda p: p.trigger("c", "e" * 201, 1), ValueError, "event_name too long"),
    ("event: int", lambda p: p.trigger("c", 1, 1), TypeError, "event_name should be a string"),
    # data
    ("data: bytes", lambda p: p.trigger("c", "e", b"raw"), TypeError, "not bytes"),
    ("data: not JSON", lambda p: p.trigger("c", "e", {"when": datetime.date(2020, 1, 1)}), TypeError, "date"),
    ("data: set", lambda p: p.trigger("c", "e", {1, 2}), TypeError, "set"),
    ("data: 10241 bytes", lambda p: p.trigger("c", "e", "x" * 10241), ValueError, "Too much data"),
    ("data: multibyte oversize", lambda p: p.trigger("c", "e", "é" * 5121), ValueError, "10242 bytes"),
    ("data: encrypted oversize", lambda p: p.trigger("private-encrypted-c", "e", "x" * 7700), ValueError, "Too much"),
    # socket ids
    ("socket: no dot", lambda p: p.trigger("c", "e", 1, socket_id="123"), ValueError, "Invalid socket ID"),
    ("socket: letters", lambda p: p.trigger("c", "e", 1, socket_id="a.b"), ValueError, "Invalid socket ID"),
    ("socket: unicode digits", lambda p: p.trigger("c", "e", 1, socket_id="١٢.٣"), ValueError, "Invalid socket ID"),
    ("socket: trailing newline", lambda p: p.trigger("c", "e", 1, socket_id="1.2\n"), ValueError, "Invalid socket"),
    ("socket: int", lambda p: p.trigger("c", "e", 1, socket_id=12), TypeError, "socket_id should be a string"),
    # info
    ("info: unknown", lambda p: p.trigger("c", "e", 1, info="members"), ValueError, "Unknown info"),
    ("info: int", lambda p: p.trigger("c", "e", 1, info=3), TypeError, "info should be"),
    # encryption rules
    (
        "encrypted: many channels",
        lambda p: p.trigger(["private-encrypted-a", "b"], "e", 1),
        ValueError,
        "multiple channels",
    ),
    # batches
    (
        "batch: 11 events",
        lambda p: p.trigger_batch([{"channel": "c", "name": "e", "data": 1}] * 11),
        ValueError,
        "Too many events",
    ),
    ("batch: empty", lambda p: p.trigger_batch([]), ValueError, "at least one event"),
    ("batch: dict", lambda p: p.trigger_batch({"channel": "c"}), TypeError, "list of events"),
    ("batch: item not mapping", lambda p: p.trigger_batch(["x"]), TypeError, "should be a mapping"),
    ("batch: no channel", lambda p: p.trigger_batch([{"name": "e", "data": 1}]), ValueError, "no 'channel'"),
    ("batch: no name", lambda p: p.trigger_batch([{"channel": "c", "data": 1}]), ValueError, "no 'name'"),
    ("batch: no data", lambda p: p.trigger_batch([{"channel": "c", "name": "e"}]), ValueError, "no 'data'"),
    (
        "batch: unknown key",
        lambda p: p.trigger_batch([{"channel": "c", "name": "e", "data": 1, "x": 1}]),
        ValueError,
        "unknown key",
    ),
    (
        "batch: bad socket id",
        lambda p: p.trigger_batch([{"channel": "c", "name": "e", "data": 1, "socket_id": "x"}]),
        ValueError,
        "Invalid socket ID",
    ),
    (
        "batch: oversize event",
        lambda p: p.trigger_batch(
            [{"channel": "c", "name": "e", "data": 1}, {"channel": "c", "name": "e", "data": "x" * 10241}]
        ),
        ValueError,
        "batch event #1: Too much data",
    ),
    (
        "batch: already_encoded needs str",
        lambda p: p.trigger_batch([{"channel": "c", "name": "e", "data": {"a": 1}}], already_encoded=True),
        TypeError,
        "already_encoded",
    ),
    (
        "batch: bad channel",
        lambda p: p.trigger_batch([{"channel": "a b", "name": "e", "data": 1}]),
        ValueError,
        "Invalid Channel",
    ),
    # users
    ("user: empty", lambda p: p.send_to_user("", "e", 1), ValueError, "User id is empty"),
    ("user: int", lambda p: p.send_to_user(42, "e", 1), TypeError, "user_id should be a string"),
    ("user: 201 chars", lambda p: p.send_to_user("u" * 201, "e", 1), ValueError, "User id too long"),
    ("user: slash", lambda p: p.terminate_user_connections("a/b"), ValueError, "Invalid user id"),
    ("user: terminate empty", lambda p: p.terminate_user_connections(""), ValueError, "User id is empty"),
    # channel queries
    ("channel_info: bad", lambda p: p.channel_info("a b"), ValueError, "Invalid Channel"),
    ("channel_info: server-to-user", lambda p: p.channel_info("#server-to-user-1"), ValueError, "valid channel"),
    ("users_info: int", lambda p: p.users_info(3), TypeError, "channel should be a string"),
    ("channels_info: bad prefix", lambda p: p.channels_info(prefix_filter="a&b=c"), ValueError, "prefix_filter"),
    ("channels_info: prefix int", lambda p: p.channels_info(prefix_filter=5), TypeError, "prefix_filter"),
    ("channels_info: bad attribute", lambda p: p.channels_info(attributes=["nope"]), ValueError, "Unknown info"),
    # auth
    ("auth: bad socket", lambda p: p.authenticate("private-c", "x"), ValueError, "Invalid socket ID"),
    ("auth: bad channel", lambda p: p.authenticate("private c", "1.1"), ValueError, "Invalid Channel"),
    ("auth: server-to-user", lambda p: p.authenticate("#server-to-user-1", "1.1"), ValueError, "valid channel"),
    ("auth: presence without data", lambda p: p.authenticate("presence-c", "1.1"), ValueError, "user_id"),
    ("auth: presence no user_id", lambda p: p.authenticate("presence-c", "1.1", {"x": 1}), ValueError, "user_id"),
    ("auth: channel data not JSON", lambda p: p.authenticate("private-c", "1.1", {"x": object()}), TypeError, "object"),
    ("user auth: None", lambda p: p.authenticate_user("1.1", None), ValueError, "user_data is null"),
    ("user auth: no id", lambda p: p.authenticate_user("1.1", {"name": "x"}), ValueError, "no id field"),
    ("user auth: int id", lambda p: p.authenticate_user("1.1", {"id": 5}), TypeError, "user_id should be a string"),
    ("user auth: list", lambda p: p.authenticate_user("1.1", ["id"]), TypeError, "mapping"),
    ("user auth: bad socket", lambda p: p.authenticate_user("1", {"id": "5"}), ValueError, "Invalid socket ID"),
    # webhooks
    ("webhook: key int", lambda p: p.validate_webhook(1, "sig", "{}"), TypeError, "key should be a string"),
    ("webhook: body int", lambda p: p.validate_webhook("k", "sig", 5), TypeError, "body should be a string"),
]


@pytest.fixture
def quiet_server(pusher_server: LocalPusherServer) -> Iterator[LocalPusherServer]:
    yield pusher_server
    assert pusher_server.requests == (), "a rejected call must send nothing"


@pytest.mark.parametrize(("call", "error", "message"), [c[1:] for c in BAD_CALLS], ids=[c[0] for c in BAD_CALLS])
def test_bad_input_is_refused_before_sending(
    pusher: Pusher, quiet_server: LocalPusherServer, call: Call, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message.replace("(", r"\(")):
        call(pusher)


def test_encrypted_channel_without_master_key(pusher_server: LocalPusherServer) -> None:
    with Pusher(**pusher_server.client_options()) as client:
        with pytest.raises(ValueError, match="no encryption master key"):
            client.trigger("private-encrypted-x", "e", 1)
        with pytest.raises(ValueError, match="no encryption master key"):
            client.authenticate("private-encrypted-x", "1.1")
    assert pusher_server.requests == ()


def test_async_client_validates_at_call_time(pusher_server: LocalPusherServer) -> None:
    client = AsyncPusher(**pusher_server.client_options())
    with pytest.raises(ValueError, match="Invalid Channel"):
        client.trigger("a b", "e", 1)  # raises before any coroutine exists, so nothing to await
    with pytest.raises(ValueError, match="Too many events"):
        client.trigger_batch([{"channel": "c", "name": "e", "data": 1}] * 11)


def test_data_at_exact_limit_is_accepted(pusher: Pusher, pusher_server: LocalPusherServer) -> None:
    pusher.trigger("c", "e", "x" * 10240)
    pusher.trigger("c", "e", "é" * 5120)
    assert len(pusher_server.events) == 2


def test_max_payload_bytes_is_configurable(pusher_server: LocalPusherServer) -> None:
    with Pusher(**pusher_server.client_options(), max_payload_bytes=100) as client:
        with pytest.raises(ValueError, match="limit is 100"):
            client.trigger("c", "e", "x" * 101)
        client.trigger("c", "e", "x" * 100)


def test_limits_are_the_apis_defined_once() -> None:
    assert (
        validation.MAX_CHANNELS,
        validation.MAX_BATCH_SIZE,
        validation.MAX_CHANNEL_NAME_LENGTH,
        validation.MAX_EVENT_NAME_LENGTH,
        validation.MAX_USER_ID_LENGTH,
    ) == (100, 10, 200, 200, 200)
    assert validation.DEFAULT_MAX_PAYLOAD_BYTES == DEFAULT_MAX_PAYLOAD_BYTES == 10240
    assert validation.INFO_ATTRIBUTES == ("user_count", "subscription_count")
    assert (
        validation.ENCRYPTED_CHANNEL_PREFIX,
        validation.PRESENCE_CHANNEL_PREFIX,
        validation.SERVER_TO_USER_PREFIX,
    ) == ("private-encrypted-", "presence-", "#server-to-user-")
    # The alphabet, against the local server's independent check of channel names.
    for code in range(128):
        character = chr(code)
        allowed = channel_name_error(character) is None
        assert (character in validation.CHANNEL_NAME_CHARACTERS) is allowed, repr(character)


@pytest.mark.parametrize("prefix", ["a b", "it's", "é", "a\nb", "\u200b"])
def test_bad_prefix_filter_is_quoted_as_python_does(pusher: Pusher, prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix_filter") as info:
        pusher.channels_info(prefix_filter=prefix)
    assert str(info.value) == f"Invalid prefix_filter: {prefix!r} (channel-name characters only)"
