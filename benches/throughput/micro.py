"""Rows from the micro benchmarks' pytest-benchmark JSON (``benches/bench_micro.py``, written by ``make bench``)."""

from __future__ import annotations

import json
from pathlib import Path

from benches.throughput.report import Row, Target

# pytest-benchmark group: (row name, targets, calls per timed round)
MICRO_ROWS: dict[str, tuple[str, list[Target], int]] = {
    "auth: private channel": ("channel auth (private)", [Target("x_official", 4)], 1),
    "auth: presence channel": ("presence auth", [Target("x_official", 4)], 1),
    "auth: user": ("user auth", [Target("x_official", 4)], 1),
    "webhook: validate": ("webhook validation", [Target("x_official", 3)], 1),
    "prepare: trigger": ("prepare trigger (no I/O) vs make_request", [Target("x_official", 8)], 1),
    "prepare: trigger_batch of 10": ("prepare batch of 10 (no I/O) vs make_request", [Target("x_official", 10)], 1),
    "prepare: encrypted trigger": ("prepare encrypted trigger (no I/O) vs make_request", [Target("x_official", 8)], 1),
    "sign: one request": ("signing one serialized body (MD5 + HMAC), per call", [], 1),
    "sign: 1000 bodies in bulk": ("raw signing in bulk, per signature", [Target("min_rate", 1_000_000)], 1000),
}


def micro_rows(path: Path) -> list[Row]:
    data = json.loads(path.read_text())
    medians: dict[tuple[str, str], float] = {}
    for bench in data.get("benchmarks", []):
        library = (bench.get("params") or {}).get("library") or bench["name"].rpartition("[")[2].rstrip("]")
        medians[(bench["group"], library)] = bench["stats"]["median"]
    rows = []
    for group, (name, targets, items) in MICRO_ROWS.items():
        row = Row(name, "time", "calls/s", targets=list(targets))
        official, fast = medians.get((group, "official")), medians.get((group, "fast"))
        row.official = None if official is None else official / items
        row.fast = None if fast is None else fast / items
        if row.official is None or row.fast is None:
            row.unavailable = f"not measured (no {group!r} results in {path})"
        rows.append(row)
    rows[0].note = f"micro benchmarks: medians from pytest-benchmark ({path.name}); time per call (calls/s)"
    return rows
