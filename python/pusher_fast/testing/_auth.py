"""Request authentication (auth_version 1.0) and webhook signing, with the standard library only.

This is deliberately independent of the package's Rust signer, so that the local server is a real check on it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence

__all__ = ["EMPTY_BODY_MD5", "authenticate_request", "hmac_sha256_hex", "md5_hex", "string_to_sign"]


def md5_hex(data: bytes) -> str:
    """Hex MD5, as the API's ``body_md5`` uses it (an integrity check, not a security one)."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


EMPTY_BODY_MD5 = md5_hex(b"")

_TIMESTAMP_RE = re.compile(r"[0-9]{1,18}")


def hmac_sha256_hex(secret: str, message: bytes) -> str:
    """Lower-case hex HMAC-SHA256 of ``message`` keyed with the UTF-8 ``secret``."""
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def string_to_sign(method: str, path: str, params: Sequence[tuple[str, str]]) -> str:
    """``METHOD\\nPATH\\n`` followed by every parameter except ``auth_signature``.

    Keys are lower-cased and sorted; values are used as they are (decoded, not escaped).
    """
    pairs = sorted(((key.lower(), value) for key, value in params if key != "auth_signature"), key=lambda kv: kv[0])
    query = "&".join(f"{key}={value}" for key, value in pairs)
    return f"{method}\n{path}\n{query}"


def authenticate_request(
    *,
    method: str,
    path: str,
    params: Sequence[tuple[str, str]],
    query: Mapping[str, str],
    body: bytes,
    key: str,
    secret: str,
    now: float,
    timestamp_tolerance: float,
) -> str | None:
    """Check an API request's auth parameters.

    ``path`` is the percent-decoded request path, ``params`` the decoded query pairs in order and ``query`` the same
    as a mapping. Returns ``None`` when the request is authentic, otherwise a short reason for a 401 response. The
    reason never contains the secret or the expected signature.
    """
    auth_key = query.get("auth_key")
    if auth_key is None:
        return "missing auth_key"
    if auth_key != key:
        return "unknown auth_key"

    auth_version = query.get("auth_version")
    if auth_version is None:
        return "missing auth_version"
    if auth_version != "1.0":
        return "unsupported auth_version (expected 1.0)"

    raw_timestamp = query.get("auth_timestamp")
    if raw_timestamp is None:
        return "missing auth_timestamp"
    if not _TIMESTAMP_RE.fullmatch(raw_timestamp):
        return "auth_timestamp must be an integer number of seconds"
    skew = abs(now - int(raw_timestamp))
    if skew > timestamp_tolerance:
        return f"auth_timestamp is {skew:.0f} s away from server time {now:.0f} (tolerance {timestamp_tolerance:g} s)"

    body_md5 = query.get("body_md5")
    if body_md5 is None:
        if body:
            return "missing body_md5 (required for a request with a body)"
    elif body_md5 != md5_hex(body):
        if not body:
            return f"body_md5 must be absent or the MD5 of the empty body ({EMPTY_BODY_MD5}) when there is no body"
        return "body_md5 does not match the MD5 of the request body"

    signature = query.get("auth_signature")
    if signature is None:
        return "missing auth_signature"
    signed = string_to_sign(method, path, params)
    expected = hmac_sha256_hex(secret, signed.encode("utf-8"))
    if not hmac.compare_digest(signature.encode("utf-8"), expected.encode("ascii")):
        # The string to sign holds no secret; showing it is the quickest way to find a client's signing bug.
        return f"invalid auth_signature (the server signed {signed!r})"
    return None
