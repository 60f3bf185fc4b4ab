"""The commands that make one API call or none: trigger, channels, channel, users, authorize, webhook, keygen."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from pusher_fast import PusherWebhookError
from pusher_fast.encryption import generate_master_key_base64
from pusher_fast.testing._serve import serve as serve_local
from pusher_fast.testing._serve import server_from_args

from ._client import UsageError, client_from_args
from ._exit import EXIT_FAILED, EXIT_OK

__all__ = [
    "authorize",
    "channel",
    "channels",
    "keygen",
    "print_json",
    "read_bytes",
    "read_text",
    "serve",
    "trigger",
    "users",
    "webhook_verify",
]


def print_json(value: Any, out: TextIO) -> None:
    print(json.dumps(value, ensure_ascii=False), file=out, flush=True)


def read_text(path: str, what: str) -> str:
    """A file's text, ``-`` for stdin; ``UsageError`` when it cannot be read."""
    if path == "-":
        return sys.stdin.read()
    try:
        with open(path, encoding="utf-8") as file:
            return file.read()
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read the {what} {path!r}: {error}") from None


def read_bytes(path: str, what: str) -> bytes:
    """A file's bytes as they are (a signature covers them), ``-`` for stdin; ``UsageError`` when unreadable."""
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError as error:
        raise UsageError(f"cannot read the {what} {path!r}: {error}") from None


def _json_argument(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise UsageError(f"{what} is not valid JSON: {error}") from None


def trigger(args: argparse.Namespace, out: TextIO) -> int:
    data = args.data
    if data is None or data == "-":
        data = sys.stdin.read()
        # `echo '{...}' | pusher-fast trigger` should not send echo's newline.
        data = data[:-1] if data.endswith("\n") else data
    with client_from_args(args) as pusher:
        result = pusher.trigger(args.channel, args.event, data, socket_id=args.socket_id, info=args.info)
    print_json(result, out)
    return EXIT_OK


def channels(args: argparse.Namespace, out: TextIO) -> int:
    with client_from_args(args) as pusher:
        print_json(pusher.channels_info(prefix_filter=args.prefix, attributes=args.info), out)
    return EXIT_OK


def channel(args: argparse.Namespace, out: TextIO) -> int:
    with client_from_args(args) as pusher:
        print_json(pusher.channel_info(args.channel, attributes=args.info), out)
    return EXIT_OK


def users(args: argparse.Namespace, out: TextIO) -> int:
    with client_from_args(args) as pusher:
        print_json(pusher.users_info(args.channel), out)
    return EXIT_OK


def authorize(args: argparse.Namespace, out: TextIO) -> int:
    presence_data = None if args.presence_data is None else _json_argument(args.presence_data, "--presence-data")
    with client_from_args(args) as pusher:
        print_json(pusher.authorize_channel(args.channel, args.socket_id, presence_data), out)
    return EXIT_OK


def webhook_verify(args: argparse.Namespace, out: TextIO) -> int:
    if args.body == "-" and args.headers_file == "-":
        raise UsageError("the body and the headers cannot both come from stdin")
    headers = [_split_header(line) for line in args.header]
    if args.headers_file is not None:
        headers.extend(_headers_from_file(read_text(args.headers_file, "headers file")))
    body = read_bytes(args.body, "webhook body")
    with client_from_args(args) as pusher:
        try:
            webhook = pusher.webhook(headers, body, max_age=args.max_age)
        except PusherWebhookError as error:
            print(f"pusher-fast: invalid webhook: {error}", file=sys.stderr)
            return EXIT_FAILED
    print_json({"time_ms": webhook.time_ms, "events": [dataclasses.asdict(e) for e in webhook.events]}, out)
    return EXIT_OK


def _split_header(line: str) -> tuple[str, str]:
    name, sep, value = line.partition(":")
    if not sep or not name.strip():
        raise UsageError(f"a header should read 'Name: value', got {line!r}")
    return name.strip(), value.strip()


def _headers_from_file(text: str) -> Iterator[tuple[str, str]]:
    """``{"Name": "value"}`` JSON, or ``Name: value`` lines (an HTTP status line and blank lines are skipped)."""
    if text.lstrip().startswith("{"):
        parsed = _json_argument(text, "the headers file")
        if not isinstance(parsed, dict) or not all(isinstance(value, str) for value in parsed.values()):
            raise UsageError("the headers file should be a JSON object of strings")
        yield from parsed.items()
        return
    for line in text.splitlines():
        if line.strip() and not line.startswith("HTTP/"):
            yield _split_header(line)


def keygen(args: argparse.Namespace, out: TextIO) -> int:
    print(generate_master_key_base64(), file=out)
    return EXIT_OK


def serve(args: argparse.Namespace, out: TextIO) -> int:
    try:
        server = server_from_args(args)
    except (ValueError, TypeError) as error:
        raise UsageError(str(error)) from None
    return serve_local(server, print_events=args.print_events, verbose=args.verbose, out=out)
