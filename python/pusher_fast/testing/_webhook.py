"""Sending signed webhooks, the way Channels delivers them, to an application under test."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from http.client import HTTPMessage
from types import MappingProxyType
from typing import IO

from ._auth import hmac_sha256_hex
from ._models import WebhookRequest

__all__ = ["build_webhook", "send_webhook", "sign_webhook", "webhook_body"]


def sign_webhook(secret: str, body: bytes) -> str:
    """The ``X-Pusher-Signature`` of ``body``: lower-case hex HMAC-SHA256 keyed with ``secret``."""
    return hmac_sha256_hex(secret, body)


def webhook_body(events: Sequence[Mapping[str, object]], time_ms: int | None = None) -> bytes:
    """Compact UTF-8 JSON ``{"time_ms": ..., "events": [...]}``; ``time_ms`` defaults to now."""
    if time_ms is None:
        time_ms = int(time.time() * 1000)
    payload = {"time_ms": time_ms, "events": [dict(event) for event in events]}
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def build_webhook(body: bytes, *, key: str, secret: str) -> WebhookRequest:
    """``body`` with the headers Channels sends it with: the app key and the body's signature."""
    headers = {
        "Content-Type": "application/json",
        "X-Pusher-Key": key,
        "X-Pusher-Signature": sign_webhook(secret, body),
    }
    return WebhookRequest(headers=MappingProxyType(headers), body=body)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Report a redirect's status instead of following it (Channels does not follow webhook redirects)."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None


# No proxies from the environment: webhooks in tests go to a local receiver.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def send_webhook(url: str, webhook: WebhookRequest, *, timeout: float) -> int:
    """POST ``webhook`` to ``url`` and return the HTTP status (errors included)."""
    request = urllib.request.Request(url, data=webhook.body, method="POST", headers=dict(webhook.headers))
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            response.read()
            status: int = response.status
            return status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code
