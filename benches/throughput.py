"""Throughput of the official ``pusher`` 3.3.4 SDK and pusher_fast side by side, against local servers.

Run by ``make bench`` (after the micro benchmarks, whose pytest-benchmark JSON it folds into the same table) or alone:

    .venv/bin/python benches/throughput.py [--quick] [--micro-json .benchmarks/micro.json]

Scenarios (each library in the same run, runs interleaved, the median of ``--runs`` runs reported):

* ``sequential``: ``trigger`` one after the other over keep-alive, against a local nginx sink (official: its default
  requests backend; pusher_fast: ``Pusher``).
* ``async``: single triggers with 64 in flight on asyncio (official: ``pusher.aiohttp.AsyncIOBackend``; pusher_fast:
  ``AsyncPusher``).
* ``bulk``: publishing many events to the nginx sink (official's best way, a ``trigger_batch`` loop of 10-event
  batches; pusher_fast: ``trigger_many``, sync and async).
* ``soketi`` and ``sockudo``: the same bulk publishing against a real Pusher-protocol server, which checks every
  signature (installed by ``scripts/e2e``; skipped with a note when missing).
* ``rss``: peak RSS of a fresh process publishing 1M events from a generator with ``trigger_many``.

The sink is an nginx started here (127.0.0.1, a free port, one worker, ``return 200 '{}'``, no access log) and
stopped here, also on failure. Its ``stub_status`` request counter is checked against the requests each library says
it made, so a client cannot be fast by not sending. Every loop is bounded in count and in time (``--max-seconds``
per run: the event generator stops producing at the deadline, and the rate is what was sent over the time taken).
Each bulk and RSS run happens in a fresh child process with a hard timeout, so a library that hangs or crashes makes
its row ``ERROR`` (with the child's stack) instead of stopping the benchmark. Counts and caps scale with ``BENCH_*``
environment variables or the options below; the defaults take about 3 minutes after the micro benchmarks.

Every number printed is measured in this run; targets come from issue 4. A failed check or an exception makes the
row ``ERROR`` and the exit status 1; a missed target is reported, not an error.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import math
import os
import platform
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from importlib import metadata
from itertools import islice
from pathlib import Path
from typing import Any

from _support import APP_ID, KEY, SECRET

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))  # the end-to-end harness: install paths and server process helpers, shared

from tests.e2e import harness  # noqa: E402 - importable once the repository is on the path
from tests.e2e.harness import die_with_parent, free_port, start_with_retries  # noqa: E402

CHANNELS = [f"bench-{i}" for i in range(100)]
EVENT = "bench-event"
BATCH_SIZE = 10  # the HTTP API's limit of events per batch_events request
RSS_LIMIT_MB = 150.0
STATUS_PATH = "/__bench_status"
SCENARIOS = ("sequential", "async", "bulk", "soketi", "sockudo", "rss")

# name: (default, --quick default, type)
KNOBS: dict[str, tuple[float, float, type]] = {
    "runs": (5, 3, int),
    "seq_n": (2000, 500, int),
    "async_n": (2000, 500, int),
    "concurrency": (64, 64, int),
    "bulk_n": (200_000, 50_000, int),
    "server_n": (100_000, 20_000, int),
    "rss_n": (1_000_000, 1_000_000, int),
    "max_seconds": (5.0, 2.0, float),
    "rss_max_seconds": (120.0, 60.0, float),
}
KNOB_HELP = {
    "runs": "runs per scenario and library; the median is reported",
    "seq_n": "sequential triggers per run",
    "async_n": "async triggers per run",
    "concurrency": "async triggers in flight",
    "bulk_n": "events per bulk run against nginx",
    "server_n": "events per bulk run against soketi and sockudo",
    "rss_n": "events published by the peak-RSS run",
    "max_seconds": "time cap of each run (the rate is taken over what was sent by then)",
    "rss_max_seconds": "time cap of the peak-RSS run",
}


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


class CheckFailed(AssertionError):
    """What a library did is not what the benchmark asked of it: the row is an error, its speed is not reported."""


# ---------------------------------------------------------------------------------------------------------------------
# Rows of the result table


@dataclass
class Row:
    """One line of the table. ``kind`` is ``time`` (seconds per call), ``rate`` (per second) or ``memory`` (MB)."""

    name: str
    kind: str
    unit: str = ""
    official: float | None = None
    fast: float | None = None
    min_ratio: float | None = None
    fast_min_rate: float | None = None
    fast_max_mb: float | None = None
    note: str = ""
    error: str | None = None
    unavailable: str | None = None
    extra_checks: list[tuple[str, bool]] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        if not self.official or not self.fast or self.kind == "memory":
            return None
        return self.official / self.fast if self.kind == "time" else self.fast / self.official

    @property
    def fast_rate(self) -> float | None:
        if self.fast is None:
            return None
        return 1 / self.fast if self.kind == "time" else self.fast

    def checks(self) -> list[bool]:
        results = [ok for _, ok in self.extra_checks]
        if self.min_ratio is not None:
            results.append(self.ratio is not None and self.ratio >= self.min_ratio)
        if self.fast_min_rate is not None:
            results.append(self.fast_rate is not None and self.fast_rate >= self.fast_min_rate)
        if self.fast_max_mb is not None:
            results.append(self.fast is not None and self.fast < self.fast_max_mb)
        return results

    def status(self) -> str:
        if self.error:
            return "ERROR"
        if self.unavailable:
            return "n/a"
        checks = self.checks()
        if not checks:
            return ""
        return "met" if all(checks) else "MISSED"

    def target(self) -> str:
        parts = []
        if self.min_ratio is not None:
            parts.append(f"≥{self.min_ratio:g}x")
        if self.fast_min_rate is not None:
            parts.append(f"≥{fmt_rate(self.fast_min_rate)} {self.unit}")
        if self.fast_max_mb is not None:
            parts.append(f"<{self.fast_max_mb:g} MB")
        parts.extend(label for label, _ in self.extra_checks)
        return " and ".join(parts)

    def cell(self, value: float | None) -> str:
        if self.unavailable and value is None:
            return "not available"
        if value is None:
            return "—"
        if self.kind == "time":
            return f"{fmt_time(value)} ({fmt_rate(1 / value)}/s)"
        if self.kind == "memory":
            return f"{value:.1f} MB"
        return f"{fmt_rate(value)} {self.unit}"


def fmt_rate(value: float) -> str:
    if value >= 1e6:
        return f"{value / 1e6:.2f}M"
    if value >= 1e3:
        return f"{value / 1e3:.1f}k"
    return f"{value:.0f}"


def fmt_time(seconds: float) -> str:
    micros = seconds * 1e6
    return f"{micros:.3g} µs" if micros < 1000 else f"{micros / 1000:.3g} ms"


def print_table(rows: list[Row]) -> None:
    header = ["scenario", "official pusher 3.3.4", "pusher_fast", "ratio", "target", "status"]
    lines = []
    for row in rows:
        ratio = row.ratio
        lines.append(
            [
                row.name,
                row.cell(row.official),
                row.cell(row.fast),
                f"{ratio:.2f}x" if ratio is not None else "",
                row.target(),
                row.status(),
            ]
        )
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header))]

    def render(cells: list[str]) -> str:
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths)) + " |"

    print(render(header))
    print("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    for line in lines:
        print(render(line))
    notes = [(row.name, row.error or row.unavailable or row.note) for row in rows]
    notes = [(name, text) for name, text in notes if text]
    if notes:
        print()
        for name, text in notes:
            print(f"- {name}: {text}")


# ---------------------------------------------------------------------------------------------------------------------
# Processes: the nginx sink and the Pusher-protocol servers


def http_get(port: int, path: str, timeout: float = 2) -> tuple[int, bytes]:
    # http.client, not urllib: no proxy from the environment is ever consulted for 127.0.0.1.
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


class Server:
    """A child process listening on 127.0.0.1:``port``, in its own process group, stopped with ``stop()``."""

    def __init__(self, name: str, port: int, process: subprocess.Popen[bytes], log_path: Path) -> None:
        self.name = name
        self.port = port
        self.process = process
        self.log_path = log_path

    @classmethod
    def launch(
        cls, name: str, command: list[str], port: int, log_path: Path, ready_path: str, env: Mapping[str, str] | None
    ) -> Server:
        with open(log_path, "wb") as log_file:
            process = subprocess.Popen(
                command,
                cwd=log_path.parent,
                env=dict(env) if env is not None else None,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        server = cls(name, port, process, log_path)
        try:
            server.wait_ready(ready_path, timeout=30)
        except BaseException:
            server.stop()
            raise
        return server

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def wait_ready(self, path: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = "not tried"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                status, _ = http_get(self.port, path)
                if status == 200:
                    return
                last = f"HTTP {status}"
            except OSError as exc:
                last = str(exc)
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} was not ready on port {self.port} within {timeout} s ({last})")

    def stop(self) -> None:
        """SIGTERM to the process group, SIGKILL after 5 s; always reaps the process."""
        for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            if self.process.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(wait)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # anything left in the group
        self.process.wait(5)


def nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
    if found is None:
        raise RuntimeError("nginx is not installed: run scripts/bench/setup.sh (make bench does)")
    return found


NGINX_CONF = """\
worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    client_max_body_size 1m;
    client_body_buffer_size 1m;
    client_body_temp_path {root}/tmp/body;
    proxy_temp_path {root}/tmp/proxy;
    fastcgi_temp_path {root}/tmp/fastcgi;
    uwsgi_temp_path {root}/tmp/uwsgi;
    scgi_temp_path {root}/tmp/scgi;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location = {status} {{ stub_status; }}
        location / {{
            default_type application/json;
            return 200 '{{}}';
        }}
    }}
}}
"""


class NginxSink:
    """The HTTP sink: every request answered ``200 {}``; ``requests()`` counts what it has answered."""

    def __init__(self, work_dir: Path) -> None:
        self.root = work_dir / "nginx"
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)
        self.binary = nginx_binary()
        self.server = start_with_retries(self._start)
        self.port = self.server.port
        self._status_reads = 0

    def _start(self, port: int) -> Server:
        conf = self.root / "nginx.conf"
        conf.write_text(NGINX_CONF.format(root=self.root, port=port, status=STATUS_PATH))
        command = [self.binary, "-p", str(self.root), "-c", str(conf), "-e", str(self.root / "error.log")]
        return Server.launch("nginx", command, port, self.root / "stdout.log", STATUS_PATH, env=None)

    def requests(self) -> int:
        """Requests answered so far, less this benchmark's own status reads."""
        status, body = http_get(self.port, STATUS_PATH)
        if status != 200:
            raise RuntimeError(f"nginx status page answered {status}")
        self._status_reads += 1
        # "Active connections: 1\nserver accepts handled requests\n 1 1 1\n...": the third line's third number.
        # It counts the status request being answered, so every status read so far is subtracted.
        return int(body.decode().splitlines()[2].split()[2]) - self._status_reads

    def version(self) -> str:
        completed = subprocess.run([self.binary, "-v"], capture_output=True, text=True, check=False)
        return completed.stderr.strip().replace("nginx version: ", "")

    def stop(self) -> None:
        self.server.stop()


def start_soketi(work_dir: Path) -> tuple[Server, str]:
    """soketi from the e2e install, configured as the e2e harness does, with this benchmark's numeric app id."""
    modules = harness.node_modules()  # raises harness.NotInstalled
    script = modules / "@soketi" / "soketi" / "bin" / "server.js"
    version = json.loads((modules / "@soketi" / "soketi" / "package.json").read_text())["version"]
    root = work_dir / "soketi"
    root.mkdir(exist_ok=True)

    def start(port: int) -> Server:
        env = {name: value for name, value in os.environ.items() if not name.startswith("SOKETI_")}
        env.update(
            SOKETI_HOST="127.0.0.1",
            SOKETI_PORT=str(port),
            SOKETI_METRICS_ENABLED="false",
            SOKETI_METRICS_HOST="127.0.0.1",
            SOKETI_METRICS_SERVER_PORT=str(free_port()),
            SOKETI_DEFAULT_APP_ID=APP_ID,
            SOKETI_DEFAULT_APP_KEY=KEY,
            SOKETI_DEFAULT_APP_SECRET=SECRET,
            NODE_NO_WARNINGS="1",
        )
        command = ["node", str(script), "start"]
        return Server.launch("soketi", command, port, root / f"soketi-{port}.log", "/ready", env)

    return start_with_retries(start), f"soketi {version}"


def start_sockudo(work_dir: Path) -> tuple[Server, str]:
    """sockudo from the e2e install, with the e2e harness's config less its webhooks and with this benchmark's app."""
    binary = harness.sockudo_binary()  # raises harness.NotInstalled
    version = harness.pinned_versions()["SOCKUDO_VERSION"]
    root = work_dir / "sockudo"
    root.mkdir(exist_ok=True)

    def start(port: int) -> Server:
        config = harness.sockudo_config(port, "http://127.0.0.1:9/unused")
        app = config["app_manager"]["array"]["apps"][0]
        app.update(id=APP_ID, key=KEY, secret=SECRET, webhooks=[])
        config_path = root / f"sockudo-{port}.json"
        config_path.write_text(json.dumps(config, indent=2))
        env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "TMPDIR") if name in os.environ}
        env.update(RUST_LOG="warn", NO_COLOR="1")
        command = [str(binary), "--config", str(config_path)]
        return Server.launch("sockudo", command, port, root / f"sockudo-{port}.log", f"/up/{APP_ID}", env)

    return start_with_retries(start), f"sockudo {version}"


# ---------------------------------------------------------------------------------------------------------------------
# Measurement


@dataclass
class Sample:
    count: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.count / self.seconds


class EventSource:
    """``n`` events over 100 channels, made as they are consumed; stops early at ``deadline`` (perf_counter)."""

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
            yield {"channel": channels[i % 100], "name": EVENT, "data": {"i": i, "message": "hello"}}


def check_sink(sink: NginxSink | None, before: int | None, expected: int) -> None:
    if sink is None or before is None:
        return
    answered = sink.requests() - before
    if answered != expected:
        raise CheckFailed(f"the client reports {expected} requests but nginx answered {answered}")


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
            except Exception as exc:  # reported in the table; the other contender still runs
                errors[name] = f"{name}: {type(exc).__name__}: {exc}"
                log(f"  {name} failed: {errors[name]}")
            else:
                log(f"  run {run + 1}/{runs} {name}: {samples[name][-1].rate:,.0f}/s")
    return samples, list(errors.values())


def median_rate(samples: list[Sample]) -> float | None:
    return statistics.median(sample.rate for sample in samples) if samples else None


def median_count(samples: list[Sample]) -> int:
    return int(statistics.median(sample.count for sample in samples)) if samples else 0


def client_options(port: int) -> dict[str, Any]:
    return {"app_id": APP_ID, "key": KEY, "secret": SECRET, "ssl": False, "host": "127.0.0.1", "port": port}


def trigger_many_kwargs(settings: argparse.Namespace) -> dict[str, Any]:
    return {} if settings.max_in_flight is None else {"max_in_flight": settings.max_in_flight}


# --- scenario 1: sequential trigger ----------------------------------------------------------------------------------


def sequential_sample(client: Any, n: int, max_seconds: float, sink: NginxSink) -> Sample:
    before = sink.requests()
    clock = time.perf_counter
    start = clock()
    deadline = start + max_seconds
    done = 0
    for i in range(n):
        result = client.trigger(CHANNELS[i % 100], EVENT, {"i": i, "message": "hello"})
        if result != {}:
            raise CheckFailed(f"trigger returned {result!r}, not the sink's {{}}")
        done += 1
        if clock() > deadline:
            break
    elapsed = clock() - start
    check_sink(sink, before, done)
    return Sample(done, elapsed)


def scenario_sequential(settings: argparse.Namespace, sink: NginxSink) -> list[Row]:
    import pusher

    import pusher_fast

    row = Row(f"sequential trigger, keep-alive (n={settings.seq_n})", "rate", "req/s", min_ratio=1.5)
    official = pusher.Pusher(**client_options(sink.port))
    fast = pusher_fast.Pusher(**client_options(sink.port))
    try:
        for client in (official, fast):  # connections opened before timing
            for i in range(20):
                client.trigger(CHANNELS[i], EVENT, {"warm": i})
        samples, errors = interleaved(
            settings.runs,
            {
                "official": lambda: sequential_sample(official, settings.seq_n, settings.max_seconds, sink),
                "pusher_fast": lambda: sequential_sample(fast, settings.seq_n, settings.max_seconds, sink),
            },
        )
    finally:
        fast.close()
    fill(row, samples, errors, settings)
    return [row]


def fill(row: Row, samples: dict[str, list[Sample]], errors: list[str], settings: argparse.Namespace) -> None:
    row.official = median_rate(samples["official"])
    row.fast = median_rate(samples["pusher_fast"])
    if errors:
        row.error = "; ".join(errors)
    else:
        counts = ", ".join(f"{name} {median_count(s):,}" for name, s in samples.items())
        row.note = f"median of {settings.runs} runs; per run: {counts} (cap {settings.max_seconds:g} s)"


# --- scenario 2: concurrent single triggers on asyncio ---------------------------------------------------------------


def async_sample(make: Callable[[], Any], n: int, concurrency: int, max_seconds: float, sink: NginxSink) -> Sample:
    async def main() -> Sample:
        client = make()
        try:
            await asyncio.gather(*(client.trigger(CHANNELS[i], EVENT, {"warm": i}) for i in range(concurrency)))
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
                    result = await client.trigger(CHANNELS[i % 100], EVENT, {"i": i, "message": "hello"})
                    if result != {}:
                        raise CheckFailed(f"trigger returned {result!r}, not the sink's {{}}")
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


def scenario_async(settings: argparse.Namespace, sink: NginxSink) -> list[Row]:
    import pusher
    from pusher.aiohttp import AsyncIOBackend

    import pusher_fast

    name = f"concurrent async triggers, {settings.concurrency} in flight (n={settings.async_n})"
    row = Row(name, "rate", "req/s", min_ratio=3)
    options = client_options(sink.port)

    def measure(make: Callable[[], Any]) -> Callable[[], Sample]:
        return lambda: async_sample(make, settings.async_n, settings.concurrency, settings.max_seconds, sink)

    samples, errors = interleaved(
        settings.runs,
        {
            "official": measure(lambda: pusher.Pusher(**options, backend=AsyncIOBackend)),
            "pusher_fast": measure(lambda: pusher_fast.AsyncPusher(**options)),
        },
    )
    fill(row, samples, errors, settings)
    row.note = f"official: aiohttp backend (a new session per call); {row.note}"
    return [row]


# --- scenarios 3, 4 and 5: bulk publishing and its peak RSS, each run in a fresh process -----------------------------
#
# A child process per run keeps a hang or a crash of the library under test from taking the whole benchmark with it
# (the child dumps its stack and exits when over time; the parent kills it after CHILD_GRACE_SECONDS more), and gives
# the peak-RSS run a clean process. The child measures its own elapsed time, after a warm-up.

CHILD_GRACE_SECONDS = 60.0
CHILD_KINDS = ("official", "pusher_fast", "pusher_fast_async")


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
    """In a fresh process: warm up, publish ``--events`` from a generator, print the outcome and peak RSS as JSON."""
    import faulthandler

    faulthandler.dump_traceback_later(args.max_seconds + CHILD_GRACE_SECONDS / 2, exit=True)
    options = client_options(args.port)
    kwargs = trigger_many_kwargs(args)

    def report(outcome: dict[str, Any], warmup: dict[str, Any] | None, source: EventSource, seconds: float) -> None:
        if warmup is not None and (warmup["failed"] or warmup["sent"] != args.warmup):
            raise CheckFailed(f"the warm-up sent {warmup['sent']} of {args.warmup} events: {warmup['failures']}")
        outcome.update(produced=source.produced, seconds=seconds, peak_mb=peak_rss_mb(), baseline_mb=baseline_mb)
        outcome["warmup_requests"] = warmup["requests"] if warmup is not None else 0
        print(json.dumps(outcome))

    baseline_mb = 0.0
    if args.child == "pusher_fast_async":
        import pusher_fast

        async def main() -> None:
            nonlocal baseline_mb
            async with pusher_fast.AsyncPusher(**options) as client:
                warmup = None
                if args.warmup:
                    warmup = bulk_outcome(
                        await client.trigger_many(EventSource(args.warmup, args.max_seconds), **kwargs)
                    )
                baseline_mb = peak_rss_mb()
                source = EventSource(args.events, args.max_seconds)
                start = time.perf_counter()
                result = await client.trigger_many(source, **kwargs)
                seconds = time.perf_counter() - start
                report(bulk_outcome(result), warmup, source, seconds)

        asyncio.run(main())
        return 0

    publish: Callable[[EventSource], dict[str, Any]]
    if args.child == "official":
        import pusher

        client: Any = pusher.Pusher(**options)
        publish = lambda source: publish_official(client, source)  # noqa: E731
    else:
        import pusher_fast

        client = pusher_fast.Pusher(**options)
        publish = lambda source: bulk_outcome(client.trigger_many(source, **kwargs))  # noqa: E731
    warmup = publish(EventSource(args.warmup, args.max_seconds)) if args.warmup else None
    baseline_mb = peak_rss_mb()
    source = EventSource(args.events, args.max_seconds)
    start = time.perf_counter()
    outcome = publish(source)
    seconds = time.perf_counter() - start
    report(outcome, warmup, source, seconds)
    return 0


def run_child(
    settings: argparse.Namespace,
    kind: str,
    port: int,
    n: int,
    max_seconds: float,
    sink: NginxSink | None,
    warmup: int = 100,
) -> dict[str, Any]:
    """Run one publishing run in a child process and check what it reports against the events and the sink."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--port", str(port)]
    command += ["--events", str(n), "--max-seconds", str(max_seconds), "--warmup", str(warmup)]
    if settings.max_in_flight is not None:
        command += ["--max-in-flight", str(settings.max_in_flight)]
    before = sink.requests() if sink else None
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=die_with_parent
    )
    try:
        stdout, stderr = process.communicate(timeout=max_seconds + CHILD_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        raise CheckFailed(f"did not finish within {max_seconds + CHILD_GRACE_SECONDS:g} s; {tail(stderr)}") from None
    if process.returncode != 0:
        raise CheckFailed(f"exited with {process.returncode}: {tail(stderr)}")
    outcome: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    produced = outcome["produced"]
    if outcome["failed"]:
        raise CheckFailed(f"{outcome['failed']} of {produced} events failed; the first: {outcome['failures']}")
    if outcome["sent"] != produced:
        raise CheckFailed(f"reports {outcome['sent']} events sent of {produced} given")
    if outcome["requests"] < math.ceil(produced / BATCH_SIZE):
        raise CheckFailed(f"{outcome['requests']} requests cannot carry {produced} events ({BATCH_SIZE} per request)")
    check_sink(sink, before, outcome["requests"] + outcome["warmup_requests"])
    return outcome


def tail(text: str, limit: int = 700) -> str:
    """The end of a child's stderr, on one line (a traceback's last frames say where it was stuck)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    joined = " | ".join(lines)
    return ("…" + joined[-limit:]) if len(joined) > limit else (joined or "no output")


def bulk_rows(
    settings: argparse.Namespace,
    port: int,
    sink: NginxSink | None,
    n: int,
    where: str,
    targets: dict[str, Any],
    with_async: bool,
) -> list[Row]:
    import pusher_fast

    has_sync = hasattr(pusher_fast.Pusher, "trigger_many")
    has_async = with_async and hasattr(pusher_fast.AsyncPusher, "trigger_many")
    rows = {"pusher_fast": Row(f"bulk to {where}: trigger_many (n={n:,})", "rate", "ev/s", **targets)}
    if with_async:
        name = f"bulk to {where}: AsyncPusher.trigger_many (n={n:,})"
        rows["pusher_fast_async"] = Row(name, "rate", "ev/s", **targets)
    available = {"official": True, "pusher_fast": has_sync, "pusher_fast_async": has_async}

    def measure(kind: str) -> Callable[[], Sample]:
        def sample() -> Sample:
            outcome = run_child(settings, kind, port, n, settings.max_seconds, sink)
            return Sample(outcome["sent"], outcome["seconds"])

        return sample

    contenders = {kind: measure(kind) for kind in ("official", *rows) if available[kind]}
    samples, errors = interleaved(settings.runs, contenders)
    official_rate = median_rate(samples["official"])
    official_errors = [error for error in errors if error.startswith("official:")]
    for kind, row in rows.items():
        row.official = official_rate
        own_errors = official_errors + [error for error in errors if error.startswith(f"{kind}:")]
        if own_errors:
            row.error = "; ".join(own_errors)
        if not available[kind]:
            row.unavailable = "pusher_fast has no trigger_many yet: not available"
            continue
        row.fast = median_rate(samples[kind])
        if not row.error:
            row.note = (
                f"median of {settings.runs} runs; events per run: official {median_count(samples['official']):,}, "
                f"pusher_fast {median_count(samples[kind]):,} (cap {settings.max_seconds:g} s); official is a "
                f"trigger_batch loop of {BATCH_SIZE}-event batches; each run in a fresh process after a warm-up"
            )
    return list(rows.values())


def scenario_bulk(settings: argparse.Namespace, sink: NginxSink) -> list[Row]:
    targets = {"min_ratio": 20, "fast_min_rate": 320_000}
    return bulk_rows(settings, sink.port, sink, settings.bulk_n, "nginx", targets, with_async=True)


def scenario_server(settings: argparse.Namespace, work_dir: Path, which: str) -> list[Row]:
    starter = start_soketi if which == "soketi" else start_sockudo
    try:
        server, version = starter(work_dir)
    except Exception as exc:
        missing = type(exc).__name__ == "NotInstalled" or isinstance(exc, ImportError)
        row = Row(f"bulk to {which}: trigger_many (n={settings.server_n:,})", "rate", "ev/s", min_ratio=8)
        if missing:
            row.unavailable = f"skipped: {which} is not installed ({exc}); `scripts/e2e/install.sh` installs it"
        else:
            row.error = f"{which} did not start: {exc}"
        return [row]
    try:
        rows = bulk_rows(settings, server.port, None, settings.server_n, which, {"min_ratio": 8}, with_async=False)
        if server.process.poll() is not None:
            rows[0].error = f"{which} exited during the run:\n{server.log_tail()}"
        for row in rows:
            row.note = f"{version}, which checks every signature; {row.note}".rstrip("; ")
        return rows
    finally:
        server.stop()


def scenario_rss(settings: argparse.Namespace, sink: NginxSink) -> list[Row]:
    import pusher_fast

    row = Row(f"peak RSS publishing {settings.rss_n:,} events from a generator", "memory", fast_max_mb=RSS_LIMIT_MB)
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
    if not hasattr(pusher_fast.Pusher, "trigger_many"):
        row.unavailable = "pusher_fast has no trigger_many yet: not available"
        return [row]
    try:
        fast = run_child(settings, "pusher_fast", sink.port, settings.rss_n, settings.rss_max_seconds, sink, warmup=0)
        row.fast = fast["peak_mb"]
        complete = fast["sent"] >= settings.rss_n
        row.extra_checks.append((f"all {settings.rss_n:,} sent", complete))
        notes.append(
            f"pusher_fast: trigger_many, {fast['sent']:,} events in {fast['seconds']:.1f} s "
            f"({fmt_rate(fast['sent'] / fast['seconds'])} ev/s), {fast['baseline_mb']:.1f} MB before publishing"
            + ("" if complete else f"; stopped by the {settings.rss_max_seconds:g} s cap")
        )
    except Exception as exc:
        row.error = f"{row.error + '; ' if row.error else ''}pusher_fast: {exc}"
    row.note = "; ".join(notes) + "; peak RSS (VmHWM) of a fresh process"
    return [row]


# ---------------------------------------------------------------------------------------------------------------------
# Micro benchmarks (pytest-benchmark JSON written by `make bench`)

MICRO_ROWS: dict[str, tuple[str, dict[str, Any]]] = {
    "auth: private channel": ("channel auth (private)", {"min_ratio": 4}),
    "auth: presence channel": ("presence auth", {"min_ratio": 4}),
    "auth: user": ("user auth", {"min_ratio": 4}),
    "webhook: validate": ("webhook validation", {"min_ratio": 3}),
    "prepare: trigger": ("prepare trigger (no I/O)", {"min_ratio": 6}),
    "prepare: trigger_batch of 10": ("prepare batch of 10 (no I/O)", {"min_ratio": 10}),
    "prepare: encrypted trigger": ("prepare encrypted trigger (no I/O)", {"min_ratio": 8}),
    "sign: one request": ("signing one serialized body (MD5 + HMAC), per call", {}),
    "sign: 1000 bodies in bulk": ("raw signing in bulk, per signature", {"fast_min_rate": 1_000_000, "items": 1000}),
}


def micro_rows(path: Path) -> list[Row]:
    data = json.loads(path.read_text())
    medians: dict[tuple[str, str], float] = {}
    for bench in data.get("benchmarks", []):
        library = (bench.get("params") or {}).get("library") or bench["name"].rpartition("[")[2].rstrip("]")
        medians[(bench["group"], library)] = bench["stats"]["median"]
    rows = []
    for group, (name, options) in MICRO_ROWS.items():
        targets = {key: value for key, value in options.items() if key != "items"}
        items = options.get("items", 1)
        row = Row(name, "time", "calls/s", **targets)
        official, fast = medians.get((group, "official")), medians.get((group, "fast"))
        row.official = None if official is None else official / items
        row.fast = None if fast is None else fast / items
        if row.official is None or row.fast is None:
            row.unavailable = f"not measured (no {group!r} results in {path})"
        rows.append(row)
    if rows:
        rows[0].note = f"micro benchmarks: medians from pytest-benchmark ({path.name}); time per call (calls/s)"
    return rows


# ---------------------------------------------------------------------------------------------------------------------
# Machine and command


def machine_lines(settings: argparse.Namespace, sink: NginxSink | None) -> list[str]:
    cpu = platform.processor() or "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.partition(":")[2].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        memory = f", {int(Path('/proc/meminfo').read_text().split()[1]) / 1024 / 1024:.0f} GiB RAM"
    packages = []
    for name in ("pusher", "pusher-fast", "requests", "aiohttp", "httpx", "pytest-benchmark"):
        try:
            packages.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            packages.append(f"{name} (not installed)")
    commit = subprocess.run(
        ["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True, text=True, check=False
    ).stdout.strip()
    sink_text = f"{sink.version()} (1 worker, return 200 '{{}}', no access log)" if sink else "none"
    lines = [
        f"machine: {cpu}, {os.cpu_count()} cores{memory}; {platform.platform()}",
        f"python: {platform.python_implementation()} {platform.python_version()}",
        f"packages: {', '.join(packages)}; pusher_fast tree {commit or 'unknown'}",
        f"sink: {sink_text}; load average at start: " + " ".join(f"{load:.2f}" for load in os.getloadavg()),
        f"command: {settings.command}",
    ]
    if settings.micro_command:
        lines.append(f"micro benchmarks command: {settings.micro_command}")
    knobs = ", ".join(f"{name}={getattr(settings, name)}" for name in KNOBS)
    lines.append(f"settings: {knobs}, max_in_flight={settings.max_in_flight or 'default'}")
    return lines


def cpu_counters() -> tuple[float, float] | None:
    """Seconds of CPU the whole machine has spent busy, and stolen by the hypervisor, since boot (Linux)."""
    try:
        fields = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / tick, steal / tick


def own_cpu_seconds() -> float:
    """CPU time of this process and of every child it has reaped (servers, runs), and of theirs."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def contention_line(start: tuple[float, float] | None, own_start: float, seconds: float) -> str:
    """How much CPU other processes took while the scenarios ran: a busy machine lowers the multi-core numbers."""
    end = cpu_counters()
    if start is None or end is None:
        return "other processes' CPU during the run: unknown"
    others = max(0.0, (end[0] - start[0]) - (own_cpu_seconds() - own_start))
    cores = os.cpu_count() or 1
    return (
        f"other processes' CPU during the run: {others:.0f} core-seconds over {seconds:.0f} s "
        f"({100 * others / (seconds * cores):.0f}% of {cores} cores); hypervisor steal: {end[1] - start[1]:.0f} s"
    )


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller counts and caps (BENCH_QUICK=1)")
    for name, (_, _, kind) in KNOBS.items():
        flag = "--" + name.replace("_", "-")
        parser.add_argument(flag, type=kind, default=None, help=f"{KNOB_HELP[name]} (env BENCH_{name.upper()})")
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
    for name, (default, quick_default, kind) in KNOBS.items():
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
    script = os.path.relpath(Path(__file__).resolve(), Path.cwd())
    args.command = shlex.join([*overrides, os.path.relpath(sys.executable, Path.cwd()), script, *argv])
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
        sink: NginxSink | None = None
        if settings.scenario_set & {"sequential", "async", "bulk", "rss"}:
            sink = NginxSink(work_dir)
            stack.callback(sink.stop)
            log(f"nginx sink on 127.0.0.1:{sink.port}")
        header = machine_lines(settings, sink)
        plan: list[tuple[str, Callable[[], list[Row]]]] = [
            ("sequential", lambda: scenario_sequential(settings, sink)),  # type: ignore[arg-type]
            ("async", lambda: scenario_async(settings, sink)),  # type: ignore[arg-type]
            ("bulk", lambda: scenario_bulk(settings, sink)),  # type: ignore[arg-type]
            ("soketi", lambda: scenario_server(settings, work_dir, "soketi")),
            ("sockudo", lambda: scenario_server(settings, work_dir, "sockudo")),
            ("rss", lambda: scenario_rss(settings, sink)),  # type: ignore[arg-type]
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
    print()
    print("pusher_fast vs the official pusher 3.3.4 SDK (ratio: how many times faster pusher_fast is; medians)")
    for line in header:
        print(line)
    elapsed = time.monotonic() - started
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"throughput scenarios took {elapsed:.0f} s; load average at end: {load}")
    print(contention_line(cpu_start, own_start, elapsed))
    print()
    print_table(rows)
    if settings.json_out is not None:
        settings.json_out.parent.mkdir(parents=True, exist_ok=True)
        table = [{**asdict(row), "ratio": row.ratio, "status": row.status(), "target": row.target()} for row in rows]
        settings.json_out.write_text(json.dumps({"header": header, "rows": table}, indent=2))
    return 1 if any(row.error for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
