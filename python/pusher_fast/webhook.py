"""Webhook validation with a typed result that also decrypts encrypted events (the official SDK's
``validate_webhook`` check is ``Signer.validate_webhook`` in the Rust core)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

from pusher_fast import _native
from pusher_fast._config import Config, ensure_text
from pusher_fast.encryption import open_envelope
from pusher_fast.errors import PusherWebhookError
from pusher_fast.validation import is_encrypted_channel

__all__ = ["Headers", "Webhook", "WebhookEvent", "parse_webhook"]

Headers = Union[Mapping[str, Union[str, Sequence[str]]], Iterable[tuple[str, str]]]
"""Request headers: a mapping (values may be lists) or (name, value) pairs. Names are matched in any case."""


@dataclass(frozen=True)
class WebhookEvent:
    """One event of a webhook. Fields an event type does not carry are ``None``."""

    name: str
    channel: str
    event: str | None = None
    data: str | None = None
    socket_id: str | None = None
    user_id: str | None = None
    subscription_count: int | None = None


@dataclass(frozen=True)
class Webhook:
    """A validated webhook: when Pusher sent it (ms since the epoch) and its events, decrypted where encrypted."""

    time_ms: int
    events: tuple[WebhookEvent, ...]


def parse_webhook(config: Config, headers: Headers, body: str | bytes, *, max_age: float | None = None) -> Webhook:
    """Check the ``X-Pusher-Key`` and ``X-Pusher-Signature`` headers against the raw body and decode it.

    Events on ``private-encrypted-`` channels that carry data are decrypted with the master key; events without
    data (occupied, vacated, ...) are left alone. With ``max_age`` (seconds), a webhook whose ``time_ms`` is further
    from now is refused; by default there is no time check, since Pusher retries failed webhooks for minutes.
    The body is read as ``json.loads`` reads it (a body nested too deeply for it is not valid JSON). Raises
    :class:`~pusher_fast.errors.PusherWebhookError` naming what failed, whatever the body holds.
    """
    try:
        raw = raw_body(body)
    except UnicodeEncodeError:
        raise PusherWebhookError("The webhook body holds a lone surrogate (pass the raw request body)") from None
    keys = _header_values(headers, "x-pusher-key")
    signatures = _header_values(headers, "x-pusher-signature")
    if not keys:
        raise PusherWebhookError("The X-Pusher-Key header is missing")
    if not signatures:
        raise PusherWebhookError("The X-Pusher-Signature header is missing")
    if config.key not in keys:
        raise PusherWebhookError("The X-Pusher-Key header does not name this app's key")
    if not any(_native.verify_webhook(config.secret, raw, signature) for signature in signatures):
        raise PusherWebhookError("The X-Pusher-Signature does not match the body (pass the raw request body)")
    try:
        decoder = config.json_decoder
        parsed = _native.loads_json(raw) if decoder is None else json.loads(raw, cls=decoder)
    except (ValueError, RecursionError) as exc:
        reason = "it is nested too deeply" if isinstance(exc, RecursionError) else exc
        raise PusherWebhookError(f"The webhook body is not valid JSON: {reason}") from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("events"), list):
        raise PusherWebhookError("The webhook body should be an object with time_ms and a list of events")
    time_ms = parsed.get("time_ms")
    if isinstance(time_ms, bool) or not isinstance(time_ms, int):
        raise PusherWebhookError("The webhook body has no integer time_ms")
    if max_age is not None and not _within(time_ms, max_age):
        raise PusherWebhookError(f"The webhook is more than {max_age} seconds away from now")
    events = tuple(_event(config, index, event) for index, event in enumerate(parsed["events"]))
    return Webhook(time_ms=time_ms, events=events)


def _within(time_ms: int, max_age: float) -> bool:
    """Whether ``time_ms`` is at most ``max_age`` seconds from now (a time too large for a float is not)."""
    try:
        return abs(time.time() - time_ms / 1000) <= max_age
    except OverflowError:
        return False


def raw_body(body: object) -> bytes:
    """The request body as bytes: ``bytes``-like as is, ``str`` encoded as UTF-8, anything else a TypeError."""
    if isinstance(body, bytes):
        return body
    if isinstance(body, (bytearray, memoryview)):
        return bytes(body)
    return ensure_text(body, "body").encode("utf-8")


def _header_values(headers: Headers, wanted: str) -> list[str]:
    pairs: Iterable[tuple[str, Any]] = headers.items() if isinstance(headers, Mapping) else headers
    values: list[str] = []
    for name, value in pairs:
        if name.lower() != wanted:
            continue
        items = [value] if isinstance(value, (str, bytes)) else value
        for item in items:
            values.extend(part.strip() for part in ensure_text(item, name).split(",") if part.strip())
    return values


def _event(config: Config, index: int, event: object) -> WebhookEvent:
    if not isinstance(event, dict) or not isinstance(event.get("name"), str):
        raise PusherWebhookError(f"Webhook event #{index} is not an object with a name")
    channel = event.get("channel")
    if not isinstance(channel, str):
        raise PusherWebhookError(f"Webhook event #{index} ({event['name']}) has no channel")
    data = _optional_str(event, "data", index)
    if data is not None and is_encrypted_channel(channel):
        data = _decrypt(config, index, channel, data)
    count = event.get("subscription_count")
    return WebhookEvent(
        name=event["name"],
        channel=channel,
        event=_optional_str(event, "event", index),
        data=data,
        socket_id=_optional_str(event, "socket_id", index),
        user_id=_optional_str(event, "user_id", index),
        subscription_count=count if isinstance(count, int) and not isinstance(count, bool) else None,
    )


def _optional_str(event: dict[str, Any], field: str, index: int) -> str | None:
    value = event.get(field)
    if value is None or isinstance(value, str):
        return value
    if field == "data":
        # Some servers send client-event data as a JSON value rather than a string.
        try:
            return json.dumps(value, separators=(",", ":"))
        except RecursionError:
            raise PusherWebhookError(f"Webhook event #{index}: data is nested too deeply") from None
    raise PusherWebhookError(f"Webhook event #{index}: {field} should be a string")


def _decrypt(config: Config, index: int, channel: str, data: str) -> str:
    if config.encryption_master_key is None:
        raise PusherWebhookError(
            f"Webhook event #{index} on {channel} is encrypted but no encryption master key was configured"
        )
    try:
        return open_envelope(channel, config.encryption_master_key, data)
    except ValueError as exc:
        raise PusherWebhookError(f"Webhook event #{index} on {channel}: {exc}") from None
