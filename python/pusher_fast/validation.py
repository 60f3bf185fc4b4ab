"""The checks pusher_fast runs before anything is sent, public so applications can validate input early.

Each function returns the normalised value (``bytes`` decoded as UTF-8) or raises ``ValueError``/``TypeError`` with a
message naming the problem. Messages match the official SDK's where its rule is the same.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from pusher_fast._config import ensure_text

__all__ = [
    "ENCRYPTED_CHANNEL_PREFIX",
    "INFO_ATTRIBUTES",
    "MAX_BATCH_SIZE",
    "MAX_CHANNELS",
    "MAX_CHANNEL_NAME_LENGTH",
    "MAX_EVENT_NAME_LENGTH",
    "MAX_USER_ID_LENGTH",
    "SERVER_TO_USER_PREFIX",
    "check_payload_size",
    "is_encrypted_channel",
    "serialize_data",
    "validate_channel",
    "validate_channels",
    "validate_event_name",
    "validate_info",
    "validate_socket_id",
    "validate_user_id",
]

MAX_CHANNELS = 100
MAX_BATCH_SIZE = 10
MAX_CHANNEL_NAME_LENGTH = 200
MAX_EVENT_NAME_LENGTH = 200
MAX_USER_ID_LENGTH = 200
ENCRYPTED_CHANNEL_PREFIX = "private-encrypted-"
SERVER_TO_USER_PREFIX = "#server-to-user-"
INFO_ATTRIBUTES = frozenset({"user_count", "subscription_count"})

_CHANNEL_RE = re.compile(r"\A[-a-zA-Z0-9_=@,.;]+\Z")
_SERVER_TO_USER_RE = re.compile(r"\A#server-to-user-[-a-zA-Z0-9_=@,.;]+\Z")
# ASCII digits only: the official SDK's Unicode-aware \d lets Arabic-Indic digits through, which servers reject.
_SOCKET_ID_RE = re.compile(r"\A[0-9]+\.[0-9]+\Z")


def is_encrypted_channel(channel: str) -> bool:
    """Whether events on ``channel`` are end-to-end encrypted (the ``private-encrypted-`` prefix)."""
    return channel.startswith(ENCRYPTED_CHANNEL_PREFIX)


def validate_channel(channel: object, *, allow_server_to_user: bool = True) -> str:
    """A channel name: at most 200 characters of ``A-Za-z0-9_-=@,.;``, or ``#server-to-user-<user id>``."""
    name = ensure_text(channel, "channel")
    if len(name) > MAX_CHANNEL_NAME_LENGTH:
        raise ValueError(f"Channel too long: {name[:40]}... ({len(name)} characters, at most 200)")
    if name.startswith(SERVER_TO_USER_PREFIX):
        if not allow_server_to_user:
            raise ValueError(f"Channel should be a valid channel, got: {name}")
        if not _SERVER_TO_USER_RE.match(name):
            raise ValueError(f"Invalid server to user Channel: {name}")
    elif not _CHANNEL_RE.match(name):
        raise ValueError(f"Invalid Channel: {name!r}" if name else "Invalid Channel: the name is empty")
    return name


def validate_channels(channels: object) -> list[str]:
    """One channel name or a collection of 1 to 100 names, each valid."""
    if isinstance(channels, (str, bytes)):
        return [validate_channel(channels)]
    if isinstance(channels, dict) or not isinstance(channels, Iterable):
        raise TypeError("Expected a single or a list of channels")
    names = [validate_channel(channel) for channel in channels]
    if not names:
        raise ValueError("Expected at least one channel, got an empty list")
    if len(names) > MAX_CHANNELS:
        raise ValueError(f"Too many channels: {len(names)}, at most {MAX_CHANNELS} per event")
    return names


def validate_event_name(event_name: object) -> str:
    """An event name: 1 to 200 characters."""
    name = ensure_text(event_name, "event_name")
    if not name:
        raise ValueError("event_name must not be empty")
    if len(name) > MAX_EVENT_NAME_LENGTH:
        raise ValueError(f"event_name too long: {len(name)} characters, at most {MAX_EVENT_NAME_LENGTH}")
    return name


def validate_socket_id(socket_id: object) -> str:
    """A socket id as Pusher hands them out: ``<digits>.<digits>``."""
    text = ensure_text(socket_id, "socket_id")
    if not _SOCKET_ID_RE.match(text):
        raise ValueError(f"Invalid socket ID: {text!r}")
    return text


def validate_user_id(user_id: object) -> str:
    """A user id: 1 to 200 characters of the channel-name alphabet (it becomes part of a channel name)."""
    text = ensure_text(user_id, "user_id")
    if not text:
        raise ValueError("User id is empty")
    if len(text) > MAX_USER_ID_LENGTH:
        raise ValueError(f"User id too long: {len(text)} characters, at most {MAX_USER_ID_LENGTH}")
    if not _CHANNEL_RE.match(text):
        raise ValueError(f"Invalid user id: {text!r}")
    return text


def validate_info(info: object) -> str | None:
    """Channel attributes to return, as one comma-separated string or a sequence of names; ``None`` for none.

    A single string is never split into characters (the official SDK turns ``"user_count"`` into ``"u,s,e,r..."``).
    """
    if info is None:
        return None
    if isinstance(info, (str, bytes)):
        names = [part.strip() for part in ensure_text(info, "info").split(",")]
    elif isinstance(info, (Sequence, set, frozenset)):
        names = [ensure_text(name, "info attribute") for name in info]
    else:
        raise TypeError(f"info should be a string or a list of strings, not {type(info).__name__}")
    names = [name for name in names if name]
    if not names:
        return None
    unknown = sorted(set(names) - INFO_ATTRIBUTES)
    if unknown:
        raise ValueError(f"Unknown info attribute(s) {', '.join(unknown)}; expected user_count or subscription_count")
    return ",".join(dict.fromkeys(names))


def serialize_data(data: Any, json_encoder: type[json.JSONEncoder] | None = None) -> str:
    """Event data as sent: a ``str`` as is, anything else as JSON (the official SDK's spacing, non-ASCII kept)."""
    if isinstance(data, str):
        return data
    if isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("data should be a str or a JSON-serializable value, not bytes; decode it first")
    return json.dumps(data, cls=json_encoder, ensure_ascii=False)


def check_payload_size(data: str, limit: int, *, what: str = "Event data") -> None:
    """Refuse ``data`` whose UTF-8 encoding is longer than ``limit`` bytes (the API answers 413 otherwise)."""
    # len() bounds the byte size from below and above (1 to 4 bytes per character), so most calls never encode.
    if len(data) * 4 <= limit:
        return
    size = len(data.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise ValueError(f"Too much data: {what} is {size} bytes, the limit is {limit}")
