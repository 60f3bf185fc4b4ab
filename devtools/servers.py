"""soketi and sockudo, the Pusher-protocol servers installed by ``scripts/e2e``, started for one app on a free port.

Both run with the reference's test settings: soketi from npm with its default app taken from the environment;
sockudo with the reference's minimal config (memory queue for webhooks, no rate limiter, no metrics, the app enabled)
plus ``shutdown_grace_period: 0`` so that it stops in well under a second. Webhooks are optional.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devtools import installs
from devtools.processes import HOST, Server, free_port, start_with_retries

__all__ = ["App", "sockudo_config", "start_sockudo", "start_soketi"]


@dataclass(frozen=True)
class App:
    """The one app a server is started with."""

    id: str
    key: str
    secret: str


def start_soketi(
    work_dir: Path, app: App, *, webhook_url: str | None = None, webhook_events: Sequence[str] = ()
) -> Server:
    """soketi (npm, ``installs.soketi_script()``) with user authentication and client events enabled."""
    script = installs.soketi_script()  # raises NotInstalled
    work_dir.mkdir(parents=True, exist_ok=True)  # its own cwd: soketi reads a .env from there
    webhooks = [{"url": webhook_url, "event_types": list(webhook_events)}] if webhook_url else []

    def start(port: int) -> Server:
        env = {name: value for name, value in os.environ.items() if not name.startswith("SOKETI_")}
        env.update(
            SOKETI_HOST=HOST,
            SOKETI_PORT=str(port),
            SOKETI_METRICS_ENABLED="false",
            SOKETI_SHUTDOWN_GRACE_PERIOD="0",  # stop at once instead of after 3 s
            SOKETI_METRICS_HOST=HOST,
            SOKETI_METRICS_SERVER_PORT=str(free_port()),
            SOKETI_DEFAULT_APP_ID=app.id,
            SOKETI_DEFAULT_APP_KEY=app.key,
            SOKETI_DEFAULT_APP_SECRET=app.secret,
            SOKETI_DEFAULT_APP_USER_AUTHENTICATION="true",
            SOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES="true",
            SOKETI_DEFAULT_APP_WEBHOOKS=json.dumps(webhooks),
            NODE_NO_WARNINGS="1",
        )
        command = ["node", str(script), "start"]
        log_path = work_dir / f"soketi-{port}.log"
        return Server.launch("soketi", command, port=port, log_path=log_path, ready_path="/ready", env=env)

    return start_with_retries(start)


def sockudo_config(
    port: int, app: App, *, webhook_url: str | None = None, webhook_events: Sequence[str] = ()
) -> dict[str, Any]:
    """The reference's minimal test config for one app, with webhooks to ``webhook_url`` when given."""
    webhooks = [{"url": webhook_url, "event_types": list(webhook_events)}] if webhook_url else []
    return {
        "host": HOST,
        "port": port,
        "mode": "development",
        "debug": False,
        "shutdown_grace_period": 0,  # not in the reference config: stop in well under a second instead of 10 s
        "adapter": {"driver": "local"},
        "cache": {"driver": "memory"},
        "queue": {"driver": "memory"},
        "rate_limiter": {"enabled": False},
        "metrics": {"enabled": False, "host": HOST, "port": free_port()},
        "webhooks": {"batching": {"enabled": False}},
        "app_manager": {
            "driver": "memory",
            "array": {
                "apps": [
                    {
                        "id": app.id,
                        "key": app.key,
                        "secret": app.secret,
                        "enabled": True,
                        "enable_client_messages": True,
                        "enable_user_authentication": True,
                        "enable_watchlist_events": True,
                        "max_connections": 0,
                        "webhooks": webhooks,
                    }
                ]
            },
        },
    }


def start_sockudo(
    work_dir: Path, app: App, *, webhook_url: str | None = None, webhook_events: Sequence[str] = ()
) -> Server:
    """sockudo (``installs.sockudo_binary()``); ready when ``GET /up/<app id>`` answers 200.

    sockudo logs a config file it cannot parse and carries on with its defaults (no app), so the readiness check on
    the app's own endpoint is what proves the config was read.
    """
    binary = installs.sockudo_binary()  # raises NotInstalled
    work_dir.mkdir(parents=True, exist_ok=True)  # its own cwd: sockudo reads ./config/config.json from there

    def start(port: int) -> Server:
        config = sockudo_config(port, app, webhook_url=webhook_url, webhook_events=webhook_events)
        config_path = work_dir / f"sockudo-{port}.json"
        config_path.write_text(json.dumps(config, indent=2))
        # A minimal environment: sockudo reads HOST, PORT, QUEUE_DRIVER, METRICS_* and more from it, over the file.
        env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "TMPDIR") if name in os.environ}
        env.update(RUST_LOG="warn", NO_COLOR="1")
        command = [str(binary), "--config", str(config_path)]
        log_path = work_dir / f"sockudo-{port}.log"
        return Server.launch("sockudo", command, port=port, log_path=log_path, ready_path=f"/up/{app.id}", env=env)

    return start_with_retries(start)
