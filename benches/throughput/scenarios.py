"""The scenarios: each measures its contenders interleaved on the same server and returns rows of the table.

Contenders of one scenario run in turn, ``--runs`` times (``common.interleaved``), and each row reports medians.
Every run is checked: the value each call returned, the sink's request counter against the requests the contender
says it sent, and for the child processes what they report about the events they were given.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benches.throughput import peers
from benches.throughput.ceilings import python_raw_sample
from benches.throughput.children import BULK_KINDS
from benches.throughput.common import (
    BATCH_SIZE,
    CHANNEL_COUNT,
    CHANNELS,
    CHILD_GRACE_SECONDS,
    DATA,
    EVENT,
    CheckFailed,
    RequestCounter,
    Sample,
    TimedLoop,
    check_sink,
    client_options,
    cpu_note,
    expect_empty_object,
    interleaved,
    median_count,
    median_rate,
    run_json_child,
    with_cpu,
)
from benches.throughput.report import Row, Target
from benches.throughput.servers import NginxSink, start_sockudo, start_soketi
from devtools.installs import NotInstalled

RSS_LIMIT_MB = 150.0
# Pre-built requests per run of a raw ceiling loop, as a multiple of the scenario's count: the loops are faster.
RAW_FACTOR = 10


class Bench:
    """What every scenario of one benchmark run gets: the settings, the sink, and the pre-built request files."""

    def __init__(self, settings: argparse.Namespace, sink: NginxSink, requests: dict[str, Path]) -> None:
        self.settings = settings
        self.sink = sink
        self.requests = requests


def peer_contenders(
    bench: Bench, run: peers.PeerRun, raw_concurrency: int | None
) -> tuple[dict[str, Callable[[], Sample]], str]:
    """The Go and Node SDK runs and the Go raw ceiling for ``run``; peers that are not installed are left out."""
    port, sink = bench.sink.port, bench.sink
    contenders: dict[str, Callable[[], Sample]] = {}
    missing = []
    makers: dict[str, Callable[[], Callable[[], Sample]]] = {
        "go": lambda: peers.go_sdk(run, port, sink),
        "node": lambda: peers.node_sdk(run, port, sink),
    }
    if raw_concurrency is not None:
        raw = peers.PeerRun(run.op, raw_concurrency, run.requests * RAW_FACTOR, run.max_seconds)
        makers["raw_go"] = lambda: peers.go_raw(raw, port, sink, bench.requests[run.op])
    for name, make in makers.items():
        try:
            contenders[name] = make()
        except NotInstalled as exc:
            missing.append(f"{name}: {exc}")
    return contenders, "; ".join(missing)


def fill(row: Row, samples: dict[str, list[Sample]], errors: list[str], columns: dict[str, str]) -> None:
    """The row's columns (``columns``: sample key -> column) as medians; its contenders' errors make it ERROR."""
    for key, column in columns.items():
        setattr(row, column, median_rate(samples.get(key, [])))
    own = [error for error in errors if error.partition(":")[0] in columns]
    if own:
        row.error = "; ".join(own)


def set_ceiling(row: Row, samples: dict[str, list[Sample]], parts: dict[str, str], scale: float = 1.0) -> None:
    """The row's ceiling: the highest median of the raw loops in ``parts`` (sample key -> description)."""
    for key, label in parts.items():
        value = median_rate(samples.get(key, []))
        if value is not None:
            row.ceiling_parts[label] = value * scale
    if row.ceiling_parts:
        row.ceiling = max(row.ceiling_parts.values())


def counts_note(settings: argparse.Namespace, samples: dict[str, list[Sample]]) -> str:
    counts = ", ".join(f"{name} {median_count(runs):,}" for name, runs in samples.items() if runs)
    return f"median of {settings.runs} runs; per run: {counts} (cap {settings.max_seconds:g} s)"


# --- sequential: one trigger at a time ------------------------------------------------------------------------------


def sequential_sample(client: Any, n: int, max_seconds: float, sink: RequestCounter) -> Sample:
    loop = TimedLoop(n, max_seconds, sink)
    for i in loop:
        expect_empty_object(client.trigger(CHANNELS[i % CHANNEL_COUNT], EVENT, DATA))
    return loop.sample()


def async_sequential_sample(port: int, n: int, max_seconds: float, sink: RequestCounter) -> Sample:
    """``await AsyncPusher.trigger`` one after the other: the single-request latency of the async client."""
    import pusher_fast

    async def main() -> Sample:
        async with pusher_fast.AsyncPusher(**client_options(port)) as client:
            await client.trigger(CHANNELS[0], EVENT, DATA)  # the connection, opened before timing
            loop = TimedLoop(n, max_seconds, sink)
            for i in loop:
                expect_empty_object(await client.trigger(CHANNELS[i % CHANNEL_COUNT], EVENT, DATA))
        return loop.sample()

    return asyncio.run(main())


def scenario_sequential(bench: Bench) -> list[Row]:
    import pusher

    import pusher_fast

    settings, sink = bench.settings, bench.sink
    n, cap = settings.seq_n, settings.max_seconds
    official = pusher.Pusher(**client_options(sink.port))
    fast = pusher_fast.Pusher(**client_options(sink.port))
    request = bench.requests["trigger"].read_bytes()
    contenders: dict[str, Callable[[], Sample]] = {
        "official": lambda: sequential_sample(official, n, cap, sink),
        "pusher_fast": lambda: sequential_sample(fast, n, cap, sink),
        "pusher_fast_async": lambda: async_sequential_sample(sink.port, n, cap, sink),
        "raw_python": lambda: python_raw_sample(request, sink.port, n * RAW_FACTOR, cap, sink),
    }
    found, missing = peer_contenders(bench, peers.PeerRun("trigger", 1, n, cap), raw_concurrency=1)
    contenders.update(found)
    try:
        for client in (official, fast):  # connections opened before timing
            for i in range(20):
                client.trigger(CHANNELS[i], EVENT, DATA)
        samples, errors = interleaved(settings.runs, contenders)
    finally:
        fast.close()
    sync_row = Row(
        f"sequential Pusher.trigger, one at a time (n={n:,})",
        "rate",
        "req/s",
        targets=[Target("x_go", 1.5), Target("of_ceiling", 0.75), Target("x_official", 4)],
    )
    async_row = Row(f"sequential await AsyncPusher.trigger (n={n:,})", "rate", "req/s")
    peer_columns = {"go": "go", "node": "node"}
    fill(sync_row, samples, errors, {"official": "official", "pusher_fast": "fast", **peer_columns})
    fill(async_row, samples, errors, {"pusher_fast_async": "fast", **peer_columns})
    parts = {"raw_python": "Python socket loop", "raw_go": "Go net.Conn loop"}
    for row, ours in ((sync_row, "pusher_fast"), (async_row, "pusher_fast_async")):
        set_ceiling(row, samples, parts)
        names = {"official": "official", ours: "fast", "go": "go", "node": "node", **parts}
        row.keep_samples(samples, names if row is sync_row else {k: v for k, v in names.items() if k != "official"})
    if not sync_row.error:
        ceiling = ", ".join(f"{label} {value:,.0f}/s" for label, value in sync_row.ceiling_parts.items())
        used = max(sync_row.ceiling_parts, key=sync_row.ceiling_parts.__getitem__, default="none")
        sync_row.note = (
            f"{counts_note(settings, samples)}; Go: Trigger in a loop; Node: await trigger in a loop; ceiling: one "
            f"pre-built signed request at a time on one connection ({ceiling}), the higher is used: {used}"
            + (f"; missing: {missing}" if missing else "")
        )
    if not async_row.error:
        async_row.note = "the same runs, peers and ceiling as the row above; no targets (the async client's latency)"
    return [sync_row, async_row]


# --- single triggers with many in flight ----------------------------------------------------------------------------


def async_sample(make: Callable[[], Any], n: int, concurrency: int, max_seconds: float, sink: RequestCounter) -> Sample:
    async def main() -> Sample:
        client = make()
        try:
            await asyncio.gather(
                *(client.trigger(CHANNELS[i % CHANNEL_COUNT], EVENT, DATA) for i in range(concurrency))
            )
            before = sink.requests()
            next_index = done = 0
            clock = time.perf_counter
            start = clock()
            deadline = start + max_seconds

            async def worker() -> None:
                nonlocal next_index, done
                while next_index < n and clock() < deadline:
                    i = next_index
                    next_index += 1
                    expect_empty_object(await client.trigger(CHANNELS[i % CHANNEL_COUNT], EVENT, DATA))
                    done += 1

            await asyncio.gather(*(worker() for _ in range(concurrency)))
            elapsed = clock() - start
        finally:
            close = getattr(client, "aclose", None)
            if close is not None:
                await close()
        check_sink(sink, before, done)
        return Sample(done, elapsed)

    return asyncio.run(main())


def scenario_async(bench: Bench) -> list[Row]:
    import pusher
    from pusher.aiohttp import AsyncIOBackend

    import pusher_fast

    settings, sink = bench.settings, bench.sink
    n, cap, concurrency = settings.async_n, settings.max_seconds, settings.concurrency
    options = client_options(sink.port)

    def measure(make: Callable[[], Any]) -> Callable[[], Sample]:
        return lambda: async_sample(make, n, concurrency, cap, sink)

    contenders: dict[str, Callable[[], Sample]] = {
        "official": measure(lambda: pusher.Pusher(**options, backend=AsyncIOBackend)),
        "pusher_fast": measure(lambda: pusher_fast.AsyncPusher(**options)),
    }
    found, missing = peer_contenders(bench, peers.PeerRun("trigger", concurrency, n, cap), raw_concurrency=concurrency)
    contenders.update(found)
    samples, errors = interleaved(settings.runs, contenders)
    row = Row(
        f"single triggers, {concurrency} in flight: AsyncPusher.trigger (n={n:,})",
        "rate",
        "req/s",
        targets=[Target("x_go", 1.5), Target("x_official", 3)],
    )
    fill(row, samples, errors, {"official": "official", "pusher_fast": "fast", "go": "go", "node": "node"})
    parts = {"raw_go": f"Go load generator, {concurrency} connections"}
    set_ceiling(row, samples, parts)
    row.keep_samples(samples, {"official": "official", "pusher_fast": "fast", "go": "go", "node": "node", **parts})
    if not row.error:
        row.note = (
            f"{counts_note(settings, samples)}; official: aiohttp backend (a new session per call); Go: "
            f"{concurrency} goroutines; Node: {concurrency} concurrent promises; ceiling: pre-built requests on "
            f"{concurrency} connections" + (f"; missing: {missing}" if missing else "")
        )
    return [row]


# --- bulk publishing, and its peak RSS, each run of ours in a fresh process -----------------------------------------


def run_child(
    settings: argparse.Namespace,
    kind: str,
    port: int,
    n: int,
    max_seconds: float,
    sink: RequestCounter | None,
    warmup: int = 100,
) -> dict[str, Any]:
    """Run one publishing run in a child process and check what it reports against the events and the sink."""
    command = [sys.executable, "-m", "benches.throughput", "--child", kind, "--port", str(port)]
    command += ["--events", str(n), "--max-seconds", str(max_seconds), "--warmup", str(warmup)]
    if settings.max_in_flight is not None:
        command += ["--max-in-flight", str(settings.max_in_flight)]
    before = sink.requests() if sink else None
    outcome = run_json_child(command, max_seconds + CHILD_GRACE_SECONDS)
    produced = outcome["produced"]
    if outcome["failed"]:
        raise CheckFailed(f"{outcome['failed']} of {produced} events failed; the first: {outcome['failures']}")
    if outcome["sent"] != produced:
        raise CheckFailed(f"reports {outcome['sent']} events sent of {produced} given")
    if outcome["requests"] < math.ceil(produced / BATCH_SIZE):
        raise CheckFailed(f"{outcome['requests']} requests cannot carry {produced} events ({BATCH_SIZE} per request)")
    check_sink(sink, before, outcome["requests"] + outcome["warmup_requests"])
    return outcome


def bulk_rows(
    bench: Bench | None,
    settings: argparse.Namespace,
    port: int,
    sink: RequestCounter | None,
    n: int,
    where: str,
    targets: list[Target],
) -> list[Row]:
    """trigger_many (and on the sink, AsyncPusher.trigger_many and the peers' batches) against the official loop."""
    ours = BULK_KINDS if bench is not None else BULK_KINDS[:2]
    rows = {"pusher_fast": Row(f"bulk to {where}: trigger_many (n={n:,})", "rate", "ev/s", targets=list(targets))}
    if "pusher_fast_async" in ours:
        name = f"bulk to {where}: AsyncPusher.trigger_many (n={n:,})"
        rows["pusher_fast_async"] = Row(name, "rate", "ev/s", targets=list(targets))

    def measure(kind: str) -> Callable[[], Sample]:
        def sample() -> Sample:
            outcome = run_child(settings, kind, port, n, settings.max_seconds, sink)
            return Sample(outcome["sent"], outcome["seconds"])

        return sample

    contenders = {kind: measure(kind) for kind in ours}
    missing = ""
    in_flight = settings.max_in_flight or 16  # trigger_many's default
    if bench is not None:
        run = peers.PeerRun("batch", settings.bulk_concurrency, math.ceil(n / BATCH_SIZE), settings.max_seconds)
        found, missing = peer_contenders(bench, run, raw_concurrency=in_flight)
        contenders.update(found)
    # Every contender runs in a child process: what each costs in CPU shows what the machine's cores allow.
    cpu_sink = bench.sink if bench is not None else None
    contenders = {name: with_cpu(measure, cpu_sink) for name, measure in contenders.items()}
    samples, errors = interleaved(settings.runs, contenders)
    parts = {"raw_go": f"Go load generator, batches of {BATCH_SIZE} on {in_flight} connections"}
    for kind, row in rows.items():
        fill(row, samples, errors, {"official": "official", kind: "fast", "go": "go", "node": "node"})
        set_ceiling(row, samples, parts)
        row.keep_samples(samples, {"official": "official", kind: "fast", "go": "go", "node": "node", **parts})
        if not row.error:
            peers_text = (
                f"; Go: TriggerBatch of {BATCH_SIZE} from {settings.bulk_concurrency} goroutines; Node: triggerBatch "
                f"of {BATCH_SIZE}, {settings.bulk_concurrency} concurrent; ceiling: pre-built batches on "
                f"{in_flight} connections (trigger_many's max_in_flight)"
                if bench is not None
                else ""
            )
            row.note = (
                f"{counts_note(settings, samples)}; official: a trigger_batch loop of {BATCH_SIZE}-event batches; "
                f"each of our runs in a fresh process after a warm-up{peers_text}"
                + (f"; missing: {missing}" if missing else "")
            )
            names = {"official": "official", kind: "pusher_fast", "go": "Go", "node": "Node", "raw_go": "raw Go"}
            cpu = cpu_note(samples, names, "event")
            row.note += f"; {cpu}" if cpu else ""
    return list(rows.values())


def scenario_bulk(bench: Bench) -> list[Row]:
    targets = [Target("x_go", 3), Target("min_rate", 750_000), Target("x_official", 20)]
    settings = bench.settings
    return bulk_rows(bench, settings, bench.sink.port, bench.sink, settings.bulk_n, "nginx", targets)


def scenario_server(settings: argparse.Namespace, work_dir: Path, which: str) -> list[Row]:
    starter = start_soketi if which == "soketi" else start_sockudo
    try:
        server, version = starter(work_dir)
    except Exception as exc:
        row = Row(f"bulk to {which}: trigger_many (n={settings.server_n:,})", "rate", "ev/s")
        if isinstance(exc, NotInstalled):
            row.unavailable = f"skipped: {which} is not installed ({exc}); `scripts/e2e/install.sh` installs it"
        else:
            row.error = f"{which} did not start: {exc}"
        return [row]
    try:
        rows = bulk_rows(None, settings, server.port, None, settings.server_n, which, [Target("x_official", 8)])
        if not server.alive():
            rows[0].error = f"{which} exited during the run:\n{server.log_tail()}"
        for row in rows:
            row.note = f"{version}, which checks every signature; {row.note}".rstrip("; ")
        return rows
    finally:
        server.stop()


def scenario_rss(bench: Bench) -> list[Row]:
    settings, sink = bench.settings, bench.sink
    row = Row(f"peak RSS publishing {settings.rss_n:,} events from a generator", "memory")
    row.targets.append(Target("max_mb", RSS_LIMIT_MB))
    official_seconds = min(settings.max_seconds, settings.rss_max_seconds)
    notes = []
    try:
        official = run_child(settings, "official", sink.port, settings.rss_n, official_seconds, sink, warmup=0)
        row.official = official["peak_mb"]
        notes.append(
            f"official: trigger_batch loop, {official['sent']:,} events in its {official_seconds:g} s cap, "
            f"{official['baseline_mb']:.1f} MB before publishing"
        )
    except Exception as exc:
        row.error = f"official: {exc}"
    try:
        fast = run_child(settings, "pusher_fast", sink.port, settings.rss_n, settings.rss_max_seconds, sink, warmup=0)
        row.fast = fast["peak_mb"]
        complete = fast["sent"] >= settings.rss_n
        row.targets.append(Target("check", label=f"all {settings.rss_n:,} sent", ok=complete))
        notes.append(
            f"pusher_fast: trigger_many, {fast['sent']:,} events in {fast['seconds']:.1f} s "
            f"({fast['sent'] / fast['seconds']:,.0f} ev/s), {fast['baseline_mb']:.1f} MB before publishing"
            + ("" if complete else f"; stopped by the {settings.rss_max_seconds:g} s cap")
        )
    except Exception as exc:
        row.error = f"{row.error + '; ' if row.error else ''}pusher_fast: {exc}"
    row.note = "; ".join(notes) + "; peak RSS (VmHWM) of a fresh process"
    return [row]


# --- constructing a client ------------------------------------------------------------------------------------------


def scenario_construct(bench: Bench) -> list[Row]:
    """Each constructor timed ``--construct-n`` times, interleaved, in one fresh process; medians."""
    settings = bench.settings
    command = [sys.executable, "-m", "benches.throughput", "--child", "construct", "--port", str(bench.sink.port)]
    command += ["--events", str(settings.construct_n), "--max-seconds", str(settings.max_seconds * 10)]
    target = Target("x_official", 0.5, label="≤2x official's time")
    rows = {
        "pusher_fast": Row("constructing a client: Pusher(...)", "time", "calls/s", targets=[target]),
        "pusher_fast_async": Row("constructing a client: AsyncPusher(...)", "time", "calls/s", targets=[target]),
    }
    try:
        outcome = run_json_child(command, settings.max_seconds * 10 + CHILD_GRACE_SECONDS)
    except Exception as exc:
        for row in rows.values():
            row.error = f"{type(exc).__name__}: {exc}"
        return list(rows.values())
    for kind, row in rows.items():
        row.official = outcome["official"]["median"]
        row.fast = outcome[kind]["median"]
        for name, column in (("official", "official"), (kind, "fast")):
            row.samples[column] = [{"count": 1, "seconds": seconds} for seconds in outcome[name]["seconds"]]
        row.note = (
            f"median of {outcome[kind]['count']} constructions each, interleaved with the official "
            "pusher.Pusher(...) in one fresh process (each client closed after its timing)"
        )
    return list(rows.values())
