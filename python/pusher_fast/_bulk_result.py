"""What ``trigger_many`` returns: every event counted as sent or listed as failed.

Apart from the publisher so that :class:`pusher_fast.errors.PusherBulkError` can carry it without importing the
publisher (which imports the errors).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["BulkResult", "FailedEvent"]


@dataclass(frozen=True)
class FailedEvent:
    """An event that was not sent: its position in the stream, the event itself, and why."""

    index: int
    event: Any
    error: BaseException


@dataclass
class BulkResult:
    """The outcome of ``trigger_many``: every event is either counted in ``sent`` or listed in ``failed``."""

    sent: int = 0
    failed: list[FailedEvent] = field(default_factory=list)
    requests: int = 0
    """HTTP requests made (each carries up to 10 events)."""

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def total(self) -> int:
        return self.sent + len(self.failed)
