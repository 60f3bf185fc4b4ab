"""A real browser: headless Chromium runs the Flask example's page against soketi, through the app's own endpoints.

pusher-js (the encryption build, served by the app from the installed npm package) signs in through
``/pusher/user-auth``, subscribes to private, presence and encrypted channels through ``/pusher/auth`` and shows what
arrives in the DOM; events go out through the app's ``/trigger`` route. A second tab signs in as another user, so the
first sees the presence member arrive.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from werkzeug.serving import make_server

from devtools.installs import NotInstalled, node_modules
from pusher_fast import Pusher

from .browser import Browser
from .harness import ServerProcess

pytestmark = pytest.mark.e2e

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def app_url(soketi_server: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The Flask example on a free loopback port, its client pointed at soketi."""
    monkeypatch.setenv("PUSHER_JS_FILE", str(node_modules() / "pusher-js/dist/web/pusher-with-encryption.min.js"))
    monkeypatch.syspath_prepend(str(EXAMPLES))
    import flask_app

    with Pusher(**soketi_server.client_options()) as pusher:
        server = make_server("127.0.0.1", 0, flask_app.create_app(pusher), threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="flask-example", daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.port}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    try:
        chromium = Browser(tmp_path / "profile", tmp_path / "chromedriver.log")
    except NotInstalled as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield chromium
    finally:
        # What the page showed at the end, for whoever reads a failure (pytest keeps the last runs' tmp_path).
        with contextlib.suppress(Exception):
            chromium.screenshot(tmp_path / "page.png")
        chromium.close()


def text_of(browser: Browser, element_id: str) -> str:
    text: str = browser.run("return document.getElementById(arguments[0]).textContent", element_id)
    return text


def channel_state(browser: Browser, channel: str) -> str:
    state: str = browser.run("return document.getElementById('channel-' + arguments[0]).dataset.state", channel)
    return state


def members(browser: Browser) -> list[str]:
    ids: list[str] = browser.run(
        "return [...document.querySelectorAll('#members li')].map((item) => item.dataset.userId)"
    )
    return ids


def event_text(browser: Browser, channel: str, event: str) -> str | None:
    text: str | None = browser.run(
        "const item = [...document.querySelectorAll('#events li')]"
        "  .find((li) => li.dataset.channel === arguments[0] && li.dataset.event === arguments[1]);"
        "return item ? item.textContent : null;",
        channel,
        event,
    )
    return text


def trigger(app_url: str, user: str, payload: dict[str, Any]) -> None:
    response = httpx.post(f"{app_url}/trigger", json=payload, headers={"X-Demo-User": user}, trust_env=False)
    assert response.status_code == 200, response.text


@pytest.mark.timeout(180)
def test_browser_signs_in_subscribes_and_receives(app_url: str, browser: Browser) -> None:
    browser.open(f"{app_url}/?user=alice")
    alice = browser.window()
    browser.wait_for("pusher-js connected", lambda: text_of(browser, "connection") == "connected")
    browser.wait_for("signed in through /pusher/user-auth", lambda: text_of(browser, "signin") == "signed in")
    for channel in ("private-notes", "presence-lobby", "private-encrypted-vault"):
        browser.wait_for(f"subscribed to {channel}", lambda ch=channel: channel_state(browser, ch) == "subscribed")
    browser.wait_for("private-admin-room refused", lambda: channel_state(browser, "private-admin-room") == "refused")
    assert "403" in text_of(browser, "channel-private-admin-room")
    assert members(browser) == ["alice"]

    browser.new_window()
    browser.open(f"{app_url}/?user=bob")
    browser.wait_for("bob in the lobby", lambda: channel_state(browser, "presence-lobby") == "subscribed")
    browser.switch_to(alice)
    browser.wait_for("bob shown to alice", lambda: sorted(members(browser)) == ["alice", "bob"])
    assert "Bob" in text_of(browser, "members")

    trigger(app_url, "bob", {"channel": "private-notes", "event": "note", "data": {"text": "hello ✓"}})
    trigger(app_url, "bob", {"channel": "private-encrypted-vault", "event": "secret", "data": {"pin": "0451"}})
    trigger(app_url, "bob", {"user_id": "alice", "event": "direct", "data": {"from": "bob"}})
    note = browser.wait_for("the note", lambda: event_text(browser, "private-notes", "note"))
    assert note == 'private-notes note: {"text":"hello ✓"}'
    secret = browser.wait_for("the encrypted event", lambda: event_text(browser, "private-encrypted-vault", "secret"))
    assert secret == 'private-encrypted-vault secret: {"pin":"0451"}', "decrypted in the browser"
    direct = browser.wait_for("the send-to-user event", lambda: event_text(browser, "(user)", "direct"))
    assert direct == '(user) direct: {"from":"bob"}'
