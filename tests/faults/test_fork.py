"""A client built (used or not) before ``os.fork()`` works in the child and the parent at once, as under gunicorn
``--preload``, Celery prefork or a multiprocessing "fork" pool.

Each scenario runs ``programs/fork_check.py`` in its own process (forking never happens inside the pytest worker).
Parent and child ask for their own channels from a server that echoes them, so an answer meant for the other
process is caught; each side checks ``timeout=`` against a stalled request; the child closes or drops its inherited
client, which must raise nothing; the parent uses the client again after the child ended.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from .conftest import ServerFactory
from .paths import SLACK, TIMEOUT
from .programs import excerpt, run
from .server import STALL, answer, route

STDERR_ALARMS = re.compile(r"Traceback|Exception ignored|PanicException|panicked|Fatal Python error")


SCENARIO_TABLE: list[tuple[str, str, str | None, bool, str]] = [
    # name, kind (see programs/fork_check.py), transport, used before the fork, how the child ends the client
    ("sync-native-used-close", "sync", None, True, "close"),
    ("sync-native-used-drop", "sync", None, True, "drop"),
    ("sync-native-unused-close", "sync", None, False, "close"),
    ("sync-httpx-used-close", "sync", "httpx", True, "close"),
    ("sync-httpx-used-drop", "sync", "httpx", True, "drop"),
    ("async-native-used-close", "async", None, True, "close"),
    ("async-native-used-drop", "async", None, True, "drop"),
    ("async-native-unused-close", "async", None, False, "close"),
    ("async-native-unused-drop", "async", None, False, "drop"),
    ("async-httpx-used-close", "async", "httpx", True, "close"),
    ("async-httpx-unused-drop", "async", "httpx", False, "drop"),
    ("bulk-sync-used-close", "bulk-sync", None, True, "close"),
    ("bulk-async-used-drop", "bulk-async", None, True, "drop"),
    ("bulk-async-unused-close", "bulk-async", None, False, "close"),
    ("backend-requests-used-close", "backend", None, True, "close"),
    ("fork-pool-sync-native-used", "pool", None, True, "close"),
    ("fork-pool-sync-httpx-used", "pool", "httpx", True, "close"),
]
SCENARIOS: dict[str, dict[str, Any]] = {
    name: {"kind": kind, "transport": transport, "use_before": used, "end": how}
    for name, kind, transport, used, how in SCENARIO_TABLE
}

CALLS, BULK_EVENTS = 12, 30  # as in programs/fork_check.py


def role_problems(name: str, report: dict[str, Any] | None, *, bulk: bool, calls: int, backend: bool) -> list[str]:
    if report is None:
        return [f"{name}: no report"]
    problems = []
    if report["errors"]:
        problems.append(f"{name}: errors {report['errors'][:3]}")
    if report["mismatch_count"]:
        problems.append(
            f"{name}: {report['mismatch_count']} answers meant for another request: {report['mismatches'][:2]}"
        )
    if bulk:
        if report.get("sent") != BULK_EVENTS:
            problems.append(f"{name}: trigger_many sent {report.get('sent')} of {BULK_EVENTS} events")
    elif report["answers"] != calls:
        problems.append(f"{name}: {report['answers']} of {calls} calls answered")
    probe = report.get("deadline")
    if probe is not None:
        timed_out = probe["error"] is not None and (backend or "PusherTimeout" in probe["mro"])
        if not timed_out or probe["elapsed"] > TIMEOUT + SLACK:
            problems.append(
                f"{name}: a stalled request ended with {probe['error']}({probe['message']!r}) after "
                f"{probe['elapsed']:.2f} s, expected PusherTimeout within {TIMEOUT + SLACK:.1f} s"
            )
    if report.get("end_error"):
        problems.append(f"{name}: dropping/closing the inherited client raised {report['end_error']}")
    return problems


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_client_survives_fork(serve: ServerFactory, scenario: str) -> None:
    spec = SCENARIOS[scenario]
    server = serve(route({"stall-": STALL}, default=answer(echo=True, delay=0.005)))
    finished = run("fork_check", {**spec, "options": server.client_options()}, timeout=45)
    report = finished.report
    if not isinstance(report, dict):
        pytest.fail(f"[fork {scenario}] no report: {finished.describe()}")
    bulk, backend = spec["kind"].startswith("bulk"), spec["kind"] == "backend"
    roles = ["before"] if spec["use_before"] else []
    roles += ["child"] if spec["kind"] == "pool" else ["parent", "child"]
    problems = []
    for role in [*roles, "after"]:
        calls = 3 if role in ("before", "after") else CALLS
        problems += role_problems(role, report.get(role), bulk=bulk, calls=calls, backend=backend)
    if report.get("child_exit") not in ("exit 0", "pool"):
        problems.append(f"child: {report.get('child_exit')}")
    if report.get("parent_end_error"):
        problems.append(f"closing the client in the parent raised {report['parent_end_error']}")
    if bulk:
        received = Counter(
            str(event.get("channel")).rsplit("-", 1)[0] for item in server.received for event in item.request.events
        )
        for role in ("parent-bulk", "child-bulk"):
            if received[role] != BULK_EVENTS:
                problems.append(f"the server received {received[role]} {role} events, expected {BULK_EVENTS}")
    alarms = STDERR_ALARMS.findall(finished.stderr)
    if alarms or finished.returncode != 0:
        problems.append(f"exit {finished.returncode}, stderr: {excerpt(finished.stderr, 600)!r}")
    if problems:
        pytest.fail(f"[fork {scenario}] " + "; ".join(problems))
