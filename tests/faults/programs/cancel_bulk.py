"""Cancel ``AsyncPusher.trigger_many`` with ``asyncio.wait_for`` and report whether it really stopped.

stdin: ``{"options": {...}, "events": N or null (an endless generator), "cancel_after": seconds}``. Prints a
``cancelled`` line when the cancellation is observed, a ``grace-over`` line 0.2 s later (the test reads the server's
count then), a ``late`` line 1 s after that, and a report once ``asyncio.run`` has returned: how long after ``main``
ended, and the threads still alive.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

from pusher_fast import AsyncPusher

GRACE = 0.2
produced = 0
main_returned = 0.0


def events(count: int | None) -> Iterator[dict[str, Any]]:
    global produced
    for index in itertools.count() if count is None else range(count):
        produced += 1
        yield {"channel": f"bulk-{index % 64}", "name": "ev", "data": {"i": index}}


def say(step: str, **fields: Any) -> None:
    print(json.dumps({"step": step, "produced": produced, **fields}), flush=True)


async def main(payload: dict[str, Any]) -> None:
    client = AsyncPusher(**payload["options"])
    started = time.monotonic()
    try:
        await asyncio.wait_for(client.trigger_many(events(payload["events"])), payload["cancel_after"])
        outcome = "finished"
    except asyncio.TimeoutError:
        outcome = "cancelled"
    except Exception as exc:
        outcome = f"{type(exc).__name__}: {exc}"
    say("cancelled", outcome=outcome, observed_after=time.monotonic() - started)
    await asyncio.sleep(GRACE)
    say("grace-over")
    await asyncio.sleep(1.0)
    say("late")
    await client.aclose()
    global main_returned
    main_returned = time.monotonic()


if __name__ == "__main__":
    payload = json.load(sys.stdin)
    asyncio.run(main(payload))
    run_extra = time.monotonic() - main_returned
    alive = [thread.name for thread in threading.enumerate() if thread is not threading.main_thread()]
    say("returned", run_extra=run_extra, threads=alive)
