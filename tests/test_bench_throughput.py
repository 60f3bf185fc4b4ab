"""The throughput benchmark's own logic: the table's ratios and targets, and the raw-socket ceiling loop.

The benchmark itself runs with `make bench`; these check, without timing anything, that what it prints follows from
what it measured, and that its Python ceiling loop really sends correctly signed requests and reads whole answers.
"""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from benches._support import APP_ID, check_signed_query
from benches.throughput.ceilings import batch_body, python_raw_sample, signed_request, trigger_body
from benches.throughput.common import CheckFailed, Sample, check_sink, cpu_note, with_cpu
from benches.throughput.report import Row, Target, table_lines


class CountingSink:
    """An HTTP server answering every POST with ``200 {}``, checking its signature, counting what it answered."""

    def __init__(self, status: int = 200) -> None:
        self.answered = 0
        self.bodies: list[bytes] = []
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                url = urlsplit(self.path)
                check_signed_query(url.query, "POST", url.path, body)
                sink.bodies.append(body)
                sink.answered += 1
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def requests(self) -> int:
        return self.answered

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sink() -> Iterator[CountingSink]:
    server = CountingSink()
    yield server
    server.close()


def test_rate_row_ratios_ceiling_and_targets() -> None:
    row = Row("sequential", "rate", "req/s", official=1000, go=4000, node=2000, fast=6000, ceiling=10_000)
    row.targets = [Target("x_go", 1.5), Target("of_ceiling", 0.75), Target("x_official", 4)]
    assert row.speedup(row.official) == 6
    assert row.best_peer() == ("go", 4000)
    assert row.of_ceiling() == 0.6
    assert [row.met(target) for target in row.targets] == [True, False, True]
    assert row.status() == "MISSED"
    assert row.targets_text() == "≥1.5x Go ✓, ≥75% of ceiling ✗, ≥4x official ✓"


def test_time_row_counts_faster_as_shorter() -> None:
    target = Target("x_official", 0.5, label="≤2x official's time")
    row = Row("construct", "time", "calls/s", official=50e-6, fast=90e-6, targets=[target])
    assert row.speedup(row.official) == pytest.approx(50 / 90)
    assert row.met(target)
    row.fast = 110e-6
    assert not row.met(target)
    assert row.status() == "MISSED"


def test_missing_measurements_never_meet_a_target() -> None:
    row = Row("bulk", "rate", "ev/s", official=10.0, targets=[Target("x_go", 3), Target("min_rate", 1)])
    assert row.best_peer() is None
    assert row.status() == "MISSED"
    row.error = "go: CheckFailed: boom"
    assert row.status() == "ERROR"


def test_best_peer_of_a_rate_row_is_the_fastest() -> None:
    row = Row("async", "rate", "req/s", go=100.0, node=300.0, fast=600.0)
    assert row.best_peer() == ("node", 300.0)
    assert row.speedup(row.best_peer()[1]) == 2  # type: ignore[index]


def test_table_shows_every_column_and_note() -> None:
    row = Row("bulk", "rate", "ev/s", official=10e3, go=150e3, node=40e3, fast=300e3, ceiling=600e3, note="checked")
    row.targets = [Target("x_go", 3)]
    lines = table_lines([row])
    for column in ("official Python", "Go SDK", "Node SDK", "x best peer", "ceiling"):
        assert column in lines[0]
    for cell in ("2.00x Go", "30.00x", "50%", "≥3x Go ✗", "MISSED"):
        assert cell in lines[2]
    assert lines[-1] == "- bulk: checked"
    assert row.as_json()["speedup_vs_best_peer"] == 2


def test_prebuilt_requests_are_signed_and_carry_the_benchmark_event(sink: CountingSink) -> None:
    sample = python_raw_sample(
        signed_request(sink.port, f"/apps/{APP_ID}/events", trigger_body()), sink.port, 25, 10, sink
    )
    assert sample.count == 25
    assert sink.answered == 26  # and the warm-up
    assert set(sink.bodies) == {trigger_body()}
    batch = signed_request(sink.port, f"/apps/{APP_ID}/batch_events", batch_body())
    assert batch.endswith(b'"price\\": 12.5}"}]}')
    assert batch.count(b'"channel"') == 10


def test_raw_loop_refuses_an_error_answer() -> None:
    failing = CountingSink(status=500)
    try:
        request = signed_request(failing.port, f"/apps/{APP_ID}/events", trigger_body())
        with pytest.raises(CheckFailed, match="500"):
            python_raw_sample(request, failing.port, 5, 10, failing)
    finally:
        failing.close()


def test_check_sink_catches_a_client_that_did_not_send(sink: CountingSink) -> None:
    check_sink(sink, 0, 0)
    with pytest.raises(CheckFailed, match="reports 3 requests but the sink answered 0"):
        check_sink(sink, 0, 3)
    assert Sample(10, 2.0).rate == 5


class FixedCpuSink:
    """A sink whose CPU counter moves by ``step`` seconds on each read."""

    def __init__(self, step: float) -> None:
        self.step = step
        self.total = 0.0

    def cpu_seconds(self) -> float:
        self.total += self.step
        return self.total


def test_cpu_of_a_child_run_is_its_own_and_the_note_gives_medians_per_unit() -> None:
    script = "import time\nend = time.process_time() + 0.2\nwhile time.process_time() < end: pass"

    def run_child() -> Sample:
        subprocess.run([sys.executable, "-c", script], check=True)
        return Sample(1000, 0.2)

    sample = with_cpu(run_child, FixedCpuSink(0.5))()
    assert sample.cpu is not None
    assert 0.2 <= sample.cpu < 2.0
    assert sample.sink_cpu == pytest.approx(0.5)

    samples = {
        "fast": [Sample(1000, 1.0, cpu=0.002, sink_cpu=0.001), Sample(1000, 1.0, cpu=0.004, sink_cpu=0.003)],
        "go": [Sample(500, 1.0, cpu=0.005, sink_cpu=0.0005)],
        "timed_in_process": [Sample(1000, 1.0)],
    }
    note = cpu_note(samples, {"fast": "pusher_fast", "go": "Go", "timed_in_process": "raw"}, "event")
    assert note == (
        "CPU µs per event of each process, start-up and warm-up included (and of the sink): "
        "pusher_fast 3.00 (sink 2.00), Go 10.00 (sink 1.00)"
    )
    assert cpu_note({"raw": [Sample(1, 1.0)]}, {"raw": "raw"}, "event") == ""
