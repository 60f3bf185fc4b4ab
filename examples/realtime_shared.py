"""What the Flask, FastAPI and Django examples share: configuration, the demo users and their rights, and the page.

Configuration comes from the environment:

- ``PUSHER_URL``: ``http(s)://KEY:SECRET@HOST[:PORT]/apps/APP_ID`` (the Heroku add-on's variable);
- ``PUSHER_ENCRYPTION_MASTER_KEY_BASE64``: the end-to-end encryption master key (``pusher-fast keygen`` makes one);
- ``PUSHER_JS_FILE``: pusher-js's encryption build, ``node_modules/pusher-js/dist/web/pusher-with-encryption.min.js``
  after ``npm install pusher-js`` (looked up there by default), served by the app at :data:`PUSHER_JS_PATH`.

Who is signed in is decided here by an ``X-Demo-User`` header that the page sends with pusher-js's auth requests:
replace :func:`current_user` with your own session or token check.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pusher_fast.encryption import MASTER_KEY_ENV

__all__ = [
    "CHANNELS",
    "PUSHER_JS_PATH",
    "USERS",
    "User",
    "client_options",
    "current_user",
    "pusher_js_file",
    "render_page",
]

PUSHER_JS_PATH = "/static/pusher-with-encryption.min.js"
"""Where the page loads pusher-js from."""
CHANNELS = ("private-notes", "presence-lobby", "private-encrypted-vault", "private-admin-room")
"""What the page subscribes to; only admins may join ``private-admin-room`` (the page shows the 403 for others)."""

_PAGE = Path(__file__).with_name("realtime_page.html")
_DEFAULT_PUSHER_JS = Path("node_modules/pusher-js/dist/web/pusher-with-encryption.min.js")
_PUSHER_CLOUD_HOST = re.compile(r"api-([a-z0-9-]+)\.pusher\.com")


@dataclass(frozen=True)
class User:
    id: str
    name: str
    admin: bool = False
    watchlist: tuple[str, ...] = field(default=())

    def may_join(self, channel: str) -> bool:
        """This app's rule: ``private-user-<id>`` is its owner's, ``private-admin-*`` is for admins only."""
        if channel.startswith("private-user-"):
            return channel == f"private-user-{self.id}"
        if channel.startswith("private-admin-"):
            return self.admin
        return True

    def presence_member(self) -> dict[str, Any]:
        """What other members of a presence channel see: ``{"user_id": ..., "user_info": {...}}``."""
        return {"user_id": self.id, "user_info": {"name": self.name}}

    def user_data(self) -> dict[str, Any]:
        """The signed-in user for ``authenticate_user``: ``{"id": ..., "user_info": {...}, "watchlist": [...]}``."""
        return {"id": self.id, "user_info": {"name": self.name}, "watchlist": list(self.watchlist)}


USERS = {
    "alice": User("alice", "Alice", watchlist=("bob",)),
    "bob": User("bob", "Bob", watchlist=("alice",)),
    "root": User("root", "Root", admin=True),
}


def current_user(demo_user_header: str | None) -> User | None:
    """The signed-in user. A demo: trust a header naming one of :data:`USERS`; use your own authentication."""
    return USERS.get(demo_user_header or "")


def client_options() -> dict[str, Any]:
    """Options for ``Pusher.from_env(**options)`` beyond ``PUSHER_URL``: the master key when it is set."""
    key = os.environ.get(MASTER_KEY_ENV)
    return {"encryption_master_key_base64": key} if key else {}


def pusher_js_file() -> Path | None:
    """pusher-js's encryption build on disk, or ``None`` when it is not installed."""
    path = Path(os.environ.get("PUSHER_JS_FILE") or _DEFAULT_PUSHER_JS)
    return path if path.is_file() else None


def render_page(*, key: str, host: str, port: int, ssl: bool, headers: dict[str, str] | None = None) -> str:
    """The page, configured for the app's key and the WebSocket endpoint that goes with its API host.

    ``headers`` go with every request the page makes to the app (pusher-js's auth requests included), e.g.
    Django's ``X-CSRFToken``.
    """
    cloud = _PUSHER_CLOUD_HOST.fullmatch(host)
    if cloud is not None:
        connection: dict[str, Any] = {"cluster": cloud.group(1)}
    else:  # a self-hosted server (soketi, sockudo) serves WebSockets on the API's host and port
        connection = {
            "cluster": "local",  # required by pusher-js 8, unused when wsHost is given
            "wsHost": host,
            "wsPort": port,
            "wssPort": port,
            "forceTLS": ssl,
            "enabledTransports": ["ws", "wss"],
            "disableStats": True,
        }
    config = {"key": key, "connection": connection, "channels": CHANNELS, "headers": headers or {}}
    # "<" escaped, so that no value can close the <script> element it is embedded in.
    embedded = json.dumps(config).replace("<", "\\u003c")
    return _PAGE.read_text(encoding="utf-8").replace("__CONFIG__", embedded)
