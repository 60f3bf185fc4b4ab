"""The official Go and Node SDKs as contenders, and the Go load generator that measures the sink's capacity.

Each run is a child process (``benches/peers/go``: built by ``scripts/bench/build_go.sh``; ``benches/peers/node``:
run on the e2e suite's install of the Node SDK) with a hard timeout. It warms up, times its own requests, and prints
``{"requests", "events", "seconds", "warmup_requests"}``; the sink's request counter must have moved by exactly the
requests it reports, as for pusher_fast.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benches._support import APP_ID, KEY, SECRET
from benches.throughput.common import (
    BATCH_SIZE,
    CHILD_GRACE_SECONDS,
    CheckFailed,
    RequestCounter,
    Sample,
    check_sink,
    run_json_child,
)
from devtools import installs

NODE_SCRIPT = installs.REPO / "benches" / "peers" / "node" / "bench.js"
GO_MODULE = installs.REPO / "benches" / "peers" / "go" / "go.mod"


@dataclass(frozen=True)
class PeerRun:
    """What one peer run does: ``op`` (``trigger`` or ``batch`` of 10) with ``concurrency`` requests in flight,
    up to ``requests`` requests or ``max_seconds``, whichever comes first."""

    op: str
    concurrency: int
    requests: int
    max_seconds: float

    @property
    def events_per_request(self) -> int:
        return BATCH_SIZE if self.op == "batch" else 1

    def arguments(self, port: int, dash: str) -> list[str]:
        values = {
            "op": self.op,
            "port": port,
            "concurrency": self.concurrency,
            "requests": self.requests,
            "max-seconds": self.max_seconds,
            "app-id": APP_ID,
            "key": KEY,
            "secret": SECRET,
        }
        return [part for name, value in values.items() for part in (f"{dash}{name}", str(value))]


def _sample(command: list[str], env: dict[str, str] | None, run: PeerRun, sink: RequestCounter) -> Sample:
    before = sink.requests()
    outcome = run_json_child(command, run.max_seconds + CHILD_GRACE_SECONDS, env=env)
    try:
        requests, events, warmup = (int(outcome[name]) for name in ("requests", "events", "warmup_requests"))
        seconds = float(outcome["seconds"])
    except (KeyError, TypeError, ValueError):
        raise CheckFailed(f"unexpected report {outcome!r}") from None
    if not 0 < requests <= run.requests or events != requests * run.events_per_request or seconds <= 0:
        raise CheckFailed(f"impossible report for {run}: {outcome!r}")
    check_sink(sink, before, requests + warmup)
    return Sample(events, seconds)


def go_sdk(run: PeerRun, port: int, sink: RequestCounter) -> Callable[[], Sample]:
    """The official Go SDK: ``Trigger`` or ``TriggerBatch`` from ``run.concurrency`` goroutines."""
    command = [str(installs.go_bench_runner()), "-mode", "sdk", *run.arguments(port, "-")]
    return lambda: _sample(command, None, run, sink)


def node_sdk(run: PeerRun, port: int, sink: RequestCounter) -> Callable[[], Sample]:
    """The official Node SDK: ``trigger`` or ``triggerBatch`` with ``run.concurrency`` promises in flight."""
    command = ["node", str(NODE_SCRIPT), *run.arguments(port, "--")]
    env = installs.node_env()
    return lambda: _sample(command, env, run, sink)


def go_raw(run: PeerRun, port: int, sink: RequestCounter, request_file: Path) -> Callable[[], Sample]:
    """Pre-built requests (``request_file``) on ``run.concurrency`` raw connections: the sink's own capacity."""
    command = [str(installs.go_bench_runner()), "-mode", "raw", "-port", str(port)]
    command += ["-concurrency", str(run.concurrency), "-requests", str(run.requests)]
    command += ["-max-seconds", str(run.max_seconds), "-request-file", str(request_file)]
    command += ["-events-per-request", str(run.events_per_request)]
    return lambda: _sample(command, None, run, sink)


def versions() -> dict[str, str]:
    """The peers' SDK and runtime versions, for the header ("not installed" where missing)."""
    found = {}
    match = re.search(r"github.com/pusher/pusher-http-go/v5 (v\S+)", GO_MODULE.read_text())
    go_runtime = subprocess.run(["go", "version"], capture_output=True, text=True, check=False).stdout.split()
    found["go"] = f"pusher-http-go {match.group(1) if match else '?'} ({' '.join(go_runtime[2:3]) or 'no go'})"
    try:
        package = json.loads((installs.node_modules() / "pusher" / "package.json").read_text())
        node_runtime = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False).stdout
        found["node"] = f"pusher {package['version']} (node {node_runtime.strip()})"
    except (installs.NotInstalled, OSError, KeyError, ValueError) as exc:
        found["node"] = f"not installed ({exc})"
    return found
