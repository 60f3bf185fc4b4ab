"""pusher_fast.endpoints: pusher-js's auth requests in, status and JSON out; every refusal path.

Signatures are recomputed here with hmac/hashlib, independently of the library.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import pytest

from pusher_fast import AsyncPusher, Pusher
from pusher_fast.endpoints import MAX_BODY_BYTES, AuthResponse, channel_auth_response, user_auth_response
from tests.sdk_pair import MASTER_KEY, MASTER_KEY_BASE64

KEY, SECRET = "app-key", "app-secret"
SOCKET = "1234.5678"
MEMBER = {"user_id": "42", "user_info": {"name": "Zoë"}}


@pytest.fixture
def client() -> Pusher:
    return Pusher(app_id="1", key=KEY, secret=SECRET, encryption_master_key_base64=MASTER_KEY_BASE64)


def signature(message: str) -> str:
    return f"{KEY}:" + hmac.new(SECRET.encode(), message.encode(), hashlib.sha256).hexdigest()


def form(**fields: str) -> bytes:
    return urlencode(fields).encode()


def allow(channel: str) -> bool:
    return True


def refuse(channel: str) -> bool:
    return False


def body_of(answer: AuthResponse) -> dict[str, Any]:
    assert answer.content_type == "application/json"
    assert answer.headers == {"Content-Type": "application/json", "Cache-Control": "no-store"}
    parsed = json.loads(answer.body)
    assert isinstance(parsed, dict)
    return parsed


def test_private_channel_from_pusher_js_form(client: Pusher) -> None:
    answer = channel_auth_response(client, form(socket_id=SOCKET, channel_name="private-orders"), may_join=allow)
    assert answer.status == 200
    assert answer.ok
    assert body_of(answer) == {"auth": signature(f"{SOCKET}:private-orders")}


def test_presence_channel_signs_member_data(client: Pusher) -> None:
    answer = channel_auth_response(
        client, form(socket_id=SOCKET, channel_name="presence-lobby"), may_join=allow, member=MEMBER
    )
    payload = body_of(answer)
    assert json.loads(payload["channel_data"]) == MEMBER
    assert payload["auth"] == signature(f"{SOCKET}:presence-lobby:{payload['channel_data']}")


def test_member_data_is_not_sent_for_private_channels(client: Pusher) -> None:
    answer = channel_auth_response(
        client, form(socket_id=SOCKET, channel_name="private-x"), may_join=allow, member=MEMBER
    )
    assert body_of(answer) == {"auth": signature(f"{SOCKET}:private-x")}


def test_encrypted_channel_gets_the_shared_secret(client: Pusher) -> None:
    channel = "private-encrypted-vault"
    answer = channel_auth_response(client, form(socket_id=SOCKET, channel_name=channel), may_join=allow)
    payload = body_of(answer)
    assert payload["auth"] == signature(f"{SOCKET}:{channel}")
    expected = base64.b64encode(hashlib.sha256(channel.encode() + MASTER_KEY).digest()).decode()
    assert payload["shared_secret"] == expected


@pytest.mark.parametrize(
    "body",
    [
        form(socket_id=SOCKET, channel_name="private-a"),
        form(socket_id=SOCKET, channel_name="private-a").decode(),
        bytearray(form(socket_id=SOCKET, channel_name="private-a")),
        memoryview(form(socket_id=SOCKET, channel_name="private-a")),
        form(socket_id=SOCKET, channel_name="private-a", csrf="custom param from pusher-js"),
        {"socket_id": SOCKET, "channel_name": "private-a"},
        json.dumps({"socket_id": SOCKET, "channel_name": "private-a"}),
        b'  {"socket_id": "1234.5678", "channel_name": "private-a", "extra": 1}',
    ],
    ids=["bytes", "str", "bytearray", "memoryview", "extra-params", "mapping", "json-str", "json-bytes"],
)
def test_every_body_form_is_read(client: Pusher, body: Any) -> None:
    answer = channel_auth_response(client, body, may_join=allow)
    assert body_of(answer) == {"auth": signature(f"{SOCKET}:private-a")}


class MultiDict(dict[str, str]):
    """The shape of Werkzeug's, Django's and Starlette's form dicts: one value by key, all of them by getlist."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        super().__init__(pairs)
        self._pairs = pairs

    def getlist(self, name: str) -> list[str]:
        return [value for key, value in self._pairs if key == name]


def test_multi_value_mapping_with_one_value_each(client: Pusher) -> None:
    body = MultiDict([("socket_id", SOCKET), ("channel_name", "private-a")])
    assert channel_auth_response(client, body, may_join=allow).status == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "socket_id is missing"),
        (form(channel_name="private-a"), "socket_id is missing"),
        (form(socket_id=SOCKET), "channel_name is missing"),
        (form(socket_id="", channel_name="private-a"), "socket_id is not a valid socket id"),
        (form(socket_id="abc", channel_name="private-a"), "socket_id is not a valid socket id"),
        (form(socket_id="1.2.3", channel_name="private-a"), "socket_id is not a valid socket id"),
        (form(socket_id="\u0661.\u0662", channel_name="private-a"), "not a valid socket id"),  # Arabic-Indic
        (form(socket_id=SOCKET, channel_name=""), "channel_name is not a valid channel name"),
        (form(socket_id=SOCKET, channel_name="private-a b"), "channel_name is not a valid channel name"),
        (form(socket_id=SOCKET, channel_name="private-" + "x" * 300), "channel_name is not a valid channel name"),
        (form(socket_id=SOCKET, channel_name="#server-to-user-42"), "channel_name is not a valid channel name"),
        (form(socket_id=SOCKET, channel_name="public-news"), "only private- and presence- channels"),
        (b"socket_id=1.2&socket_id=3.4&channel_name=private-a", "socket_id is given more than once"),
        (b"socket_id=1.2&channel_name=private-a&channel_name=private-b", "channel_name is given more than once"),
        (b"\xff\xfe", "not UTF-8"),
        (b"socket_id=%FF&channel_name=private-a", "socket_id is not a valid socket id"),
        (b"x" * (MAX_BODY_BYTES + 1), "too large"),
        ("x" * (MAX_BODY_BYTES + 1), "too large"),
        ("&".join(f"f{i}=1" for i in range(200)).encode(), "too many fields"),
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "socket_id is missing"),
        (b"{[1]", "not valid JSON"),
        (json.dumps({"socket_id": 1.2, "channel_name": "private-a"}).encode(), "socket_id should be a string"),
        (json.dumps({"socket_id": SOCKET, "channel_name": None}).encode(), "channel_name should be a string"),
        ({"socket_id": SOCKET}, "channel_name is missing"),
        ({"socket_id": SOCKET, "channel_name": ["private-a"]}, "channel_name should be a string"),
        (MultiDict([("socket_id", SOCKET), ("socket_id", "1.1"), ("channel_name", "private-a")]), "more than once"),
    ],
)
def test_malformed_requests_are_400(client: Pusher, body: Any, message: str) -> None:
    decided: list[str] = []

    def may_join(channel: str) -> bool:
        decided.append(channel)
        return True

    answer = channel_auth_response(client, body, may_join=may_join, member=MEMBER)
    assert answer.status == 400
    assert not answer.ok
    assert message in body_of(answer)["error"]
    assert decided == [], "the app is not asked about a malformed request"


def test_json_array_body_is_400(client: Pusher) -> None:
    # A JSON text that is not an object is not mistaken for a form either.
    answer = channel_auth_response(client, b'  {"a": 1}', may_join=allow)
    assert answer.status == 400
    assert body_of(channel_auth_response(client, b" [1]", may_join=allow))["error"] == "socket_id is missing"


def test_refusal_is_403(client: Pusher) -> None:
    asked: list[str] = []

    def may_join(channel: str) -> bool:
        asked.append(channel)
        return False

    answer = channel_auth_response(client, form(socket_id=SOCKET, channel_name="private-admin"), may_join=may_join)
    assert (answer.status, body_of(answer)) == (403, {"error": "not allowed to join this channel"})
    assert asked == ["private-admin"]


def test_presence_without_member_is_403(client: Pusher) -> None:
    answer = channel_auth_response(client, form(socket_id=SOCKET, channel_name="presence-lobby"), may_join=allow)
    assert (answer.status, body_of(answer)) == (403, {"error": "not signed in"})


def test_presence_refused_by_the_app_before_member_is_looked_at(client: Pusher) -> None:
    answer = channel_auth_response(client, form(socket_id=SOCKET, channel_name="presence-x"), may_join=refuse)
    assert body_of(answer) == {"error": "not allowed to join this channel"}


def test_may_join_must_return_a_bool(client: Pusher) -> None:
    async def may_join(channel: str) -> bool:
        return True

    with pytest.raises(TypeError, match="may_join must return a bool, it returned a coroutine"):
        channel_auth_response(
            client,
            form(socket_id=SOCKET, channel_name="private-a"),
            may_join=may_join,  # type: ignore[arg-type]  # the mistake under test
        )


def test_errors_of_the_app_raise(client: Pusher) -> None:
    body = form(socket_id=SOCKET, channel_name="presence-lobby")
    with pytest.raises(ValueError, match="user_id"):
        channel_auth_response(client, body, may_join=allow, member={"name": "no id"})
    no_key = Pusher(app_id="1", key=KEY, secret=SECRET)
    with pytest.raises(ValueError, match="master key"):
        channel_auth_response(no_key, form(socket_id=SOCKET, channel_name="private-encrypted-x"), may_join=allow)
    with pytest.raises(TypeError, match="body should be bytes, str or a mapping"):
        channel_auth_response(client, 42, may_join=allow)  # type: ignore[arg-type]  # the mistake under test


def test_nothing_secret_or_sent_is_echoed(client: Pusher) -> None:
    probe = "<script>alert(1)</script>"
    for body in (
        form(socket_id=probe, channel_name="private-a"),
        form(socket_id=SOCKET, channel_name=probe),
        {"socket_id": SOCKET, "channel_name": f"private-{probe}"},
    ):
        answer = channel_auth_response(client, body, may_join=allow)
        assert answer.status == 400
        assert "script" not in answer.body
        assert SECRET not in answer.body


def test_user_sign_in() -> None:
    user = {"id": "42", "user_info": {"name": "Zoë"}, "watchlist": ["7"]}
    client = Pusher(app_id="1", key=KEY, secret=SECRET)
    payload = body_of(user_auth_response(client, form(socket_id=SOCKET), user=user))
    assert json.loads(payload["user_data"]) == user
    assert payload["auth"] == signature(f"{SOCKET}::user::{payload['user_data']}")


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"", 400, "socket_id is missing"),
        (form(socket_id="1"), 400, "socket_id is not a valid socket id"),
        (b"socket_id=1.2&socket_id=1.3", 400, "socket_id is given more than once"),
        (b"\xc3", 400, "not UTF-8"),
        ({"socket_id": 12}, 400, "socket_id should be a string"),
    ],
)
def test_user_sign_in_malformed(body: Any, status: int, message: str) -> None:
    client = Pusher(app_id="1", key=KEY, secret=SECRET)
    answer = user_auth_response(client, body, user={"id": "42"})
    assert answer.status == status
    assert message in body_of(answer)["error"]


def test_user_sign_in_without_user_is_403() -> None:
    client = Pusher(app_id="1", key=KEY, secret=SECRET)
    answer = user_auth_response(client, form(socket_id=SOCKET), user=None)
    assert (answer.status, body_of(answer)) == (403, {"error": "not signed in"})


def test_user_data_without_id_is_the_apps_mistake() -> None:
    client = Pusher(app_id="1", key=KEY, secret=SECRET)
    with pytest.raises(ValueError, match="id"):
        user_auth_response(client, form(socket_id=SOCKET), user={"name": "no id"})


@pytest.mark.asyncio
async def test_async_client_fits() -> None:
    async with AsyncPusher(app_id="1", key=KEY, secret=SECRET) as client:
        answer = channel_auth_response(client, form(socket_id=SOCKET, channel_name="private-a"), may_join=allow)
        user: Mapping[str, Any] = {"id": "1"}
        assert answer.status == 200
        assert user_auth_response(client, form(socket_id=SOCKET), user=user).status == 200
