"""What runs in a fresh child process (``python -m benches.throughput --child KIND``): bulk publishing and its peak
RSS, and constructing clients. The parent (``scenarios``) starts it with a hard timeout and checks what it reports.

A child per run keeps a hang or a crash of the library under test from taking the whole benchmark with it (the child
dumps its stack and exits when over time; the parent kills it after ``CHILD_GRACE_SECONDS`` more), and gives the
peak-RSS run a clean process. The child measures its own elapsed time, after a warm-up.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import time
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from benches.throughput.common import (
    BATCH_SIZE,
    CHANNEL_COUNT,
    CHANNELS,
    CHILD_GRACE_SECONDS,
    DATA,
    EVENT,
    CheckFailed,
    client_options,
)

BULK_KINDS = ("official", "pusher_fast", "pusher_fast_async")
CHILD_KINDS = (*BULK_KINDS, "construct")
CONSTRUCTORS = ("official", "pusher_fast", "pusher_fast_async")


class EventSource:
    """``n`` of the benchmark's events over its channels, made as they are consumed; stops early at the deadline."""

    __slots__ = ("deadline", "n", "produced")

    def __init__(self, n: int, max_seconds: float) -> None:
        self.n = n
        self.deadline = time.perf_counter() + max_seconds
        self.produced = 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        channels = CHANNELS
        deadline = self.deadline
        clock = time.perf_counter
        for i in range(self.n):
            if not i % 1000 and clock() > deadline:
                return
            self.produced = i + 1
            yield {"channel": channels[i % CHANNEL_COUNT], "name": EVENT, "data": DATA}


def trigger_many_kwargs(settings: argparse.Namespace) -> dict[str, Any]:
    return {} if settings.max_in_flight is None else {"max_in_flight": settings.max_in_flight}


def publish_official(client: Any, source: EventSource) -> dict[str, Any]:
    """Upstream's best way to publish many events: ``trigger_batch`` with 10 events a request, one after another."""
    events = iter(source)
    sent = requests = 0
    while batch := list(islice(events, BATCH_SIZE)):
        result = client.trigger_batch(batch)
        if not isinstance(result, dict):
            raise CheckFailed(f"trigger_batch returned {result!r}")
        sent += len(batch)
        requests += 1
    return {"sent": sent, "failed": 0, "failures": [], "requests": requests}


def bulk_outcome(result: Any) -> dict[str, Any]:
    """What ``trigger_many`` returned (``sent``, ``failed``, ``requests``), as JSON."""
    failed = list(result.failed)
    return {
        "sent": result.sent,
        "failed": len(failed),
        "failures": [repr(failure)[:300] for failure in failed[:3]],
        "requests": result.requests,
    }


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB.

    Linux's ``VmHWM`` is the high-water mark of this program's own memory. ``ru_maxrss`` is not: it survives
    ``execve``, so a child forked from this big benchmark process would report at least the parent's size.
    """
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux, and an upper bound there


def child_main(args: argparse.Namespace) -> int:
    """In a fresh process: do what ``--child`` says and print the outcome as one JSON object."""
    import faulthandler

    faulthandler.dump_traceback_later(args.max_seconds + CHILD_GRACE_SECONDS / 2, exit=True)
    outcome = construct(args) if args.child == "construct" else publish(args)
    print(json.dumps(outcome))
    return 0


def construct(args: argparse.Namespace) -> dict[str, Any]:
    """Time ``--events`` constructions of each client, interleaved, in this one process; medians in seconds.

    Each client is closed after its timing, so that none of them holds sockets or threads while the next is built.
    """
    import pusher

    import pusher_fast

    options = client_options(args.port)

    def close_async(client: pusher_fast.AsyncPusher) -> None:
        asyncio.run(client.aclose())

    makers: dict[str, tuple[Callable[[], Any], Callable[[Any], None]]] = {
        "official": (lambda: pusher.Pusher(**options), lambda client: None),
        "pusher_fast": (lambda: pusher_fast.Pusher(**options), lambda client: client.close()),
        "pusher_fast_async": (lambda: pusher_fast.AsyncPusher(**options), close_async),
    }
    times: dict[str, list[float]] = {name: [] for name in CONSTRUCTORS}
    deadline = time.perf_counter() + args.max_seconds
    clock = time.perf_counter
    for _ in range(args.events):
        for name in CONSTRUCTORS:
            make, close = makers[name]
            start = clock()
            client = make()
            times[name].append(clock() - start)
            close(client)
        if clock() > deadline:
            break
    return {
        name: {"median": statistics.median(values), "count": len(values), "seconds": values}
        for name, values in times.items()
    }


def publish(args: argparse.Namespace) -> dict[str, Any]:
    """Warm up, publish ``--events`` from a generator; the outcome with its time and the process's peak RSS."""
    options = client_options(args.port)
    kwargs = trigger_many_kwargs(args)
    baseline_mb = 0.0

    def report(outcome: dict[str, Any], warmup: dict[str, Any] | None, source: EventSource, seconds: float) -> None:
        if warmup is not None and (warmup["failed"] or warmup["sent"] != args.warmup):
            raise CheckFailed(f"the warm-up sent {warmup['sent']} of {args.warmup} events: {warmup['failures']}")
        outcome.update(produced=source.produced, seconds=seconds, peak_mb=peak_rss_mb(), baseline_mb=baseline_mb)
        outcome["warmup_requests"] = warmup["requests"] if warmup is not None else 0

    if args.child == "pusher_fast_async":
        import pusher_fast

        async def main() -> dict[str, Any]:
            nonlocal baseline_mb
            async with pusher_fast.AsyncPusher(**options) as client:
                warmup = None
                if args.warmup:
                    warmup_source = EventSource(args.warmup, args.max_seconds)
                    warmup = bulk_outcome(await client.trigger_many(warmup_source, **kwargs))
                baseline_mb = peak_rss_mb()
                source = EventSource(args.events, args.max_seconds)
                start = time.perf_counter()
                outcome = bulk_outcome(await client.trigger_many(source, **kwargs))
                report(outcome, warmup, source, time.perf_counter() - start)
                return outcome

        return asyncio.run(main())

    send: Callable[[EventSource], dict[str, Any]]
    if args.child == "official":
        import pusher

        client: Any = pusher.Pusher(**options)
        send = lambda source: publish_official(client, source)  # noqa: E731
    else:
        import pusher_fast

        client = pusher_fast.Pusher(**options)
        send = lambda source: bulk_outcome(client.trigger_many(source, **kwargs))  # noqa: E731
    warmup = send(EventSource(args.warmup, args.max_seconds)) if args.warmup else None
    baseline_mb = peak_rss_mb()
    source = EventSource(args.events, args.max_seconds)
    start = time.perf_counter()
    outcome = send(source)
    report(outcome, warmup, source, time.perf_counter() - start)
    return outcome
