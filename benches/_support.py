"""Shared by the micro benchmarks and the throughput script: one app's credentials, and checks of what each SDK built.

The checks recompute everything from the Pusher protocol with the standard library (and PyNaCl for encrypted data),
independently of both SDKs, so a benchmark only reports a speed for output that is valid.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
from typing import Any

# The official SDK takes numeric app ids only.
APP_ID = "4242"
KEY = "bench-key"
SECRET = "bench-secret-7f3a9c"
MASTER_KEY = bytes(range(32))
MASTER_KEY_BASE64 = base64.b64encode(MASTER_KEY).decode("ascii")
SOCKET_ID = "123.456"
# Pusher servers refuse a request whose auth_timestamp is more than 600 s away from their clock.
MAX_CLOCK_SKEW = 600


def hmac_hex(message: str | bytes) -> str:
    raw = message.encode("utf-8") if isinstance(message, str) else message
    return hmac.new(SECRET.encode("utf-8"), raw, hashlib.sha256).hexdigest()


def check_signed_request(request: Any, method: str, path: str) -> dict[str, Any]:
    """Assert that ``request`` (either SDK's: ``method``, ``path``, ``query_params``, ``body``) is correctly signed.

    Returns the decoded JSON body of a POST (``{}`` for a GET).
    """
    assert request.method == method, request.method
    assert request.path == path, request.path
    params = {str(k): str(v) for k, v in dict(request.query_params).items()}
    return check_signed_parts(method, path, params, bytes(request.body))


def check_signed_query(query_string: str, method: str, path: str, body: bytes) -> None:
    """Assert that ``query_string`` (``k=v&...``, percent-encoded) signs ``method path body``."""
    params = dict(urllib.parse.parse_qsl(query_string, keep_blank_values=True, strict_parsing=True))
    check_signed_parts(method, path, params, body)


def check_signed_parts(method: str, path: str, params: dict[str, str], body: bytes) -> dict[str, Any]:
    params = dict(params)
    signature = params.pop("auth_signature")
    assert params["auth_key"] == KEY, params
    assert params["auth_version"] == "1.0", params
    assert abs(int(params["auth_timestamp"]) - time.time()) < MAX_CLOCK_SKEW, params
    if method == "POST":
        assert params["body_md5"] == hashlib.md5(body).hexdigest(), "body_md5 does not match the body"
    to_sign = "\n".join([method, path, "&".join(f"{k}={v}" for k, v in sorted(params.items()))])
    assert hmac.compare_digest(signature, hmac_hex(to_sign)), "auth_signature does not verify"
    if method != "POST":
        return {}
    decoded = json.loads(body.decode("utf-8"))
    assert isinstance(decoded, dict), decoded
    return decoded


def decrypt_data(channel: str, data: str) -> Any:
    """The JSON value inside an encrypted event's ``data`` envelope ``{"nonce": ..., "ciphertext": ...}``."""
    import nacl.secret  # here, so that the throughput script's memory-measuring processes do not load it

    envelope = json.loads(data)
    assert set(envelope) == {"nonce", "ciphertext"}, envelope
    shared = hashlib.sha256(channel.encode("utf-8") + MASTER_KEY).digest()
    plaintext = nacl.secret.SecretBox(shared).decrypt(
        base64.b64decode(envelope["ciphertext"]), base64.b64decode(envelope["nonce"])
    )
    return json.loads(plaintext.decode("utf-8"))


def webhook_body(events: list[dict[str, Any]]) -> tuple[str, str]:
    """A webhook body stamped now, and its ``X-Pusher-Signature``."""
    body = json.dumps({"time_ms": int(time.time() * 1000), "events": events})
    return body, hmac_hex(body)
