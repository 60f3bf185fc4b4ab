"""A smoke suite through the public API of whatever ``pusher_fast`` is importable, against its local server.

``tests/release`` runs it in clean virtualenvs that hold only an installed wheel (or the sdist built from source) and
its runtime dependency, one per supported CPython: ``venv/bin/python -I tests/release/smoke.py``. It needs nothing but
the standard library and the installed package, and checks results against values it computes itself (signatures
with ``hmac``, shared secrets with ``hashlib``). It prints where ``pusher_fast`` and its extension were loaded from,
one line per check, and exits non-zero at the first failure.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import socket
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import pusher_fast
from pusher_fast import (
    AsyncPusher,
    Pusher,
    PusherBadAuth,
    PusherBadRequest,
    PusherBadStatus,
    PusherConnectionError,
    PusherForbidden,
    PusherWebhookError,
    _native,
)
from pusher_fast.testing import LocalPusherServer

MASTER_KEY = bytes(range(32))
MASTER_KEY_BASE64 = base64.b64encode(MASTER_KEY).decode()
SOCKET_ID = "1234.5678"

Raised = TypeVar("Raised", bound=BaseException)


class SmokeFailure(Exception):
    """A check found something other than what it expected."""


def expect(actual: object, expected: object, what: str) -> None:
    if actual != expected:
        raise SmokeFailure(f"{what}: expected {expected!r}, got {actual!r}")


def raises(error: type[Raised], call: Callable[[], object], what: str) -> Raised:
    try:
        call()
    except error as caught:
        return caught
    except Exception as other:
        raise SmokeFailure(f"{what}: expected {error.__name__}, got {type(other).__name__}: {other}") from other
    raise SmokeFailure(f"{what}: expected {error.__name__}, nothing was raised")


def signature(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def trigger(server: LocalPusherServer, pusher: Pusher) -> None:
    expect(pusher.trigger(["orders", "audit"], "order-created", {"id": 7}), {}, "trigger's result")
    (event,) = server.wait_for_events(1)
    expect((event.channels, event.name, event.data), (("orders", "audit"), "order-created", '{"id": 7}'), "event")


def trigger_encrypted(server: LocalPusherServer, pusher: Pusher) -> None:
    pusher.trigger("private-encrypted-vault", "secret", {"pin": 1234})
    (event,) = server.wait_for_events(1)
    envelope = json.loads(event.data)
    expect(sorted(envelope), ["ciphertext", "nonce"], "the encrypted envelope's fields")
    expect(server.plaintext(event), '{"pin": 1234}', "the decrypted event")


def trigger_batch(server: LocalPusherServer, pusher: Pusher) -> None:
    pusher.trigger_batch(
        [
            {"channel": "a", "name": "first", "data": "1"},
            {"channel": "private-encrypted-b", "name": "second", "data": {"n": 2}},
        ]
    )
    first, second = server.wait_for_events(2)
    expect((first.channels, first.data, first.endpoint), (("a",), "1", "batch_events"), "the plain batch event")
    expect(server.plaintext(second), '{"n": 2}', "the encrypted batch event")


def channel_queries(server: LocalPusherServer, pusher: Pusher) -> None:
    server.set_channel("room", subscription_count=3)
    server.set_presence_members("presence-lobby", ["7", "8"])
    expect(pusher.channels_info(prefix_filter="room"), {"channels": {"room": {}}}, "channels_info")
    expect(
        pusher.channel_info("room", ["subscription_count"]),
        {"occupied": True, "subscription_count": 3},
        "channel_info",
    )
    expect(pusher.users_info("presence-lobby"), {"users": [{"id": "7"}, {"id": "8"}]}, "users_info")


def channel_authorization(server: LocalPusherServer, pusher: Pusher) -> None:
    key, secret = server.key, server.secret
    private = pusher.authenticate("private-chat", SOCKET_ID)
    expect(private, {"auth": f"{key}:{signature(secret, f'{SOCKET_ID}:private-chat')}"}, "private channel auth")
    expect(pusher.authorize_channel("private-chat", SOCKET_ID), private, "authorize_channel")

    member = {"user_id": "42", "user_info": {"name": "Ada"}}
    presence = pusher.authenticate("presence-lobby", SOCKET_ID, member)
    channel_data = json.dumps(member)
    expected = {"auth": f"{key}:{signature(secret, f'{SOCKET_ID}:presence-lobby:{channel_data}')}"}
    expect(presence, {**expected, "channel_data": channel_data}, "presence channel auth")

    encrypted = pusher.authenticate("private-encrypted-vault", SOCKET_ID)
    shared = base64.b64encode(hashlib.sha256(b"private-encrypted-vault" + MASTER_KEY).digest()).decode()
    expect(encrypted.get("shared_secret"), shared, "the encrypted channel's shared secret")
    expect(json.loads(json.dumps(encrypted)), encrypted, "the encrypted channel's auth as JSON")


def user_authentication(server: LocalPusherServer, pusher: Pusher) -> None:
    user = {"id": "42", "user_info": {"name": "Ada"}}
    result = pusher.authenticate_user(SOCKET_ID, user)
    user_data = json.dumps(user)
    expected = f"{server.key}:{signature(server.secret, f'{SOCKET_ID}::user::{user_data}')}"
    expect(result, {"auth": expected, "user_data": user_data}, "authenticate_user")


def webhooks(server: LocalPusherServer, pusher: Pusher) -> None:
    pusher.trigger("private-encrypted-vault", "secret", "for the webhook")
    (sealed,) = server.wait_for_events(1)
    hook = server.webhook_request(
        [
            {"name": "channel_occupied", "channel": "orders"},
            {"name": "client_event", "channel": "private-encrypted-vault", "event": "client-note", "data": sealed.data},
        ]
    )
    occupied, note = pusher.webhook(hook.headers, hook.body).events
    expect((occupied.name, occupied.channel), ("channel_occupied", "orders"), "the first webhook event")
    expect((note.event, note.data), ("client-note", "for the webhook"), "the decrypted client event")

    key, sent_signature = hook.headers["X-Pusher-Key"], hook.headers["X-Pusher-Signature"]
    body = pusher.validate_webhook(key, sent_signature, hook.body)
    expect(None if body is None else len(body["events"]), 2, "validate_webhook on a valid webhook")
    tampered = hook.body.replace(b"orders", b"orderz")
    expect(pusher.validate_webhook(key, sent_signature, tampered), None, "validate_webhook on a tampered body")
    raises(PusherWebhookError, lambda: pusher.webhook(hook.headers, tampered), "webhook() on a tampered body")


def bulk_publish(server: LocalPusherServer, pusher: Pusher) -> None:
    events: list[dict[str, Any]] = [{"channel": f"feed-{n % 3}", "name": "tick", "data": str(n)} for n in range(25)]
    events.insert(10, {"channel": "bad channel", "name": "tick", "data": "x"})
    result = pusher.trigger_many(iter(events))
    expect((result.sent, [failure.event for failure in result.failed]), (25, [events[10]]), "trigger_many")
    recorded = server.wait_for_events(25)
    expect(
        [event.data for event in recorded if event.channels == ("feed-0",)],
        [str(n) for n in range(0, 25, 3)],
        "the events of one channel, in order",
    )


def async_client(server: LocalPusherServer, pusher: Pusher) -> None:
    async def run() -> None:
        async with AsyncPusher(**server.client_options()) as client:
            await client.trigger("async-orders", "created", {"id": 1})
            server.fail_next(400, "bad async request")
            error = await client.trigger("async-orders", "created", {"id": 2})
            raise SmokeFailure(f"the async 400 gave {error!r}")

    error = raises(PusherBadRequest, lambda: asyncio.run(run()), "an async 400")
    expect(str(error), "bad async request", "the async 400's message")
    (event,) = server.wait_for_events(1)
    expect((event.channels, event.data), (("async-orders",), '{"id": 1}'), "the async event")


def http_errors(server: LocalPusherServer, pusher: Pusher) -> None:
    server.fail_next(400, "bad request")
    error = raises(PusherBadRequest, lambda: pusher.trigger("c", "e", "x"), "a 400")
    expect((error.status, str(error)), (400, "bad request"), "the 400")
    server.fail_next(403, "over quota")
    raises(PusherForbidden, lambda: pusher.trigger("c", "e", "x"), "a 403")
    wrong_secret = server.client_options()
    wrong_secret["secret"] = "wrong"
    with Pusher(**wrong_secret) as impostor:
        raises(PusherBadAuth, lambda: impostor.trigger("c", "e", "x"), "a request signed with the wrong secret")
    unknown_app = server.client_options()
    unknown_app["app_id"] = "elsewhere"
    with Pusher(**unknown_app) as stranger:
        unknown = raises(PusherBadStatus, lambda: stranger.trigger("c", "e", "x"), "an unknown app")
        expect(unknown.status, 404, "the unknown app's status")
    expect(server.events, (), "events recorded from failed requests")


def connection_refused(server: LocalPusherServer, pusher: Pusher) -> None:
    # A bound socket that does not listen refuses connections, and no other process can take its port meanwhile.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        options = server.client_options()
        options["port"] = closed.getsockname()[1]
        with Pusher(**options) as client:
            raises(PusherConnectionError, lambda: client.trigger("c", "e", "x"), "trigger to a closed port")
            result = client.trigger_many([{"channel": "c", "name": "e", "data": "x"}])
    expect(len(result.failed), 1, "trigger_many to a closed port: failed events")
    error = result.failed[0].error
    expect(isinstance(error, PusherConnectionError), True, f"trigger_many to a closed port gave {error!r}")


CHECKS: tuple[Callable[[LocalPusherServer, Pusher], None], ...] = (
    trigger,
    trigger_encrypted,
    trigger_batch,
    channel_queries,
    channel_authorization,
    user_authentication,
    webhooks,
    bulk_publish,
    async_client,
    http_errors,
    connection_refused,
)


def main() -> int:
    print(f"pusher_fast {pusher_fast.__version__} from {pusher_fast.__file__}")
    print(f"native {_native.__file__}")
    print(f"python {sys.version.split()[0]} at {sys.executable}")
    for check in CHECKS:
        with (
            LocalPusherServer(encryption_master_key_base64=MASTER_KEY_BASE64) as server,
            Pusher(**server.client_options(), encryption_master_key_base64=MASTER_KEY_BASE64) as pusher,
        ):
            try:
                check(server, pusher)
            except SmokeFailure as failure:
                print(f"FAILED {check.__name__}: {failure}")
                return 1
        print(f"ok {check.__name__}")
    print(f"smoke: all {len(CHECKS)} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
