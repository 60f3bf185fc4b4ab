"""The command line of ``python -m benches.throughput`` (see the package's docstring, or ``--help``)."""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import benches.throughput
from benches.throughput import ceilings, peers
from benches.throughput.children import CHILD_KINDS, child_main
from benches.throughput.common import log
from benches.throughput.environment import contention_line, cpu_counters, machine_lines, own_cpu_seconds
from benches.throughput.micro import micro_rows
from benches.throughput.report import Row, table_lines, write_json
from benches.throughput.scenarios import (
    Bench,
    scenario_async,
    scenario_bulk,
    scenario_construct,
    scenario_rss,
    scenario_sequential,
    scenario_server,
)
from benches.throughput.servers import NginxSink

SCENARIOS = ("construct", "sequential", "async", "bulk", "soketi", "sockudo", "rss")

# name: (default, --quick default, type, help)
KNOBS: dict[str, tuple[float, float, type, str]] = {
    "runs": (5, 3, int, "runs per scenario and contender; the median is reported"),
    "seq_n": (20_000, 5000, int, "sequential triggers per run"),
    "async_n": (50_000, 20_000, int, "triggers per run with --concurrency in flight"),
    "concurrency": (64, 64, int, "single triggers in flight"),
    "bulk_n": (500_000, 200_000, int, "events per bulk run against nginx"),
    "bulk_concurrency": (16, 16, int, "goroutines (Go) and concurrent batches (Node) in the bulk scenario"),
    "server_n": (100_000, 20_000, int, "events per bulk run against soketi and sockudo"),
    "rss_n": (1_000_000, 1_000_000, int, "events published by the peak-RSS run"),
    "construct_n": (200, 50, int, "constructions of each client"),
    "max_seconds": (5.0, 2.0, float, "time cap of each run (the rate is taken over what was sent by then)"),
    "rss_max_seconds": (120.0, 60.0, float, "time cap of the peak-RSS run"),
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benches.throughput",
        description=benches.throughput.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="smaller counts and caps (BENCH_QUICK=1)")
    for name, (_, _, kind, text) in KNOBS.items():
        flag = "--" + name.replace("_", "-")
        parser.add_argument(flag, type=kind, default=None, help=f"{text} (env BENCH_{name.upper()})")
    parser.add_argument("--max-in-flight", type=int, default=None, help="trigger_many's max_in_flight (its default)")
    parser.add_argument("--scenarios", default=None, help=f"comma-separated subset of {','.join(SCENARIOS)}")
    parser.add_argument("--micro-json", type=Path, default=None, help="pytest-benchmark JSON to fold into the table")
    parser.add_argument("--micro-command", default=None, help="the command that wrote --micro-json, to print")
    parser.add_argument("--json-out", type=Path, default=None, help="also write the table as JSON here")
    parser.add_argument("--child", choices=CHILD_KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--events", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--warmup", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    quick = args.quick or os.environ.get("BENCH_QUICK", "") not in ("", "0")
    args.quick = quick
    for name, (default, quick_default, kind, _) in KNOBS.items():
        if getattr(args, name) is None:
            env = os.environ.get(f"BENCH_{name.upper()}")
            setattr(args, name, kind(env) if env else kind(quick_default if quick else default))
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive")
    if args.max_in_flight is None and os.environ.get("BENCH_MAX_IN_FLIGHT"):
        args.max_in_flight = int(os.environ["BENCH_MAX_IN_FLIGHT"])
    chosen = args.scenarios or os.environ.get("BENCH_SCENARIOS") or ",".join(SCENARIOS)
    args.scenario_set = {name.strip() for name in chosen.split(",") if name.strip()}
    unknown = args.scenario_set - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(sorted(unknown))}; choose from {', '.join(SCENARIOS)}")
    overrides = [f"{name}={value}" for name, value in sorted(os.environ.items()) if name.startswith("BENCH_")]
    python = os.path.relpath(sys.executable, Path.cwd())
    args.command = shlex.join([*overrides, python, "-m", "benches.throughput", *argv])
    return args


def main(argv: list[str]) -> int:
    settings = parse_args(argv)
    if settings.child:
        return child_main(settings)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))  # so the servers are stopped
    rows: list[Row] = []
    if settings.micro_json is not None:
        rows += micro_rows(settings.micro_json)
    started = time.monotonic()
    cpu_start, own_start = cpu_counters(), own_cpu_seconds()
    with tempfile.TemporaryDirectory(prefix="pusher-fast-bench-") as tmp, contextlib.ExitStack() as stack:
        work_dir = Path(tmp)
        sink = NginxSink(work_dir)
        stack.callback(sink.stop)
        log(f"nginx sink on 127.0.0.1:{sink.port}")
        bench = Bench(settings, sink, ceilings.write_requests(work_dir, sink.port))
        header = machine_lines(settings, sink.version(), peers.versions())
        plan: list[tuple[str, Callable[[], list[Row]]]] = [
            ("construct", lambda: scenario_construct(bench)),
            ("sequential", lambda: scenario_sequential(bench)),
            ("async", lambda: scenario_async(bench)),
            ("bulk", lambda: scenario_bulk(bench)),
            ("soketi", lambda: scenario_server(settings, work_dir, "soketi")),
            ("sockudo", lambda: scenario_server(settings, work_dir, "sockudo")),
            ("rss", lambda: scenario_rss(bench)),
        ]
        for name, scenario in plan:
            if name not in settings.scenario_set:
                continue
            log(f"scenario {name}")
            scenario_started = time.monotonic()
            try:
                rows += scenario()
            except Exception as exc:
                rows.append(Row(name, "rate", error=f"{type(exc).__name__}: {exc}"))
            log(f"scenario {name} took {time.monotonic() - scenario_started:.1f} s")
    elapsed = time.monotonic() - started
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    header += [
        f"throughput scenarios took {elapsed:.0f} s; load average at end: {load}",
        contention_line(cpu_start, own_start, elapsed),
    ]
    print()
    print(
        "pusher_fast beside the official Python (pusher 3.3.4), Go and Node SDKs (x = how many times faster "
        "pusher_fast is; medians)"
    )
    print("\n".join(header))
    print()
    print("\n".join(table_lines(rows)))
    if settings.json_out is not None:
        write_json(settings.json_out, header, rows)
    return 1 if any(row.error for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
