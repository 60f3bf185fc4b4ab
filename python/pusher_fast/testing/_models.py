"""Immutable records of what the local server saw."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypedDict

__all__ = ["ClientOptions", "RecordedEvent", "RecordedRequest", "WebhookRequest"]


class ClientOptions(TypedDict):
    """Keyword arguments for ``Pusher(**options)`` (or ``AsyncPusher``) that point a client at a local server."""

    app_id: str
    key: str
    secret: str
    host: str
    port: int
    ssl: bool


@dataclass(frozen=True)
class RecordedEvent:
    """One accepted event, as the server received it.

    A trigger to several channels is one event with several ``channels``; each item of a batch is its own event with
    a single channel. ``endpoint`` is ``"events"`` or ``"batch_events"``.
    """

    name: str
    channels: tuple[str, ...]
    data: str
    socket_id: str | None
    info: str | None
    endpoint: str


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request the server handled, accepted or rejected.

    ``path`` is the request path as sent, without the query string. ``query`` holds the percent-decoded query
    parameters (auth parameters included; the last value wins if a name repeats). ``headers`` has lower-cased names
    (repeated headers joined with ``", "``). ``body`` is the raw request body (empty when it was over the 1 MiB limit
    and discarded). ``status`` and ``response`` are what was sent back.
    """

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes
    status: int
    response: bytes


@dataclass(frozen=True)
class WebhookRequest:
    """A signed webhook as Channels would POST it: give ``headers`` and ``body`` to your framework's test client.

    ``headers`` holds ``Content-Type``, ``X-Pusher-Key`` and ``X-Pusher-Signature``; ``body`` is the raw JSON.
    """

    headers: Mapping[str, str]
    body: bytes
