"""Shared, lock-guarded state of a local server: recordings, channel occupancy and injected failures."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ._models import RecordedEvent, RecordedRequest
from ._validation import EventRequest

__all__ = ["Failure", "ServerState"]


@dataclass(frozen=True)
class Failure:
    """A response to give instead of the real one (see ``LocalPusherServer.fail_next``)."""

    status: int
    body: str
    retry_after: float | None


@dataclass(frozen=True)
class _Channel:
    subscription_count: int
    members: tuple[str, ...]


class ServerState:
    """Everything the request handlers share. Every method takes the lock; reads return snapshots."""

    def __init__(self) -> None:
        self._changed = threading.Condition(threading.Lock())
        self._events: list[RecordedEvent] = []
        self._requests: list[RecordedRequest] = []
        self._terminated: list[str] = []
        self._channels: dict[str, _Channel] = {}
        self._failures: deque[Failure] = deque()

    # Recordings.

    def events(self) -> tuple[RecordedEvent, ...]:
        with self._changed:
            return tuple(self._events)

    def requests(self) -> tuple[RecordedRequest, ...]:
        with self._changed:
            return tuple(self._requests)

    def terminated_users(self) -> tuple[str, ...]:
        with self._changed:
            return tuple(self._terminated)

    def record_request(self, request: RecordedRequest) -> None:
        with self._changed:
            self._requests.append(request)

    def record_termination(self, user_id: str) -> None:
        with self._changed:
            self._terminated.append(user_id)

    def clear(self) -> None:
        with self._changed:
            self._events.clear()
            self._requests.clear()
            self._terminated.clear()

    def wait_for_events(self, count: int, timeout: float) -> tuple[RecordedEvent, ...]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self._events) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"expected at least {count} event(s) within {timeout:g} s, got {len(self._events)}"
                    )
                self._changed.wait(remaining)
            return tuple(self._events)

    def publish(self, events: Sequence[EventRequest], endpoint: str) -> list[dict[str, dict[str, int]]]:
        """Record already validated events atomically; return each event's ``info`` attributes per channel."""
        with self._changed:
            results = [
                {channel: self._attributes(channel, event.attributes) for channel in event.channels} for event in events
            ]
            self._events.extend(
                RecordedEvent(
                    name=event.name,
                    channels=event.channels,
                    data=event.data,
                    socket_id=event.socket_id,
                    info=event.info,
                    endpoint=endpoint,
                )
                for event in events
            )
            self._changed.notify_all()
            return results

    # Channels.

    def _attributes(self, channel: str, attributes: Iterable[str]) -> dict[str, int]:
        state = self._channels.get(channel)
        values: dict[str, int] = {}
        # Only presence channels have users to count (a trigger may ask for user_count over any channels).
        presence = channel.startswith("presence-")
        for attribute in attributes:
            if attribute == "user_count" and presence:
                values[attribute] = len(state.members) if state else 0
            elif attribute == "subscription_count":
                values[attribute] = state.subscription_count if state else 0
        return values

    def channel(self, name: str, attributes: Iterable[str]) -> tuple[bool, dict[str, int]]:
        """Whether ``name`` is occupied, and the requested attributes."""
        with self._changed:
            return name in self._channels, self._attributes(name, attributes)

    def occupied_channels(self, prefix: str, attributes: Iterable[str]) -> dict[str, dict[str, int]]:
        wanted = tuple(attributes)
        with self._changed:
            return {name: self._attributes(name, wanted) for name in sorted(self._channels) if name.startswith(prefix)}

    def members(self, channel: str) -> tuple[str, ...]:
        with self._changed:
            state = self._channels.get(channel)
            return state.members if state else ()

    def set_channel(self, name: str, subscription_count: int) -> None:
        with self._changed:
            previous = self._channels.get(name)
            members = previous.members if previous else ()
            self._channels[name] = _Channel(subscription_count=subscription_count, members=members)

    def set_presence_members(self, channel: str, user_ids: Sequence[str]) -> None:
        # A user with several connections is one member.
        members = tuple(dict.fromkeys(user_ids))
        with self._changed:
            if members:
                self._channels[channel] = _Channel(subscription_count=len(members), members=members)
            else:
                self._channels.pop(channel, None)

    def remove_channel(self, name: str) -> None:
        with self._changed:
            self._channels.pop(name, None)

    # Injected failures.

    def add_failures(self, failure: Failure, count: int) -> None:
        with self._changed:
            self._failures.extend([failure] * count)

    def take_failure(self) -> Failure | None:
        with self._changed:
            return self._failures.popleft() if self._failures else None
