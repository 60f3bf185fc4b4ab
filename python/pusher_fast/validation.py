"""The checks pusher_fast runs before anything is sent, public so applications can validate input early.

The limits, prefixes and the channel-name alphabet are the Rust core's own (one definition for every check). Each
function returns the normalised value (``bytes`` decoded as UTF-8) or raises ``ValueError``/``TypeError`` with a
message naming the problem. Messages match the official SDK's where its rule is the same.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sized

from pusher_fast import _native
from pusher_fast._config import ensure_text
from pusher_fast._native import (
    CHANNEL_NAME_CHARACTERS,
    DEFAULT_MAX_PAYLOAD_BYTES,
    ENCRYPTED_CHANNEL_PREFIX,
    INFO_ATTRIBUTES,
    MAX_BATCH_SIZE,
    MAX_CHANNEL_NAME_LENGTH,
    MAX_CHANNELS,
    MAX_EVENT_NAME_LENGTH,
    MAX_RESPONSE_BODY_BYTES,
    MAX_USER_ID_LENGTH,
    PRESENCE_CHANNEL_PREFIX,
    SERVER_TO_USER_PREFIX,
)

__all__ = [
    "CHANNEL_NAME_CHARACTERS",
    "DEFAULT_MAX_PAYLOAD_BYTES",
    "ENCRYPTED_CHANNEL_PREFIX",
    "INFO_ATTRIBUTES",
    "MAX_BATCH_SIZE",
    "MAX_CHANNELS",
    "MAX_CHANNEL_NAME_LENGTH",
    "MAX_EVENT_NAME_LENGTH",
    "MAX_RESPONSE_BODY_BYTES",
    "MAX_USER_ID_LENGTH",
    "PRESENCE_CHANNEL_PREFIX",
    "SERVER_TO_USER_PREFIX",
    "check_payload_size",
    "is_encrypted_channel",
    "validate_channel",
    "validate_channel_attributes",
    "validate_channels",
    "validate_channels_attributes",
    "validate_event_name",
    "validate_info",
    "validate_socket_id",
    "validate_user_id",
]


def is_encrypted_channel(channel: str) -> bool:
    """Whether events on ``channel`` are end-to-end encrypted (the ``private-encrypted-`` prefix)."""
    return channel.startswith(ENCRYPTED_CHANNEL_PREFIX)


def validate_channel(channel: object, *, allow_server_to_user: bool = True) -> str:
    """A channel name: at most 200 characters of ``A-Za-z0-9_-=@,.;``, or ``#server-to-user-<user id>``."""
    name = ensure_text(channel, "channel")
    _native.check_channel(name, allow_server_to_user)
    return name


def validate_channels(channels: object) -> list[str]:
    """One channel name or a collection of 1 to 100 names, each valid.

    Of an iterator, at most one name past the limit is read, so an endless one is refused rather than read forever.
    """
    if isinstance(channels, (str, bytes)):
        return [validate_channel(channels)]
    if isinstance(channels, dict) or not isinstance(channels, Iterable):
        raise TypeError("Expected a single or a list of channels")
    if isinstance(channels, Sized):
        names = [validate_channel(channel) for channel in channels]
    else:
        names = [validate_channel(channel) for channel in itertools.islice(channels, MAX_CHANNELS + 1)]
        if len(names) > MAX_CHANNELS:
            raise ValueError(f"Too many channels: more than {MAX_CHANNELS}, at most {MAX_CHANNELS} per event")
    _native.check_channel_count(len(names))
    return names


def validate_event_name(event_name: object) -> str:
    """An event name: 1 to 200 characters."""
    name = ensure_text(event_name, "event_name")
    _native.check_event_name(name)
    return name


def validate_socket_id(socket_id: object) -> str:
    """A socket id as Pusher hands them out: ``<digits>.<digits>`` (ASCII digits only)."""
    text = ensure_text(socket_id, "socket_id")
    _native.check_socket_id(text)
    return text


def validate_user_id(user_id: object) -> str:
    """A user id: 1 to 200 characters of the channel-name alphabet (it becomes part of a channel name)."""
    text = ensure_text(user_id, "user_id")
    _native.check_user_id(text)
    return text


def validate_info(info: object) -> str | None:
    """The ``info`` of a trigger or batch event: ``user_count`` and/or ``subscription_count``, normalised to ``"a,b"``.

    Give one comma-separated string or a sequence of names; ``None`` for none. A single string is never split into
    characters (the official SDK turns ``"user_count"`` into ``"u,s,e,r..."``).
    """
    return _native.normalize_info(info)


def validate_channels_attributes(attributes: object, prefix_filter: str = "") -> str | None:
    """The ``attributes`` of ``channels_info``: only ``user_count``, and only with a ``presence-`` ``prefix_filter``."""
    return _native.normalize_info(attributes, _native.InfoScope.CHANNEL_LIST, prefix_filter)


def validate_channel_attributes(attributes: object, channel: str) -> str | None:
    """The ``attributes`` of ``channel_info``: ``user_count`` for a presence channel, ``subscription_count`` else."""
    return _native.normalize_info(attributes, _native.InfoScope.CHANNEL, channel)


def check_payload_size(data: str, limit: int) -> None:
    """Refuse ``data`` whose UTF-8 encoding is longer than ``limit`` bytes (the API answers 413 otherwise)."""
    _native.check_payload_size(data, limit)
