"""Progress of ``pusher-fast publish``: a tqdm bar when tqdm is installed (``pusher-fast[cli]``), plain lines if not."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol, TextIO

__all__ = ["Progress", "open_progress"]

_PLAIN_INTERVAL = 2.0


class Progress(Protocol):
    def advance(self, lines: int) -> None:
        """``lines`` more lines read."""

    def done(self, sent: int, failed: int) -> None:
        """Publishing finished with these counts."""


class _Silent:
    def advance(self, lines: int) -> None:
        pass

    def done(self, sent: int, failed: int) -> None:
        pass


class _Plain:
    """A line on stderr every few seconds: for logs, or when tqdm is not installed."""

    def __init__(self, total: int | None, stream: TextIO) -> None:
        self._total = total
        self._stream = stream
        self._read = 0
        self._started = self._last = time.monotonic()

    def advance(self, lines: int) -> None:
        self._read += lines
        now = time.monotonic()
        if now - self._last >= _PLAIN_INTERVAL:
            self._last = now
            of_total = "" if self._total is None else f" of {self._total}"
            rate = self._read / max(now - self._started, 1e-9)
            print(f"pusher-fast: {self._read}{of_total} lines read ({rate:,.0f}/s)", file=self._stream, flush=True)

    def done(self, sent: int, failed: int) -> None:
        print(f"pusher-fast: {self._read} lines read: {sent} sent, {failed} failed", file=self._stream, flush=True)


class _Bar:
    def __init__(self, total: int | None, stream: TextIO) -> None:
        from tqdm import tqdm

        self._bar = tqdm(total=total, unit=" lines", file=stream, dynamic_ncols=True, mininterval=0.2)

    def advance(self, lines: int) -> None:
        self._bar.update(lines)

    def done(self, sent: int, failed: int) -> None:
        self._bar.set_postfix(sent=sent, failed=failed, refresh=True)

    def close(self) -> None:
        self._bar.close()


def tqdm_installed() -> bool:
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True


@contextmanager
def open_progress(mode: str, total: int | None, stream: TextIO | None = None) -> Iterator[Progress]:
    """``mode``: ``auto`` (a bar on a terminal, nothing otherwise), ``bar`` (tqdm, or plain without it), ``plain``,
    or ``none``."""
    stream = sys.stderr if stream is None else stream
    if mode == "auto":
        mode = "bar" if stream.isatty() else "none"
    if mode == "bar" and tqdm_installed():
        bar = _Bar(total, stream)
        try:
            yield bar
        finally:
            bar.close()
    elif mode in ("bar", "plain"):
        yield _Plain(total, stream)
    else:
        yield _Silent()
