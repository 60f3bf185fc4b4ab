"""Building signed requests: pure, no I/O, shared by the sync and async clients and by bring-your-own-HTTP users."""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pusher_fast import _native
from pusher_fast._config import Config, ensure_text
from pusher_fast._version import __version__
from pusher_fast.validation import (
    MAX_BATCH_SIZE,
    SERVER_TO_USER_PREFIX,
    check_payload_size,
    is_encrypted_channel,
    serialize_data,
    validate_channel,
    validate_channels,
    validate_event_name,
    validate_info,
    validate_socket_id,
    validate_user_id,
)

__all__ = ["PreparedRequest", "RequestBuilder"]

LIBRARY_HEADER = f"pusher-fast {__version__}"
_GET_HEADERS: Mapping[str, str] = {"X-Pusher-Library": LIBRARY_HEADER}
_POST_HEADERS: Mapping[str, str] = {"Content-Type": "application/json", "X-Pusher-Library": LIBRARY_HEADER}
_BATCH_EVENT_KEYS = frozenset({"channel", "name", "data", "socket_id", "info"})


@dataclass(frozen=True)
class PreparedRequest:
    """A signed request, ready to send with any HTTP client: ``method``, ``url``, ``headers`` and ``body``.

    The attribute names follow the official SDK's ``pusher.http.Request``, so custom ``backend=`` classes written for
    it keep working. The signed query string is left out of ``repr()``: it can be replayed for a few minutes.
    """

    method: str
    base_url: str
    path: str
    query_string: str = field(repr=False)
    headers: Mapping[str, str] = field(repr=False)
    body: bytes = field(repr=False)

    @property
    def url(self) -> str:
        return f"{self.base_url}{self.path}?{self.query_string}"

    @property
    def signed_path(self) -> str:
        return f"{self.path}?{self.query_string}"

    @property
    def query_params(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(self.query_string, keep_blank_values=True))


class RequestBuilder:
    """Validates arguments and signs requests for each API call, without sending anything.

    Reach it as ``pusher.prepare``: ``pusher.prepare.trigger("my-channel", "evt", {"a": 1})`` returns the
    :class:`PreparedRequest` that ``pusher.trigger("my-channel", "evt", {"a": 1})`` would send. Parse the response
    you get for it with :func:`pusher_fast.parse_response`.
    """

    __slots__ = ("_config",)

    def __init__(self, config: Config) -> None:
        self._config = config

    def trigger(
        self,
        channels: str | Iterable[str],
        event_name: str,
        data: Any,
        socket_id: str | None = None,
        info: str | Sequence[str] | None = None,
    ) -> PreparedRequest:
        """``POST /apps/{id}/events``: one event on 1 to 100 channels."""
        names = validate_channels(channels)
        event = validate_event_name(event_name)
        payload = self._payload(names, data)
        body: dict[str, Any] = {"name": event, "channels": names, "data": payload}
        if socket_id:
            body["socket_id"] = validate_socket_id(socket_id)
        info_text = validate_info(info)
        if info_text:
            body["info"] = info_text
        return self._post("events", body)

    def send_to_user(self, user_id: str, event_name: str, data: Any) -> PreparedRequest:
        """An event for every connection of one signed-in user (the ``#server-to-user-<id>`` channel)."""
        return self.trigger(SERVER_TO_USER_PREFIX + validate_user_id(user_id), event_name, data)

    def trigger_batch(self, batch: Iterable[Mapping[str, Any]], already_encoded: bool = False) -> PreparedRequest:
        """``POST /apps/{id}/batch_events``: 1 to 10 events, each with its own channel.

        Each event is a mapping with ``channel``, ``name`` and ``data``, and optionally ``socket_id`` and ``info``.
        The caller's mappings are never modified. With ``already_encoded=True`` every ``data`` must already be a str
        (it is then sent as is, as it would be anyway); everything else is still checked.
        """
        if isinstance(batch, (str, bytes, Mapping)) or not isinstance(batch, Iterable):
            raise TypeError("batch should be a list of events (mappings with channel, name and data)")
        events = [self._batch_event(index, event, already_encoded) for index, event in enumerate(batch)]
        if not events:
            raise ValueError("batch must hold at least one event")
        if len(events) > MAX_BATCH_SIZE:
            raise ValueError(f"Too many events in batch: {len(events)}, at most {MAX_BATCH_SIZE} per request")
        return self._post("batch_events", {"batch": events})

    def channels_info(
        self, prefix_filter: str | None = None, attributes: str | Sequence[str] | None = None
    ) -> PreparedRequest:
        """``GET /apps/{id}/channels``: occupied channels, optionally those whose name starts with a prefix."""
        params: list[tuple[str, str]] = []
        if prefix_filter:
            params.append(("filter_by_prefix", _checked_prefix(prefix_filter)))
        info = validate_info(attributes)
        if info:
            params.append(("info", info))
        return self._get("channels", params)

    def channel_info(self, channel: str, attributes: str | Sequence[str] | None = None) -> PreparedRequest:
        """``GET /apps/{id}/channels/{channel}``: whether a channel is occupied, and the requested attributes."""
        name = validate_channel(channel, allow_server_to_user=False)
        info = validate_info(attributes)
        return self._get(f"channels/{name}", [("info", info)] if info else [])

    def users_info(self, channel: str) -> PreparedRequest:
        """``GET /apps/{id}/channels/{channel}/users``: the members of a presence channel."""
        name = validate_channel(channel, allow_server_to_user=False)
        return self._get(f"channels/{name}/users", [])

    def terminate_user_connections(self, user_id: str) -> PreparedRequest:
        """``POST /apps/{id}/users/{user_id}/terminate_connections``: disconnect every connection of a user."""
        return self._post(f"users/{validate_user_id(user_id)}/terminate_connections", {})

    def _payload(self, channels: list[str], data: Any) -> str:
        """The event's ``data`` as sent: serialized, encrypted for an encrypted channel, size-checked."""
        text = serialize_data(data, self._config.json_encoder)
        if any(is_encrypted_channel(name) for name in channels):
            if len(channels) > 1:
                raise ValueError("You cannot trigger to multiple channels when using encrypted channels")
            text = self._encrypt(channels[0], text)
        check_payload_size(text, self._config.max_payload_bytes)
        return text

    def _encrypt(self, channel: str, text: str) -> str:
        master_key = self._config.encryption_master_key
        if master_key is None:
            raise ValueError(
                f"Cannot trigger on encrypted channel {channel}: no encryption master key was configured "
                "(pass encryption_master_key_base64)"
            )
        return _native.encrypt(channel, master_key, text.encode("utf-8"))

    def _batch_event(self, index: int, event: Mapping[str, Any], already_encoded: bool) -> dict[str, Any]:
        if not isinstance(event, Mapping):
            raise TypeError(f"batch event #{index} should be a mapping, not {type(event).__name__}")
        for required in ("channel", "name", "data"):
            if required not in event:
                raise ValueError(f"batch event #{index} has no {required!r}")
        unknown = sorted(str(key) for key in event if key not in _BATCH_EVENT_KEYS)
        if unknown:
            raise ValueError(f"batch event #{index} has unknown key(s) {', '.join(unknown)}")
        if already_encoded and not isinstance(event["data"], str):
            raise TypeError(f"batch event #{index}: already_encoded=True needs str data")
        # Keys keep the caller's order so the body matches the official SDK's byte for byte.
        out: dict[str, Any] = {}
        for key, value in event.items():
            if key == "channel":
                out[key] = validate_channel(value)
            elif key == "name":
                out[key] = validate_event_name(value)
            elif key == "data":
                out[key] = None  # filled in below, once the channel is known
            elif key == "socket_id":
                if value:
                    out[key] = validate_socket_id(value)
            else:
                info = validate_info(value)
                if info:
                    out[key] = info
        try:
            out["data"] = self._payload([out["channel"]], event["data"])
        except ValueError as exc:
            raise ValueError(f"batch event #{index}: {exc}") from None
        return out

    def _post(self, endpoint: str, body: Mapping[str, Any]) -> PreparedRequest:
        # The official SDK's exact outer encoding: default separators, ASCII-escaped. Signatures cover these bytes.
        raw = json.dumps(body).encode("ascii")
        return self._sign("POST", f"/apps/{self._config.app_id}/{endpoint}", [], raw, _POST_HEADERS)

    def _get(self, endpoint: str, params: list[tuple[str, str]]) -> PreparedRequest:
        return self._sign("GET", f"/apps/{self._config.app_id}/{endpoint}", params, None, _GET_HEADERS)

    def _sign(
        self,
        method: str,
        path: str,
        params: list[tuple[str, str]],
        body: bytes | None,
        headers: Mapping[str, str],
    ) -> PreparedRequest:
        config = self._config
        query = _native.sign_request(config.key, config.secret, method, path, params, body, int(time.time()))
        return PreparedRequest(method, config.base_url, path, query, headers, body or b"")


def _checked_prefix(prefix: object) -> str:
    text = ensure_text(prefix, "prefix_filter")
    if not all(ch.isascii() and (ch.isalnum() or ch in "-_=@,.;#") for ch in text):
        raise ValueError(f"Invalid prefix_filter: {text!r} (channel-name characters only)")
    return text
