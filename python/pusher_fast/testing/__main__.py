"""Run a local Pusher Channels HTTP API server in the foreground: ``python -m pusher_fast.testing``."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence

from ._server import LocalPusherServer


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pusher_fast.testing",
        description="Serve the Pusher Channels HTTP API locally for tests (events are accepted and recorded, "
        "not delivered to any WebSocket client).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    parser.add_argument(
        "--port", type=int, default=6001, help="port to bind, 0 for any free port (default: %(default)s)"
    )
    parser.add_argument("--app-id", default="app-id", help="app id (default: %(default)s)")
    parser.add_argument("--key", default="app-key", help="app key (default: %(default)s)")
    parser.add_argument("--secret", default="app-secret", help="app secret (default: app-secret)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log each request (without query strings)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.verbose:
        logging.basicConfig(level=logging.DEBUG, format="%(asctime)s %(message)s")
    try:
        server = LocalPusherServer(args.app_id, args.key, args.secret, host=args.host, port=args.port)
    except ValueError as error:
        parser.error(str(error))
    try:
        server.start()
    except OSError as error:
        print(f"cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    try:
        # The secret is deliberately not printed.
        print(f"Local Pusher server listening on {server.url} (app_id={server.app_id!r}, key={server.key!r})")
        print("Press Ctrl-C to stop.", flush=True)
        while True:  # time.sleep, unlike a bare Event.wait, is interruptible by Ctrl-C on every platform
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
