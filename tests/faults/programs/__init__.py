"""Programs the fault suite runs in their own process: forking, signals, leak counting and environment variables
must not touch the pytest worker. Each reads one JSON document on stdin and prints JSON lines on stdout, the last
one its report. :class:`Program` starts one (from the repository root, in its own process group) and kills the group
if it outlives its timeout; :func:`run` runs one to its end.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devtools.processes import die_with_parent

__all__ = ["REPO_ROOT", "Finished", "Program", "environment", "excerpt", "outcome_problems", "run"]

REPO_ROOT = Path(__file__).resolve().parents[3]
_TLS_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR")


@dataclass
class Finished:
    """A program's exit: return code (None when it was killed after its timeout), output lines and stderr."""

    name: str
    returncode: int | None
    lines: list[Any]
    stderr: str

    @property
    def report(self) -> Any:
        return self.lines[-1] if self.lines else None

    def describe(self) -> str:
        state = "was killed after its timeout" if self.returncode is None else f"exited with {self.returncode}"
        return f"program {self.name} {state}; output {self.lines[-4:]!r}; stderr {excerpt(self.stderr)!r}"


def excerpt(stderr: str, limit: int = 1200) -> str:
    """The part of a program's stderr that matters: from its first traceback or panic, else its end."""
    for marker in ("Traceback", "panicked", "Exception ignored", "Fatal Python error"):
        at = stderr.find(marker)
        if at >= 0:
            found = stderr[at:]
            return found if len(found) <= limit else f"{found[: limit // 2]} ... {found[-limit // 2 :]}"
    return stderr[-limit:]


def environment(extra: Mapping[str, str] | None = None, *, without: Sequence[str] = _TLS_VARIABLES) -> dict[str, str]:
    """This process's environment without ``without`` (the TLS root variables by default), plus ``extra``."""
    env = {name: value for name, value in os.environ.items() if name not in without}
    env.update(extra or {})
    return env


class Program:
    """A running program: read its JSON lines as they come, signal it, then :meth:`finish` it. As a context manager,
    it is killed on leaving the block if it is still running."""

    def __init__(
        self, name: str, payload: Any, *, env: Mapping[str, str] | None = None, args: Sequence[str] = ()
    ) -> None:
        self.name = name
        self.lines: list[Any] = []
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in finish(), after the program ended
        self._buffer = b""
        self._eof = False
        self.process = subprocess.Popen(
            [sys.executable, *args, "-m", f"tests.faults.programs.{name}"],
            cwd=REPO_ROOT,
            env=dict(env) if env is not None else environment(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self._stdout = self.process.stdout.fileno()
        self.process.stdin.write(json.dumps(payload).encode())
        self.process.stdin.close()

    def next_line(self, timeout: float) -> Any:
        """The next line printed (parsed as JSON when it is), or None at end of output or after ``timeout``."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer and not self._eof:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._stdout], [], [], remaining)[0]:
                return None
            chunk = os.read(self._stdout, 65536)
            self._eof = not chunk
            self._buffer += chunk
        if not self._buffer:
            return None
        raw, _, self._buffer = self._buffer.partition(b"\n")
        text = raw.decode(errors="replace")
        try:
            line = json.loads(text)
        except ValueError:
            line = text
        self.lines.append(line)
        return line

    def signal(self, signum: int) -> None:
        os.kill(self.process.pid, signum)

    def kill(self) -> None:
        """Kill the program's process group (it and any child it forked), unless it has already been reaped."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)

    def __enter__(self) -> Program:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.kill()

    def finish(self, timeout: float) -> Finished:
        """Read the rest of the output and wait for the exit, killing the process group after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while self.next_line(max(deadline - time.monotonic(), 0)) is not None:
            pass
        try:
            returncode: int | None = self.process.wait(max(deadline - time.monotonic(), 0.01))
        except subprocess.TimeoutExpired:
            self.kill()
            self.process.wait()
            returncode = None
        self.process.stdout.close()  # type: ignore[union-attr]
        self._stderr.seek(0)
        stderr = self._stderr.read().decode(errors="replace")
        self._stderr.close()
        return Finished(self.name, returncode, self.lines, stderr)


def run(
    name: str, payload: Any, *, env: Mapping[str, str] | None = None, timeout: float = 60, args: Sequence[str] = ()
) -> Finished:
    """Run program ``name`` to its end (its process group killed after ``timeout`` seconds, or if the test stops
    waiting, e.g. on pytest's own timeout)."""
    with Program(name, payload, env=env, args=args) as program:
        return program.finish(timeout)


def outcome_problems(report: Any, expected: str | None) -> list[str]:
    """What is wrong with one outcome printed by the ``call`` program: ``expected`` is the exception class every
    error must be (or derive from), None for success."""
    if not isinstance(report, dict):
        return [f"no outcome was printed (got {report!r})"]
    errors = report["errors"]
    shown = [f"{error['type']}({error['message'][:200]!r})" for error in errors[:2]]
    problems = []
    if expected is None and errors:
        problems.append(f"{report['stage']} failed: {shown}")
    if expected is not None:
        if not errors:
            problems.append("it succeeded")
        elif any(expected not in error["mro"] for error in errors) or report["stage"] != "call":
            problems.append(f"{report['stage']} raised {shown}, not {expected}")
    if report["close_error"] is not None:
        problems.append(f"closing raised {report['close_error']['type']}")
    return problems
