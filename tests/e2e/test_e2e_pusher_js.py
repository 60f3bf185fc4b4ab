"""pusher-js, the official JS client (npm ``pusher-js`` 8.6.0, Node build), against both servers with our auth.

The test plays the app's auth endpoint: pusher-js asks it for channel authorization and user authentication, and
gets exactly what pusher_fast's ``authenticate`` and ``authenticate_user`` return. pusher-js then decrypts our
end-to-end encrypted events with the ``shared_secret`` we gave it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from pusher_fast import Pusher

from .harness import KEY, ServerProcess
from .pusherjs import PusherJs

pytestmark = pytest.mark.e2e

Namer = Callable[[str], str]


async def subscribed(js: PusherJs, channel: str) -> None:
    outcome = await js.wait_for(
        lambda line: line.get("channel") == channel and line["type"] in ("subscribed", "subscription_error")
    )
    assert outcome["type"] == "subscribed", outcome


@pytest.mark.asyncio
async def test_pusher_js_decrypts_our_encrypted_events(server: ServerProcess, name: Namer, client: Pusher) -> None:
    channel = name("private-encrypted-js-")
    async with await PusherJs.start(server.host, server.port, KEY) as js:
        await js.expect("connected")
        await js.send({"type": "subscribe", "channel": channel})
        request = await js.expect("channel_auth_request", channel=channel)
        payload = client.authenticate(channel, request["socket_id"])
        assert set(payload) == {"auth", "shared_secret"}
        await js.send({"type": "channel_auth", "channel": channel, "payload": payload})
        await subscribed(js, channel)

        events: dict[str, Any] = {
            "sealed-object": {"pin": "1234", "text": "ünïcödé 🚀", "nested": {"list": [1, None, True]}},
            "sealed-str": "a plain str ✓",
        }
        for event, data in events.items():
            client.trigger(channel, event, data)
        client.trigger_batch([{"channel": channel, "name": "sealed-batch", "data": {"from": "batch"}}])
        events["sealed-batch"] = {"from": "batch"}
        for event, data in events.items():
            received = await js.expect("event", channel=channel, event=event)
            assert received["data"] == data


@pytest.mark.asyncio
async def test_pusher_js_private_and_presence_with_our_auth(server: ServerProcess, name: Namer, client: Pusher) -> None:
    private, presence = name("private-js-"), name("presence-js-")
    member = {"user_id": name("js-user-"), "user_info": {"name": "Jö"}}
    async with await PusherJs.start(server.host, server.port, KEY) as js:
        await js.expect("connected")
        for channel, custom_data in ((private, None), (presence, member)):
            await js.send({"type": "subscribe", "channel": channel})
            request = await js.expect("channel_auth_request", channel=channel)
            payload = client.authenticate(channel, request["socket_id"], custom_data)
            await js.send({"type": "channel_auth", "channel": channel, "payload": payload})
            await subscribed(js, channel)
        client.trigger([private, presence], "hello", {"to": "both"})
        for channel in (private, presence):
            assert (await js.expect("event", channel=channel, event="hello"))["data"] == {"to": "both"}
        assert client.users_info(presence) == {"users": [{"id": member["user_id"]}]}


@pytest.mark.asyncio
async def test_pusher_js_signin_and_send_to_user(server: ServerProcess, name: Namer, client: Pusher) -> None:
    user_id = name("js-signed-")
    async with await PusherJs.start(server.host, server.port, KEY) as js:
        await js.expect("connected")
        await js.send({"type": "signin"})
        request = await js.expect("user_auth_request")
        payload = client.authenticate_user(request["socket_id"], {"id": user_id, "user_info": {"plan": "pro"}})
        await js.send({"type": "user_auth", "payload": payload})
        await js.expect("signin_success")
        client.send_to_user(user_id, "direct", {"note": "only you ✓"})
        received = await js.expect("user_event", event="direct")
        assert received["data"] == {"note": "only you ✓"}
        assert json.loads(payload["user_data"])["id"] == user_id
