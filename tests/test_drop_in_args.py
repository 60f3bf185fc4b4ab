"""Drop-in behaviour of arguments: channel-attribute rules shared by the client and the local test server, bounded
reading of iterables, mapping-like arguments, Pusher URLs that hold a secret, and the retry options' ranges.

The local server's verdicts are taken over real HTTP with a small stdlib signer, so they do not depend on the client.
Request building and webhooks: see test_drop_in.py.
"""

from __future__ import annotations

import collections.abc
import copy
import hashlib
import hmac
import http.client
import itertools
import json
import math
import re
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, KeysView
from typing import Any

import pusher
import pytest

import pusher_fast
from pusher_fast import _native, validation
from pusher_fast.testing import LocalPusherServer
from tests.sdk_pair import APP_ID, KEY, SECRET, NoSend

NOW = 1_700_000_000.0


@pytest.fixture
def ours() -> Iterator[pusher_fast.Pusher]:
    with pusher_fast.Pusher(APP_ID, KEY, SECRET, backend=NoSend) as client:
        yield client


@pytest.fixture
def official() -> Any:
    return pusher.Pusher(app_id=APP_ID, key=KEY, secret=SECRET, backend=NoSend)


@pytest.fixture
def served(pusher_server: LocalPusherServer) -> Iterator[pusher_fast.Pusher]:
    """A client sending to the fresh local server."""
    with pusher_fast.Pusher(**pusher_server.client_options()) as client:
        yield client


# --- d. channel-attribute rules: the client refuses exactly what the server refuses --------------------------------


def call(server: LocalPusherServer, method: str, path: str, params: dict[str, str], body: bytes = b"") -> int:
    """Send a request signed with the stdlib (auth_version 1.0) and return the status."""
    query = dict(params, auth_key=server.key, auth_timestamp=str(int(time.time())), auth_version="1.0")
    if body:
        query["body_md5"] = hashlib.md5(body).hexdigest()
    signed = "&".join(f"{k}={v}" for k, v in sorted(query.items()))
    message = f"{method}\n{path}\n{signed}".encode()
    query["auth_signature"] = hmac.new(server.secret.encode(), message, hashlib.sha256).hexdigest()
    target = path + "?" + "&".join(f"{k}={v}" for k, v in query.items())  # values are URL-safe here
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    try:
        connection.request(method, target, body=body or None, headers={"Content-Type": "application/json"})
        return connection.getresponse().status
    finally:
        connection.close()


ATTRIBUTES = {
    "none": [],
    "user_count": ["user_count"],
    "subscription_count": ["subscription_count"],
    "both": ["user_count", "subscription_count"],
    "bogus": ["bogus"],
}
ENDPOINTS = [
    ("trigger", "presence-r"),
    ("trigger", "my-ch"),
    ("trigger_batch", "presence-r"),
    ("trigger_batch", "my-ch"),
    ("channels_info", None),
    ("channels_info", "presence-"),
    ("channels_info", "private-"),
    ("channel_info", "presence-r"),
    ("channel_info", "my-ch"),
]


def documented_verdict(endpoint: str, target: str | None, attributes: list[str]) -> bool:
    """Whether the Channels API accepts these attributes (its documentation, written out independently)."""
    if "bogus" in attributes:
        return False
    if endpoint in {"trigger", "trigger_batch"}:
        return True  # both apply; each channel reports what applies to it
    presence = (target or "").startswith("presence-")
    if endpoint == "channels_info":
        return "subscription_count" not in attributes and ("user_count" not in attributes or presence)
    if "user_count" in attributes and not presence:
        return False
    return "subscription_count" not in attributes or not presence


def server_verdict(server: LocalPusherServer, endpoint: str, target: str | None, attributes: list[str]) -> int:
    app = f"/apps/{server.app_id}"
    info = {"info": ",".join(attributes)} if attributes else {}
    if endpoint == "trigger":
        event = json.dumps({"name": "e", "channels": [target], "data": "d", **info}).encode()
        return call(server, "POST", f"{app}/events", {}, event)
    if endpoint == "trigger_batch":
        batch = json.dumps({"batch": [{"name": "e", "channel": target, "data": "d", **info}]}).encode()
        return call(server, "POST", f"{app}/batch_events", {}, batch)
    if endpoint == "channels_info":
        return call(server, "GET", f"{app}/channels", {**({"filter_by_prefix": target} if target else {}), **info})
    return call(server, "GET", f"{app}/channels/{target}", info)


def client_call(client: Any, endpoint: str, target: str | None, attributes: list[str]) -> Callable[[], Any]:
    if endpoint == "trigger":
        return lambda: client.trigger(target, "e", "d", info=attributes)
    if endpoint == "trigger_batch":
        event = {"channel": target, "name": "e", "data": "d", **({"info": attributes} if attributes else {})}
        return lambda: client.trigger_batch([event])
    if endpoint == "channels_info":
        return lambda: client.channels_info(target, attributes)
    return lambda: client.channel_info(target, attributes)


@pytest.mark.parametrize("attributes", ATTRIBUTES.values(), ids=ATTRIBUTES.keys())
@pytest.mark.parametrize(("endpoint", "target"), ENDPOINTS, ids=[f"{e}({t})" for e, t in ENDPOINTS])
def test_client_refuses_attributes_exactly_when_the_server_does(
    endpoint: str,
    target: str | None,
    attributes: list[str],
    pusher_server: LocalPusherServer,
    served: pusher_fast.Pusher,
) -> None:
    status = server_verdict(pusher_server, endpoint, target, attributes)
    assert status in (200, 400)
    accepted = documented_verdict(endpoint, target, attributes)
    assert (status == 200) == accepted
    requests_before = len(pusher_server.requests)
    if accepted:
        client_call(served.prepare, endpoint, target, attributes)()
        client_call(served, endpoint, target, attributes)()  # and the server takes what the client sends
        assert pusher_server.requests[-1].status == 200
        assert len(pusher_server.requests) == requests_before + 1
    else:
        with pytest.raises(ValueError, match=r"info attribute|user_count|subscription_count") as caught:
            client_call(served.prepare, endpoint, target, attributes)()
        assert type(caught.value) is ValueError
        with pytest.raises(ValueError, match=re.escape(str(caught.value))):
            client_call(served, endpoint, target, attributes)()
        assert len(pusher_server.requests) == requests_before  # refused before sending
        # One rule, one wording: the server's 400 carries the client's message.
        assert str(caught.value) in pusher_server.requests[-1].response.decode()


# --- e. iterables are read no further than the limit ---------------------------------------------------------------


class Counting:
    """An iterator over ``items`` that counts the items handed out."""

    def __init__(self, items: Iterable[Any]) -> None:
        self._items = iter(items)
        self.read = 0

    def __iter__(self) -> Counting:
        return self

    def __next__(self) -> Any:
        item = next(self._items)
        self.read += 1
        return item


EVENT = {"channel": "c", "name": "e", "data": "d"}


def test_endless_channels_refused_after_one_past_the_limit(ours: pusher_fast.Pusher) -> None:
    channels = Counting(itertools.repeat("a"))
    with pytest.raises(ValueError, match="Too many channels"):
        ours.prepare.trigger(channels, "e", "d")
    assert channels.read == _native.MAX_CHANNELS + 1 == 101
    exactly = Counting(f"c{i}" for i in range(100))
    assert len(json.loads(ours.prepare.trigger(exactly, "e", "d").body)["channels"]) == exactly.read == 100


def test_endless_batch_refused_after_one_past_the_limit(ours: pusher_fast.Pusher) -> None:
    events = Counting(itertools.repeat(EVENT))
    with pytest.raises(ValueError, match="Too many events"):
        ours.prepare.trigger_batch(events)
    assert events.read == _native.MAX_BATCH_SIZE + 1 == 11
    exactly = Counting(itertools.repeat(EVENT, 10))
    assert len(json.loads(ours.prepare.trigger_batch(exactly).body)["batch"]) == exactly.read == 10


def test_validate_channels_reads_an_endless_iterable_no_further_than_the_limit() -> None:
    channels = Counting(itertools.repeat("a"))
    with pytest.raises(ValueError, match="Too many channels"):
        validation.validate_channels(channels)
    assert channels.read == 101
    assert validation.validate_channels(iter(["a", "b"])) == ["a", "b"]
    with pytest.raises(ValueError, match="Too many channels: 150"):
        validation.validate_channels(["a"] * 150)


def test_endless_iterables_send_nothing(pusher_server: LocalPusherServer, served: pusher_fast.Pusher) -> None:
    channels = Counting(itertools.repeat("a"))
    with pytest.raises(ValueError, match="Too many channels"):
        served.trigger(channels, "e", "d")
    events = Counting(itertools.repeat(EVENT))
    with pytest.raises(ValueError, match="Too many events"):
        served.trigger_batch(events)
    assert (channels.read, events.read) == (101, 11)
    assert pusher_server.requests == ()
    assert pusher_server.events == ()
    served.trigger(Counting(["a", "b"]), "e", "d")  # the same client still sends
    assert pusher_server.wait_for_events(1)[0].channels == ("a", "b")


# --- f. mapping-likes ----------------------------------------------------------------------------------------------


class MappingOf(collections.abc.Mapping[str, Any]):
    """A read-only Mapping that is not a dict."""

    def __init__(self, items: dict[str, Any]) -> None:
        self._items = items

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


class KeysAndItems:
    """Only ``keys()`` and ``__getitem__``: what ``dict(obj)`` and ``**obj`` accept."""

    def __init__(self, items: dict[str, Any]) -> None:
        self._items = items

    def keys(self) -> KeysView[str]:
        return self._items.keys()

    def __getitem__(self, key: str) -> Any:
        return self._items[key]


MAPPING_LIKES = [MappingOf, KeysAndItems]
NOT_MAPPINGS = {"str": "user_id", "list": [("user_id", "u")], "int": 5}


@pytest.mark.parametrize("wrap", MAPPING_LIKES)
def test_mapping_like_custom_data_and_user_data(wrap: Any, official: Any, ours: pusher_fast.Pusher) -> None:
    custom_data = {"user_id": "u1", "user_info": {"name": "Zoë", "n": [1, None]}}
    expected = official._authentication_client.authenticate("presence-r", "1.1", custom_data)
    assert ours.authenticate("presence-r", "1.1", wrap(custom_data)) == expected
    user_data = {"id": "u1", "user_info": {"a": 1}, "watchlist": ["x"]}
    expected = official._authentication_client.authenticate_user("1.1", user_data)
    assert ours.authenticate_user("1.1", wrap(user_data)) == expected


@pytest.mark.parametrize("wrap", MAPPING_LIKES)
def test_mapping_like_batch_events(
    wrap: Any, official: Any, ours: pusher_fast.Pusher, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(time, "time", lambda: NOW)
    batch = [
        {"channel": "c1", "name": "e", "data": {"z": 1, "a": [2]}, "socket_id": "1.2"},
        {"name": "n", "channel": "c2", "data": "text"},
    ]
    official_request = official._pusher_client.trigger_batch.make_request(copy.deepcopy(batch))
    ours_request = ours.prepare.trigger_batch([wrap(event) for event in batch])
    assert ours_request.body == official_request.body
    assert ours_request.query_params == official_request.query_params


@pytest.mark.parametrize("wrap", MAPPING_LIKES)
def test_mapping_like_trigger_many_events(
    wrap: Any, pusher_server: LocalPusherServer, served: pusher_fast.Pusher
) -> None:
    events: list[dict[str, Any]] = [
        {"channel": "c1", "name": "e1", "data": {"k": "v"}},
        {"channels": ["c2", "c3"], "name": "e2", "data": "d", "socket_id": "1.1"},
    ]
    assert served.trigger_many(events).sent == 2
    from_dicts = pusher_server.wait_for_events(3)
    result = served.trigger_many([wrap(event) for event in events])
    assert (result.sent, result.failed) == (2, [])
    from_wrapped = pusher_server.wait_for_events(6)[3:]
    assert sorted(from_wrapped, key=repr) == sorted(from_dicts, key=repr)
    assert {event.data for event in from_wrapped} == {'{"k": "v"}', "d"}


@pytest.mark.parametrize("value", NOT_MAPPINGS.values(), ids=NOT_MAPPINGS.keys())
def test_non_mappings_are_a_type_error_naming_the_argument(
    value: Any, ours: pusher_fast.Pusher, pusher_server: LocalPusherServer, served: pusher_fast.Pusher
) -> None:
    with pytest.raises(TypeError, match="custom_data"):
        ours.authenticate("presence-r", "1.1", value)
    with pytest.raises(TypeError, match="user_data"):
        ours.authenticate_user("1.1", value)
    with pytest.raises(TypeError, match="batch event #1"):
        ours.prepare.trigger_batch([EVENT, value])
    result = served.trigger_many([EVENT, value])
    assert result.sent == 1
    assert [(failure.index, type(failure.error)) for failure in result.failed] == [(1, TypeError)]
    assert "event" in str(result.failed[0].error)


# --- h. URLs holding a secret --------------------------------------------------------------------------------------


def test_from_url_secret_with_an_at_sign() -> None:
    with pusher_fast.Pusher.from_url("http://key:S3CR3T@7f9a2b@host/apps/1") as client:
        assert (client.key, client.secret, client.host, client.app_id) == ("key", "S3CR3T@7f9a2b", "host", "1")
        assert (client.port, client.ssl) == (80, False)


SECRETS = ["S3CR3T@7f9a2b", "SECRETX-9q4w"]
BAD_URLS = {
    "port out of range": "http://key:{secret}@host:99999/apps/1",
    "port 0": "http://key:{secret}@host:0/apps/1",
    "port not a number": "http://key:{secret}@host:abc/apps/1",
    "huge port": "https://key:{secret}@host:99999999999999999999/apps/1",
    "no app id": "http://key:{secret}@host/apps/",
    "no apps path": "http://key:{secret}@host/",
    "bad scheme": "ftp://key:{secret}@host/apps/1",
    "no scheme": "key:{secret}@host/apps/1",
    "no key": "http://:{secret}@host/apps/1",
    "no host": "http://key:{secret}@/apps/1",
    "space in host": "http://key:{secret}@ho st/apps/1",
    "extra path": "http://key:{secret}@host/apps/1/events",
    "query string": "http://key:{secret}@host/apps/1?x=1",
    "bad app id": "http://key:{secret}@host/apps/a b",
    "trailing newline": "http://key:{secret}@host/apps/1\n",
    "letter in port": "http://key:{secret}@host:8o/apps/1",
    # The host left out: what follows the secret's last "@" is read as the host, so no error may show the host.
    "host missing, secret with a space": "http://key:{secret}@7f9a 2b/apps/1",
}


URL_ERRORS = r"\A(Unparsable url|Invalid host|Invalid app id|port must be between)"


def assert_secret_not_leaked(error: BaseException, secret: str) -> None:
    text = "".join(traceback.format_exception(type(error), error, None))  # the message and any chained one
    for start in range(len(secret) - 3):
        assert secret[start : start + 4] not in text, (secret[start : start + 4], text)


@pytest.mark.parametrize("secret", SECRETS)
@pytest.mark.parametrize("template", BAD_URLS.values(), ids=BAD_URLS.keys())
def test_bad_url_error_never_shows_the_secret(template: str, secret: str, monkeypatch: pytest.MonkeyPatch) -> None:
    url = template.format(secret=secret)
    with pytest.raises(ValueError, match=URL_ERRORS) as caught:
        pusher_fast.Pusher.from_url(url)
    assert_secret_not_leaked(caught.value, secret)
    monkeypatch.setenv("PUSHER_URL", url)
    with pytest.raises(ValueError, match=URL_ERRORS) as from_env:
        pusher_fast.Pusher.from_env()
    assert str(from_env.value) == str(caught.value)
    assert_secret_not_leaked(from_env.value, secret)


def test_from_env_reads_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUSHER_URL", "https://key:S3CR3T@7f9a2b@api-eu.pusher.com/apps/42")
    with pusher_fast.Pusher.from_env() as client:
        assert (client.secret, client.host, client.app_id, client.port) == (
            "S3CR3T@7f9a2b",
            "api-eu.pusher.com",
            "42",
            443,
        )
    monkeypatch.delenv("PUSHER_URL")
    with pytest.raises(ValueError, match="PUSHER_URL not found"):
        pusher_fast.Pusher.from_env()


# --- i. retry option ranges ----------------------------------------------------------------------------------------


def test_retry_bounds_come_from_the_core() -> None:
    assert _native.MAX_RETRIES == 100
    assert _native.MAX_BACKOFF_SECONDS == 3600.0


@pytest.mark.parametrize("retries", [2**40, -1, 101, _native.MAX_RETRIES + 1, -(2**70)])
def test_retries_out_of_range(retries: int) -> None:
    with pytest.raises(ValueError, match=r"\Aretries must be an integer from 0 to 100"):
        pusher_fast.Pusher(APP_ID, KEY, SECRET, retries=retries)


@pytest.mark.parametrize("retries", [0, 1, 100])
def test_retries_in_range(retries: int) -> None:
    with pusher_fast.Pusher(APP_ID, KEY, SECRET, retries=retries) as client:
        assert client.prepare.channels_info().method == "GET"


@pytest.mark.parametrize("name", ["backoff", "max_backoff"])
@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, 1e20, 10**400, 0, 0.0, -1, 3600.0001, 3601])
def test_backoff_out_of_range(name: str, value: float) -> None:
    option: dict[str, Any] = {name: value}
    with pytest.raises(ValueError, match=rf"\A{name} must be a finite number of seconds above 0 and at most 3600"):
        pusher_fast.Pusher(APP_ID, KEY, SECRET, **option)
    with (
        pusher_fast.Pusher(APP_ID, KEY, SECRET, backend=NoSend) as client,
        pytest.raises(ValueError, match=rf"\A{name} must be"),
    ):
        client.trigger_many([EVENT], **option)


@pytest.mark.parametrize("name", ["backoff", "max_backoff"])
@pytest.mark.parametrize("value", [3600, 3600.0, 0.001, 5e-324, 1])
def test_backoff_in_range(name: str, value: float) -> None:
    option: dict[str, Any] = {name: value}
    with pusher_fast.Pusher(APP_ID, KEY, SECRET, retries=1, **option) as client:
        assert client.prepare.channels_info().method == "GET"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("retries", True),
        ("retries", False),
        ("retries", 1.0),
        ("backoff", True),
        ("max_backoff", False),
        ("backoff", "1"),
    ],
)
def test_retry_option_of_the_wrong_type(name: str, value: Any) -> None:
    with pytest.raises(TypeError, match=rf"\A{name} should be"):
        pusher_fast.Pusher(APP_ID, KEY, SECRET, **{name: value})
