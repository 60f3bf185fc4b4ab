"""Validation of API request bodies and parameters, with the same limits as the Channels HTTP API.

The checks are written independently of the client's (this server is an oracle for it), except two kinds of rule
that come from the one source the client uses too: the numeric limits (:mod:`pusher_fast.validation`) and which
channel attributes each endpoint offers (the Rust core's ``InfoScope``), so that the client never accepts what this
server refuses.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from pusher_fast import _native
from pusher_fast.validation import MAX_CHANNEL_NAME_LENGTH, MAX_EVENT_NAME_LENGTH, MAX_USER_ID_LENGTH

__all__ = [
    "PRESENCE_PREFIX",
    "ApiError",
    "EventRequest",
    "Limits",
    "channel_name_error",
    "is_presence",
    "parse_event",
    "parse_info",
    "parse_json_object",
    "user_id_error",
]

PRESENCE_PREFIX = "presence-"
SERVER_TO_USER_PREFIX = "#server-to-user-"

_NAME_CHARS_RE = re.compile(r"[-a-zA-Z0-9_=@,.;]+")
_SOCKET_ID_RE = re.compile(r"[0-9]+\.[0-9]+")


class ApiError(Exception):
    """An error answered with ``status`` and the plain-text ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Limits:
    max_payload_bytes: int
    max_channels: int
    max_batch_size: int


@dataclass(frozen=True)
class EventRequest:
    """A validated event; ``attributes`` is ``info`` split into attribute names."""

    name: str
    channels: tuple[str, ...]
    data: str
    socket_id: str | None
    info: str | None
    attributes: tuple[str, ...]


def is_presence(channel: str) -> bool:
    return channel.startswith(PRESENCE_PREFIX)


def channel_name_error(name: str) -> str | None:
    """Why ``name`` is not a valid channel name, or ``None`` if it is."""
    if not name:
        return "channel name is empty"
    if len(name) > MAX_CHANNEL_NAME_LENGTH:
        return f"channel name is longer than {MAX_CHANNEL_NAME_LENGTH} characters"
    rest = name[len(SERVER_TO_USER_PREFIX) :] if name.startswith(SERVER_TO_USER_PREFIX) else name
    if not _NAME_CHARS_RE.fullmatch(rest):
        return f"invalid channel name {name!r} (allowed characters: A-Z a-z 0-9 _ - = @ , . ;)"
    return None


def user_id_error(user_id: str) -> str | None:
    """Why ``user_id`` is not a valid user id, or ``None`` if it is."""
    if not user_id:
        return "user id is empty"
    if len(user_id) > MAX_USER_ID_LENGTH:
        return f"user id is longer than {MAX_USER_ID_LENGTH} characters"
    if not _NAME_CHARS_RE.fullmatch(user_id):
        return f"invalid user id {user_id!r} (allowed characters: A-Z a-z 0-9 _ - = @ , . ;)"
    return None


def parse_info(value: str, scope: _native.InfoScope, target: str = "", *, where: str = "") -> tuple[str, ...]:
    """Split a comma-separated ``info`` value, refusing attributes ``scope`` does not offer for ``target`` (a prefix
    filter or a channel); duplicates collapse."""
    attributes = tuple(dict.fromkeys(value.split(",")))
    try:
        _native.check_info_attributes(list(attributes), scope, target)
    except ValueError as error:
        raise ApiError(400, f"{where}{error}") from None
    return attributes


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


def parse_json_object(body: bytes, what: str = "request body") -> dict[str, object]:
    """Parse ``body`` as UTF-8 JSON holding an object (NaN and Infinity are rejected)."""
    try:
        value: object = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ApiError(400, f"{what} is not valid UTF-8 JSON") from None
    if not isinstance(value, dict):
        raise ApiError(400, f"{what} must be a JSON object")
    return value


def _optional_str(event: dict[str, object], field: str, where: str) -> str | None:
    if field not in event:
        return None
    value = event[field]
    if not isinstance(value, str):
        raise ApiError(400, f"{where}{field} must be a string")
    return value


def _channel(value: object, where: str, field: str) -> str:
    if not isinstance(value, str):
        raise ApiError(400, f"{where}{field} must be a string")
    error = channel_name_error(value)
    if error is not None:
        raise ApiError(400, f"{where}{error}")
    return value


def _channels(event: dict[str, object], limits: Limits, *, batch: bool, where: str) -> tuple[str, ...]:
    if batch:
        if "channel" not in event:
            raise ApiError(400, f"{where}missing channel")
        return (_channel(event["channel"], where, "channel"),)
    if "channels" in event and "channel" in event:
        raise ApiError(400, f"{where}give either channels or channel, not both")
    if "channel" in event:
        return (_channel(event["channel"], where, "channel"),)
    if "channels" not in event:
        raise ApiError(400, f"{where}missing channels (or channel)")
    channels = event["channels"]
    if not isinstance(channels, list):
        raise ApiError(400, f"{where}channels must be a list of strings")
    if not channels:
        raise ApiError(400, f"{where}channels must not be empty")
    if len(channels) > limits.max_channels:
        raise ApiError(400, f"{where}too many channels: {len(channels)} (max {limits.max_channels})")
    return tuple(_channel(channel, where, "channels[]") for channel in channels)


def parse_event(value: object, limits: Limits, *, batch: bool, where: str = "") -> EventRequest:
    """Validate one event of a trigger (``batch=False``) or of a batch. ``where`` prefixes error messages."""
    if not isinstance(value, dict):
        raise ApiError(400, f"{where}event must be a JSON object")
    event: dict[str, object] = value

    name = event.get("name")
    if not isinstance(name, str):
        raise ApiError(400, f"{where}missing name" if name is None else f"{where}name must be a string")
    if not name:
        raise ApiError(400, f"{where}name must not be empty")
    if len(name) > MAX_EVENT_NAME_LENGTH:
        raise ApiError(400, f"{where}name is longer than {MAX_EVENT_NAME_LENGTH} characters")

    if "data" not in event:
        raise ApiError(400, f"{where}missing data")
    data = event["data"]
    if not isinstance(data, str):
        raise ApiError(400, f"{where}data must be a string (encode objects as JSON text first)")

    channels = _channels(event, limits, batch=batch, where=where)

    socket_id = _optional_str(event, "socket_id", where)
    if socket_id is not None and not _SOCKET_ID_RE.fullmatch(socket_id):
        raise ApiError(400, f"{where}invalid socket_id {socket_id!r} (expected digits.digits)")

    info = _optional_str(event, "info", where)
    attributes: tuple[str, ...] = ()
    if info is not None:
        attributes = parse_info(info, _native.InfoScope.EVENT, where=where)

    size = len(data.encode("utf-8", "surrogatepass"))
    if size > limits.max_payload_bytes:
        raise ApiError(413, f"{where}data is {size} bytes, over the limit of {limits.max_payload_bytes} bytes")

    return EventRequest(name=name, channels=channels, data=data, socket_id=socket_id, info=info, attributes=attributes)
