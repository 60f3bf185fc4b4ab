"""``pusher-fast publish``: JSON Lines through ``trigger_many``, with a progress bar, a summary and failed events."""

from __future__ import annotations

import argparse
import json
import sys
import time
from array import array
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import IO, Any, TextIO

from pusher_fast import BulkResult, PusherBulkError, PusherTransportError

from ._client import UsageError, client_from_args
from ._commands import print_json
from ._exit import EXIT_FAILED, EXIT_NETWORK, EXIT_OK
from ._progress import Progress, open_progress

__all__ = ["publish"]

_PROGRESS_STEP = 256


@dataclass(frozen=True)
class _Failure:
    """A line that did not become a sent event: its line number, the event (or the raw line) and why."""

    line: int
    event: Any
    error: BaseException | str

    def record(self) -> dict[str, Any]:
        error = self.error if isinstance(self.error, str) else f"{type(self.error).__name__}: {self.error}"
        return {"line": self.line, "error": error, "event": self.event}


class _Reader:
    """The events of a JSON Lines stream, remembering which line each came from; bad lines become failures."""

    def __init__(self, lines: Iterable[bytes], progress: Progress) -> None:
        self._lines = lines
        self._progress = progress
        self.line_of_event = array("Q")
        self.failures: list[_Failure] = []

    def events(self) -> Iterator[dict[str, Any]]:
        number = 0
        for number, raw in enumerate(self._lines, start=1):
            if number % _PROGRESS_STEP == 0:
                self._progress.advance(_PROGRESS_STEP)
            if not raw.strip():
                continue
            try:
                event = json.loads(raw)
            except ValueError as error:
                text = raw.decode("utf-8", "replace").rstrip("\r\n")
                self.failures.append(_Failure(number, text, f"bad JSON: {error}"))
                continue
            if not isinstance(event, dict):
                self.failures.append(_Failure(number, event, "not a JSON object"))
                continue
            self.line_of_event.append(number)
            yield event
        self._progress.advance(number % _PROGRESS_STEP)


def publish(args: argparse.Namespace, out: TextIO) -> int:
    started = time.monotonic()
    with ExitStack() as stack:
        source: IO[bytes] = sys.stdin.buffer if args.file == "-" else stack.enter_context(_open(args.file, "rb"))
        failed_file = None if args.failed is None else stack.enter_context(_open(args.failed, "w"))
        total = None if args.file == "-" else _count_lines(args.file)
        pusher = stack.enter_context(client_from_args(args))
        progress = stack.enter_context(open_progress(args.progress, total))
        reader = _Reader(source, progress)
        interrupted: PusherBulkError | None = None
        try:
            result = pusher.trigger_many(reader.events(), max_in_flight=args.max_in_flight, retries=args.retries)
        except PusherBulkError as error:
            interrupted, result = error, error.result
        progress.done(result.sent, len(result.failed) + len(reader.failures))
        failures = sorted(reader.failures + _sent_failures(result, reader), key=lambda failure: failure.line)
        if failed_file is not None:
            for failure in failures:
                failed_file.write(json.dumps(failure.record(), ensure_ascii=False) + "\n")
    seconds = time.monotonic() - started
    summary = {"sent": result.sent, "failed": len(failures), "requests": result.requests, "seconds": round(seconds, 3)}
    print_json(summary, out)
    _summarize(result.sent, failures, seconds, args.failed)
    if interrupted is not None:
        print(f"pusher-fast: publishing stopped: {interrupted} ({interrupted.__cause__})", file=sys.stderr)
        return EXIT_FAILED
    if not failures:
        return EXIT_OK
    if result.sent == 0 and all(isinstance(failure.error, PusherTransportError) for failure in failures):
        return EXIT_NETWORK
    return EXIT_FAILED


def _sent_failures(result: BulkResult, reader: _Reader) -> list[_Failure]:
    return [_Failure(reader.line_of_event[failed.index], failed.event, failed.error) for failed in result.failed]


def _summarize(sent: int, failures: list[_Failure], seconds: float, failed_path: str | None) -> None:
    message = f"pusher-fast: {sent} sent, {len(failures)} failed in {seconds:.1f} s"
    if failures:
        first = failures[0].record()
        message += f"; first failure, line {first['line']}: {first['error']}"
        if failed_path is not None:
            message += f" (all failures in {failed_path})"
    print(message, file=sys.stderr)


def _open(path: str, mode: str) -> IO[Any]:
    try:
        return open(path, mode, encoding=None if "b" in mode else "utf-8")
    except OSError as error:
        raise UsageError(f"cannot open {path!r}: {error.strerror}") from None


def _count_lines(path: str) -> int:
    """Lines in a file (for the progress bar's total), read in blocks without decoding."""
    count = 0
    last = b"\n"
    with _open(path, "rb") as file:
        while block := file.read(1 << 20):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (last != b"\n")
