"""The main job, end to end, against the embedded local Pusher server (`make demo`).

Every call goes through pusher_fast's public API over real HTTP; the local server checks each request's signature,
body MD5, timestamp and limits the way the Pusher API does, and records what it accepted.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from pusher_fast import Pusher, PusherBadAuth, Webhook
from pusher_fast.testing import LocalPusherServer

MASTER_KEY = base64.b64encode(os.urandom(32)).decode()


def section(title: str) -> None:
    print(f"\n== {title}")


@contextmanager
def webhook_receiver(pusher: Pusher, received: list[Webhook]) -> Iterator[str]:
    """A tiny HTTP endpoint that validates incoming webhooks with `pusher.webhook` (as your web app would)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            try:
                received.append(pusher.webhook(self.headers.items(), body))
                status = 200
            except ValueError:
                status = 401
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/pusher/webhook"
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    with (
        LocalPusherServer() as server,
        Pusher(**server.client_options(), encryption_master_key_base64=MASTER_KEY) as pusher,
    ):
        print(f"Local Pusher server at {server.url}; client {pusher!r}")

        section("trigger")
        server.set_channel("orders", subscription_count=3)
        print("one channel     ->", pusher.trigger("orders", "order-created", {"id": 7, "total": "12.50 €"}))
        print("three channels  ->", pusher.trigger(["orders", "audit", "dashboard"], "order-created", "plain text"))
        print("exclude socket  ->", pusher.trigger("orders", "order-paid", {"id": 7}, socket_id="1234.5678"))
        print("with info       ->", pusher.trigger("orders", "order-shipped", {"id": 7}, info="subscription_count"))
        print("send to user    ->", pusher.send_to_user("user-42", "notice", {"text": "your order shipped"}))

        section("trigger_batch (10 events in one request)")
        batch = [{"channel": f"room-{i}", "name": "tick", "data": {"n": i}} for i in range(10)]
        print("batch of 10     ->", pusher.trigger_batch(batch))

        section("bulk publishing (trigger_many: batched, per-channel order, an outcome for every event)")
        stream = ({"channel": f"feed-{i % 5}", "name": "tick", "data": {"i": i}} for i in range(1000))
        result = pusher.trigger_many(stream, max_in_flight=4)
        print(f"1000 events     -> sent {result.sent}, failed {len(result.failed)}, in {result.requests} requests")

        section("end-to-end encrypted channel")
        print("encrypted       ->", pusher.trigger("private-encrypted-vault", "secret", {"pin": "0000"}))
        sealed = server.events[-1]
        print("server stored   ->", sealed.data[:60] + "...", "(ciphertext; the server cannot read it)")

        section("channel authorization and user authentication")
        print("private         ->", pusher.authenticate("private-chat", "1234.5678"))
        presence = pusher.authenticate("presence-lobby", "1234.5678", {"user_id": "42", "user_info": {"n": "Ann"}})
        print("presence        ->", presence)
        encrypted_auth = pusher.authenticate("private-encrypted-vault", "1234.5678")
        print("encrypted       -> shared_secret is a", type(encrypted_auth["shared_secret"]).__name__)
        print("user sign-in    ->", pusher.authenticate_user("1234.5678", {"id": "42", "name": "Ann"}))
        json.dumps(encrypted_auth)  # the whole result is JSON-serializable, shared_secret included

        section("webhook round trip (signed by the server, validated and decrypted by pusher.webhook)")
        received: list[Webhook] = []
        with webhook_receiver(pusher, received) as url:
            events = [
                {"name": "channel_occupied", "channel": "private-encrypted-vault"},
                {
                    "name": "client_event",
                    "channel": "private-encrypted-vault",
                    "event": "client-ping",
                    "data": sealed.data,
                    "socket_id": "1.1",
                },
            ]
            print("valid webhook   -> HTTP", server.send_webhook(url, events))
            print("forged webhook  -> HTTP", server.send_webhook(url, events, secret="not-the-secret"))
        for event in received[0].events:
            print(f"  {event.name:17} {event.channel}  data={event.data!r}")

        section("channel queries")
        server.set_presence_members("presence-lobby", ["42", "43"])
        print("channels        ->", pusher.channels_info(prefix_filter="presence-", attributes=["user_count"]))
        print("channel         ->", pusher.channel_info("presence-lobby", ["user_count"]))
        print("users           ->", pusher.users_info("presence-lobby"))
        print("terminate       ->", pusher.terminate_user_connections("42"))

        section("errors")
        wrong = server.client_options()
        wrong["secret"] = "wrong-secret"
        with Pusher(**wrong) as impostor:
            try:
                impostor.trigger("orders", "x", {})
            except PusherBadAuth as exc:
                print(f"wrong secret    -> PusherBadAuth, HTTP {exc.status}: {exc.body}")
        try:
            pusher.trigger("orders", "big", "é" * 6000)
        except ValueError as exc:
            print(f"12 KB payload   -> ValueError before sending: {exc}")

        section("what the server received and verified")
        accepted = [r for r in server.requests if r.status < 300]
        print(f"{len(server.requests)} requests, {len(accepted)} accepted with valid signatures")
        print(f"{len(server.events)} events recorded; terminated users: {list(server.terminated_users)}")
        for recorded in server.events[:6]:
            print(f"  {recorded.endpoint:12} {','.join(recorded.channels):28} {recorded.name:14} {recorded.data[:40]}")
        print("  ...")


if __name__ == "__main__":
    main()
