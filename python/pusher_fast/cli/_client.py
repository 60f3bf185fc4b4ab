"""The client the commands use, from ``PUSHER_URL`` or ``--url`` and the flags that override parts of it."""

from __future__ import annotations

import argparse
import functools
import os
from typing import Any

from pusher_fast import Pusher
from pusher_fast.encryption import MASTER_KEY_ENV

__all__ = ["MASTER_KEY_ENV", "URL_ENV", "UsageError", "add_client_arguments", "client_from_args"]

URL_ENV = "PUSHER_URL"


class UsageError(Exception):
    """The command line or the configuration cannot work (exit code 2)."""


def add_client_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "connection",
        f"Read from ${URL_ENV} (http(s)://KEY:SECRET@HOST[:PORT]/apps/APP_ID) unless --url is given; the flags "
        "below override its parts, or configure the client without a URL.",
    )
    # Suppressed defaults let the flags stand before or after the command without one hiding the other.
    add = functools.partial(group.add_argument, default=argparse.SUPPRESS)
    add("--url", help=f"the app's URL (default: ${URL_ENV}); prefer the variable: flags show in ps")
    add("--app-id", help="app id")
    add("--key", help="app key")
    add("--secret", help="app secret")
    add("--cluster", help="cluster, e.g. eu (the host becomes api-CLUSTER.pusher.com)")
    add("--host", help="API host, for self-hosted servers (host or host:port)")
    add("--port", type=int, help="API port")
    add("--no-ssl", action="store_true", help="plain HTTP (for a local or self-hosted server)")
    add("-v", "--verbose", action="store_true", help="log each request to stderr")
    add("--timeout", type=float, help="seconds per request (default: 5)")
    add(
        "--encryption-master-key-base64",
        metavar="KEY",
        help=f"master key for private-encrypted- channels (default: ${MASTER_KEY_ENV})",
    )


def client_from_args(args: argparse.Namespace) -> Pusher:
    """A client from the flags over the URL; ``UsageError`` naming what is missing or invalid (never the secret)."""
    given = vars(args)
    overrides: dict[str, Any] = {}
    for option in ("app_id", "key", "secret", "cluster", "host", "port", "timeout"):
        if given.get(option) is not None:
            overrides[option] = given[option]
    if given.get("no_ssl"):
        overrides["ssl"] = False
    master_key = given.get("encryption_master_key_base64") or os.environ.get(MASTER_KEY_ENV) or None
    if master_key is not None:
        overrides["encryption_master_key_base64"] = master_key
    url = given.get("url") or os.environ.get(URL_ENV) or None
    try:
        if url is not None:
            return Pusher.from_url(url, **overrides)
        missing = [f"--{name.replace('_', '-')}" for name in ("app_id", "key", "secret") if name not in overrides]
        if missing:
            raise UsageError(f"no app configured: set ${URL_ENV}, or give --url, or {', '.join(missing)}")
        return Pusher(**overrides)
    except (ValueError, TypeError) as error:
        raise UsageError(str(error)) from None
