"""``timeout=`` is a deadline from the call, also for calls queued behind others on the same client.

The single-request deadlines (stall, slow answer, drip) are in ``test_fault_matrix``; here many calls share one
client against a server that answers after 3 s, and each must end with ``PusherTimeout`` within its own 1 s + slack.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections import Counter
from typing import Any

import pytest

from pusher_fast import PusherTimeout

from .conftest import ServerFactory
from .paths import ASYNC_PATHS, SLACK, SYNC_PATHS, TIMEOUT, Path, build
from .server import delayed

ASYNC_CALLS = 320
SYNC_THREADS = 32


def judge(path: Path, timings: list[tuple[float, BaseException | None]]) -> None:
    """Every call raised PusherTimeout within TIMEOUT + SLACK of its own start."""
    late = sorted(elapsed for elapsed, _ in timings if elapsed > TIMEOUT + SLACK)
    other = Counter(
        "returned" if error is None else f"{type(error).__name__}: {str(error)[:120]}"
        for _, error in timings
        if not isinstance(error, PusherTimeout)
    )
    problems = []
    if late:
        problems.append(f"{len(late)} took longer than {TIMEOUT + SLACK:.1f} s (slowest {late[-1]:.2f} s)")
    if other:
        problems.append(f"not PusherTimeout: {dict(other.most_common(3))}")
    if problems:
        pytest.fail(f"[{path} / {len(timings)} concurrent calls, server answers after 3 s] " + "; ".join(problems))


@pytest.mark.parametrize("path", ASYNC_PATHS, ids=str)
def test_concurrent_async_calls_each_meet_their_deadline(serve: ServerFactory, path: Path) -> None:
    server = serve(delayed(3))

    async def timed(client: Any, index: int) -> tuple[float, BaseException | None]:
        started = time.monotonic()
        try:
            await client.trigger(f"ch-{index}", "ev", {"i": index})
        except Exception as exc:
            return time.monotonic() - started, exc
        return time.monotonic() - started, None

    async def main() -> list[tuple[float, BaseException | None]]:
        client = path.client(server.client_options())
        try:
            return list(await asyncio.gather(*(timed(client, index) for index in range(ASYNC_CALLS))))
        finally:
            await client.aclose()

    try:
        timings = asyncio.run(main())
    except Exception as exc:
        pytest.fail(f"[{path}] the client could not be used: {type(exc).__name__}: {exc}")
    judge(path, timings)


@pytest.mark.parametrize("path", SYNC_PATHS, ids=str)
def test_concurrent_sync_calls_each_meet_their_deadline(serve: ServerFactory, path: Path) -> None:
    server = serve(delayed(3))
    client = build(path, server.client_options())

    def timed(index: int) -> tuple[float, BaseException | None]:
        started = time.monotonic()
        try:
            client.trigger(f"ch-{index}", "ev", {"i": index})
        except Exception as exc:
            return time.monotonic() - started, exc
        return time.monotonic() - started, None

    with client, concurrent.futures.ThreadPoolExecutor(SYNC_THREADS) as pool:
        timings = list(pool.map(timed, range(SYNC_THREADS)))
    judge(path, timings)
