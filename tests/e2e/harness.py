"""The end-to-end harness: the suite's app, the official SDK oracles, the webhook receiver and the two servers.

Everything is installed by ``scripts/e2e/install.sh`` (``make e2e-install``) into a cache outside the repository;
``devtools.installs`` finds it there and ``devtools.processes`` / ``devtools.servers`` run the servers (free ports on
127.0.0.1, their own process groups, killed at the end and by the kernel if the test process dies). A missing install
fails the run loudly, naming the command that installs it.
"""

from __future__ import annotations

import base64
import http.server
import json
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devtools import servers
from devtools.installs import NotInstalled, go_oracle, node_env
from devtools.processes import Server

__all__ = [
    "APP_ID",
    "E2E_DIR",
    "KEY",
    "MASTER_KEY_BASE64",
    "SECRET",
    "NotInstalled",
    "ReceivedWebhook",
    "ServerProcess",
    "WebhookReceiver",
    "go_oracle",
    "node_env",
    "run_json",
    "start_sockudo",
    "start_soketi",
]

E2E_DIR = Path(__file__).resolve().parent

APP_ID = "app-id"  # non-numeric on purpose: the official Python SDK refuses it, the servers and we do not
KEY = "app-key"
SECRET = "app-secret"
APP = servers.App(APP_ID, KEY, SECRET)
MASTER_KEY = bytes(range(32))
MASTER_KEY_BASE64 = base64.b64encode(MASTER_KEY).decode("ascii")
WEBHOOK_EVENT_TYPES = ["channel_occupied", "channel_vacated", "member_added", "member_removed", "client_event"]


def run_json(command: Sequence[str], payload: Any, *, env: Mapping[str, str] | None = None, timeout: float = 30) -> Any:
    """Run a program that reads one JSON document on stdin and prints one on stdout."""
    completed = subprocess.run(
        list(command),
        input=json.dumps(payload).encode("utf-8"),
        capture_output=True,
        env=dict(env) if env is not None else None,
        timeout=timeout,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"{command[0]} exited with {completed.returncode}: {completed.stderr.decode('utf-8', 'replace')}"
        )
    return json.loads(completed.stdout)


# ---------------------------------------------------------------------------------------------------------------------
# Webhook receiver


@dataclass(frozen=True)
class ReceivedWebhook:
    """One POST the receiver got: its path, headers (as sent, in order) and raw body."""

    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    received_at: float

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def events(self) -> list[dict[str, Any]]:
        try:
            events = json.loads(self.body).get("events", [])
        except (ValueError, AttributeError):
            return []
        return [event for event in events if isinstance(event, dict)]


class WebhookReceiver:
    """An HTTP server on 127.0.0.1 that answers every POST with 200 and keeps it for the tests to inspect."""

    def __init__(self) -> None:
        self._received: list[ReceivedWebhook] = []
        self._changed = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")
                receiver._add(ReceivedWebhook(self.path, tuple(self.headers.items()), body, time.time()))

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-receiver", daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _add(self, webhook: ReceivedWebhook) -> None:
        with self._changed:
            self._received.append(webhook)
            self._changed.notify_all()

    def received(self, path: str | None = None) -> list[ReceivedWebhook]:
        with self._changed:
            return [webhook for webhook in self._received if path is None or webhook.path == path]

    def wait_for_event(
        self, path: str, match: Callable[[dict[str, Any]], bool], timeout: float = 10
    ) -> tuple[ReceivedWebhook, dict[str, Any]]:
        """The first webhook sent to ``path`` with an event that ``match`` accepts; AssertionError after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for webhook in self._received:
                    if webhook.path == path:
                        for event in webhook.events():
                            if match(event):
                                return webhook, event
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [event for webhook in self._received if webhook.path == path for event in webhook.events()]
                    raise AssertionError(f"no matching webhook at {path} within {timeout} s; got {seen!r}")
                self._changed.wait(remaining)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


# ---------------------------------------------------------------------------------------------------------------------
# Servers


@dataclass
class ServerProcess(Server):
    """A running Pusher-protocol server with the suite's app: how pusher_fast reaches it, where it posts webhooks."""

    webhook_path: str = ""

    @classmethod
    def adopt(cls, server: Server, webhook_path: str) -> ServerProcess:
        return cls(server.name, server.port, server.process, server.log_path, webhook_path)

    def client_options(self, **overrides: Any) -> dict[str, Any]:
        options: dict[str, Any] = {
            "app_id": APP_ID,
            "key": KEY,
            "secret": SECRET,
            "host": self.host,
            "port": self.port,
            "ssl": False,
            "timeout": 5,
            "encryption_master_key_base64": MASTER_KEY_BASE64,
        }
        options.update(overrides)
        return options

    def ws_url(self, key: str = KEY) -> str:
        return f"ws://{self.host}:{self.port}/app/{key}?protocol=7&client=pusher-fast-e2e&version=0.1&flash=false"


def start_soketi(work_dir: Path, receiver: WebhookReceiver) -> ServerProcess:
    """soketi 1.6.1 (npm) with the suite's app, user authentication, client events and webhooks to ``receiver``."""
    webhook_path = "/hook/soketi"
    server = servers.start_soketi(
        work_dir, APP, webhook_url=receiver.url(webhook_path), webhook_events=WEBHOOK_EVENT_TYPES
    )
    return ServerProcess.adopt(server, webhook_path)


def start_sockudo(work_dir: Path, receiver: WebhookReceiver) -> ServerProcess:
    """sockudo (the Rust crate registry) with the reference's config and webhooks to ``receiver``."""
    webhook_path = "/hook/sockudo"
    events = [*WEBHOOK_EVENT_TYPES, "cache_miss", "subscription_count"]
    server = servers.start_sockudo(work_dir, APP, webhook_url=receiver.url(webhook_path), webhook_events=events)
    return ServerProcess.adopt(server, webhook_path)
