"""Client configuration: argument checks, host and port rules, Pusher URLs, the encryption master key."""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import urllib.parse
import warnings
from dataclasses import dataclass, field
from typing import Any

from pusher_fast._native import DEFAULT_MAX_PAYLOAD_BYTES

__all__ = ["DEFAULT_MAX_PAYLOAD_BYTES", "Config", "parse_pusher_url"]

_APP_ID_RE = re.compile(r"\A[A-Za-z0-9_.~-]+\Z")
_HOST_RE = re.compile(r"\A[A-Za-z0-9.-]+\Z|\A\[[0-9A-Fa-f:.]+\]\Z")


def ensure_text(value: object, name: str) -> str:
    """``str`` as is, ``bytes`` decoded as UTF-8, anything else a TypeError (the official SDK's ``ensure_text``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8")
    raise TypeError(f"{name} should be a string instead it is a {type(value).__name__}")


@dataclass(frozen=True)
class Config:
    """Everything a request needs to be built and signed. Immutable, so one client is safe to share across threads."""

    app_id: str
    key: str
    secret: str = field(repr=False)
    ssl: bool
    host: str
    port: int
    timeout: float
    cluster: str | None
    encryption_master_key: bytes | None = field(repr=False)
    json_encoder: type[json.JSONEncoder] | None
    json_decoder: type[json.JSONDecoder] | None
    max_payload_bytes: int

    @property
    def scheme(self) -> str:
        return "https" if self.ssl else "http"

    @property
    def base_url(self) -> str:
        default_port = 443 if self.ssl else 80
        port = "" if self.port == default_port else f":{self.port}"
        return f"{self.scheme}://{self.host}{port}"

    @classmethod
    def build(
        cls,
        app_id: object,
        key: object,
        secret: object,
        ssl: object = True,
        host: object = None,
        port: object = None,
        timeout: object = 5,
        cluster: object = None,
        encryption_master_key: object = None,
        encryption_master_key_base64: object = None,
        json_encoder: object = None,
        json_decoder: object = None,
        max_payload_bytes: object = DEFAULT_MAX_PAYLOAD_BYTES,
    ) -> Config:
        """Check every argument the way the official SDK does, with the fixes listed in the README."""
        app_id_text = ensure_text(app_id, "app_id")
        if not _APP_ID_RE.match(app_id_text):
            raise ValueError(f"Invalid app id: {app_id_text!r} (letters, digits, '-', '_', '.' and '~' only)")
        key_text = ensure_text(key, "key")
        secret_text = ensure_text(secret, "secret")
        if not key_text:
            raise ValueError("key must not be empty")
        if not secret_text:
            raise ValueError("secret must not be empty")
        if not isinstance(ssl, bool):
            raise TypeError("SSL should be a boolean")
        cluster_text = None if cluster is None else ensure_text(cluster, "cluster")
        if cluster_text is not None and not re.fullmatch(r"[A-Za-z0-9-]+", cluster_text):
            raise ValueError(f"Invalid cluster: {cluster_text!r}")
        host_text, port_number = _resolve_host_and_port(host, port, cluster_text, ssl)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise TypeError("timeout should be an integer or a float")
        if not timeout > 0:
            raise ValueError(f"timeout must be positive, got {timeout!r}")
        if isinstance(max_payload_bytes, bool) or not isinstance(max_payload_bytes, int):
            raise TypeError("max_payload_bytes should be an integer")
        if max_payload_bytes <= 0:
            raise ValueError(f"max_payload_bytes must be positive, got {max_payload_bytes}")
        return cls(
            app_id=app_id_text,
            key=key_text,
            secret=secret_text,
            ssl=ssl,
            host=host_text,
            port=port_number,
            timeout=float(timeout),
            cluster=cluster_text,
            encryption_master_key=parse_master_key(encryption_master_key, encryption_master_key_base64),
            json_encoder=_json_class(json_encoder, json.JSONEncoder, "json_encoder"),
            json_decoder=_json_class(json_decoder, json.JSONDecoder, "json_decoder"),
            max_payload_bytes=max_payload_bytes,
        )


def _resolve_host_and_port(host: object, port: object, cluster: str | None, ssl: bool) -> tuple[str, int]:
    """An explicit host wins (it may carry ``:port``), then ``api-{cluster}.pusher.com``, then the legacy host."""
    if host:
        host_text = ensure_text(host, "host")
    elif cluster:
        host_text = f"api-{cluster}.pusher.com"
    else:
        host_text = "api.pusherapp.com"
    host_port: int | None = None
    name, sep, maybe_port = host_text.rpartition(":")
    if sep and maybe_port.isdigit() and not name.endswith(":"):
        host_text, host_port = name, int(maybe_port)
    if not _HOST_RE.match(host_text):
        raise ValueError(f"Invalid host: {host_text!r} (give a host name, without scheme or path)")
    if port is not None:
        if isinstance(port, bool) or not isinstance(port, int):
            raise TypeError("port should be an integer")
        if port != 0:
            host_port = port
    if host_port is not None and not 0 < host_port < 65536:
        raise ValueError(f"port must be between 1 and 65535, got {host_port}")
    return host_text, host_port or (443 if ssl else 80)


def _json_class(value: object, base: type[Any], name: str) -> Any:
    if value is None:
        return None
    if not (isinstance(value, type) and issubclass(value, base)):
        raise TypeError(f"{name} should be a subclass of json.{base.__name__}")
    return value


def parse_master_key(raw_key: object, base64_key: object) -> bytes | None:
    """The 32-byte end-to-end encryption master key, from the base64 form or the deprecated raw form.

    The raw form is 32 bytes, used as they are, or a 32-character str, used as its UTF-8 (the official SDK's rule).
    Errors keep the official SDK's wording, with details after it; they never repeat the key.
    """
    if raw_key is not None and base64_key is not None:
        raise ValueError(
            "Do not provide both encryption_master_key and encryption_master_key_base64. "
            "encryption_master_key is deprecated, provide only encryption_master_key_base64"
        )
    if base64_key is not None:
        text = ensure_text(base64_key, "encryption_master_key_base64")
        try:
            decoded = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("encryption_master_key_base64 must be valid base64") from None
        if len(decoded) != 32:
            raise ValueError(
                "encryption_master_key_base64 must be a base64 string which decodes to 32 bytes "
                f"(it decodes to {len(decoded)})"
            )
        return decoded
    if raw_key is not None:
        warnings.warn(
            "encryption_master_key is deprecated, provide encryption_master_key_base64 instead",
            DeprecationWarning,
            stacklevel=4,
        )
        if isinstance(raw_key, bytes):
            if len(raw_key) != 32:
                raise ValueError(f"encryption_master_key must be 32 bytes long (it is {len(raw_key)} bytes)")
            return raw_key
        text = ensure_text(raw_key, "encryption_master_key")
        if len(text) != 32:
            raise ValueError(f"encryption_master_key must be 32 bytes long (it is {len(text)} characters)")
        return text.encode("utf-8")
    return None


# The credentials end at the last "@" before the host (a secret may hold "@"), as urllib.parse splits them.
_PUSHER_URL_RE = re.compile(r"\A(?P<scheme>https?)://(?P<userinfo>[^/]+)@(?P<host>[^/@]+)/apps/(?P<app_id>[^/?#]+)/?\Z")


def parse_pusher_url(url: object) -> dict[str, Any]:
    """Constructor arguments from ``http(s)://key:secret@host[:port]/apps/app_id`` (Heroku add-on style).

    The error never repeats the URL: it holds the secret.
    """
    text = ensure_text(url, "url")
    match = _PUSHER_URL_RE.match(text)
    if match is None:
        raise ValueError("Unparsable url: expected http(s)://key:secret@host[:port]/apps/app_id")
    key, sep, secret = match["userinfo"].partition(":")
    if not sep or not key or not secret:
        raise ValueError("Unparsable url: the key and secret must be given as key:secret before the host")
    # Checked here, not by Config: its message shows the host, and when a URL's host is missing, what follows the last
    # "@" of the secret is taken for it.
    name, sep, port = match["host"].rpartition(":")
    if not _HOST_RE.match(name if sep and port.isdigit() else match["host"]):
        raise ValueError("Unparsable url: the host is not a valid host name (the URL is not shown: it holds a secret)")
    return {
        "app_id": urllib.parse.unquote(match["app_id"]),
        "key": urllib.parse.unquote(key),
        "secret": urllib.parse.unquote(secret),
        "host": match["host"],
        "ssl": match["scheme"] == "https",
    }


def read_url_from_env(env: str) -> str:
    value = os.environ.get(env)
    if not value:
        raise ValueError(f"Environment variable {env} not found")
    return value
