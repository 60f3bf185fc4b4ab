"""Running a local server in the foreground: ``python -m pusher_fast.testing`` and ``pusher-fast serve``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from typing import TextIO

from pusher_fast.encryption import MASTER_KEY_ENV

from ._models import RecordedEvent
from ._server import LocalPusherServer

__all__ = ["SERVER_DESCRIPTION", "add_server_arguments", "serve", "server_from_args"]

_POLL_SECONDS = 0.2
SERVER_DESCRIPTION = (
    "Serve the Pusher Channels HTTP API locally for tests: requests are checked like the real API (signatures, "
    "body MD5, timestamps, limits) and accepted events are recorded. It speaks only the HTTP API: there is no "
    "WebSocket endpoint, so nothing is delivered to pusher-js clients."
)


def add_server_arguments(parser: argparse.ArgumentParser, *, credentials: bool = True) -> None:
    """The local server's options; ``credentials=False`` leaves out ``--app-id``/``--key``/``--secret``."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    parser.add_argument(
        "--port", type=int, default=6001, help="port to bind, 0 for any free port (default: %(default)s)"
    )
    if credentials:
        parser.add_argument("--app-id", default="app-id", help="app id (default: %(default)s)")
        parser.add_argument("--key", default="app-key", help="app key (default: %(default)s)")
        parser.add_argument("--secret", default="app-secret", help="app secret (default: app-secret)")
        parser.add_argument(
            "--encryption-master-key-base64",
            metavar="KEY",
            help="master key to show the plaintext of events on private-encrypted- channels with --print-events "
            f"(default: ${MASTER_KEY_ENV})",
        )
    parser.add_argument("--print-events", action="store_true", help="print every accepted event (name, channels, data)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log each request (without query strings)")


def server_from_args(args: argparse.Namespace) -> LocalPusherServer:
    """The server the options describe (not started); ``ValueError``/``TypeError`` for invalid ones."""
    return LocalPusherServer(
        args.app_id,
        args.key,
        args.secret,
        host=args.host,
        port=args.port,
        encryption_master_key_base64=args.encryption_master_key_base64 or os.environ.get(MASTER_KEY_ENV) or None,
    )


def serve(server: LocalPusherServer, *, print_events: bool, verbose: bool, out: TextIO = sys.stdout) -> int:
    """Start ``server``, print where it listens, and serve until Ctrl-C; 0, or 1 when it cannot listen."""
    if verbose:
        logging.basicConfig(level=logging.DEBUG, format="%(asctime)s %(message)s")
    try:
        server.start()
    except OSError as error:
        print(f"cannot listen: {error}", file=sys.stderr)
        return 1
    try:
        # The secret is deliberately not printed.
        print(f"Local Pusher server listening on {server.url} (app_id={server.app_id!r}, key={server.key!r})", file=out)
        print("It speaks the HTTP API only (no WebSocket). Press Ctrl-C to stop.", file=out, flush=True)
        shown = 0
        while True:  # time.sleep, unlike a bare Event.wait, is interruptible by Ctrl-C on every platform
            time.sleep(_POLL_SECONDS if print_events else 1)
            if print_events:
                events = server.events
                for event in events[shown:]:
                    print(_describe(server, event), file=out, flush=True)
                shown = len(events)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def _describe(server: LocalPusherServer, event: RecordedEvent) -> str:
    try:
        data = server.plaintext(event)
    except ValueError as error:
        data = f"{event.data} ({error})"
    return f"event {event.name!r} on {', '.join(event.channels)}: {data}"
