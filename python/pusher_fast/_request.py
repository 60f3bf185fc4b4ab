"""Building signed requests: pure, no I/O, shared by the sync and async clients and by bring-your-own-HTTP users.

Events are validated, serialized, encrypted and signed by the Rust core in one call per request
(:class:`pusher_fast._native.Signer`); the rest of the API signs with :func:`pusher_fast._native.sign_request`.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pusher_fast import _native
from pusher_fast._config import Config, ensure_text
from pusher_fast._version import __version__
from pusher_fast.validation import (
    SERVER_TO_USER_PREFIX,
    validate_channel,
    validate_channel_attributes,
    validate_channels_attributes,
    validate_user_id,
)

__all__ = ["PreparedRequest", "RequestBuilder", "make_signer"]

LIBRARY_HEADER = f"pusher-fast {__version__}"
_GET_HEADERS: Mapping[str, str] = {"X-Pusher-Library": LIBRARY_HEADER}
_POST_HEADERS: Mapping[str, str] = {"Content-Type": "application/json", "X-Pusher-Library": LIBRARY_HEADER}


PreparedRequest = _native.PreparedRequest
"""A signed request, ready to send with any HTTP client: ``method``, ``url``, ``headers`` and ``body``.

Built in Rust by the request builders. The attribute names follow the official SDK's ``pusher.http.Request``
(``method``, ``base_url``, ``path``, ``query_string``, ``query_params``, ``headers``, ``body``, ``url``,
``signed_path``), so custom ``backend=`` classes written for it keep working; ``repr()`` leaves out the signed query
string, which can be replayed for a few minutes.
"""


def make_signer(config: Config) -> _native.Signer:
    """The Rust request builder and signer of one client."""
    return _native.Signer(
        config.app_id,
        config.key,
        config.secret,
        config.encryption_master_key,
        config.max_payload_bytes,
        functools.partial(json.dumps, cls=config.json_encoder, ensure_ascii=False),
        functools.partial(json.dumps, cls=config.json_encoder),
        config.json_encoder is not None,
        config.base_url,
        _POST_HEADERS,
    )


class RequestBuilder:
    """Validates arguments and signs requests for each API call, without sending anything.

    Reach it as ``pusher.prepare``: ``pusher.prepare.trigger("my-channel", "evt", {"a": 1})`` returns the
    :class:`PreparedRequest` that ``pusher.trigger("my-channel", "evt", {"a": 1})`` would send. Parse the response
    you get for it with :func:`pusher_fast.parse_response`.
    """

    __slots__ = ("_base_url", "_config", "_signer")

    def __init__(self, config: Config, signer: _native.Signer) -> None:
        self._config = config
        self._base_url = config.base_url
        self._signer = signer

    def trigger(
        self,
        channels: str | Iterable[str],
        event_name: str,
        data: Any,
        socket_id: str | None = None,
        info: str | Sequence[str] | None = None,
    ) -> PreparedRequest:
        """``POST /apps/{id}/events``: one event on 1 to 100 channels.

        ``data`` is sent as is when it is a str, as JSON otherwise (the official SDK's format); on a
        ``private-encrypted-`` channel it is encrypted first, and the size limit applies to what is sent.
        """
        return self._signer.trigger(channels, event_name, data, socket_id, info)

    def send_to_user(self, user_id: str, event_name: str, data: Any) -> PreparedRequest:
        """An event for every connection of one signed-in user (the ``#server-to-user-<id>`` channel)."""
        return self.trigger(SERVER_TO_USER_PREFIX + validate_user_id(user_id), event_name, data)

    def trigger_batch(self, batch: Iterable[Mapping[str, Any]], already_encoded: bool = False) -> PreparedRequest:
        """``POST /apps/{id}/batch_events``: 1 to 10 events, each with its own channel.

        Each event is a mapping with ``channel``, ``name`` and ``data``, and optionally ``socket_id`` and ``info``.
        The caller's mappings are never modified. With ``already_encoded=True`` every ``data`` must already be a str
        (it is then sent as is, as it would be anyway); everything else is still checked.
        """
        return self._signer.batch(batch, already_encoded)

    def sign_bodies(self, endpoint: str, bodies: Iterable[bytes]) -> list[PreparedRequest]:
        """Sign already serialized bodies for ``POST /apps/{id}/{endpoint}`` (``events`` or ``batch_events``).

        For pipelines that build their own JSON and send with their own HTTP client at volume: each body is signed
        as it is, without validation (the API checks it), many at a time in Rust without the GIL.
        """
        body_list = list(bodies)
        path, queries = self._signer.sign_posts(endpoint, body_list, int(time.time()))
        base_url = self._base_url
        return [
            PreparedRequest("POST", base_url, path, query, _POST_HEADERS, body)
            for query, body in zip(queries, body_list)
        ]

    def channels_info(
        self, prefix_filter: str | None = None, attributes: str | Sequence[str] | None = None
    ) -> PreparedRequest:
        """``GET /apps/{id}/channels``: occupied channels, optionally those whose name starts with a prefix."""
        params: list[tuple[str, str]] = []
        prefix = _checked_prefix(prefix_filter) if prefix_filter else ""
        if prefix:
            params.append(("filter_by_prefix", prefix))
        info = validate_channels_attributes(attributes, prefix)
        if info:
            params.append(("info", info))
        return self._get("channels", params)

    def channel_info(self, channel: str, attributes: str | Sequence[str] | None = None) -> PreparedRequest:
        """``GET /apps/{id}/channels/{channel}``: whether a channel is occupied, and the requested attributes."""
        name = validate_channel(channel, allow_server_to_user=False)
        info = validate_channel_attributes(attributes, name)
        return self._get(f"channels/{name}", [("info", info)] if info else [])

    def users_info(self, channel: str) -> PreparedRequest:
        """``GET /apps/{id}/channels/{channel}/users``: the members of a presence channel."""
        name = validate_channel(channel, allow_server_to_user=False)
        return self._get(f"channels/{name}/users", [])

    def terminate_user_connections(self, user_id: str) -> PreparedRequest:
        """``POST /apps/{id}/users/{user_id}/terminate_connections``: disconnect every connection of a user."""
        return self._sign("POST", f"users/{validate_user_id(user_id)}/terminate_connections", [], b"{}")

    def _get(self, endpoint: str, params: list[tuple[str, str]]) -> PreparedRequest:
        return self._sign("GET", endpoint, params, None)

    def _sign(self, method: str, endpoint: str, params: list[tuple[str, str]], body: bytes | None) -> PreparedRequest:
        config = self._config
        path = f"/apps/{config.app_id}/{endpoint}"
        query = _native.sign_request(config.key, config.secret, method, path, params, body, int(time.time()))
        headers = _GET_HEADERS if body is None else _POST_HEADERS
        return PreparedRequest(method, self._base_url, path, query, headers, body or b"")


def _checked_prefix(prefix: object) -> str:
    text = ensure_text(prefix, "prefix_filter")
    _native.check_prefix_filter(text)
    return text
