"""The per-call retry loops of the sync and async transports: one decision (:func:`next_delay`), two drivers that
differ only in how they wait. (The native runtime sender retries inside Rust with the same core rules.)"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from pusher_fast._request import PreparedRequest
from pusher_fast._retry import RetryPolicy
from pusher_fast.errors import PusherClientClosed, PusherHTTPError, PusherTransportError

__all__ = ["next_delay", "send_async_with_retries", "send_with_retries"]


def next_delay(policy: RetryPolicy, attempt: int, error: BaseException) -> float | None:
    """Seconds to wait before retrying after failed attempt ``attempt`` (0 first), or ``None`` to give up."""
    if attempt >= policy.retries or isinstance(error, PusherClientClosed) or not policy.retryable(error):
        return None
    return policy.delay(attempt, error)


def send_with_retries(
    send_once: Callable[[PreparedRequest], dict[str, Any]], request: PreparedRequest, policy: RetryPolicy
) -> dict[str, Any]:
    attempt = 0
    while True:
        try:
            return send_once(request)
        except (PusherHTTPError, PusherTransportError) as exc:
            delay = next_delay(policy, attempt, exc)
            if delay is None:
                raise
        time.sleep(delay)
        attempt += 1


async def send_async_with_retries(
    send_once: Callable[[PreparedRequest], Awaitable[dict[str, Any]]], request: PreparedRequest, policy: RetryPolicy
) -> dict[str, Any]:
    attempt = 0
    while True:
        try:
            return await send_once(request)
        except (PusherHTTPError, PusherTransportError) as exc:
            delay = next_delay(policy, attempt, exc)
            if delay is None:
                raise
        await asyncio.sleep(delay)
        attempt += 1
