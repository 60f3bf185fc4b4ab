"""The end-to-end harness: where the installed tools are, the servers' processes and the webhook receiver.

Everything is installed by ``scripts/e2e/install.sh`` (``make e2e-install``) into a cache outside the repository; the
paths are derived here the same way the scripts derive them (a hash of the files each install is built from). A
missing install fails the run loudly, naming the command that installs it.

Servers listen on 127.0.0.1 only, on free ports chosen here, so parallel runs (pytest-xdist workers, other clones) do
not clash. Each runs in its own process group, which :meth:`ServerProcess.stop` kills; the children also get
SIGKILL from the kernel if the test process dies first.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import hashlib
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

E2E_DIR = Path(__file__).resolve().parent
REPO = E2E_DIR.parent.parent
SCRIPTS = REPO / "scripts" / "e2e"
CACHE = Path(os.environ.get("PUSHER_FAST_CACHE") or Path.home() / ".cache" / "pusher-fast")

APP_ID = "app-id"  # non-numeric on purpose: the official Python SDK refuses it, the servers and we do not
KEY = "app-key"
SECRET = "app-secret"
MASTER_KEY = bytes(range(32))
MASTER_KEY_BASE64 = base64.b64encode(MASTER_KEY).decode("ascii")
WEBHOOK_EVENT_TYPES = ["channel_occupied", "channel_vacated", "member_added", "member_removed", "client_event"]
INSTALL_HINT = "run `make e2e-install` (scripts/e2e/install.sh) first"

Started = TypeVar("Started")


class NotInstalled(RuntimeError):
    """A tool of the end-to-end suite is not installed in the cache."""


def content_key(*files: Path) -> str:
    """The first 16 hex digits of the SHA-256 of the files' concatenated bytes (as ``content_key`` in common.sh)."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def pinned_versions() -> dict[str, str]:
    """``scripts/e2e/versions.env`` as a mapping."""
    versions = {}
    for line in (SCRIPTS / "versions.env").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            versions[name.strip()] = value.strip()
    return versions


def node_modules() -> Path:
    """The ``node_modules`` holding soketi, pusher-js and the official Node SDK."""
    root = CACHE / f"e2e-node-{content_key(E2E_DIR / 'node' / 'package-lock.json')}"
    if not (root / ".installed").exists():
        raise NotInstalled(f"The e2e node packages are not installed in {root}: {INSTALL_HINT}")
    return root / "node_modules"


def sockudo_binary() -> Path:
    version = pinned_versions()["SOCKUDO_VERSION"]
    binary = CACHE / f"sockudo-{version}" / "bin" / "sockudo"
    if not os.access(binary, os.X_OK):
        raise NotInstalled(f"sockudo {version} is not built at {binary}: {INSTALL_HINT}")
    return binary


def go_oracle() -> Path:
    source = E2E_DIR / "go"
    binary = CACHE / f"e2e-go-{content_key(source / 'go.mod', source / 'go.sum', source / 'main.go')}"
    binary = binary / "pusher-go-oracle"
    if not os.access(binary, os.X_OK):
        raise NotInstalled(f"The Go oracle is not built at {binary}: {INSTALL_HINT}")
    return binary


def node_env() -> dict[str, str]:
    """The environment for ``node`` scripts: the cached packages on ``NODE_PATH``."""
    return {**os.environ, "NODE_PATH": str(node_modules()), "NODE_NO_WARNINGS": "1"}


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now (the kernel's choice, so parallel runs do not collide)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


def die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask the kernel to SIGKILL this child when its parent dies, so no server outlives a crashed run."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


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
class ServerProcess:
    """A running Pusher-protocol server: where it listens and how to reach it with pusher_fast."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    webhook_path: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def host(self) -> str:
        return "127.0.0.1"

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

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        stop_process_group(self.process)


def stop_process_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process's whole group (it was started in a new session), SIGKILL after 5 s; always reaps it."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(5)


def _wait_until_ready(server: ServerProcess, url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last_error = "not tried"
    while time.monotonic() < deadline:
        if not server.alive():
            raise RuntimeError(
                f"{server.name} exited with {server.process.returncode} before it was ready:\n{server.log_tail()}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
                last_error = f"HTTP {response.status}"
        except (urllib.error.URLError, OSError) as exc:
            last_error = str(exc)
        time.sleep(0.1)
    raise RuntimeError(f"{server.name} was not ready at {url} within {timeout} s ({last_error}):\n{server.log_tail()}")


def _launch(
    name: str,
    command: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    log_path: Path,
    port: int,
    ready_path: str,
    webhook_path: str,
    timeout: float,
) -> ServerProcess:
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,  # only prctl(), which is async-signal-safe
        )
    server = ServerProcess(name, port, process, log_path, webhook_path)
    try:
        _wait_until_ready(server, f"http://127.0.0.1:{port}{ready_path}", timeout)
    except BaseException:
        server.stop()
        raise
    return server


def start_with_retries(start: Callable[[int], Started], attempts: int = 3) -> Started:
    """Start on a fresh free port, again if another process took the port between choosing and binding it."""
    error: Exception | None = None
    for _ in range(attempts):
        try:
            return start(free_port())
        except RuntimeError as exc:
            error = exc
    assert error is not None
    raise error


def start_soketi(work_dir: Path, receiver: WebhookReceiver) -> ServerProcess:
    """soketi 1.6.1 (npm) with the reference's default app, user authentication, client events and webhooks."""
    soketi = node_modules() / "@soketi" / "soketi" / "bin" / "server.js"
    webhook_path = "/hook/soketi"
    work_dir.mkdir(parents=True, exist_ok=True)  # its own cwd: soketi reads a .env from there

    def start(port: int) -> ServerProcess:
        env = {
            **{name: value for name, value in os.environ.items() if not name.startswith("SOKETI_")},
            "SOKETI_HOST": "127.0.0.1",
            "SOKETI_PORT": str(port),
            "SOKETI_METRICS_ENABLED": "false",
            "SOKETI_SHUTDOWN_GRACE_PERIOD": "0",  # stop at once instead of after 3 s
            "SOKETI_METRICS_HOST": "127.0.0.1",
            "SOKETI_METRICS_SERVER_PORT": str(free_port()),
            "SOKETI_DEFAULT_APP_ID": APP_ID,
            "SOKETI_DEFAULT_APP_KEY": KEY,
            "SOKETI_DEFAULT_APP_SECRET": SECRET,
            "SOKETI_DEFAULT_APP_USER_AUTHENTICATION": "true",
            "SOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES": "true",
            "SOKETI_DEFAULT_APP_WEBHOOKS": json.dumps(
                [{"url": receiver.url(webhook_path), "event_types": WEBHOOK_EVENT_TYPES}]
            ),
            "NODE_NO_WARNINGS": "1",
        }
        return _launch(
            "soketi",
            ["node", str(soketi), "start"],
            env=env,
            cwd=work_dir,
            log_path=work_dir / f"soketi-{port}.log",
            port=port,
            ready_path="/ready",
            webhook_path=webhook_path,
            timeout=30,
        )

    return start_with_retries(start)


def sockudo_config(port: int, webhook_url: str) -> dict[str, Any]:
    """The reference's minimal test config: memory queue (webhooks), no rate limiter, no metrics, app enabled."""
    return {
        "host": "127.0.0.1",
        "port": port,
        "mode": "development",
        "debug": False,
        "shutdown_grace_period": 0,  # not in the reference config: stop in well under a second instead of 10 s
        "adapter": {"driver": "local"},
        "cache": {"driver": "memory"},
        "queue": {"driver": "memory"},
        "rate_limiter": {"enabled": False},
        "metrics": {"enabled": False, "host": "127.0.0.1", "port": free_port()},
        "webhooks": {"batching": {"enabled": False}},
        "app_manager": {
            "driver": "memory",
            "array": {
                "apps": [
                    {
                        "id": APP_ID,
                        "key": KEY,
                        "secret": SECRET,
                        "enabled": True,
                        "enable_client_messages": True,
                        "enable_user_authentication": True,
                        "enable_watchlist_events": True,
                        "max_connections": 0,
                        "webhooks": [
                            {
                                "url": webhook_url,
                                "event_types": [*WEBHOOK_EVENT_TYPES, "cache_miss", "subscription_count"],
                            }
                        ],
                    }
                ]
            },
        },
    }


def start_sockudo(work_dir: Path, receiver: WebhookReceiver) -> ServerProcess:
    """sockudo (crates.io) with the reference's config; ready when ``GET /up/app-id`` answers 200.

    sockudo logs a config file it cannot parse and carries on with its defaults (no app), so the readiness check on
    the app's own endpoint is what proves the config was read.
    """
    binary = sockudo_binary()
    webhook_path = "/hook/sockudo"
    work_dir.mkdir(parents=True, exist_ok=True)  # its own cwd: sockudo reads ./config/config.json from there

    def start(port: int) -> ServerProcess:
        config_path = work_dir / f"sockudo-{port}.json"
        config_path.write_text(json.dumps(sockudo_config(port, receiver.url(webhook_path)), indent=2))
        # A minimal environment: sockudo reads HOST, PORT, QUEUE_DRIVER, METRICS_* and more from it, over the file.
        env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "TMPDIR") if name in os.environ}
        env.update(RUST_LOG="warn", NO_COLOR="1")
        return _launch(
            "sockudo",
            [str(binary), "--config", str(config_path)],
            env=env,
            cwd=work_dir,
            log_path=work_dir / f"sockudo-{port}.log",
            port=port,
            ready_path=f"/up/{APP_ID}",
            webhook_path=webhook_path,
            timeout=30,
        )

    return start_with_retries(start)
