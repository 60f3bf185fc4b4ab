"""Run calls on one path and print each outcome as JSON, with the peak RSS after each.

stdin: ``{"path": NAME, "options": {...}, "calls": [{"channel": ..., "events": N}, ...]}``. Used where the process
must be fresh: TLS root variables (read by the client from its environment) and memory peaks.
"""

from __future__ import annotations

import json
import resource
import sys
from typing import Any

from pusher_fast import BulkResult

from ..paths import PATHS, Outcome, call


def error_json(error: BaseException) -> dict[str, Any]:
    return {
        "type": type(error).__name__,
        "mro": [cls.__name__ for cls in type(error).__mro__],
        "message": str(error),
        "status": getattr(error, "status", None),
        "retry_after": getattr(error, "retry_after", None),
    }


def outcome_json(outcome: Outcome) -> dict[str, Any]:
    result = outcome.result
    return {
        "path": outcome.path.name,
        "stage": outcome.stage,
        "elapsed": outcome.elapsed,
        "errors": [error_json(error) for error in outcome.errors],
        "sent": result.sent if isinstance(result, BulkResult) else None,
        "close_error": None if outcome.close_error is None else error_json(outcome.close_error),
        "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def main() -> None:
    payload = json.load(sys.stdin)
    path = next(path for path in PATHS if path.name == payload["path"])
    for spec in payload["calls"]:
        outcome = call(path, payload["options"], channel=spec.get("channel", "ch"), events=spec.get("events", 12))
        print(json.dumps(outcome_json(outcome)), flush=True)


if __name__ == "__main__":
    main()
