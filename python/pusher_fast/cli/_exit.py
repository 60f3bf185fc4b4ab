"""The command line's exit codes, which scripts rely on (``pusher-fast --help`` lists them)."""

from __future__ import annotations

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_NETWORK", "EXIT_OK", "EXIT_USAGE"]

EXIT_OK = 0
EXIT_FAILED = 1
"""The API refused the request, some events failed to publish, or the webhook is not valid."""
EXIT_USAGE = 2
"""Bad flags, missing or invalid configuration, invalid input (a channel name, an event)."""
EXIT_NETWORK = 3
"""No answer from the API: a connection error or a timeout (for publish: every event failed that way)."""
EXIT_INTERRUPTED = 130
