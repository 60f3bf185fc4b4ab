"""The Flask, FastAPI and Django examples, each through its framework's test client, against the local server.

One scenario runs on all three. Auth responses are verified here with hmac/hashlib; webhooks are built and signed by
``LocalPusherServer.webhook_request``; triggers are checked in what the local server recorded (encrypted ones opened
with the master key).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode

import pytest

from pusher_fast import AsyncPusher, Pusher
from pusher_fast.testing import LocalPusherServer
from tests.sdk_pair import MASTER_KEY, MASTER_KEY_BASE64

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

SOCKET = "123.456"


class Answer:
    def __init__(self, status: int, body: bytes, content_type: str) -> None:
        self.status = status
        self.body = body
        self.content_type = content_type

    def json(self) -> Any:
        return json.loads(self.body)


class App(Protocol):
    """One example behind its framework's test client."""

    received: list[Any]

    def get(self, path: str) -> Answer: ...

    def post(self, path: str, body: bytes, content_type: str, headers: Mapping[str, str]) -> Answer: ...


class FlaskApp:
    def __init__(self, pusher: Pusher) -> None:
        import flask_app

        app = flask_app.create_app(pusher)
        self.received: list[Any] = app.extensions["webhook_events"]
        self._client = app.test_client()

    def get(self, path: str) -> Answer:
        response = self._client.get(path)
        try:
            return Answer(response.status_code, response.get_data(), response.content_type)
        finally:
            response.close()  # send_file's open file

    def post(self, path: str, body: bytes, content_type: str, headers: Mapping[str, str]) -> Answer:
        response = self._client.post(path, data=body, content_type=content_type, headers=dict(headers))
        return Answer(response.status_code, response.get_data(), response.content_type)


class FastApiApp:
    def __init__(self, pusher: AsyncPusher) -> None:
        import fastapi_app
        from fastapi.testclient import TestClient

        app = fastapi_app.create_app(pusher)
        self.received: list[Any] = app.state.webhook_events
        self._client = TestClient(app)

    def get(self, path: str) -> Answer:
        response = self._client.get(path)
        return Answer(response.status_code, response.content, response.headers.get("content-type", ""))

    def post(self, path: str, body: bytes, content_type: str, headers: Mapping[str, str]) -> Answer:
        response = self._client.post(path, content=body, headers={**headers, "Content-Type": content_type})
        return Answer(response.status_code, response.content, response.headers.get("content-type", ""))


class DjangoApp:
    """With CSRF checks enforced, as in a browser: the page hands out the token that the POSTs then carry."""

    def __init__(self) -> None:
        import django_app
        from django.test import Client

        self.received = django_app.received
        self._client = Client(enforce_csrf_checks=True)
        self.csrf_token = json.loads(_page_config(self.get("/").body.decode()))["headers"]["X-CSRFToken"]

    def get(self, path: str) -> Answer:
        response = self._client.get(path)
        body = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
        return Answer(response.status_code, body, response.headers.get("Content-Type", ""))

    def post(self, path: str, body: bytes, content_type: str, headers: Mapping[str, str]) -> Answer:
        all_headers = {"X-CSRFToken": self.csrf_token, **headers}
        response = self._client.post(path, data=body, content_type=content_type, headers=all_headers)
        return Answer(response.status_code, response.content, response.headers.get("Content-Type", ""))


def _page_config(html: str) -> str:
    match = re.search(r'<script id="config" type="application/json">(.*?)</script>', html, re.S)
    assert match is not None, html[:500]
    return match.group(1)


@pytest.fixture
def server() -> Iterator[LocalPusherServer]:
    with LocalPusherServer(encryption_master_key_base64=MASTER_KEY_BASE64) as local:
        yield local


@pytest.fixture(params=["flask", "fastapi", "django"])
def app(request: pytest.FixtureRequest, server: LocalPusherServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    options = {**server.client_options(), "encryption_master_key_base64": MASTER_KEY_BASE64}
    if request.param == "flask":
        with Pusher(**options) as pusher:
            yield FlaskApp(pusher)
    elif request.param == "fastapi":
        yield FastApiApp(AsyncPusher(**options))
    else:
        import django_app

        url = f"http://{server.key}:{server.secret}@{server.host}:{server.port}/apps/{server.app_id}"
        monkeypatch.setenv("PUSHER_URL", url)
        monkeypatch.setenv("PUSHER_ENCRYPTION_MASTER_KEY_BASE64", MASTER_KEY_BASE64)
        django_app.pusher_client.cache_clear()
        django_app.received.clear()
        try:
            yield DjangoApp()
        finally:
            django_app.pusher_client().close()
            django_app.pusher_client.cache_clear()


def auth(app: App, path: str, user: str | None, **fields: str) -> Answer:
    headers = {} if user is None else {"X-Demo-User": user}
    return app.post(path, urlencode(fields).encode(), "application/x-www-form-urlencoded", headers)


def send(app: App, user: str | None, payload: Any) -> Answer:
    headers = {} if user is None else {"X-Demo-User": user}
    return app.post("/trigger", json.dumps(payload).encode(), "application/json", headers)


def signed(server: LocalPusherServer, message: str) -> str:
    return f"{server.key}:" + hmac.new(server.secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def test_page_is_configured_for_the_server(app: App, server: LocalPusherServer) -> None:
    page = app.get("/")
    assert page.status == 200
    assert page.content_type.startswith("text/html")
    config = json.loads(_page_config(page.body.decode()))
    assert config["key"] == server.key
    assert config["connection"]["wsHost"] == server.host
    assert config["connection"]["wsPort"] == server.port
    assert config["connection"]["forceTLS"] is False
    assert set(config["channels"]) >= {"private-notes", "presence-lobby", "private-encrypted-vault"}
    assert server.secret not in page.body.decode()


def test_page_serves_pusher_js_when_installed(app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUSHER_JS_FILE", str(tmp_path / "missing.js"))
    assert app.get("/static/pusher-with-encryption.min.js").status == 404
    script = tmp_path / "pusher-with-encryption.min.js"
    script.write_text("window.Pusher = function () {};")
    monkeypatch.setenv("PUSHER_JS_FILE", str(script))
    served = app.get("/static/pusher-with-encryption.min.js")
    assert served.status == 200
    assert served.body == script.read_bytes()
    assert served.content_type.startswith("text/javascript")


def test_channel_auth_private_presence_encrypted(app: App, server: LocalPusherServer) -> None:
    private = auth(app, "/pusher/auth", "alice", socket_id=SOCKET, channel_name="private-notes")
    assert private.status == 200
    assert private.json() == {"auth": signed(server, f"{SOCKET}:private-notes")}

    presence = auth(app, "/pusher/auth", "alice", socket_id=SOCKET, channel_name="presence-lobby").json()
    assert json.loads(presence["channel_data"]) == {"user_id": "alice", "user_info": {"name": "Alice"}}
    assert presence["auth"] == signed(server, f"{SOCKET}:presence-lobby:{presence['channel_data']}")

    channel = "private-encrypted-vault"
    encrypted = auth(app, "/pusher/auth", "bob", socket_id=SOCKET, channel_name=channel).json()
    assert encrypted["auth"] == signed(server, f"{SOCKET}:{channel}")
    shared = base64.b64encode(hashlib.sha256(channel.encode() + MASTER_KEY).digest()).decode()
    assert encrypted["shared_secret"] == shared


def test_channel_auth_refusals(app: App) -> None:
    admin_room = {"socket_id": SOCKET, "channel_name": "private-admin-room"}
    assert auth(app, "/pusher/auth", "alice", **admin_room).status == 403
    assert auth(app, "/pusher/auth", "root", **admin_room).status == 200
    assert auth(app, "/pusher/auth", "alice", socket_id=SOCKET, channel_name="private-user-bob").status == 403
    assert auth(app, "/pusher/auth", "bob", socket_id=SOCKET, channel_name="private-user-bob").status == 200
    assert auth(app, "/pusher/auth", None, socket_id=SOCKET, channel_name="private-notes").status == 403
    assert auth(app, "/pusher/auth", "mallory", socket_id=SOCKET, channel_name="presence-lobby").status == 403
    malformed = auth(app, "/pusher/auth", "alice", socket_id="nope", channel_name="private-notes")
    assert malformed.status == 400
    assert malformed.json() == {"error": "socket_id is not a valid socket id"}
    assert auth(app, "/pusher/auth", "alice", socket_id=SOCKET).status == 400


def test_user_sign_in(app: App, server: LocalPusherServer) -> None:
    answer = auth(app, "/pusher/user-auth", "alice", socket_id=SOCKET)
    assert answer.status == 200
    payload = answer.json()
    assert json.loads(payload["user_data"]) == {"id": "alice", "user_info": {"name": "Alice"}, "watchlist": ["bob"]}
    assert payload["auth"] == signed(server, f"{SOCKET}::user::{payload['user_data']}")
    assert auth(app, "/pusher/user-auth", None, socket_id=SOCKET).status == 403
    assert auth(app, "/pusher/user-auth", "alice", socket_id="1").status == 400


def test_webhook_validated_and_decrypted(app: App, server: LocalPusherServer) -> None:
    # An encrypted envelope made by a real trigger, handed back in a webhook: the app opens it with the master key.
    assert send(app, "alice", {"channel": "private-encrypted-vault", "event": "seal", "data": {"pin": 7}}).status == 200
    (sealed,) = server.events
    hook = server.webhook_request(
        [
            {"name": "member_added", "channel": "presence-lobby", "user_id": "bob"},
            {"name": "client_event", "channel": "private-encrypted-vault", "event": "client-x", "data": sealed.data},
        ]
    )
    answer = app.post("/pusher/webhook", hook.body, "application/json", hook.headers)
    assert (answer.status, answer.json()) == (200, {"received": 2})
    added, opened = app.received
    assert (added.name, added.channel, added.user_id) == ("member_added", "presence-lobby", "bob")
    assert (opened.name, opened.event) == ("client_event", "client-x")
    assert json.loads(opened.data) == {"pin": 7}


def test_webhook_with_a_bad_signature_is_401(app: App, server: LocalPusherServer) -> None:
    hook = server.webhook_request([{"name": "channel_occupied", "channel": "c"}], secret="not-the-secret")
    answer = app.post("/pusher/webhook", hook.body, "application/json", hook.headers)
    assert answer.status == 401
    assert "X-Pusher-Signature" in answer.json()["error"]
    unsigned = app.post("/pusher/webhook", hook.body, "application/json", {})
    assert unsigned.status == 401
    assert app.received == []


def test_trigger_route(app: App, server: LocalPusherServer) -> None:
    assert send(app, "alice", {"channel": "private-notes", "event": "note", "data": {"text": "hi ✓"}}).status == 200
    assert send(app, "alice", {"channel": "private-encrypted-vault", "event": "secret", "data": "s3"}).status == 200
    assert send(app, "alice", {"user_id": "bob", "event": "direct", "data": {"from": "alice"}}).status == 200
    note, secret, direct = server.wait_for_events(3)
    assert (note.channels, note.name, json.loads(note.data)) == (("private-notes",), "note", {"text": "hi ✓"})
    assert secret.channels == ("private-encrypted-vault",)
    assert "ciphertext" in secret.data
    assert server.plaintext(secret) == "s3"
    assert (direct.channels, direct.name, json.loads(direct.data)) == (
        ("#server-to-user-bob",),
        "direct",
        {"from": "alice"},
    )


def test_trigger_route_refusals(app: App, server: LocalPusherServer) -> None:
    assert send(app, None, {"channel": "private-notes", "event": "e", "data": 1}).status == 403
    assert send(app, "alice", {"channel": "private-admin-room", "event": "e", "data": 1}).status == 403
    assert send(app, "alice", {"event": "e", "data": 1}).status == 403
    assert send(app, "alice", ["not", "an", "object"]).status in (400, 422)  # FastAPI validates with 422
    assert send(app, "alice", {"channel": "private-notes", "data": 1}).status in (400, 422)
    invalid = send(app, "alice", {"channel": "private-bad name", "event": "e", "data": 1})
    assert invalid.status == 400
    assert "Invalid Channel" in invalid.json()["error"]
    assert send(app, "alice", {"channel": "private-notes", "event": "e", "data": "x" * 20000}).status == 400
    server.fail_next(500, "boom")
    failed = send(app, "alice", {"channel": "private-notes", "event": "e", "data": 1})
    assert failed.status == 502
    assert "boom" in failed.json()["error"]
    assert server.events == ()


def test_django_keeps_csrf_protection(server: LocalPusherServer, monkeypatch: pytest.MonkeyPatch) -> None:
    import django_app
    from django.test import Client

    monkeypatch.setenv("PUSHER_URL", f"http://{server.key}:{server.secret}@{server.host}:{server.port}/apps/app-id")
    django_app.pusher_client.cache_clear()
    try:
        client = Client(enforce_csrf_checks=True)
        body = urlencode({"socket_id": SOCKET, "channel_name": "private-notes"})
        response = client.post(
            "/pusher/auth", body, "application/x-www-form-urlencoded", headers={"X-Demo-User": "alice"}
        )
        assert response.status_code == 403
        assert b"CSRF" in response.content
    finally:
        django_app.pusher_client().close()
        django_app.pusher_client.cache_clear()
