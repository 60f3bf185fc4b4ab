"""Your app's auth endpoints as one-liners in any web framework.

pusher-js asks two endpoints of your app before it lets a user in: the channel-authorization endpoint (when it
subscribes to a ``private-``, ``private-encrypted-`` or ``presence-`` channel) and the user-authentication endpoint
(``pusher.signin()``). Both get a POST with an ``application/x-www-form-urlencoded`` body: ``socket_id`` and
``channel_name`` for a channel, ``socket_id`` alone for sign-in, plus any ``params`` configured in pusher-js. The
functions here read that body, check it, ask your app's decision and return what to answer::

    @app.post("/pusher/auth")                          # Flask
    def pusher_auth():
        user = current_user()
        answer = channel_auth_response(
            pusher, request.get_data(),
            may_join=lambda channel: user is not None and user.may_join(channel),
            member=None if user is None else {"user_id": user.id, "user_info": {"name": user.name}},
        )
        return answer.body, answer.status, answer.headers

The answer is 200 with the auth JSON, 400 (``{"error": ...}``) for a malformed request, or 403 when your app
refuses. Nothing the client sends makes these functions raise; they raise only for the app's own mistakes (member or
user data without an id, an encrypted channel the app allowed without an encryption master key configured).
Responses never contain the app's secret or echo what the client sent.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, Union
from urllib.parse import parse_qsl

from pusher_fast.validation import PRESENCE_CHANNEL_PREFIX, validate_channel, validate_socket_id

__all__ = [
    "MAX_BODY_BYTES",
    "AuthResponse",
    "Authorizer",
    "RequestBody",
    "channel_auth_response",
    "user_auth_response",
]

MAX_BODY_BYTES = 64 * 1024
"""Bodies longer than this are answered with 400; pusher-js sends well under a kilobyte."""

_PRIVATE_PREFIX = "private-"
_MAX_FIELDS = 100

RequestBody = Union[bytes, bytearray, memoryview, str, Mapping[str, Any]]
"""The posted body: raw (form-encoded, or a JSON object) or a mapping your framework already parsed."""


class Authorizer(Protocol):
    """What the endpoints need of a client: both :class:`~pusher_fast.Pusher` and ``AsyncPusher`` fit."""

    def authorize_channel(self, channel: str, socket_id: str, custom_data: Any = None) -> dict[str, str]: ...

    def authenticate_user(self, socket_id: str, user_data: Mapping[str, Any] | None = None) -> dict[str, str]: ...


@dataclass(frozen=True)
class AuthResponse:
    """What to send back: ``status`` (200, 400 or 403), the JSON ``body`` and the ``headers`` to go with it.

    Flask: ``return r.body, r.status, r.headers``; Starlette/FastAPI: ``Response(r.body, r.status, r.headers)``;
    Django: ``HttpResponse(r.body, status=r.status, headers=r.headers)``.
    """

    status: int
    body: str
    content_type: str = "application/json"

    @property
    def headers(self) -> dict[str, str]:
        """``Content-Type``, and ``Cache-Control: no-store`` (an auth signature is for one socket only)."""
        return {"Content-Type": self.content_type, "Cache-Control": "no-store"}

    @property
    def ok(self) -> bool:
        return self.status == 200


def channel_auth_response(
    client: Authorizer,
    body: RequestBody,
    *,
    may_join: Callable[[str], bool],
    member: Mapping[str, Any] | None = None,
) -> AuthResponse:
    """Answer pusher-js's channel-authorization request.

    ``body`` is the posted body; ``may_join(channel_name)`` is your app's decision for the current user (it must
    return a ``bool``); ``member`` is the presence data of the current user, ``{"user_id": "42", "user_info":
    {...}}``, needed for ``presence-`` channels (a presence request without it is refused with 403, as for a user
    who is not signed in). ``may_join`` is called only for a well-formed request for a ``private-`` or
    ``presence-`` channel.
    """
    fields = _read_fields(body, ("socket_id", "channel_name"))
    if isinstance(fields, AuthResponse):
        return fields
    socket_id, channel = fields
    try:
        validate_socket_id(socket_id)
    except ValueError:
        return _error(400, "socket_id is not a valid socket id")
    try:
        validate_channel(channel, allow_server_to_user=False)
    except ValueError:
        return _error(400, "channel_name is not a valid channel name")
    presence = channel.startswith(PRESENCE_CHANNEL_PREFIX)
    if not presence and not channel.startswith(_PRIVATE_PREFIX):
        return _error(400, "only private- and presence- channels need authorization")
    if not _decision(may_join, channel):
        return _error(403, "not allowed to join this channel")
    if presence and member is None:
        return _error(403, "not signed in")
    return _ok(client.authorize_channel(channel, socket_id, member if presence else None))


def user_auth_response(client: Authorizer, body: RequestBody, *, user: Mapping[str, Any] | None) -> AuthResponse:
    """Answer pusher-js's user-authentication (sign-in) request.

    ``user`` is the current user's data, ``{"id": "42", "user_info": {...}, "watchlist": ["7", ...]}`` (only
    ``id`` is required), or ``None`` when nobody is signed in, which is answered with 403.
    """
    fields = _read_fields(body, ("socket_id",))
    if isinstance(fields, AuthResponse):
        return fields
    (socket_id,) = fields
    try:
        validate_socket_id(socket_id)
    except ValueError:
        return _error(400, "socket_id is not a valid socket id")
    if user is None:
        return _error(403, "not signed in")
    return _ok(client.authenticate_user(socket_id, user))


def _decision(may_join: Callable[[str], bool], channel: str) -> bool:
    allowed: object = may_join(channel)
    if not isinstance(allowed, bool):
        # A coroutine (an async may_join) or any other object would be truthy: refuse to guess.
        if inspect.iscoroutine(allowed):
            allowed.close()
            raise TypeError(
                "may_join must return a bool, it returned a coroutine: decide before, then pass a plain function"
            )
        raise TypeError(f"may_join must return a bool, it returned a {type(allowed).__name__}")
    return allowed


def _read_fields(body: RequestBody, names: tuple[str, ...]) -> tuple[str, ...] | AuthResponse:
    """The named fields of the body, each present once and a string; or the 400 answer saying what is wrong."""
    if isinstance(body, Mapping):
        return _fields_of_mapping(body, names)
    if isinstance(body, (bytes, bytearray, memoryview)):
        if len(body) > MAX_BODY_BYTES:
            return _error(400, "the request body is too large")
        try:
            text = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            return _error(400, "the request body is not UTF-8")
    elif isinstance(body, str):
        if len(body) > MAX_BODY_BYTES:
            return _error(400, "the request body is too large")
        text = body
    else:
        raise TypeError(f"body should be bytes, str or a mapping, not {type(body).__name__}")
    if text.lstrip().startswith("{"):
        return _fields_of_json(text, names)
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=_MAX_FIELDS)
    except ValueError:
        return _error(400, "the request body has too many fields")
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        values.setdefault(name, []).append(value)
    return _pick(values, names)


def _fields_of_json(text: str, names: tuple[str, ...]) -> tuple[str, ...] | AuthResponse:
    # pusher-js always posts a form; a JSON object comes from a customHandler that chose to send one.
    try:
        parsed = json.loads(text)
    except ValueError:
        return _error(400, "the request body is not valid JSON")
    if not isinstance(parsed, dict):
        return _error(400, "the request body is not a JSON object")
    return _pick({name: [value] for name, value in parsed.items()}, names)


def _fields_of_mapping(body: Mapping[str, Any], names: tuple[str, ...]) -> tuple[str, ...] | AuthResponse:
    # Werkzeug's, Django's and Starlette's multi-value dicts all have getlist; a repeated field is ambiguous there.
    getlist = getattr(body, "getlist", None)
    values: dict[str, list[object]] = {}
    for name in names:
        if name not in body:
            continue
        values[name] = list(getlist(name)) if callable(getlist) else [body[name]]
    return _pick(values, names)


def _pick(values: Mapping[str, list[Any]], names: tuple[str, ...]) -> tuple[str, ...] | AuthResponse:
    picked: list[str] = []
    for name in names:
        found = values.get(name)
        if not found:
            return _error(400, f"{name} is missing")
        if len(found) > 1:
            return _error(400, f"{name} is given more than once")
        (value,) = found
        if not isinstance(value, str):
            return _error(400, f"{name} should be a string")
        picked.append(value)
    return tuple(picked)


def _ok(payload: Mapping[str, str]) -> AuthResponse:
    return AuthResponse(200, json.dumps(payload, separators=(",", ":")))


def _error(status: int, message: str) -> AuthResponse:
    return AuthResponse(status, json.dumps({"error": message}))
