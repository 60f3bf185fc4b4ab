"""A sync call the test interrupts with SIGINT: a ``trigger`` that the server never answers, or ``trigger_many`` of
an endless generator. stdin: ``{"path": NAME, "options": {...}, "mode": "blocked" | "bulk"}``. Prints an
``interrupted`` line when KeyboardInterrupt arrives, then lets it end the program.
"""

from __future__ import annotations

import itertools
import json
import signal
import sys
from collections.abc import Iterator
from typing import Any

from ..paths import PATHS


def endless() -> Iterator[dict[str, Any]]:
    for index in itertools.count():
        yield {"channel": f"bulk-{index % 64}", "name": "ev", "data": {"i": index}}


def main() -> None:
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if the parent ignored SIGINT
    payload = json.load(sys.stdin)
    path = next(path for path in PATHS if path.name == payload["path"])
    client: Any = path.client(payload["options"])
    try:
        if payload["mode"] == "bulk":
            client.trigger_many(endless())
        else:
            client.trigger("ch", "ev", {})
        print(json.dumps({"step": "returned"}), flush=True)
    except KeyboardInterrupt:
        print(json.dumps({"step": "interrupted"}), flush=True)
        raise
    except Exception as exc:
        print(json.dumps({"step": "raised", "error": f"{type(exc).__name__}: {exc}"}), flush=True)


if __name__ == "__main__":
    main()
