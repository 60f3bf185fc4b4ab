"""A Pusher Channels WebSocket client (protocol 7) for the end-to-end suite, on PyPI ``websockets`` (asyncio).

It speaks the client side of the protocol: connection_established, subscribe (public, private, presence, encrypted),
signin, client events, ping/pong, and collects everything the server sends so tests can wait for a message with a
timeout. Auth payloads are given to it; it never signs anything itself, so what the server accepts is what
pusher_fast produced.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class Message:
    """One message from the server. ``data`` is as sent: server-to-client data is usually a JSON-encoded string."""

    event: str
    channel: str | None
    data: Any
    raw: str

    def json_data(self) -> Any:
        """``data`` decoded once more when it is a JSON string (the protocol's double encoding)."""
        if isinstance(self.data, str):
            try:
                return json.loads(self.data)
            except ValueError:
                return self.data
        return self.data


class SubscriptionRefused(Exception):
    """The server answered a subscribe with pusher:subscription_error or pusher:error."""

    def __init__(self, message: Message) -> None:
        super().__init__(f"{message.event}: {message.raw}")
        self.message = message


class Subscriber:
    """One connection. Use ``async with await Subscriber.connect(url) as sub:`` or call :meth:`close`."""

    def __init__(self, websocket: ClientConnection) -> None:
        self._ws = websocket
        self._messages: list[Message] = []
        self._consumed: set[int] = set()
        self._arrived = asyncio.Event()
        self._reader = asyncio.get_running_loop().create_task(self._read())
        self.socket_id = ""
        self.activity_timeout: int | None = None
        self.close_code: int | None = None

    @classmethod
    async def connect(cls, url: str, timeout: float = DEFAULT_TIMEOUT) -> Subscriber:
        websocket = await asyncio.wait_for(connect(url, open_timeout=timeout, close_timeout=2), timeout)
        subscriber = cls(websocket)
        try:
            established = await subscriber.expect("pusher:connection_established", timeout=timeout)
        except BaseException:
            await subscriber.close()
            raise
        details = established.json_data()
        subscriber.socket_id = details["socket_id"]
        subscriber.activity_timeout = details.get("activity_timeout")
        return subscriber

    async def __aenter__(self) -> Subscriber:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _read(self) -> None:
        try:
            async for raw in self._ws:
                text = raw if isinstance(raw, str) else raw.decode("utf-8")
                frame = json.loads(text)
                message = Message(frame.get("event", ""), frame.get("channel"), frame.get("data"), text)
                if message.event == "pusher:ping":
                    await self._ws.send(json.dumps({"event": "pusher:pong", "data": {}}))
                self._messages.append(message)
                self._arrived.set()
        except ConnectionClosed:
            pass
        finally:
            self.close_code = self._ws.close_code
            self._arrived.set()

    @property
    def closed(self) -> bool:
        return self._reader.done()

    @property
    def messages(self) -> list[Message]:
        return list(self._messages)

    async def send(self, event: str, data: Any, channel: str | None = None) -> None:
        frame: dict[str, Any] = {"event": event, "data": data}
        if channel is not None:
            frame["channel"] = channel
        await self._ws.send(json.dumps(frame))

    async def wait_for(self, match: Callable[[Message], bool], timeout: float = DEFAULT_TIMEOUT) -> Message:
        """The first message not yet returned that ``match`` accepts; TimeoutError after ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for index, message in enumerate(self._messages):
                if index not in self._consumed and match(message):
                    self._consumed.add(index)
                    return message
            if self.closed:
                raise ConnectionError(f"connection closed ({self.close_code}) while waiting; got {self._summary()}")
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"no matching message within {timeout} s; got {self._summary()}")
            self._arrived.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)

    async def expect(self, event: str, channel: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> Message:
        return await self.wait_for(
            lambda m: m.event == event and (channel is None or m.channel == channel), timeout=timeout
        )

    async def expect_nothing(self, event: str, channel: str | None = None, within: float = 1.0) -> None:
        """Assert that no ``event`` arrives (on ``channel``) for ``within`` seconds."""
        try:
            message = await self.expect(event, channel, timeout=within)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected {event} on {channel}: {message.raw}")

    async def subscribe(
        self,
        channel: str,
        auth: str | None = None,
        channel_data: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Message:
        """Subscribe and wait for the answer: the subscription_succeeded message, or SubscriptionRefused."""
        data: dict[str, Any] = {"channel": channel}
        if auth is not None:
            data["auth"] = auth
        if channel_data is not None:
            data["channel_data"] = channel_data
        await self.send("pusher:subscribe", data)

        def answer(message: Message) -> bool:
            if message.event in ("pusher_internal:subscription_succeeded", "pusher:subscription_error"):
                return message.channel == channel
            return message.event == "pusher:error"

        message = await self.wait_for(answer, timeout=timeout)
        if message.event != "pusher_internal:subscription_succeeded":
            raise SubscriptionRefused(message)
        return message

    async def signin(self, auth: str, user_data: str, timeout: float = DEFAULT_TIMEOUT) -> Message:
        """``pusher:signin`` with a payload from an auth endpoint; the pusher:signin_success message."""
        await self.send("pusher:signin", {"auth": auth, "user_data": user_data})
        message = await self.wait_for(lambda m: m.event in ("pusher:signin_success", "pusher:error"), timeout)
        if message.event != "pusher:signin_success":
            raise AssertionError(f"signin refused: {message.raw}")
        return message

    async def wait_closed(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        await asyncio.wait_for(asyncio.shield(self._reader), timeout)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._ws.close(), 3)
        self._reader.cancel()
        with contextlib.suppress(BaseException):
            await self._reader

    def _summary(self) -> str:
        return repr([message.raw[:200] for message in self._messages][-10:])
