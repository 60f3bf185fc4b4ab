"""What every part of the throughput benchmark shares: the workload, checks, samples and interleaved runs."""

from __future__ import annotations

import contextlib
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from benches._support import APP_ID, KEY, SECRET
from devtools.installs import REPO
from devtools.processes import HOST, die_with_parent

CHANNEL_COUNT = 64
CHANNELS = [f"bench-{i}" for i in range(CHANNEL_COUNT)]
EVENT = "bench-event"
# The event every library publishes, in every scenario (the Go and Node peers define the same).
DATA: dict[str, Any] = {"id": 1, "message": "hello world", "price": 12.5}
BATCH_SIZE = 10  # the HTTP API's limit of events per batch_events request
# How long a child process may run past its own time cap before it is killed.
CHILD_GRACE_SECONDS = 60.0


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


class CheckFailed(AssertionError):
    """What a library did is not what the benchmark asked of it: the row is an error, its speed is not reported."""


class RequestCounter(Protocol):
    """The sink's count of the requests it has answered (``servers.NginxSink``)."""

    def requests(self) -> int: ...


@dataclass
class Sample:
    """One timed run: ``count`` units (requests, events or calls) in ``seconds``.

    Runs in a child process also say what they cost: ``cpu``, the CPU seconds (user and system) of the whole child,
    start-up and warm-up included, and ``sink_cpu``, those of the sink's processes over the same time.
    """

    count: int
    seconds: float
    cpu: float | None = None
    sink_cpu: float | None = None

    @property
    def rate(self) -> float:
        return self.count / self.seconds


class CpuCounter(Protocol):
    """The sink's CPU seconds so far (``servers.NginxSink``)."""

    def cpu_seconds(self) -> float: ...


def children_cpu_seconds() -> float:
    """CPU seconds of this process's finished children, the runs in child processes among them."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def with_cpu(measure: Callable[[], Sample], sink: CpuCounter | None) -> Callable[[], Sample]:
    """``measure`` (one run in a child process), its sample recording the child's CPU time and the sink's."""

    def sample() -> Sample:
        child_before = children_cpu_seconds()
        sink_before = sink.cpu_seconds() if sink else 0.0
        result = measure()
        result.cpu = children_cpu_seconds() - child_before
        if sink:
            result.sink_cpu = sink.cpu_seconds() - sink_before
        return result

    return sample


def cpu_note(samples: dict[str, list[Sample]], names: dict[str, str], unit: str) -> str:
    """The median CPU µs per ``unit`` of each contender's process (``names``: sample key -> name), and of the sink
    during its runs (a sink's cost per request falls as its load rises, so each contender's runs have their own)."""
    parts = []
    for key, name in names.items():
        runs = [run for run in samples.get(key, []) if run.count and run.cpu is not None]
        if not runs:
            continue
        part = f"{name} {statistics.median((run.cpu or 0.0) / run.count for run in runs) * 1e6:.2f}"
        sink = [run.sink_cpu / run.count for run in runs if run.sink_cpu is not None]
        parts.append(part + (f" (sink {statistics.median(sink) * 1e6:.2f})" if sink else ""))
    if not parts:
        return ""
    return f"CPU µs per {unit} of each process, start-up and warm-up included (and of the sink): " + ", ".join(parts)


class TimedLoop:
    """Up to ``n`` iterations of a sequential loop, stopping after the first that ends past ``max_seconds``.

    ``for i in loop: ...`` times the body's iterations (sync or ``await``-ing alike); :meth:`sample` then checks the
    sink's counter against the requests those iterations made (``per_iteration`` each, plus ``extra``).
    """

    def __init__(self, n: int, max_seconds: float, sink: RequestCounter) -> None:
        self.n = n
        self.max_seconds = max_seconds
        self.sink = sink
        self.before = sink.requests()
        self.done = 0
        self.seconds = 0.0

    def __iter__(self) -> Iterator[int]:
        clock = time.perf_counter
        start = clock()
        deadline = start + self.max_seconds
        for i in range(self.n):
            yield i
            self.done += 1
            if clock() > deadline:
                break
        self.seconds = clock() - start

    def sample(self, extra: int = 0) -> Sample:
        check_sink(self.sink, self.before, self.done + extra)
        return Sample(self.done, self.seconds)


def expect_empty_object(result: Any) -> None:
    """A trigger's result must be the sink's answer, ``{}``."""
    if result != {}:
        raise CheckFailed(f"trigger returned {result!r}, not the sink's {{}}")


def client_options(port: int) -> dict[str, Any]:
    """The constructor arguments every Python client gets (official SDK and pusher_fast alike)."""
    return {"app_id": APP_ID, "key": KEY, "secret": SECRET, "ssl": False, "host": HOST, "port": port}


def check_sink(sink: RequestCounter | None, before: int | None, expected: int) -> None:
    """The sink answered exactly ``expected`` requests since it said ``before``: no client is fast by not sending."""
    if sink is None or before is None:
        return
    answered = sink.requests() - before
    if answered != expected:
        raise CheckFailed(f"the client reports {expected} requests but the sink answered {answered}")


def interleaved(runs: int, contenders: dict[str, Callable[[], Sample]]) -> tuple[dict[str, list[Sample]], list[str]]:
    """Run each contender ``runs`` times, alternating; a contender that fails is not run again."""
    samples: dict[str, list[Sample]] = {name: [] for name in contenders}
    errors: dict[str, str] = {}
    for run in range(runs):
        for name, measure in contenders.items():
            if name in errors:
                continue
            try:
                samples[name].append(measure())
            except Exception as exc:  # reported in the table; the other contenders still run
                errors[name] = f"{name}: {type(exc).__name__}: {exc}"
                log(f"  {name} failed: {errors[name]}")
            else:
                log(f"  run {run + 1}/{runs} {name}: {samples[name][-1].rate:,.0f}/s")
    return samples, list(errors.values())


def median_rate(samples: Sequence[Sample]) -> float | None:
    return statistics.median(sample.rate for sample in samples) if samples else None


def median_count(samples: Sequence[Sample]) -> int:
    return int(statistics.median(sample.count for sample in samples)) if samples else 0


def tail(text: str, limit: int = 700) -> str:
    """The end of a child's stderr, on one line (a traceback's last frames say where it was stuck)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    joined = " | ".join(lines)
    return ("…" + joined[-limit:]) if len(joined) > limit else (joined or "no output")


def run_json_child(
    command: Sequence[str], timeout: float, env: dict[str, str] | None = None, cwd: Path = REPO
) -> dict[str, Any]:
    """Run a child process with a hard ``timeout`` and return the JSON object on its last line of output.

    The child is killed when over time and with the benchmark (``die_with_parent``); a non-zero exit or output that
    is not JSON raises CheckFailed with the end of its stderr.
    """
    process = subprocess.Popen(
        list(command),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=cwd,
        preexec_fn=die_with_parent,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        raise CheckFailed(f"did not finish within {timeout:g} s; {tail(stderr)}") from None
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
    if process.returncode != 0:
        raise CheckFailed(f"exited with {process.returncode}: {tail(stderr)}")
    lines = stdout.strip().splitlines()
    try:
        outcome = json.loads(lines[-1]) if lines else None
    except ValueError:
        outcome = None
    if not isinstance(outcome, dict):
        raise CheckFailed(f"printed no JSON object: {tail(stdout)}; {tail(stderr)}")
    return outcome
