"""The one DEBUG line per API call: method, path, what was sent (channels and event names, never data or the
signature), outcome and time taken."""

from __future__ import annotations

import json
import logging
import time

from pusher_fast._request import PreparedRequest

__all__ = ["log_outcome", "logger"]

logger = logging.getLogger("pusher_fast")


def log_outcome(request: PreparedRequest, outcome: int | BaseException, started: float) -> None:
    """Logs how ``request`` ended (a status, or the exception raised) ``started`` (``time.perf_counter()``) ago."""
    if not logger.isEnabledFor(logging.DEBUG):
        return
    elapsed_ms = (time.perf_counter() - started) * 1000
    result = str(outcome) if isinstance(outcome, int) else type(outcome).__name__
    # Only the path: the query string holds the signature.
    logger.debug("%s %s%s -> %s in %.1f ms", request.method, request.path, _summary(request), result, elapsed_ms)


def _summary(request: PreparedRequest) -> str:
    """`` (event 'e' on 'a', 'b')`` for a trigger, `` (3 events: 'e' on 'a', ...)`` for a batch; nothing else."""
    if request.method != "POST" or not request.path.endswith(("/events", "/batch_events")):
        return ""
    try:
        body = json.loads(request.body)
    except ValueError:
        return ""
    if "batch" in body:
        events = [f"{event.get('name')!r} on {event.get('channel')!r}" for event in body["batch"]]
        return f" ({len(events)} event{'s' if len(events) != 1 else ''}: {', '.join(events)})"
    channels = ", ".join(repr(channel) for channel in body.get("channels", []))
    return f" (event {body.get('name')!r} on {channels})"
