"""Channel authorization and user authentication: the JSON a browser's pusher-js needs from your auth endpoint."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from pusher_fast import _native
from pusher_fast._config import Config
from pusher_fast.validation import is_encrypted_channel, validate_channel, validate_socket_id, validate_user_id

__all__ = ["authenticate_user", "authorize_channel"]


def authorize_channel(config: Config, channel: object, socket_id: object, custom_data: Any = None) -> dict[str, str]:
    """``{"auth": ...}``, plus ``channel_data`` for presence and ``shared_secret`` for encrypted channels."""
    name = validate_channel(channel, allow_server_to_user=False)
    socket = validate_socket_id(socket_id)
    channel_data = None
    if name.startswith("presence-") and (not isinstance(custom_data, Mapping) or custom_data.get("user_id") is None):
        raise ValueError("A presence channel needs custom_data with a user_id, e.g. {'user_id': '42'}")
    if custom_data:
        channel_data = json.dumps(custom_data, cls=config.json_encoder)
    result = {"auth": _native.channel_auth(config.key, config.secret, socket, name, channel_data)}
    if channel_data is not None:
        result["channel_data"] = channel_data
    if is_encrypted_channel(name):
        if config.encryption_master_key is None:
            raise ValueError(
                f"Cannot authorize encrypted channel {name}: no encryption master key was configured "
                "(pass encryption_master_key_base64)"
            )
        secret = _native.shared_secret(name, config.encryption_master_key)
        result["shared_secret"] = base64.b64encode(secret).decode("ascii")
    return result


def authenticate_user(config: Config, socket_id: object, user_data: Any) -> dict[str, str]:
    """``{"auth": ..., "user_data": ...}`` for ``pusher:signin``; ``user_data`` needs a string ``id``."""
    socket = validate_socket_id(socket_id)
    if user_data is None:
        raise ValueError("user_data is null")
    if not isinstance(user_data, Mapping):
        raise TypeError(f"user_data should be a mapping with an 'id', not {type(user_data).__name__}")
    if user_data.get("id") is None:
        raise ValueError("user_data has no id field")
    validate_user_id(user_data["id"])
    encoded = json.dumps(user_data, cls=config.json_encoder)
    return {"auth": _native.user_auth(config.key, config.secret, socket, encoded), "user_data": encoded}
