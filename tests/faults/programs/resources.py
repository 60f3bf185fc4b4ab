"""Count threads, file descriptors and memory around clients, in a fresh process.

stdin: ``{"mode": ..., "path": NAME, "options": {...}, ...}``; modes:

- ``churn``: create, use once and drop ``count`` clients (``closed``: closed first), after a warm-up of 20;
- ``construct``: build 10 clients and use none;
- ``bulk-memory``: one ``trigger_many`` of a generator of ``count`` events, peak RSS after the first 10,000 and at
  the end.

Run with ``-W error::ResourceWarning``: a warning on collection then reaches ``sys.unraisablehook``, which records it.
The report is one JSON line.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import resource
import sys
import time
from collections.abc import Iterator
from typing import Any

from ..paths import PATHS, Path

unraisable: list[str] = []


def record_unraisable(info: Any) -> None:
    unraisable.append(f"{type(info.exc_value).__name__}: {info.exc_value} (in {info.object!r:.80})")


def snapshot() -> dict[str, Any]:
    fds = os.listdir("/proc/self/fd")
    kinds: dict[str, int] = {}
    for fd in fds:
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        kind = target.split(":", 1)[0] if ":" in target else "file"
        kinds[kind] = kinds.get(kind, 0) + 1
    with open("/proc/self/statm") as statm:
        rss_pages = int(statm.read().split()[1])
    return {
        "threads": len(os.listdir("/proc/self/task")),
        "fds": len(fds),
        "fd_kinds": kinds,
        "rss_mib": rss_pages * os.sysconf("SC_PAGE_SIZE") / 2**20,
    }


def use(path: Path, options: dict[str, Any], index: int, closed: bool) -> None:
    client: Any = path.client(options)
    if path.is_async:

        async def run() -> None:
            if path.bulk:
                await client.trigger_many([{"channel": f"ch-{index}", "name": "ev", "data": {}}])
            else:
                await client.trigger(f"ch-{index}", "ev", {})
            if closed:
                await client.aclose()

        asyncio.run(run())
    else:
        if path.bulk:
            client.trigger_many([{"channel": f"ch-{index}", "name": "ev", "data": {}}])
        else:
            client.trigger(f"ch-{index}", "ev", {})
        if closed:
            client.close()


def settle(baseline: dict[str, Any]) -> dict[str, Any]:
    """A snapshot once threads and descriptors are back to ``baseline``, or after 3 s (threads end on their own)."""
    deadline = time.monotonic() + 3
    while True:
        gc.collect()
        now = snapshot()
        if (now["threads"] <= baseline["threads"] and now["fds"] <= baseline["fds"]) or time.monotonic() > deadline:
            return now
        time.sleep(0.05)


def churn(payload: dict[str, Any], path: Path) -> dict[str, Any]:
    for index in range(20):
        use(path, payload["options"], index, payload["closed"])
    gc.collect()
    before = snapshot()
    for index in range(payload["count"]):
        use(path, payload["options"], index, payload["closed"])
    return {"before": before, "after": settle(before)}


def construct(payload: dict[str, Any], path: Path) -> dict[str, Any]:
    before = snapshot()
    clients = [path.client(payload["options"]) for _ in range(10)]
    after = snapshot()
    return {"before": before, "after": after, "built": len(clients)}


def bulk_memory(payload: dict[str, Any], path: Path) -> dict[str, Any]:
    marks: dict[str, float] = {}

    def events() -> Iterator[dict[str, Any]]:
        for index in range(payload["count"]):
            if index == 10_000:
                marks["at_10000_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            yield {"channel": f"ch-{index % 256}", "name": "ev", "data": {"i": index, "pad": "x" * 100}}

    client: Any = path.client(payload["options"])
    result = asyncio.run(client.trigger_many(events())) if path.is_async else client.trigger_many(events())
    marks["end_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"sent": result.sent, "failed": len(result.failed), **marks}


def main() -> None:
    sys.unraisablehook = record_unraisable
    payload = json.load(sys.stdin)
    path = next((path for path in PATHS if path.name == payload.get("path")), PATHS[0])
    mode = payload["mode"]
    if mode == "churn":
        report = churn(payload, path)
    elif mode == "construct":
        report = construct(payload, path)
    else:
        report = bulk_memory(payload, path)
    gc.collect()
    print(json.dumps({**report, "unraisable": unraisable[:5], "unraisable_count": len(unraisable)}), flush=True)


if __name__ == "__main__":
    main()
