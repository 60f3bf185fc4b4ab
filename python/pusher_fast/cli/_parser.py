"""The ``pusher-fast`` command line: its commands, options and help."""

from __future__ import annotations

import argparse

from pusher_fast._version import __version__
from pusher_fast.testing._serve import SERVER_DESCRIPTION, add_server_arguments

from ._client import MASTER_KEY_ENV, URL_ENV, add_client_arguments
from ._exit import EXIT_FAILED, EXIT_NETWORK, EXIT_OK, EXIT_USAGE

__all__ = ["EXIT_CODES_HELP", "build_parser"]

EXIT_CODES_HELP = f"""\
exit codes:
  {EXIT_OK}  done
  {EXIT_FAILED}  the API refused the request (4xx/5xx), some events failed to publish, or the webhook is not valid
  {EXIT_USAGE}  usage or configuration error (bad flag, missing or invalid credentials, invalid channel or event)
  {EXIT_NETWORK}  network error or timeout: no answer from the API (for publish: every event failed that way)
"""

_EPILOG = f"""\
environment:
  {URL_ENV}  the app, as http(s)://KEY:SECRET@HOST[:PORT]/apps/APP_ID
  {MASTER_KEY_ENV}  the end-to-end encryption master key (base64 of 32 bytes)

{EXIT_CODES_HELP}
examples:
  pusher-fast trigger -c orders order-created '{{"id": 7}}'
  pusher-fast publish events.jsonl --failed failed.jsonl
  pusher-fast channels --prefix presence- --info user_count
  pusher-fast authorize 1234.5678 private-orders
  pusher-fast webhook verify body.json -H "X-Pusher-Key: KEY" -H "X-Pusher-Signature: SIG"
  pusher-fast serve --port 6001
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pusher-fast",
        description="Pusher Channels from the command line: trigger and publish events, query channels, "
        "authorize channels, verify webhooks, make encryption keys and run a local test server.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"pusher-fast {__version__}")
    add_client_arguments(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    connected = argparse.ArgumentParser(add_help=False)
    add_client_arguments(connected)

    def command(name: str, help_text: str, description: str, *, client: bool = True) -> argparse.ArgumentParser:
        return commands.add_parser(
            name,
            help=help_text,
            description=description,
            parents=[connected] if client else [],
            epilog=EXIT_CODES_HELP,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    trigger = command(
        "trigger",
        "trigger one event on one or more channels",
        "Trigger EVENT with DATA (sent as given: a JSON text reaches pusher-js parsed) on each --channel. "
        "Without DATA, or with -, the data is read from stdin. Prints the API's answer as JSON.",
    )
    trigger.add_argument("event", metavar="EVENT", help="event name")
    trigger.add_argument("data", metavar="DATA", nargs="?", help="event data (default: read stdin)")
    trigger.add_argument(
        "-c", "--channel", action="append", required=True, help="channel (repeat for up to 100 channels)"
    )
    trigger.add_argument("--socket-id", help="exclude this connection from receiving the event")
    trigger.add_argument("--info", help="attributes to return per channel: user_count, subscription_count")

    publish = command(
        "publish",
        "publish JSON Lines of events through trigger_many",
        "Publish every line of FILE (or stdin) as an event: a JSON object with channel (or channels), name, "
        "data and optionally socket_id. Events are batched ten per request with many requests in flight; each "
        "channel's events keep their order. Prints a JSON summary; failed events (with their line and error) go "
        "to --failed as JSON Lines, to be fixed and published again (`jq -c .event failed.jsonl`).",
    )
    publish.add_argument("file", metavar="FILE", nargs="?", default="-", help="JSON Lines file (default: stdin)")
    publish.add_argument("--failed", metavar="FILE", help="write the failed events here as JSON Lines")
    publish.add_argument(
        "--progress",
        choices=("auto", "bar", "plain", "none"),
        default="auto",
        help="progress on stderr: a bar (tqdm, from pusher-fast[cli]; plain lines without it), plain lines, "
        "or none (default: auto, a bar on a terminal)",
    )
    publish.add_argument("--max-in-flight", type=int, default=16, help="requests in flight (default: 16)")
    publish.add_argument("--retries", type=int, default=0, help="retries after network errors, 5xx, 429")

    channels = command(
        "channels", "list occupied channels", "List the occupied channels, optionally those with a prefix."
    )
    channels.add_argument("--prefix", help="only channels starting with this, e.g. presence-")
    channels.add_argument("--info", help="user_count (only with a presence- prefix)")

    channel = command("channel", "show one channel's state", "Show whether CHANNEL is occupied, with attributes.")
    channel.add_argument("channel", metavar="CHANNEL")
    channel.add_argument(
        "--info", help="user_count (presence channels) or subscription_count (other channels, if enabled)"
    )

    users = command("users", "list the users of a presence channel", "List the user ids in a presence channel.")
    users.add_argument("channel", metavar="CHANNEL", help="a presence- channel")

    authorize = command(
        "authorize",
        "print the channel authorization for a socket",
        "Print the JSON an auth endpoint answers pusher-js with for SOCKET_ID joining CHANNEL (a private-, "
        "private-encrypted- or presence- channel).",
    )
    authorize.add_argument("socket_id", metavar="SOCKET_ID")
    authorize.add_argument("channel", metavar="CHANNEL")
    authorize.add_argument(
        "--presence-data", metavar="JSON", help='presence member, e.g. \'{"user_id": "42", "user_info": {}}\''
    )

    webhook = command("webhook", "check webhooks", "Check webhooks.")
    webhook_commands = webhook.add_subparsers(dest="webhook_command", metavar="COMMAND", required=True)
    verify = webhook_commands.add_parser(
        "verify",
        help="verify (and decrypt) a webhook",
        description="Check a webhook's X-Pusher-Key and X-Pusher-Signature against its raw BODY and print its "
        "events as JSON, events of private-encrypted- channels decrypted with the master key. Exit code 1 and "
        "the reason on stderr when it is not valid.",
        parents=[connected],
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verify.add_argument("body", metavar="BODY", help="file holding the raw request body, - for stdin")
    verify.add_argument(
        "-H", "--header", action="append", default=[], metavar="'NAME: VALUE'", help="a request header (repeat)"
    )
    verify.add_argument(
        "--headers-file", metavar="FILE", help="headers as 'Name: value' lines or a JSON object (- for stdin)"
    )
    verify.add_argument("--max-age", type=float, metavar="SECONDS", help="refuse webhooks older than this")

    command(
        "keygen",
        "print a new encryption master key",
        f"Print a new random encryption master key (base64 of 32 bytes) for {MASTER_KEY_ENV} or "
        "encryption_master_key_base64=.",
        client=False,
    )

    serve = command("serve", "run the local test server", SERVER_DESCRIPTION, client=False)
    add_server_arguments(serve)
    return parser
