"""Webhooks: the official SDK's validate_webhook, and the typed API with decryption, against real signed posts."""

from __future__ import annotations

import decimal
import hashlib
import hmac
import json
import time

import pytest

from pusher_fast import Pusher, PusherWebhookError, Webhook, WebhookEvent
from tests.sdk_pair import MASTER_KEY_BASE64

KEY, SECRET = "app-key", "app-secret"


def sign(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_body(events: list[dict[str, object]], time_ms: int | None = None) -> bytes:
    return json.dumps({"time_ms": int(time.time() * 1000) if time_ms is None else time_ms, "events": events}).encode()


@pytest.fixture
def client() -> Pusher:
    return Pusher("1", KEY, SECRET, encryption_master_key_base64=MASTER_KEY_BASE64)


def test_validate_webhook_accepts_str_and_bytes(client: Pusher) -> None:
    body = webhook_body([{"name": "channel_occupied", "channel": "c"}])
    assert client.validate_webhook(KEY, sign(body), body) == json.loads(body)
    assert client.validate_webhook(KEY, sign(body), body.decode()) == json.loads(body)
    assert client.validate_webhook(KEY.encode(), sign(body).encode(), body) == json.loads(body)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda body: ("other-key", sign(body), body),
        lambda body: (KEY, sign(body, "other-secret"), body),
        lambda body: (KEY, sign(body), body.replace(b"channel_occupied", b"channel_vacated")),
        lambda body: (KEY, sign(body)[:-1], body),
        lambda body: (KEY, "", body),
        lambda body: (KEY, "zz" * 32, body),
    ],
    ids=["wrong key", "wrong secret", "tampered body", "short signature", "empty signature", "not hex"],
)
def test_validate_webhook_returns_none_when_invalid(client: Pusher, tamper: object) -> None:
    body = webhook_body([{"name": "channel_occupied", "channel": "c"}])
    assert client.validate_webhook(*tamper(body)) is None  # type: ignore[operator]


def test_validate_webhook_time_window_and_json(client: Pusher) -> None:
    stale = webhook_body([], time_ms=int(time.time() * 1000) - 301_000)
    assert client.validate_webhook(KEY, sign(stale), stale) is None
    not_json = b"not json"
    assert client.validate_webhook(KEY, sign(not_json), not_json) is None
    a_list = b"[1, 2]"
    assert client.validate_webhook(KEY, sign(a_list), a_list) is None
    no_time = b'{"events": []}'
    assert client.validate_webhook(KEY, sign(no_time), no_time) is None


def test_validate_webhook_uses_json_decoder() -> None:
    class Decoder(json.JSONDecoder):
        def __init__(self, **kwargs: object) -> None:
            super().__init__(parse_float=lambda text: f"float:{text}", **kwargs)  # type: ignore[arg-type]

    client = Pusher("1", KEY, SECRET, json_decoder=Decoder)
    body = json.dumps({"time_ms": int(time.time() * 1000), "events": [], "x": 1.5}).encode()
    assert client.validate_webhook(KEY, sign(body), body)["x"] == "float:1.5"  # type: ignore[index]


def test_validate_webhook_with_a_decoder_keeps_the_rules() -> None:
    class IntsAsDecimals(json.JSONDecoder):
        def __init__(self, **kwargs: object) -> None:
            super().__init__(parse_int=decimal.Decimal, **kwargs)  # type: ignore[arg-type]

    class NoConstants(json.JSONDecoder):
        def __init__(self, **kwargs: object) -> None:
            super().__init__(parse_constant=self._refuse, **kwargs)  # type: ignore[arg-type]

        @staticmethod
        def _refuse(name: str) -> object:
            raise ValueError(name)

    body = webhook_body([])
    # A time_ms that is not a number (here a Decimal) is no time_ms, as without a decoder.
    assert Pusher("1", KEY, SECRET, json_decoder=IntsAsDecimals).validate_webhook(KEY, sign(body), body) is None
    strict = Pusher("1", KEY, SECRET, json_decoder=NoConstants)
    assert strict.validate_webhook(KEY, sign(body), body) == json.loads(body)
    # A ValueError from the decoder means the body is not valid.
    nan_body = body.replace(b'"events"', b'"x": NaN, "events"')
    assert strict.validate_webhook(KEY, sign(nan_body), nan_body) is None


def test_typed_webhook(client: Pusher) -> None:
    events = [
        {"name": "channel_occupied", "channel": "c"},
        {"name": "member_added", "channel": "presence-c", "user_id": "42"},
        {"name": "client_event", "channel": "private-c", "event": "client-x", "data": '{"a":1}', "socket_id": "1.2"},
        {"name": "subscription_count", "channel": "c", "subscription_count": 101},
    ]
    body = webhook_body(events, time_ms=1234)
    webhook = client.webhook({"X-Pusher-Key": KEY, "X-Pusher-Signature": sign(body)}, body)
    assert webhook == Webhook(
        time_ms=1234,
        events=(
            WebhookEvent(name="channel_occupied", channel="c"),
            WebhookEvent(name="member_added", channel="presence-c", user_id="42"),
            WebhookEvent(name="client_event", channel="private-c", event="client-x", data='{"a":1}', socket_id="1.2"),
            WebhookEvent(name="subscription_count", channel="c", subscription_count=101),
        ),
    )


def test_typed_webhook_headers_any_case_pairs_and_several_keys(client: Pusher) -> None:
    body = webhook_body([])
    pairs = [("x-pusher-key", "old-key"), ("X-PUSHER-KEY", KEY), ("x-pusher-signature", sign(body).upper())]
    assert client.webhook(pairs, body).events == ()
    assert client.webhook({"x-pusher-key": ["old-key", KEY], "X-Pusher-Signature": sign(body)}, body).events == ()


def test_typed_webhook_decrypts_encrypted_events(client: Pusher) -> None:
    envelope = client.prepare.trigger("private-encrypted-v", "e", {"pin": "1234"})
    data = json.loads(envelope.body)["data"]
    events = [
        {"name": "channel_occupied", "channel": "private-encrypted-v"},
        {"name": "client_event", "channel": "private-encrypted-v", "event": "client-e", "data": data},
    ]
    body = webhook_body(events)
    webhook = client.webhook({"X-Pusher-Key": KEY, "X-Pusher-Signature": sign(body)}, body)
    assert webhook.events[0].data is None
    assert json.loads(webhook.events[1].data or "") == {"pin": "1234"}


@pytest.mark.parametrize(
    ("headers", "body", "message"),
    [
        ({"X-Pusher-Signature": "x"}, b"{}", "X-Pusher-Key header is missing"),
        ({"X-Pusher-Key": KEY}, b"{}", "X-Pusher-Signature header is missing"),
        ({"X-Pusher-Key": "other", "X-Pusher-Signature": sign(b"{}")}, b"{}", "does not name this app's key"),
        ({"X-Pusher-Key": KEY, "X-Pusher-Signature": sign(b"{}")}, b"{} ", "does not match the body"),
        ({"X-Pusher-Key": KEY, "X-Pusher-Signature": sign(b"nope")}, b"nope", "not valid JSON"),
        ({"X-Pusher-Key": KEY, "X-Pusher-Signature": sign(b"{}")}, b"{}", "list of events"),
        (
            {"X-Pusher-Key": KEY, "X-Pusher-Signature": sign(b'{"events": []}')},
            b'{"events": []}',
            "no integer time_ms",
        ),
    ],
)
def test_typed_webhook_errors_say_what_failed(
    client: Pusher, headers: dict[str, str], body: bytes, message: str
) -> None:
    with pytest.raises(PusherWebhookError, match=message):
        client.webhook(headers, body)


def test_typed_webhook_error_is_a_value_error(client: Pusher) -> None:
    with pytest.raises(ValueError, match="X-Pusher-Key"):
        client.webhook({}, b"{}")


def test_typed_webhook_max_age(client: Pusher) -> None:
    body = webhook_body([], time_ms=int(time.time() * 1000) - 3_600_000)
    headers = {"X-Pusher-Key": KEY, "X-Pusher-Signature": sign(body)}
    assert client.webhook(headers, body).events == ()  # no time check by default: Pusher retries late
    with pytest.raises(PusherWebhookError, match="seconds away from now"):
        client.webhook(headers, body, max_age=300)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("not json", "not a nonce/ciphertext envelope"),
        ('{"nonce": "AAAA"}', "not a nonce/ciphertext envelope"),
        ('{"nonce": "AAAA", "ciphertext": "AAAA"}', "could not be decrypted"),
    ],
)
def test_typed_webhook_bad_encrypted_data(client: Pusher, data: str, message: str) -> None:
    body = webhook_body([{"name": "client_event", "channel": "private-encrypted-v", "data": data}])
    with pytest.raises(PusherWebhookError, match=message):
        client.webhook({"X-Pusher-Key": KEY, "X-Pusher-Signature": sign(body)}, body)


def test_typed_webhook_wrong_master_key_fails_clearly(client: Pusher) -> None:
    data = json.loads(client.prepare.trigger("private-encrypted-v", "e", "x").body)["data"]
    other = Pusher("1", KEY, SECRET, encryption_master_key_base64="B" * 43 + "=")
    body = webhook_body([{"name": "client_event", "channel": "private-encrypted-v", "data": data}])
    with pytest.raises(PusherWebhookError, match="could not be decrypted"):
        other.webhook({"X-Pusher-Key": KEY, "X-Pusher-Signature": sign(body)}, body)
    no_key = Pusher("1", KEY, SECRET)
    with pytest.raises(PusherWebhookError, match="no encryption master key"):
        no_key.webhook({"X-Pusher-Key": KEY, "X-Pusher-Signature": sign(body)}, body)


def test_webhook_round_trip_from_the_local_server(client: Pusher) -> None:
    """The local server signs and POSTs a webhook; a receiver validates it with the typed API."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from pusher_fast.testing import LocalPusherServer

    received: list[Webhook] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            try:
                received.append(client.webhook(self.headers.items(), body))
                self.send_response(200)
            except PusherWebhookError:
                self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    try:
        with LocalPusherServer(key=KEY, secret=SECRET) as server:
            assert server.send_webhook(url, [{"name": "member_added", "channel": "presence-a", "user_id": "9"}]) == 200
            assert server.send_webhook(url, [{"name": "channel_vacated", "channel": "a"}], secret="forged") == 401
    finally:
        receiver.shutdown()
        receiver.server_close()
    assert [event.name for hook in received for event in hook.events] == ["member_added"]
    assert received[0].events[0].user_id == "9"


def test_validate_webhook_reads_floats_exactly_as_json_loads(client: Pusher) -> None:
    # Found by scripts/fuzz/properties.py: without serde_json's float_roundtrip, 1795865346818.6663 was read as
    # 1795865346818.6665, one unit in the last place away from what json.loads gives.
    floats = ["1795865346818.6663", "0.1", "2.2250738585072011e-308", "1.7976931348623157e308", "5e-324", "1e23"]
    floats += [repr(i * 1234567.891011 + i / 7) for i in range(1, 500)]
    body = b'{"time_ms": %d, "events": [], "floats": [%s]}' % (int(time.time() * 1000), ", ".join(floats).encode())
    parsed = client.validate_webhook(KEY, sign(body), body)
    assert parsed is not None
    assert [value.hex() for value in parsed["floats"]] == [value.hex() for value in json.loads(body)["floats"]]
