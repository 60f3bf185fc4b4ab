"""Resources, counted in a fresh process (``programs/resources.py``, ``programs/call.py``).

A dropped client (closed or not) frees its threads, descriptors and memory; building a client opens nothing; no
``ResourceWarning`` when an unclosed client is collected; ``trigger_many`` memory stays flat over a long generator;
a 50 MB answer does not grow memory by 50 MB on any path (the 8 MiB cap).
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import ServerFactory
from .paths import BULK_PATHS, PATHS, SINGLE_PATHS, Path
from .programs import outcome_problems, run
from .server import oversized, route

CLIENTS = 300
THREADS_ALLOWED, FDS_ALLOWED, RSS_ALLOWED_MIB = 2, 4, 20.0
BIG_ANSWER_ALLOWED_MIB = 25.0
WARNINGS_AS_ERRORS = ("-W", "error::ResourceWarning")

CHURN_CASES = [(path, closed) for path in PATHS for closed in (True, False) if not (path.bulk and closed)]


def churn_id(case: tuple[Path, bool]) -> str:
    path, closed = case
    return f"{path.name}-{'closed' if closed else 'unclosed'}"


def report_of(what: str, payload: dict[str, Any], timeout: float = 50) -> dict[str, Any]:
    finished = run("resources", payload, timeout=timeout, args=WARNINGS_AS_ERRORS)
    if finished.returncode != 0 or not isinstance(finished.report, dict):
        pytest.fail(f"[{what}] {finished.describe()}")
    report: dict[str, Any] = finished.report
    return report


@pytest.mark.timeout(180)  # 300 clients built and used one after another: ~25 s on a loaded 2-core machine
@pytest.mark.parametrize("case", CHURN_CASES, ids=churn_id)
def test_dropped_clients_free_their_resources(serve: ServerFactory, case: tuple[Path, bool]) -> None:
    path, closed = case
    server = serve()
    what = f"{churn_id(case)} x{CLIENTS}"
    payload = {
        "mode": "churn",
        "path": path.name,
        "closed": closed,
        "count": CLIENTS,
        "options": server.client_options(),
    }
    report = report_of(what, payload, timeout=150)
    before, after = report["before"], report["after"]
    problems = []
    if after["threads"] - before["threads"] > THREADS_ALLOWED:
        problems.append(f"threads {before['threads']} -> {after['threads']}")
    if after["fds"] - before["fds"] > FDS_ALLOWED:
        problems.append(
            f"file descriptors {before['fds']} -> {after['fds']} ({before['fd_kinds']} -> {after['fd_kinds']})"
        )
    if after["rss_mib"] - before["rss_mib"] > RSS_ALLOWED_MIB:
        problems.append(f"RSS {before['rss_mib']:.0f} -> {after['rss_mib']:.0f} MiB")
    if report["unraisable_count"]:
        problems.append(
            f"{report['unraisable_count']} warnings or errors on collection, e.g. {report['unraisable'][:2]}"
        )
    if problems:
        pytest.fail(f"[{what}] " + "; ".join(problems))


@pytest.mark.parametrize("path", SINGLE_PATHS, ids=str)
def test_building_clients_opens_nothing(serve: ServerFactory, path: Path) -> None:
    server = serve()
    payload = {"mode": "construct", "path": path.name, "options": server.client_options(ssl=True)}
    report = report_of(f"{path} construct", payload)
    before, after = report["before"], report["after"]
    problems = []
    if after["threads"] != before["threads"]:
        problems.append(f"threads {before['threads']} -> {after['threads']}")
    if after["fds"] != before["fds"]:
        problems.append(f"file descriptors {before['fd_kinds']} -> {after['fd_kinds']}")
    if report["unraisable_count"]:
        problems.append(f"warnings on collection: {report['unraisable'][:2]}")
    if server.accepted:
        problems.append(f"{server.accepted} connections to the server")
    if problems:
        pytest.fail(f"[{path} / building {report['built']} clients, none used] " + "; ".join(problems))


@pytest.mark.parametrize("path", PATHS, ids=str)
def test_a_50mb_answer_does_not_grow_memory(serve: ServerFactory, path: Path) -> None:
    server = serve(route({"big": oversized()}))
    payload = {
        "path": path.name,
        "options": server.client_options(),
        "calls": [{"channel": "ok", "events": 1}, {"channel": "big", "events": 1}],
    }
    finished = run("call", payload, timeout=45)
    if finished.returncode != 0 or len(finished.lines) != 2:
        pytest.fail(f"[{path} / 50 MB answer] {finished.describe()}")
    normal, big = finished.lines
    problems = [f"200 {{}}: {problem}" for problem in outcome_problems(normal, None)]
    problems += [f"50 MB 200: {problem}" for problem in outcome_problems(big, "PusherBadStatus")]
    growth = (big["maxrss_kib"] - normal["maxrss_kib"]) / 1024
    if growth > BIG_ANSWER_ALLOWED_MIB:
        problems.append(f"peak RSS grew by {growth:.0f} MiB reading it")
    if problems:
        pytest.fail(f"[{path} / 50 MB answer] " + "; ".join(problems))


@pytest.mark.parametrize("path", BULK_PATHS, ids=str)
def test_trigger_many_memory_is_flat_over_a_long_generator(serve: ServerFactory, path: Path) -> None:
    server = serve()
    count = 60_000
    report = report_of(
        f"{path} / {count} events",
        {"mode": "bulk-memory", "path": path.name, "count": count, "options": server.client_options()},
    )
    growth = (report["end_kib"] - report["at_10000_kib"]) / 1024
    problems = []
    if report["sent"] != count:
        problems.append(f"{report['sent']} of {count} sent, {report['failed']} failed")
    if growth > RSS_ALLOWED_MIB:
        problems.append(f"peak RSS grew by {growth:.0f} MiB between event 10,000 and the end")
    if problems:
        pytest.fail(f"[{path} / generator of {count} events] " + "; ".join(problems))
