"""Type stubs for the Rust core, ``pusher_fast._native``.

Every function is pure: no I/O, no global state. Invalid input raises ``ValueError`` (or ``TypeError`` when pyo3
rejects an argument's type).
"""

from collections.abc import Sequence

__all__ = [
    "channel_auth",
    "decrypt",
    "encrypt",
    "hmac_sha256_hex",
    "md5_hex",
    "shared_secret",
    "sign_request",
    "user_auth",
    "verify_webhook",
]

__version__: str

def sign_request(
    key: str,
    secret: str,
    method: str,
    path: str,
    params: Sequence[tuple[str, str]],
    body: bytes | None,
    timestamp: int,
) -> str:
    """Sign a Pusher HTTP API request (auth_version 1.0) and return its query string.

    The signed string is ``METHOD\\nPATH\\n`` followed by every parameter plus ``auth_key``, ``auth_timestamp``,
    ``auth_version=1.0`` and, when ``body`` is not ``None``, ``body_md5``: keys lower-cased, sorted by key, joined as
    ``k=v&...`` without escaping. The returned query string holds the same parameters plus ``auth_signature``, sorted,
    with keys and values percent-encoded (everything but ``A-Za-z0-9-._~``), ready to append after ``?``.

    Raises ValueError for an empty method or path, a path not starting with ``/``, a parameter whose key is empty or
    collides (case-insensitively) with another or with an ``auth_*``/``body_md5`` key.
    """

def hmac_sha256_hex(secret: str | bytes, message: str | bytes) -> str:
    """Lower-case hex HMAC-SHA256 of ``message`` keyed with ``secret`` (str is encoded as UTF-8)."""

def md5_hex(data: bytes) -> str:
    """Lower-case hex MD5 of ``data``."""

def channel_auth(key: str, secret: str, socket_id: str, channel: str, channel_data: str | None) -> str:
    """``key:hex(HMAC(secret, "socket_id:channel[:channel_data]"))``, the ``auth`` field of a channel authorization."""

def user_auth(key: str, secret: str, socket_id: str, user_data: str) -> str:
    """``key:hex(HMAC(secret, "socket_id::user::user_data"))``, the ``auth`` field of a user authentication."""

def shared_secret(channel: str, master_key: bytes) -> bytes:
    """The 32-byte secretbox key of an encrypted channel: SHA-256(channel UTF-8 bytes ‖ master_key)."""

def encrypt(channel: str, master_key: bytes, plaintext: bytes, nonce: bytes | None = None) -> str:
    """Seal ``plaintext`` for ``channel`` with NaCl secretbox (XSalsa20-Poly1305) and return the event data envelope.

    The envelope is ``{"nonce": "<b64>", "ciphertext": "<b64>"}`` (standard padded base64, spaced exactly like the
    official Python SDK). ``nonce`` defaults to 24 bytes from the OS CSPRNG; a given nonce must be 24 bytes
    (ValueError otherwise) and exists for deterministic tests only.
    """

def decrypt(channel: str, master_key: bytes, nonce_b64: str, ciphertext_b64: str) -> bytes:
    """Open an envelope made by ``encrypt``. Raises ValueError on bad base64, a nonce that is not 24 bytes, or a
    ciphertext that does not authenticate (wrong key, wrong channel, tampered data)."""

def verify_webhook(secret: str, body: bytes, signature: str) -> bool:
    """Whether ``signature`` is the hex HMAC-SHA256 of ``body`` keyed with ``secret``.

    Compared in constant time; hex of either case is accepted; anything that is not 64 hex digits is ``False``.
    """
