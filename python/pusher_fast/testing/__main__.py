"""Run a local Pusher Channels HTTP API server in the foreground: ``python -m pusher_fast.testing``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._serve import SERVER_DESCRIPTION, add_server_arguments, serve, server_from_args


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pusher_fast.testing", description=SERVER_DESCRIPTION)
    add_server_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        server = server_from_args(args)
    except (ValueError, TypeError) as error:
        parser.error(str(error))
    return serve(server, print_events=args.print_events, verbose=args.verbose)


if __name__ == "__main__":
    sys.exit(main())
