"""Cancelling async calls and ``trigger_many``, and Ctrl-C (SIGINT) during sync calls.

A cancelled await raises promptly and leaves the client usable; a cancelled ``AsyncPusher.trigger_many`` reads and
sends nothing more within 0.2 s and lets ``asyncio.run`` return; SIGINT raises ``KeyboardInterrupt`` within about
0.2 s and the process can exit. The last two run in their own process (``programs/``), counted at the server.
"""

from __future__ import annotations

import asyncio
import signal
import time
from typing import Any

import pytest

from .conftest import ServerFactory
from .paths import ASYNC_PATHS, PATHS, SLACK, Path
from .programs import Program, excerpt
from .server import STALL, delayed, route

PROMPT = 0.2
"""How soon a cancellation or an interrupt must take effect (the contract's "promptly")."""


@pytest.mark.parametrize("path", ASYNC_PATHS, ids=str)
def test_a_cancelled_call_leaves_the_client_usable(serve: ServerFactory, path: Path) -> None:
    """20 calls to a stalled channel are cancelled after 0.1 s while 5 others run; then the client still works."""
    server = serve(route({"stall-": STALL}))
    problems: list[str] = []

    async def main() -> None:
        client: Any = path.client(server.client_options(timeout=30))
        started = time.monotonic()
        stalled = [asyncio.wait_for(client.trigger(f"stall-{index}", "ev", {}), 0.1) for index in range(20)]
        others = [client.trigger(f"ok-{index}", "ev", {}) for index in range(5)]
        results = await asyncio.gather(*stalled, *others, return_exceptions=True)
        elapsed = time.monotonic() - started
        wrong = [repr(result)[:120] for result in results[:20] if not isinstance(result, asyncio.TimeoutError)]
        if wrong:
            problems.append(f"cancelled calls ended with {wrong[:2]}, not TimeoutError")
        failed = [repr(result)[:160] for result in results[20:] if isinstance(result, BaseException)]
        if failed:
            problems.append(f"calls running beside the cancelled ones failed: {failed[:2]}")
        if elapsed > 0.1 + PROMPT + SLACK:
            problems.append(f"the cancelled calls took {elapsed:.2f} s to end (wait_for 0.1 s)")
        try:
            await asyncio.wait_for(client.trigger("ok-after", "ev", {}), 5)
        except Exception as exc:
            problems.append(f"the client failed after the cancellations: {type(exc).__name__}: {exc}")
        await client.aclose()

    try:
        asyncio.run(main())
    except Exception as exc:
        problems.append(f"{type(exc).__name__}: {exc}")
    if problems:
        pytest.fail(f"[{path} / cancelled calls] " + "; ".join(problems))


@pytest.mark.parametrize("count", [4000, None], ids=["4000-events", "endless-generator"])
def test_cancelling_async_trigger_many_stops_it(serve: ServerFactory, count: int | None) -> None:
    server = serve(delayed(0.1))
    payload = {"options": server.client_options(timeout=5), "events": count, "cancel_after": 0.5}
    with Program("cancel_bulk", payload) as program:
        cancelled = program.next_line(15)
        grace_over = program.next_line(5)
        sent_at_grace = server.event_count()
        late = program.next_line(5)
        finished = program.finish(5)
    sent_at_end = server.event_count()
    what = f"AsyncPusher.trigger_many of {count or 'endless'} events, wait_for 0.5 s"
    if not (isinstance(cancelled, dict) and isinstance(grace_over, dict) and isinstance(late, dict)):
        pytest.fail(f"[{what}] the program did not get past the cancellation: {finished.describe()}")
    problems = []
    if cancelled["outcome"] != "cancelled":
        problems.append(f"the call ended with {cancelled['outcome']!r}, not a timeout")
    if cancelled["observed_after"] > 0.5 + PROMPT:
        problems.append(f"the cancellation took effect after {cancelled['observed_after']:.2f} s")
    if not 0 < sent_at_grace < (count or float("inf")):
        problems.append(f"the server had {sent_at_grace} events at the cancellation: the test did not cancel mid-way")
    if sent_at_end != sent_at_grace:
        problems.append(f"{sent_at_end - sent_at_grace} events were sent more than {PROMPT} s after the cancellation")
    if late["produced"] != grace_over["produced"]:
        problems.append(f"{late['produced'] - grace_over['produced']} events were read from the generator after it")
    report = finished.report
    if finished.returncode is None or not (isinstance(report, dict) and report.get("step") == "returned"):
        problems.append("asyncio.run did not return within 5 s (the process was killed)")
    else:
        if report["run_extra"] > PROMPT + SLACK:
            problems.append(f"asyncio.run returned {report['run_extra']:.2f} s after main() ended")
        if report["threads"]:
            problems.append(f"threads still alive after asyncio.run: {report['threads']}")
    if problems:
        pytest.fail(f"[{what}] " + "; ".join(problems))


INTERRUPTS: dict[str, tuple[str, str]] = {
    "sync-native-blocked-trigger": ("sync-native", "blocked"),
    "sync-httpx-blocked-trigger": ("sync-httpx", "blocked"),
    "bulk-sync-endless-generator": ("bulk-sync", "bulk"),
}


@pytest.mark.parametrize("case", INTERRUPTS)
def test_ctrl_c_interrupts_a_sync_call(serve: ServerFactory, case: str) -> None:
    path_name, mode = INTERRUPTS[case]
    assert any(path.name == path_name for path in PATHS)
    server = serve(STALL if mode == "blocked" else delayed(0.05))
    payload = {"path": path_name, "options": server.client_options(timeout=30), "mode": mode}
    with Program("interrupt", payload) as program:
        deadline = time.monotonic() + 15
        while not server.wait_for_requests(1 if mode == "blocked" else 5, timeout=0.2):
            if program.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"[{case}] the call never reached the server: {program.finish(5).describe()}")
        signalled = time.monotonic()
        program.signal(signal.SIGINT)
        line = program.next_line(10)
        latency = time.monotonic() - signalled
        finished = program.finish(5)
    problems = []
    if line != {"step": "interrupted"}:
        problems.append(f"after SIGINT it printed {line!r} ({latency:.2f} s), not KeyboardInterrupt")
    elif latency > PROMPT + SLACK:
        problems.append(f"KeyboardInterrupt came {latency:.2f} s after SIGINT")
    if finished.returncode is None:
        problems.append("the process did not exit within 5 s of the interrupt (killed)")
    elif "KeyboardInterrupt" not in finished.stderr:
        problems.append(f"it exited with {finished.returncode} without KeyboardInterrupt: {excerpt(finished.stderr)!r}")
    if problems:
        pytest.fail(f"[{case}] " + "; ".join(problems))
