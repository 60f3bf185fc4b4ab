"""End-to-end encryption helpers: a new master key, and the plaintext of an encrypted event's data.

Events on ``private-encrypted-`` channels are sealed with a per-channel key derived from the app's 32-byte master
key (``encryption_master_key_base64=`` on the client); pusher-js's ``pusher-with-encryption`` build opens them with
the ``shared_secret`` your channel-authorization endpoint hands it.
"""

from __future__ import annotations

import base64
import json
import secrets

from pusher_fast import _native
from pusher_fast._config import parse_master_key
from pusher_fast.validation import ENCRYPTED_CHANNEL_PREFIX, is_encrypted_channel

__all__ = [
    "MASTER_KEY_ENV",
    "decrypt_event_data",
    "generate_master_key_base64",
    "master_key_from_base64",
    "open_envelope",
]

MASTER_KEY_ENV = "PUSHER_ENCRYPTION_MASTER_KEY_BASE64"
"""The environment variable the command line, the local server and the examples read the master key from."""


def generate_master_key_base64() -> str:
    """A new random master key for ``encryption_master_key_base64``: 32 bytes from the OS CSPRNG, base64-encoded."""
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def master_key_from_base64(encryption_master_key_base64: str | bytes) -> bytes:
    """The 32 bytes of a base64 master key; ``ValueError`` (naming the problem, not the key) otherwise."""
    master_key = parse_master_key(None, encryption_master_key_base64)
    if master_key is None:
        raise TypeError("encryption_master_key_base64 is required")
    return master_key


def open_envelope(channel: str, master_key: bytes, data: str) -> str:
    """The plaintext of ``data``, a ``{"nonce": ..., "ciphertext": ...}`` envelope sealed for ``channel``.

    Raises ``ValueError`` saying whether the envelope is malformed or does not open with this key and channel.
    """
    try:
        envelope = json.loads(data)
        nonce, ciphertext = envelope["nonce"], envelope["ciphertext"]
        if not isinstance(nonce, str) or not isinstance(ciphertext, str):
            raise TypeError
    except (ValueError, TypeError, KeyError, RecursionError):
        raise ValueError("data is not a nonce/ciphertext envelope") from None
    try:
        plaintext = _native.decrypt(channel, master_key, nonce, ciphertext)
    except ValueError as exc:
        raise ValueError(f"could not be decrypted: {exc}") from None
    return plaintext.decode("utf-8", "replace")


def decrypt_event_data(channel: str, data: str, encryption_master_key_base64: str | bytes) -> str:
    """The plaintext of an event's ``data`` on the encrypted ``channel``, as pusher-js would show it.

    ``ValueError`` for a master key that is not the base64 of 32 bytes, a channel that is not
    ``private-encrypted-``, or data that does not open.
    """
    master_key = master_key_from_base64(encryption_master_key_base64)
    if not is_encrypted_channel(channel):
        raise ValueError(f"{channel!r} is not an encrypted channel ({ENCRYPTED_CHANNEL_PREFIX}...)")
    return open_envelope(channel, master_key, data)
