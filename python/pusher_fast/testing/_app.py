"""The HTTP API itself, independent of the socket layer: authenticate, then route and answer one request."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote

from pusher_fast import _native

from ._auth import authenticate_request
from ._models import RecordedRequest
from ._state import ServerState
from ._validation import (
    ApiError,
    Limits,
    channel_name_error,
    is_presence,
    parse_event,
    parse_info,
    parse_json_object,
    user_id_error,
)

__all__ = ["AppConfig", "Application", "Response", "text_response"]

JSON_TYPE = "application/json"
TEXT_TYPE = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class AppConfig:
    app_id: str
    key: str
    secret: str
    limits: Limits
    timestamp_tolerance: float


def text_response(status: int, message: str, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    return Response(status, message.encode("utf-8"), TEXT_TYPE, headers)


def _json_response(value: object) -> Response:
    return Response(200, json.dumps(value, separators=(",", ":")).encode("utf-8"), JSON_TYPE)


def _format_retry_after(seconds: float) -> str:
    # Whole seconds as HTTP says; fractions are kept so that retry tests need not sleep for a full second.
    return str(int(seconds)) if float(seconds).is_integer() else repr(float(seconds))


_Handler = Callable[[], Response]


class Application:
    """Answers API requests for one app, using ``state`` for recordings and channel occupancy."""

    def __init__(self, config: AppConfig, state: ServerState) -> None:
        self._config = config
        self._state = state

    def record(self, request: RecordedRequest) -> None:
        self._state.record_request(request)

    def handle(self, method: str, raw_path: str, raw_query: str, body: bytes) -> Response:
        """Answer one request; ``raw_path`` and ``raw_query`` are as sent (not yet percent-decoded)."""
        try:
            return self._handle(method, raw_path, raw_query, body)
        except ApiError as error:
            return text_response(error.status, error.message)

    def _handle(self, method: str, raw_path: str, raw_query: str, body: bytes) -> Response:
        segments = raw_path.split("/")
        if len(segments) < 3 or segments[0] != "" or segments[1] != "apps":
            raise ApiError(404, "not found")
        app_id = unquote(segments[2])
        if app_id != self._config.app_id:
            raise ApiError(404, f"unknown app id {app_id!r}")

        params = parse_qsl(raw_query, keep_blank_values=True)
        query: dict[str, str] = {}
        for name, value in params:
            if name in query:
                raise ApiError(400, f"duplicate query parameter {name!r}")
            query[name] = value

        reason = authenticate_request(
            method=method,
            path=unquote(raw_path),
            params=params,
            query=query,
            body=body,
            key=self._config.key,
            secret=self._config.secret,
            now=time.time(),
            timestamp_tolerance=self._config.timestamp_tolerance,
        )
        if reason is not None:
            raise ApiError(401, reason)

        failure = self._state.take_failure()
        if failure is not None:
            headers = (
                () if failure.retry_after is None else (("Retry-After", _format_retry_after(failure.retry_after)),)
            )
            return text_response(failure.status, failure.body, headers)

        route = tuple(unquote(segment) for segment in segments[3:])
        matched = self._match(route, query, body)
        if matched is None:
            raise ApiError(404, "no such API endpoint")
        allowed, handler = matched
        if method != allowed:
            return text_response(405, f"method {method} not allowed here (use {allowed})", (("Allow", allowed),))
        return handler()

    def _match(self, route: tuple[str, ...], query: Mapping[str, str], body: bytes) -> tuple[str, _Handler] | None:
        """The method a route takes and the call that answers it, or ``None`` for an unknown route."""
        if not route or not all(route):
            return None
        first, rest = route[0], route[1:]
        if first == "events" and not rest:
            return "POST", lambda: self._trigger(body)
        if first == "batch_events" and not rest:
            return "POST", lambda: self._trigger_batch(body)
        if first == "channels" and not rest:
            return "GET", lambda: self._channels(query)
        if first == "channels" and len(rest) == 1:
            return "GET", lambda: self._channel(rest[0], query)
        if first == "channels" and rest[1:] == ("users",):
            return "GET", lambda: self._users(rest[0])
        if first == "users" and rest[1:] == ("terminate_connections",):
            return "POST", lambda: self._terminate(rest[0], body)
        return None

    # Endpoints.

    def _trigger(self, body: bytes) -> Response:
        event = parse_event(parse_json_object(body), self._config.limits, batch=False)
        (attributes,) = self._state.publish([event], "events")
        if event.info is None:
            return _json_response({})
        return _json_response({"channels": attributes})

    def _trigger_batch(self, body: bytes) -> Response:
        request = parse_json_object(body)
        if "batch" not in request:
            raise ApiError(400, "missing batch")
        batch = request["batch"]
        if not isinstance(batch, list):
            raise ApiError(400, "batch must be a list of events")
        if not batch:
            raise ApiError(400, "batch must not be empty")
        limit = self._config.limits.max_batch_size
        if len(batch) > limit:
            raise ApiError(400, f"too many events in batch: {len(batch)} (max {limit})")
        # Validate every event before recording any: a batch is all or nothing.
        events = [
            parse_event(item, self._config.limits, batch=True, where=f"batch[{index}]: ")
            for index, item in enumerate(batch)
        ]
        results = self._state.publish(events, "batch_events")
        if all(event.info is None for event in events):
            return _json_response({})
        return _json_response({"batch": [result[event.channels[0]] for event, result in zip(events, results)]})

    def _channels(self, query: Mapping[str, str]) -> Response:
        prefix = query.get("filter_by_prefix", "")
        info = query.get("info")
        attributes = parse_info(info, _native.InfoScope.CHANNEL_LIST, prefix) if info is not None else ()
        return _json_response({"channels": self._state.occupied_channels(prefix, attributes)})

    def _channel(self, channel: str, query: Mapping[str, str]) -> Response:
        self._check_channel(channel)
        info = query.get("info")
        attributes = parse_info(info, _native.InfoScope.CHANNEL, channel) if info is not None else ()
        occupied, values = self._state.channel(channel, attributes)
        result: dict[str, object] = {"occupied": occupied}
        result.update(values)
        return _json_response(result)

    def _users(self, channel: str) -> Response:
        self._check_channel(channel)
        if not is_presence(channel):
            raise ApiError(400, "users are only available for presence channels")
        return _json_response({"users": [{"id": user_id} for user_id in self._state.members(channel)]})

    def _terminate(self, user_id: str, body: bytes) -> Response:
        error = user_id_error(user_id)
        if error is not None:
            raise ApiError(400, error)
        if body:
            parse_json_object(body)
        self._state.record_termination(user_id)
        return _json_response({})

    @staticmethod
    def _check_channel(channel: str) -> None:
        error = channel_name_error(channel)
        if error is not None:
            raise ApiError(400, error)
