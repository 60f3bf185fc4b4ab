"""The opt-in retry policy: which failures are retried, and how long to wait before the next attempt."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from pusher_fast import _native
from pusher_fast.errors import PusherHTTPError, PusherTransportError

__all__ = ["RetryPolicy"]


@dataclass(frozen=True)
class RetryPolicy:
    """Up to ``retries`` (0 to 100) more attempts after a connection error, a timeout, a 5xx or a 429.

    The wait before attempt ``n`` (from 0) is random in ``[0, min(max_backoff, backoff * 2**n)]`` ("full jitter"), and
    at least the server's ``Retry-After`` (capped at ``max_backoff``); ``backoff`` and ``max_backoff`` are finite
    numbers of seconds above 0 and at most 3600. A request that timed out may have been delivered, so retrying it can
    deliver it twice.
    """

    retries: int = 0
    backoff: float = 0.1
    max_backoff: float = 10.0

    def __post_init__(self) -> None:
        # The bounds are the Rust core's (MAX_RETRIES, MAX_BACKOFF_SECONDS), which the native sender also honours.
        if isinstance(self.retries, bool) or not isinstance(self.retries, int):
            raise TypeError("retries should be an integer")
        _native.check_retries(self.retries)
        for name in ("backoff", "max_backoff"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"{name} should be a number of seconds")
            try:
                seconds = float(value)
            except OverflowError:  # an int too large for a float: far above the bound
                seconds = math.inf
            _native.check_backoff(name, seconds)

    @staticmethod
    def retryable(error: BaseException) -> bool:
        if isinstance(error, PusherTransportError):
            return True
        return isinstance(error, PusherHTTPError) and _native.is_retryable_status(error.status)

    def delay(self, attempt: int, error: BaseException) -> float:
        """Seconds to wait after failed attempt ``attempt`` (0 for the first), as the native sender waits."""
        retry_after = getattr(error, "retry_after", None)
        unit = random.random()  # jitter, not cryptography
        return _native.backoff_delay(float(self.backoff), float(self.max_backoff), attempt, retry_after, unit)
