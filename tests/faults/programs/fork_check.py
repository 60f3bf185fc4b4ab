"""Build a client, maybe use it, ``os.fork()``, and use it in the parent and the child at the same time.

stdin: ``{"kind": "sync" | "async" | "bulk-sync" | "bulk-async" | "backend" | "pool", "transport": null | "httpx",
"use_before": bool, "end": "close" | "drop", "options": {...}}``. The server echoes each request's channels, so
each side checks it got its own answers; a ``stall-`` channel is never answered, to check ``timeout=`` in the
child. The child reports through a pipe; the parent waits for it with a deadline (killing it after that), then
uses the client again. The report is one JSON line.
"""

from __future__ import annotations

import asyncio
import gc
import json
import multiprocessing
import os
import select
import signal
import sys
import time
from typing import Any

from pusher_fast import AsyncPusher, BulkResult, Pusher

CALLS = 12
BULK_EVENTS = 30
CHILD_DEADLINE = 10.0
CLIENT: Any = None  # the pool scenario's workers find the inherited client here


def build(kind: str, transport: str | None, options: dict[str, Any]) -> Any:
    if kind == "backend":
        from pusher.requests import RequestsBackend

        return Pusher(**options, backend=RequestsBackend)
    cls = AsyncPusher if kind in ("async", "bulk-async") else Pusher
    return cls(**options, **({"transport": transport} if transport else {}))


def short(error: BaseException) -> str:
    return f"{type(error).__name__}: {str(error)[:200]}"


def check_answer(channel: str, answer: Any, report: dict[str, Any]) -> None:
    report["answers"] += 1
    if not isinstance(answer, dict) or answer.get("channels") != [channel]:
        if len(report["mismatches"]) < 5:
            report["mismatches"].append({"asked": channel, "got": answer})
        report["mismatch_count"] += 1


def new_report(role: str) -> dict[str, Any]:
    return {"role": role, "answers": 0, "mismatches": [], "mismatch_count": 0, "errors": []}


def deadline_probe(error: BaseException | None, started: float) -> dict[str, Any]:
    return {
        "elapsed": time.monotonic() - started,
        "error": None if error is None else type(error).__name__,
        "mro": [] if error is None else [cls.__name__ for cls in type(error).__mro__],
        "message": "" if error is None else str(error)[:200],
    }


def exercise_sync(client: Any, role: str, calls: int, probe: bool) -> dict[str, Any]:
    report = new_report(role)
    for index in range(calls):
        channel = f"{role}-{index}"
        try:
            check_answer(channel, client.channel_info(channel), report)
        except Exception as exc:
            report["errors"].append(short(exc))
    if probe:
        started, error = time.monotonic(), None
        try:
            client.channel_info(f"stall-{role}")
        except Exception as exc:
            error = exc
        report["deadline"] = deadline_probe(error, started)
    return report


async def exercise_async(client: AsyncPusher, role: str, calls: int, probe: bool) -> dict[str, Any]:
    report = new_report(role)
    channels = [f"{role}-{index}" for index in range(calls)]
    # Half one after another, half at once.
    half = calls // 2
    for channel in channels[:half]:
        try:
            check_answer(channel, await client.channel_info(channel), report)
        except Exception as exc:
            report["errors"].append(short(exc))
    answers = await asyncio.gather(
        *(client.channel_info(channel) for channel in channels[half:]), return_exceptions=True
    )
    for channel, answer in zip(channels[half:], answers):
        if isinstance(answer, BaseException):
            report["errors"].append(short(answer))
        else:
            check_answer(channel, answer, report)
    if probe:
        started, error = time.monotonic(), None
        try:
            await client.channel_info(f"stall-{role}")
        except Exception as exc:
            error = exc
        report["deadline"] = deadline_probe(error, started)
    return report


def bulk_report(role: str, outcome: Any) -> dict[str, Any]:
    report = new_report(role)
    if isinstance(outcome, BulkResult):
        report["sent"] = outcome.sent
        report["failed"] = len(outcome.failed)
        report["errors"] = sorted({short(failed.error) for failed in outcome.failed})[:3]
    else:
        report["errors"].append(short(outcome))
    return report


def exercise(client: Any, kind: str, role: str, *, calls: int = CALLS, probe: bool = True) -> dict[str, Any]:
    events = [{"channel": f"{role}-bulk-{index}", "name": "ev", "data": {"i": index}} for index in range(BULK_EVENTS)]
    try:
        if kind == "bulk-sync":
            return bulk_report(role, client.trigger_many(events))
        if kind == "bulk-async":
            return bulk_report(role, asyncio.run(client.trigger_many(events)))
        if kind == "async":
            return asyncio.run(exercise_async(client, role, calls, probe))
        return exercise_sync(client, role, calls, probe)
    except Exception as exc:
        report = new_report(role)
        report["errors"].append(short(exc))
        return report


def end(holder: list[Any], how: str) -> str | None:
    """Close the client in ``holder``, or drop it (the holder has its last reference); what that raised, if any."""
    client = holder.pop()
    try:
        if how == "close":
            if isinstance(client, AsyncPusher):
                asyncio.run(client.aclose())
            else:
                client.close()
        else:
            del client
            gc.collect()
    except BaseException as exc:  # a PanicException is a BaseException
        return short(exc)
    return None


def wait_for_child(pid: int, reader: int) -> tuple[dict[str, Any] | None, str]:
    """The child's report and how it ended, waiting at most CHILD_DEADLINE seconds (then killing it)."""
    deadline = time.monotonic() + CHILD_DEADLINE
    data = b""
    while True:
        remaining = deadline - time.monotonic()
        ready = select.select([reader], [], [], max(remaining, 0))[0] if remaining > 0 else []
        if not ready:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return (json.loads(data) if data else None), f"hung: killed after {CHILD_DEADLINE:g} s"
        chunk = os.read(reader, 65536)
        if not chunk:
            break
        data += chunk
    exit_fd = os.pidfd_open(pid)
    if not select.select([exit_fd], [], [], max(deadline - time.monotonic(), 0))[0]:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        return (json.loads(data) if data else None), "did not exit after reporting: killed"
    status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    return (json.loads(data) if data else None), f"exit {status}"


def pool_call(channel: str) -> Any:
    return CLIENT.channel_info(channel)


def run_pool(client: Any) -> dict[str, Any]:
    """multiprocessing's "fork" pool (as Celery's prefork): workers use the inherited client."""
    global CLIENT
    CLIENT = client
    report = new_report("pool")
    channels = [f"pool-{index}" for index in range(CALLS)]
    context = multiprocessing.get_context("fork")
    with context.Pool(2) as pool:
        try:
            answers = pool.map_async(pool_call, channels).get(timeout=CHILD_DEADLINE)
        except Exception as exc:
            report["errors"].append(short(exc))
            return report
    for channel, answer in zip(channels, answers):
        check_answer(channel, answer, report)
    return report


def main() -> None:
    payload = json.load(sys.stdin)
    kind, how = payload["kind"], payload["end"]
    client = build(kind, payload.get("transport"), payload["options"])
    result: dict[str, Any] = {}
    if payload["use_before"]:
        result["before"] = exercise(client, kind, "before", calls=3, probe=False)
    if kind == "pool":
        result["child"] = run_pool(client)
        result["child_exit"] = "pool"
    else:
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(reader)
            signal.alarm(int(CHILD_DEADLINE) + 5)  # the default action ends a child that hangs in native code
            report = exercise(client, kind, "child")
            holder, client = [client], None
            report["end_error"] = end(holder, how)
            os.write(writer, json.dumps(report).encode())
            os.close(writer)
            os._exit(0)
        os.close(writer)
        result["parent"] = exercise(client, kind, "parent")
        result["child"], result["child_exit"] = wait_for_child(pid, reader)
    result["after"] = exercise(client, kind, "after", calls=3, probe=False)
    result["parent_end_error"] = end([client], "close")
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
