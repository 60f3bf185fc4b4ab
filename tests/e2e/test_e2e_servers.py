"""pusher_fast against real Pusher-protocol servers: soketi 1.6.1 (npm) and sockudo (crates.io).

Every test runs against both servers (the ``server`` fixture). A Python subscriber speaking the Pusher WebSocket
protocol 7 (``subscriber.py``) connects to the server and everything it is given to sign with comes from pusher_fast's
public API, so what the server accepts and delivers is what pusher_fast produced.

soketi is lenient where sockudo is strict: a test that soketi cannot judge is skipped on soketi only, with the reason.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import nacl.secret
import pusher as official_pusher
import pytest

from pusher_fast import AsyncPusher, Pusher, PusherBadAuth, PusherWebhookError

from .harness import APP_ID, KEY, SECRET, ReceivedWebhook, ServerProcess, WebhookReceiver
from .subscriber import Subscriber, SubscriptionRefused

pytestmark = pytest.mark.e2e

Namer = Callable[[str], str]
TRIGGER_OK = ({}, {"ok": True})  # Pusher answers {}, both servers {"ok": true}

PAYLOADS = {
    "unicode-str": 'héllo wörld ✓ 日本語 🚀 "quoted" \\ back\\slash\nnew line',
    "nested-json": {
        "text": "ünïcödé 🚀",
        "numbers": [1, -2, 3.5, 1e21],
        "flags": [True, False, None],
        "deep": {"a": {"b": {"c": [{"d": "e"}, [], {}]}}},
    },
    "plain-str": "just a plain string",
    "json-looking-str": '{"already": "encoded", "n": 1}',
}

SOKETI_NO_INFO = "soketi ignores `info` on triggers and always answers {'ok': true}"
SOKETI_NO_401 = (
    "soketi answers a bad signature with HTTP 200 and the body {'error': ..., 'code': 401} (CORS headers are written "
    "before the status), so no HTTP error reaches the client"
)
SOKETI_NO_TIMESTAMP_CHECK = "soketi never checks auth_timestamp, so a stale request is accepted"
SOKETI_NO_USER_COUNT_IN_LIST = "soketi omits user_count from GET /channels?info=user_count"


def skip_on_soketi(server: ServerProcess, reason: str) -> None:
    if server.name == "soketi":
        pytest.skip(reason)


def decode(data: Any) -> Any:
    return json.loads(data) if isinstance(data, str) else data


def received_payload(sent: Any, data: str) -> Any:
    """What the subscriber got, in the form it was sent: str data verbatim, anything else decoded from JSON."""
    return data if isinstance(sent, str) else json.loads(data)


async def subscriber(server: ServerProcess) -> Subscriber:
    return await Subscriber.connect(server.ws_url())


async def eventually(query: Callable[[], dict[str, Any]], ready: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """``query()`` until ``ready`` accepts its result (5 s at most): sockudo caches GET /channels for about 1 s."""
    deadline = time.monotonic() + 5
    while True:
        result = query()
        if ready(result) or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.1)


# ---------------------------------------------------------------------------------------------------------------------
# 1-3: triggers


@pytest.mark.asyncio
@pytest.mark.parametrize("payload", list(PAYLOADS.values()), ids=list(PAYLOADS))
async def test_trigger_one_channel_payload_intact(server: ServerProcess, name: Namer, payload: Any) -> None:
    channel = name("pub-")
    async with await subscriber(server) as sub, AsyncPusher(**server.client_options()) as client:
        await sub.subscribe(channel)
        result = await client.trigger(channel, "my-event", payload)
        assert result in TRIGGER_OK
        message = await sub.expect("my-event", channel)
        assert received_payload(payload, message.data) == payload


@pytest.mark.asyncio
async def test_trigger_several_channels(server: ServerProcess, name: Namer, client: Pusher) -> None:
    channels = [name(f"multi{i}-") for i in range(3)]
    payload = {"to": "several", "ünï": ["cödé", 1]}
    async with await subscriber(server) as sub:
        for channel in channels:
            await sub.subscribe(channel)
        assert client.trigger(channels, "fan-out", payload) in TRIGGER_OK
        for channel in channels:
            message = await sub.expect("fan-out", channel)
            assert json.loads(message.data) == payload
        await sub.expect_nothing("fan-out", within=0.5)  # exactly once per channel


@pytest.mark.asyncio
async def test_socket_id_excludes_that_connection(server: ServerProcess, name: Namer) -> None:
    channel = name("excl-")
    async with (
        await subscriber(server) as excluded,
        await subscriber(server) as other,
        AsyncPusher(**server.client_options()) as client,
    ):
        await excluded.subscribe(channel)
        await other.subscribe(channel)
        await client.trigger(channel, "not-for-you", "x", socket_id=excluded.socket_id)
        await client.trigger_batch(
            [{"channel": channel, "name": "batched-not-for-you", "data": "y", "socket_id": excluded.socket_id}]
        )
        assert (await other.expect("not-for-you", channel)).data == "x"
        assert (await other.expect("batched-not-for-you", channel)).data == "y"
        await excluded.expect_nothing("not-for-you", within=1.0)
        await excluded.expect_nothing("batched-not-for-you", within=0.2)


@pytest.mark.asyncio
async def test_trigger_batch_of_ten_arrives(server: ServerProcess, name: Namer, client: Pusher) -> None:
    channels = [name("batch-a-"), name("batch-b-")]
    batch = [
        {"channel": channels[i % 2], "name": f"batch-event-{i}", "data": {"index": i, "text": f"nº {i} ✓"}}
        for i in range(9)
    ]
    batch.append({"channel": channels[1], "name": "batch-event-9", "data": "the tenth, as a str"})
    async with await subscriber(server) as sub:
        for channel in channels:
            await sub.subscribe(channel)
        assert client.trigger_batch(batch) in TRIGGER_OK
        for event in batch:
            message = await sub.expect(event["name"], event["channel"])
            assert received_payload(event["data"], message.data) == event["data"]


@pytest.mark.asyncio
async def test_info_on_trigger_and_batch(server: ServerProcess, name: Namer, client: Pusher) -> None:
    skip_on_soketi(server, SOKETI_NO_INFO)
    public, presence = name("info-"), name("presence-info-")
    async with await subscriber(server) as sub:
        await sub.subscribe(public)
        auth = client.authenticate(presence, sub.socket_id, {"user_id": "info-user"})
        await sub.subscribe(presence, auth["auth"], auth["channel_data"])

        result = client.trigger(public, "evt", "x", info="subscription_count")
        assert result["channels"][public]["subscription_count"] == 1

        result = client.trigger(presence, "evt", "x", info=["user_count", "subscription_count"])
        assert result["channels"][presence]["user_count"] == 1
        assert result["channels"][presence]["subscription_count"] == 1

        result = client.trigger_batch(
            [
                {"channel": public, "name": "evt", "data": "1", "info": "subscription_count"},
                {"channel": presence, "name": "evt", "data": "2", "info": ["user_count"]},
            ]
        )
        assert len(result["batch"]) == 2
        assert result["batch"][0]["subscription_count"] == 1
        assert result["batch"][1]["user_count"] == 1


# ---------------------------------------------------------------------------------------------------------------------
# 4-5: private and presence channels


@pytest.mark.asyncio
async def test_private_channel_accepts_our_auth(server: ServerProcess, name: Namer, client: Pusher) -> None:
    channel = name("private-")
    async with await subscriber(server) as sub:
        auth = client.authenticate(channel, sub.socket_id)
        assert set(auth) == {"auth"}
        await sub.subscribe(channel, auth["auth"])
        client.trigger(channel, "secret-ish", {"ok": "✓"})
        assert json.loads((await sub.expect("secret-ish", channel)).data) == {"ok": "✓"}


@pytest.mark.asyncio
@pytest.mark.parametrize("forgery", ["wrong-secret", "other-socket", "other-channel", "garbled"])
async def test_private_channel_refuses_forged_auth(
    server: ServerProcess, name: Namer, client: Pusher, forgery: str
) -> None:
    channel = name("private-forged-")
    async with await subscriber(server) as sub:
        with Pusher(**server.client_options(secret="not-the-secret")) as wrong:
            auth = {
                "wrong-secret": lambda: wrong.authenticate(channel, sub.socket_id)["auth"],
                "other-socket": lambda: client.authenticate(channel, "1234.5678")["auth"],
                "other-channel": lambda: client.authenticate(channel + "x", sub.socket_id)["auth"],
                "garbled": lambda: client.authenticate(channel, sub.socket_id)["auth"][:-4] + "0000",
            }[forgery]()
        with pytest.raises(SubscriptionRefused) as refused:
            await sub.subscribe(channel, auth)
        # soketi sends pusher:subscription_error, sockudo a (non-fatal) pusher:error
        expected = "pusher:subscription_error" if server.name == "soketi" else "pusher:error"
        assert refused.value.message.event == expected
        client.trigger(channel, "leak", "must not arrive")
        await sub.expect_nothing("leak", channel, within=0.5)


@pytest.mark.asyncio
async def test_presence_channel_and_queries(server: ServerProcess, name: Namer, client: Pusher) -> None:
    channel = name("presence-room-")
    user = {"user_id": name("u-"), "user_info": {"name": "Zoë ✓", "roles": ["admin"]}}
    async with await subscriber(server) as sub, await subscriber(server) as second:
        auth = client.authenticate(channel, sub.socket_id, user)
        assert json.loads(auth["channel_data"]) == user
        succeeded = await sub.subscribe(channel, auth["auth"], auth["channel_data"])
        presence = succeeded.json_data()["presence"]
        assert presence["ids"] == [user["user_id"]]
        assert presence["count"] == 1
        assert presence["hash"][user["user_id"]] == user["user_info"]

        info = client.channel_info(channel, ["user_count"])
        assert info["occupied"] is True
        assert info["user_count"] == 1
        assert client.users_info(channel) == {"users": [{"id": user["user_id"]}]}
        listed = await eventually(
            lambda: client.channels_info(prefix_filter="presence-", attributes=["user_count"]),
            lambda result: channel in result["channels"],
        )
        assert channel in listed["channels"]
        assert all(listed_name.startswith("presence-") for listed_name in listed["channels"])

        other = {"user_id": name("u2-")}
        auth = client.authenticate(channel, second.socket_id, other)
        await second.subscribe(channel, auth["auth"], auth["channel_data"])
        added = await sub.expect("pusher_internal:member_added", channel)
        assert added.json_data()["user_id"] == other["user_id"]
        both = sorted([user["user_id"], other["user_id"]])
        users = await eventually(
            lambda: client.users_info(channel), lambda result: sorted(u["id"] for u in result["users"]) == both
        )
        assert sorted(u["id"] for u in users["users"]) == both
        await second.close()
        removed = await sub.expect("pusher_internal:member_removed", channel)
        assert removed.json_data()["user_id"] == other["user_id"]


@pytest.mark.asyncio
async def test_presence_user_count_in_channel_list(server: ServerProcess, name: Namer, client: Pusher) -> None:
    skip_on_soketi(server, SOKETI_NO_USER_COUNT_IN_LIST)
    channel = name("presence-count-")
    async with await subscriber(server) as sub:
        auth = client.authenticate(channel, sub.socket_id, {"user_id": "counted"})
        await sub.subscribe(channel, auth["auth"], auth["channel_data"])
        listed = await eventually(
            lambda: client.channels_info(prefix_filter="presence-", attributes="user_count"),
            lambda result: channel in result["channels"],
        )
        assert listed["channels"][channel] == {"user_count": 1}


@pytest.mark.asyncio
async def test_presence_refuses_channel_data_it_was_not_signed_for(
    server: ServerProcess, name: Namer, client: Pusher
) -> None:
    channel = name("presence-forged-")
    async with await subscriber(server) as sub:
        auth = client.authenticate(channel, sub.socket_id, {"user_id": "honest"})
        with pytest.raises(SubscriptionRefused):
            await sub.subscribe(channel, auth["auth"], json.dumps({"user_id": "impostor"}))


@pytest.mark.asyncio
async def test_every_channel_name_character(server: ServerProcess, name: Namer, client: Pusher) -> None:
    """Names using every allowed punctuation character survive signing, the URL path and the query string."""
    suffix = name("")
    public, private, presence = f"p-_=@,.;{suffix}", f"private-_=@,.;{suffix}", f"presence-_=@,.;{suffix}"
    async with await subscriber(server) as sub:
        await sub.subscribe(public)
        await sub.subscribe(private, client.authenticate(private, sub.socket_id)["auth"])
        auth = client.authenticate(presence, sub.socket_id, {"user_id": "punctuated"})
        await sub.subscribe(presence, auth["auth"], auth["channel_data"])
        client.trigger([public, private, presence], "evt", "x")
        for channel in (public, private, presence):
            assert (await sub.expect("evt", channel)).data == "x"
            assert client.channel_info(channel)["occupied"] is True
        assert client.users_info(presence) == {"users": [{"id": "punctuated"}]}
        listed = await eventually(
            lambda: client.channels_info(prefix_filter="presence-_=@,.;"), lambda result: presence in result["channels"]
        )
        assert presence in listed["channels"]


# ---------------------------------------------------------------------------------------------------------------------
# 6: encrypted channels (the pusher-js side is in test_e2e_pusher_js.py)


def open_envelope(shared_secret_b64: str, data: str) -> bytes:
    envelope = json.loads(data)
    box = nacl.secret.SecretBox(base64.b64decode(shared_secret_b64))
    return box.decrypt(base64.b64decode(envelope["ciphertext"]), base64.b64decode(envelope["nonce"]))


@pytest.mark.asyncio
async def test_encrypted_channel_subscriber_decrypts(server: ServerProcess, name: Namer, client: Pusher) -> None:
    channel = name("private-encrypted-")
    payload = {"card": "**** 4242", "note": "ünïcödé 🚀"}
    async with await subscriber(server) as sub:
        auth = client.authenticate(channel, sub.socket_id)
        assert set(auth) == {"auth", "shared_secret"}
        await sub.subscribe(channel, auth["auth"])
        client.trigger(channel, "sealed", payload)
        client.trigger_batch([{"channel": channel, "name": "sealed-batch", "data": "a str, sealed"}])
        message = await sub.expect("sealed", channel)
        assert "4242" not in message.data  # the server only ever sees ciphertext
        assert json.loads(open_envelope(auth["shared_secret"], message.data)) == payload
        batched = await sub.expect("sealed-batch", channel)
        assert open_envelope(auth["shared_secret"], batched.data) == b"a str, sealed"


# ---------------------------------------------------------------------------------------------------------------------
# 7: users


@pytest.mark.asyncio
async def test_signin_then_send_to_user(server: ServerProcess, name: Namer) -> None:
    user_id = name("user-")
    async with (
        await subscriber(server) as signed_in,
        await subscriber(server) as bystander,
        AsyncPusher(**server.client_options()) as client,
    ):
        auth = client.authenticate_user(signed_in.socket_id, {"id": user_id, "user_info": {"name": "Ådå"}})
        assert json.loads(auth["user_data"])["id"] == user_id
        await signed_in.signin(auth["auth"], auth["user_data"])
        payload = {"private": "for one user ✓"}
        assert await client.send_to_user(user_id, "direct", payload) in TRIGGER_OK
        message = await signed_in.expect("direct", f"#server-to-user-{user_id}")
        assert json.loads(message.data) == payload
        await bystander.expect_nothing("direct", within=0.5)


@pytest.mark.asyncio
async def test_signin_refuses_forged_user_auth(server: ServerProcess, name: Namer, client: Pusher) -> None:
    async with await subscriber(server) as sub:
        auth = client.authenticate_user(sub.socket_id, {"id": name("user-")})
        forged_user_data = json.dumps({"id": "somebody-else"})
        await sub.send("pusher:signin", {"auth": auth["auth"], "user_data": forged_user_data})
        answer = await sub.wait_for(lambda m: m.event in ("pusher:signin_success", "pusher:error"))
        assert answer.event == "pusher:error", answer.raw


@pytest.mark.asyncio
async def test_terminate_user_connections_disconnects(server: ServerProcess, name: Namer) -> None:
    user_id = name("doomed-")
    async with await subscriber(server) as sub, await subscriber(server) as survivor:
        async with AsyncPusher(**server.client_options()) as client:
            auth = client.authenticate_user(sub.socket_id, {"id": user_id})
            await sub.signin(auth["auth"], auth["user_data"])
            assert await client.terminate_user_connections(user_id) in TRIGGER_OK
        answer = await sub.wait_for(lambda m: m.event == "pusher:error", timeout=10)
        assert answer.json_data()["code"] == 4009
        await sub.wait_closed(timeout=10)
        assert not survivor.closed


# ---------------------------------------------------------------------------------------------------------------------
# 8: webhooks


def check_webhook(server: ServerProcess, webhook: ReceivedWebhook, event: dict[str, Any]) -> None:
    """The server's real webhook passes both of our APIs; a tampered copy and a wrong secret fail both."""
    key, signature = webhook.header("X-Pusher-Key"), webhook.header("X-Pusher-Signature")
    assert key == KEY
    assert signature is not None
    with Pusher(**server.client_options()) as client:
        parsed = client.validate_webhook(key, signature, webhook.body)
        assert parsed is not None
        assert event in parsed["events"]

        typed = client.webhook(webhook.headers, webhook.body, max_age=60)
        assert typed.time_ms == parsed["time_ms"]
        assert any(e.name == event["name"] and e.channel == event["channel"] for e in typed.events)

        tampered = webhook.body.replace(event["channel"].encode(), event["channel"].encode() + b"x", 1)
        assert tampered != webhook.body
        assert client.validate_webhook(key, signature, tampered) is None
        with pytest.raises(PusherWebhookError):
            client.webhook(webhook.headers, tampered)

    with Pusher(**server.client_options(secret="not-the-secret")) as wrong:
        assert wrong.validate_webhook(key, signature, webhook.body) is None
        with pytest.raises(PusherWebhookError):
            wrong.webhook(webhook.headers, webhook.body)


async def wait_webhook(
    receiver: WebhookReceiver, server: ServerProcess, **fields: Any
) -> tuple[ReceivedWebhook, dict[str, Any]]:
    def match(event: dict[str, Any]) -> bool:
        return all(event.get(key) == value for key, value in fields.items())

    return await asyncio.to_thread(receiver.wait_for_event, server.webhook_path, match, 15)


@pytest.mark.asyncio
async def test_webhooks_channel_occupied_and_vacated(
    server: ServerProcess, name: Namer, webhook_receiver: WebhookReceiver
) -> None:
    channel = name("hooked-")
    async with await subscriber(server) as sub:
        await sub.subscribe(channel)
        webhook, event = await wait_webhook(webhook_receiver, server, name="channel_occupied", channel=channel)
        check_webhook(server, webhook, event)
        await sub.send("pusher:unsubscribe", {"channel": channel})
        webhook, event = await wait_webhook(webhook_receiver, server, name="channel_vacated", channel=channel)
        check_webhook(server, webhook, event)


@pytest.mark.asyncio
async def test_webhooks_member_added_and_removed(
    server: ServerProcess, name: Namer, client: Pusher, webhook_receiver: WebhookReceiver
) -> None:
    channel, user_id = name("presence-hooked-"), name("member-")
    async with await subscriber(server) as sub:
        auth = client.authenticate(channel, sub.socket_id, {"user_id": user_id})
        await sub.subscribe(channel, auth["auth"], auth["channel_data"])
        webhook, event = await wait_webhook(
            webhook_receiver, server, name="member_added", channel=channel, user_id=user_id
        )
        check_webhook(server, webhook, event)
    webhook, event = await wait_webhook(
        webhook_receiver, server, name="member_removed", channel=channel, user_id=user_id
    )
    check_webhook(server, webhook, event)


@pytest.mark.asyncio
async def test_webhooks_client_event(
    server: ServerProcess, name: Namer, client: Pusher, webhook_receiver: WebhookReceiver
) -> None:
    channel = name("private-chat-")
    async with await subscriber(server) as sub:
        auth = client.authenticate(channel, sub.socket_id)
        await sub.subscribe(channel, auth["auth"])
        await sub.send("client-typing", {"who": "me ✓"}, channel=channel)
        webhook, event = await wait_webhook(
            webhook_receiver, server, name="client_event", channel=channel, event="client-typing"
        )
        check_webhook(server, webhook, event)
        typed = client.webhook(webhook.headers, webhook.body)
        (client_event,) = [e for e in typed.events if e.name == "client_event" and e.channel == channel]
        assert client_event.event == "client-typing"
        assert client_event.socket_id == sub.socket_id
        assert client_event.data is not None
        assert json.loads(client_event.data) == {"who": "me ✓"}


# ---------------------------------------------------------------------------------------------------------------------
# 9: errors


def test_wrong_secret_is_bad_auth(server: ServerProcess, name: Namer) -> None:
    skip_on_soketi(server, SOKETI_NO_401)
    with Pusher(**server.client_options(secret="not-the-secret")) as wrong:
        with pytest.raises(PusherBadAuth) as error:
            wrong.trigger(name("c-"), "evt", "x")
        assert error.value.status == 401
        with pytest.raises(PusherBadAuth):
            wrong.channels_info()


def test_stale_timestamp_is_bad_auth(server: ServerProcess, name: Namer, monkeypatch: pytest.MonkeyPatch) -> None:
    skip_on_soketi(server, SOKETI_NO_TIMESTAMP_CHECK)
    with Pusher(**server.client_options()) as client:
        real_time = time.time
        monkeypatch.setattr(time, "time", lambda: real_time() - 700)  # outside the API's 600 s window
        request = client.prepare.trigger(name("c-"), "evt", "x")
        monkeypatch.undo()
        response = httpx.post(request.url, content=request.body, headers=dict(request.headers), timeout=5)
        assert response.status_code == 401
        # and the same call signed now is accepted
        assert client.trigger(name("c-"), "evt", "x") in TRIGGER_OK


def counting_client(server: ServerProcess, **options: Any) -> tuple[Pusher, list[httpx.Request]]:
    """A client whose every request is recorded, to prove that refused input never left the process."""
    sent: list[httpx.Request] = []
    http_client = httpx.Client(event_hooks={"request": [sent.append]}, timeout=5)
    return Pusher(**server.client_options(**options), http_client=http_client), sent


@pytest.mark.asyncio
async def test_oversize_data_refused_before_sending(server: ServerProcess, name: Namer) -> None:
    channel = name("big-")
    client, sent = counting_client(server)
    async with await subscriber(server) as sub:
        await sub.subscribe(channel)
        with pytest.raises(ValueError, match="10240"):
            client.trigger(channel, "too-big", "x" * 10241)
        with pytest.raises(ValueError, match="10240"):
            client.trigger(channel, "too-big", "é" * 5121)  # 5121 characters, 10242 bytes: the limit is in bytes
        with pytest.raises(ValueError, match="10240"):
            client.trigger(channel, "too-big", {"blob": "é" * 5200})  # 10400+ bytes of UTF-8 once JSON-encoded
        with pytest.raises(ValueError, match="10240"):
            client.trigger_batch([{"channel": channel, "name": "too-big", "data": "x" * 10241}])
        assert sent == []
        await sub.expect_nothing("too-big", within=0.5)
        # the largest allowed payload goes through
        assert client.trigger(channel, "just-fits", "x" * 10240) in TRIGGER_OK
        assert len(sent) == 1
        assert (await sub.expect("just-fits", channel)).data == "x" * 10240


def test_bad_input_refused_before_sending(server: ServerProcess, name: Namer) -> None:
    client, sent = counting_client(server)
    channel = name("ok-")
    bad_calls: list[Callable[[], object]] = [
        lambda: client.trigger("bad channel name!", "evt", "x"),
        lambda: client.trigger([name(f"c{i}-") for i in range(101)], "evt", "x"),
        lambda: client.trigger(channel, "e" * 201, "x"),
        lambda: client.trigger(channel, "evt", "x", socket_id="not-a-socket-id"),
        lambda: client.trigger(channel, "evt", "x", info="everything"),
        lambda: client.trigger([name("private-encrypted-"), channel], "evt", "x"),
        lambda: client.trigger_batch([{"channel": channel, "name": "evt", "data": str(i)} for i in range(11)]),
        lambda: client.trigger_batch([{"channel": channel, "name": "evt"}]),
        lambda: client.send_to_user("", "evt", "x"),
        lambda: client.channel_info("bad channel name!"),
        lambda: client.users_info("#server-to-user-someone"),
        lambda: client.authenticate(name("presence-"), "1.1"),
        lambda: client.authenticate(name("private-"), "not-a-socket-id"),
        lambda: client.authenticate_user("1.1", {"name": "no id"}),
    ]
    for call in bad_calls:
        with pytest.raises((ValueError, TypeError)):
            call()
    assert sent == []
    client.close()


# ---------------------------------------------------------------------------------------------------------------------
# 10: non-numeric app ids


@pytest.mark.asyncio
async def test_non_numeric_app_id(server: ServerProcess, name: Namer) -> None:
    with pytest.raises(ValueError, match="app id"):  # the official SDK refuses the servers' app ids
        official_pusher.Pusher(app_id=APP_ID, key=KEY, secret=SECRET)
    channel = name("named-app-")
    url = f"http://{KEY}:{SECRET}@{server.host}:{server.port}/apps/{APP_ID}"
    with Pusher.from_url(url) as client:
        assert client.app_id == "app-id"
        async with await subscriber(server) as sub:
            await sub.subscribe(channel)
            client.trigger(channel, "evt", "reached app-id")
            assert (await sub.expect("evt", channel)).data == "reached app-id"
            listed = await eventually(client.channels_info, lambda result: channel in result["channels"])
            assert channel in listed["channels"]
