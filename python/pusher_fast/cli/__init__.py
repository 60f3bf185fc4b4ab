"""``pusher-fast``, the command line (also ``python -m pusher_fast``); ``pusher-fast --help`` lists the commands.

:func:`main` runs it in-process and returns the exit code: :data:`EXIT_OK` (0), :data:`EXIT_FAILED` (1: the API
refused, some events failed, or an invalid webhook), :data:`EXIT_USAGE` (2: bad usage or configuration) or
:data:`EXIT_NETWORK` (3: no answer from the API).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TextIO

from pusher_fast.errors import PusherHTTPError, PusherTransportError

from ._client import UsageError
from ._commands import (
    authorize,
    channel,
    channels,
    keygen,
    serve,
    trigger,
    users,
    webhook_verify,
)
from ._exit import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_NETWORK, EXIT_OK, EXIT_USAGE
from ._parser import build_parser
from ._publish import publish

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_NETWORK", "EXIT_OK", "EXIT_USAGE", "main"]

_Command = Callable[[argparse.Namespace, TextIO], int]
_COMMANDS: dict[str, _Command] = {
    "trigger": trigger,
    "publish": publish,
    "channels": channels,
    "channel": channel,
    "users": users,
    "authorize": authorize,
    "webhook verify": webhook_verify,
    "keygen": keygen,
    "serve": serve,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (``sys.argv[1:]`` by default) and return its exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version, or argparse's usage error (2)
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    name = args.command if args.command != "webhook" else f"webhook {args.webhook_command}"
    with _request_log(getattr(args, "verbose", False) and name != "serve"):
        try:
            return _COMMANDS[name](args, sys.stdout)
        except UsageError as error:
            return _fail(EXIT_USAGE, str(error))
        except PusherHTTPError as error:
            return _fail(EXIT_FAILED, f"the API refused the request: HTTP {error.status}: {error.body}")
        except PusherTransportError as error:
            return _fail(EXIT_NETWORK, f"no answer from the API: {error}")
        except (ValueError, TypeError) as error:
            return _fail(EXIT_USAGE, str(error))
        except KeyboardInterrupt:
            return _fail(EXIT_INTERRUPTED, "interrupted")
        except BrokenPipeError:
            return EXIT_OK  # the reader of our output went away (`| head`)


class _StderrHandler(logging.Handler):
    """Writes to whatever ``sys.stderr`` is at the time."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            print(self.format(record), file=sys.stderr)
        except Exception:
            self.handleError(record)


@contextlib.contextmanager
def _request_log(enabled: bool) -> Iterator[None]:
    """With ``enabled``, pusher_fast's DEBUG log (one line per request) on stderr for the command's duration,
    without the HTTP libraries' chatter."""
    if not enabled:
        yield
        return
    logger = logging.getLogger("pusher_fast")
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _fail(code: int, message: str) -> int:
    print(f"pusher-fast: {message}", file=sys.stderr)
    return code
