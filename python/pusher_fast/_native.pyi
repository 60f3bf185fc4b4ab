"""Type stubs for ``pusher_fast._native``, the Rust extension module.

The functions, ``Signer`` and ``BulkPacker`` do no I/O and keep no global state. The transports do: ``NativeClient``
sends on the calling thread (the sync client), ``NativeSender`` from its own runtime thread (the async client and the
bulk publisher) with its results delivered to a ``CompletionQueue``; ``TlsConfig`` reads root certificates;
``Completion`` and ``FailureKind`` describe what came back. Invalid input raises ``ValueError`` (or ``TypeError``
when an argument has the wrong type).
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, Final, final

__all__ = [
    "CHANNEL_NAME_CHARACTERS",
    "DEFAULT_MAX_PAYLOAD_BYTES",
    "ENCRYPTED_CHANNEL_PREFIX",
    "INFO_ATTRIBUTES",
    "LEGACY_WEBHOOK_WINDOW_MS",
    "MAX_BACKOFF_SECONDS",
    "MAX_BATCH_SIZE",
    "MAX_CHANNELS",
    "MAX_CHANNEL_NAME_LENGTH",
    "MAX_EVENT_NAME_LENGTH",
    "MAX_RESPONSE_BODY_BYTES",
    "MAX_RETRIES",
    "MAX_USER_ID_LENGTH",
    "PRESENCE_CHANNEL_PREFIX",
    "SERVER_TO_USER_PREFIX",
    "BulkPacker",
    "Completion",
    "CompletionQueue",
    "FailureKind",
    "InfoScope",
    "NativeClient",
    "NativeSender",
    "PackedRequest",
    "PreparedRequest",
    "Signer",
    "TlsConfig",
    "backoff_delay",
    "check_backoff",
    "check_channel",
    "check_channel_count",
    "check_event_name",
    "check_info_attributes",
    "check_payload_size",
    "check_prefix_filter",
    "check_retries",
    "check_socket_id",
    "check_user_id",
    "decrypt",
    "is_retryable_status",
    "loads_json",
    "normalize_info",
    "parse_retry_after",
    "sign_request",
    "verify_webhook",
]

__version__: str

# The Channels HTTP API's limits, prefixes and channel-name alphabet: the one definition every check uses.
MAX_CHANNELS: Final[int]
"""The most channels one event may go to (100)."""
MAX_BATCH_SIZE: Final[int]
"""The most events in one ``batch_events`` request (10)."""
MAX_CHANNEL_NAME_LENGTH: Final[int]
"""The longest channel name, in characters (200)."""
MAX_EVENT_NAME_LENGTH: Final[int]
"""The longest event name, in characters (200)."""
MAX_USER_ID_LENGTH: Final[int]
"""The longest user id, in characters (200)."""
CHANNEL_NAME_CHARACTERS: Final[str]
"""Every character a channel name (and a user id) may hold: ``A-Z a-z 0-9 - _ = @ , . ;``."""
ENCRYPTED_CHANNEL_PREFIX: Final[str]
"""``private-encrypted-``: channels whose events are end-to-end encrypted."""
PRESENCE_CHANNEL_PREFIX: Final[str]
"""``presence-``: channels whose members are announced."""
SERVER_TO_USER_PREFIX: Final[str]
"""``#server-to-user-``: followed by a user id, the channel of every connection of that user."""
INFO_ATTRIBUTES: Final[tuple[str, ...]]
"""The channel attributes ``info`` may ask for: ``user_count`` and ``subscription_count``."""
DEFAULT_MAX_PAYLOAD_BYTES: Final[int]
"""What the API accepts in one event's ``data`` on multi-tenant clusters, in bytes (10240)."""
LEGACY_WEBHOOK_WINDOW_MS: Final[int]
"""How far ``validate_webhook`` lets a webhook's ``time_ms`` be from now (300000, five minutes)."""
MAX_RESPONSE_BODY_BYTES: Final[int]
"""The largest answer body any transport reads (8 MiB); a bigger one is refused, not held in memory."""

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

def decrypt(channel: str, master_key: bytes, nonce_b64: str, ciphertext_b64: str) -> bytes:
    """Open the ``{"nonce": ..., "ciphertext": ...}`` envelope of an encrypted event. Raises ValueError on bad
    base64, a nonce that is not 24 bytes, or a ciphertext that does not authenticate (wrong key, wrong channel,
    tampered data)."""

def verify_webhook(secret: str, body: bytes, signature: str) -> bool:
    """Whether ``signature`` is the hex HMAC-SHA256 of ``body`` keyed with ``secret``.

    Compared in constant time; hex of either case is accepted; anything that is not 64 hex digits is ``False``.
    """

def backoff_delay(
    backoff: float, max_backoff: float, retry_index: int, retry_after: float | None, unit: float
) -> float:
    """Seconds to wait before retry number ``retry_index + 1`` (from 0): full-jitter exponential backoff,
    ``unit * min(max_backoff, backoff * 2**retry_index)`` where ``unit`` is the caller's uniform random number in
    [0, 1), raised to ``retry_after`` and never above ``max_backoff``. Always finite and >= 0 (NaN and infinities are
    clamped); the native sender waits the same way."""

def parse_retry_after(value: str) -> float | None:
    """A ``Retry-After`` header value in seconds (a non-negative decimal number), or None (an HTTP date included)."""

def is_retryable_status(status: int) -> bool:
    """Whether a response with this status is worth another attempt: 429 and 5xx."""

@final
class Signer:
    """Request building for one app: validation, data serialization, encryption and signing in one call.

    ``dumps(value) -> str`` serializes what the Rust writer cannot (with ``custom_encoder``, every non-str value):
    ``functools.partial(json.dumps, cls=encoder, ensure_ascii=False)``; ``dumps_ascii`` does the same for channel
    and user data, which are ASCII-escaped: ``functools.partial(json.dumps, cls=encoder)``. Errors: TypeError for
    wrong types, ValueError (with the official SDK's messages where its rule is the same) for invalid values.
    """

    def __new__(
        cls,
        app_id: str,
        key: str,
        secret: str,
        master_key: bytes | None,
        max_payload_bytes: int,
        dumps: Callable[[Any], str],
        dumps_ascii: Callable[[Any], str],
        custom_encoder: bool,
        base_url: str,
        post_headers: Mapping[str, str],
    ) -> Signer: ...
    def authorize_channel(self, channel: object, socket_id: object, custom_data: object) -> dict[str, str]:
        """``{"auth": ...}`` plus ``channel_data`` (presence) and ``shared_secret`` (encrypted channels)."""

    def authenticate_user(self, socket_id: object, user_data: object) -> dict[str, str]:
        """``{"auth": ..., "user_data": ...}``; ``user_data`` is a mapping with a string ``id``."""

    def validate_webhook(
        self, key: object, signature: object, body: object, now_ms: float, loads: Callable[[bytes], Any] | None
    ) -> dict[str, Any] | None:
        """The official SDK's check: the parsed body, or None for a wrong key or signature, a body that is not a JSON
        object, or a ``time_ms`` missing or more than 5 minutes from ``now_ms``. ``body`` is a str, bytes, bytearray or
        memoryview (TypeError otherwise). ``loads`` parses the body with a custom decoder (a ValueError or
        RecursionError from it means not valid); None reads it as ``json.loads`` does (see ``loads_json``)."""

    def trigger(
        self, channels: object, event_name: object, data: object, socket_id: object = None, info: object = None
    ) -> PreparedRequest:
        """The request of ``POST /apps/{id}/events``, signed with ``int(time.time())`` (a replaced ``time.time`` is
        called; otherwise the clock is read in Rust)."""

    def sign_posts(self, endpoint: str, bodies: Sequence[bytes], timestamp: int) -> tuple[str, list[str]]:
        """``(path, queries)``: the signature of every body as it is, for ``events`` or ``batch_events``."""

    def batch(self, events: Iterable[Mapping[str, Any]], already_encoded: bool = False) -> PreparedRequest:
        """The request of ``POST /apps/{id}/batch_events``, signed now; the caller's mappings are only read, and an
        iterable no further than one event past the limit."""

def check_channel(name: str, allow_server_to_user: bool) -> None:
    """ValueError unless ``name`` is a valid channel name."""

def check_channel_count(count: int) -> None:
    """ValueError unless 1 <= count <= 100."""

def check_event_name(name: str) -> None:
    """ValueError unless ``name`` is 1 to 200 characters."""

def check_socket_id(socket_id: str) -> None:
    """ValueError unless ``socket_id`` is ``<digits>.<digits>``."""

def check_user_id(user_id: str) -> None:
    """ValueError unless ``user_id`` is 1 to 200 characters of the channel-name alphabet."""

def check_payload_size(data: str, limit: int) -> None:
    """ValueError when the encoding of ``data`` (UTF-8; three bytes per lone surrogate) is longer than ``limit``."""

def check_prefix_filter(prefix: str) -> None:
    """ValueError unless ``prefix`` is channel-name characters and ``#`` (a ``filter_by_prefix`` value)."""

def normalize_info(info: object, scope: InfoScope | None = None, target: str | None = None) -> str | None:
    """Channel attributes as ``"a,b"`` (from a str or a list/tuple/set of names), or None; ValueError for names the
    ``scope`` (``EVENT`` by default) does not offer for ``target`` (a prefix filter or a channel)."""

# --- request building: prepared requests, attribute scopes, retry bounds, JSON reading -------------------------------

MAX_RETRIES: Final[int]
"""The most retries a retry policy may ask for (100)."""
MAX_BACKOFF_SECONDS: Final[float]
"""The longest ``backoff`` or ``max_backoff`` of a retry policy, in seconds (3600.0)."""

@final
class PreparedRequest:
    """A signed request, ready to send with any HTTP client; the attributes of the official SDK's ``Request``."""

    def __new__(
        cls, method: str, base_url: str, path: str, query_string: str, headers: Mapping[str, str], body: bytes
    ) -> PreparedRequest: ...
    @property
    def method(self) -> str:
        """``"GET"`` or ``"POST"``."""

    @property
    def base_url(self) -> str:
        """``scheme://host[:port]``."""

    @property
    def path(self) -> str:
        """``/apps/{app_id}/...``."""

    @property
    def query_string(self) -> str:
        """The signed query string, percent-encoded."""

    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def body(self) -> bytes: ...
    @property
    def url(self) -> str:
        """``base_url`` + ``path`` + ``?`` + ``query_string``."""

    @property
    def signed_path(self) -> str:
        """``path`` + ``?`` + ``query_string``."""

    @property
    def query_params(self) -> dict[str, str]:
        """The query string's parameters, decoded: ``dict(urllib.parse.parse_qsl(query_string))``."""

    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]
    def __reduce__(self) -> tuple[type[PreparedRequest], tuple[Any, ...]]:
        """Pickles and copies as a call of the constructor."""

@final
class InfoScope:
    """Where channel attributes are asked for; each place offers its own."""

    EVENT: ClassVar[InfoScope]
    """The ``info`` of a trigger or a batch event: ``user_count`` and ``subscription_count``."""
    CHANNEL_LIST: ClassVar[InfoScope]
    """The channel list (target: its prefix filter): ``user_count``, with a ``presence-`` prefix."""
    CHANNEL: ClassVar[InfoScope]
    """One channel (target: its name): ``user_count`` for presence channels, ``subscription_count`` for others."""

    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

def check_info_attributes(attributes: Sequence[str], scope: InfoScope, target: str) -> None:
    """ValueError unless ``scope`` offers every one of ``attributes`` (exact names) for ``target``."""

def check_retries(retries: int) -> int:
    """``retries`` when it is 0 to ``MAX_RETRIES``; ValueError otherwise."""

def check_backoff(name: str, seconds: float) -> float:
    """``seconds`` when finite, above 0 and at most ``MAX_BACKOFF_SECONDS``; ValueError naming ``name`` otherwise."""

def loads_json(body: bytes) -> Any:
    """``json.loads(body)``, read in Rust where it can be; ValueError (never RecursionError) for a body that is not
    JSON."""

@final
class PackedRequest:
    """The ``batch_events`` request of one packed batch, ready for ``NativeSender.submit_packed``, which signs it on
    the sender's thread."""

    @property
    def lane(self) -> int:
        """The lane of the batch's channels."""

    @property
    def path(self) -> str:
        """``/apps/{id}/batch_events``."""

    @property
    def path_and_query(self) -> str:
        """``/apps/{id}/batch_events?{signed query}``, signed when read, with the time of packing."""

    @property
    def body(self) -> bytes:
        """A copy of the body (the sender reads it without one)."""

    @property
    def event_indices(self) -> list[int]:
        """The stream positions of the batch's events, in order (a multi-channel event's items share one)."""

    @property
    def events(self) -> list[Any]:
        """The events themselves, as the caller gave them, in the same order."""

    def __len__(self) -> int:
        """How many items (events on one channel each) the batch holds."""

@final
class BulkPacker:
    """Packs a stream of events into signed ``batch_events`` requests, one lane per channel hash."""

    def __new__(cls, lanes: int) -> BulkPacker: ...
    def pack(
        self, signer: Signer, events: Iterable[Any], first_index: int, timestamp: int
    ) -> tuple[list[PackedRequest], list[tuple[int, BaseException]], list[tuple[int, int]]]:
        """The requests of the batches that became full, failures ``(index, exception)`` of invalid events, and
        ``(index, copies)`` of multi-channel events."""

    def flush(self, signer: Signer, timestamp: int) -> list[PackedRequest]:
        """The requests of every partly filled batch."""

    def pending(self) -> int:
        """Items waiting in partly filled batches."""

@final
class FailureKind:
    """Why a request got no usable HTTP response."""

    TIMEOUT: ClassVar[FailureKind]
    """The attempt ran out of time (queued, connecting, in the TLS handshake, or waiting for or reading the answer)."""
    CONNECT: ClassVar[FailureKind]
    """The target could not be reached: DNS, refused, unreachable."""
    TLS: ClassVar[FailureKind]
    """The TLS handshake failed, a refused certificate included."""
    PROXY: ClassVar[FailureKind]
    """The proxy could not be reached, refused the tunnel, or the tunnel failed."""
    PROTOCOL: ClassVar[FailureKind]
    """The connection broke, or the peer did not speak HTTP/1.1 (truncated, garbage, closed without answering)."""
    BODY_TOO_LARGE: ClassVar[FailureKind]
    """The answer's body is over ``MAX_RESPONSE_BODY_BYTES``; its status is known, its body is not kept."""
    CLOSED: ClassVar[FailureKind]
    """The client was closed before the request completed."""

    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Completion:
    """A finished request: the final response, or the failure that stopped it."""

    @property
    def request_id(self) -> int: ...
    @property
    def status(self) -> int:
        """The final HTTP status; 0 when the last attempt got no answer (known with ``BODY_TOO_LARGE``)."""

    @property
    def body(self) -> bytes:
        """The final response body (empty without a usable answer)."""

    @property
    def failure(self) -> FailureKind | None:
        """Why there is no usable answer; None with a status and body."""

    @property
    def message(self) -> str | None:
        """What went wrong, for people (never a credential); None without a failure."""

    @property
    def attempts(self) -> int:
        """How many attempts were made (0 when the client was closed before the first)."""

    @property
    def retry_after(self) -> float | None:
        """The final response's Retry-After, in seconds."""

@final
class TlsConfig:
    """A TLS client configuration: verification against the roots of ``bundle`` (a PEM file) or ``directory`` (of
    PEM files), or no verification when both are None. Reads the files; ValueError naming them when unusable."""

    def __new__(cls, *, bundle: str | None = None, directory: str | None = None) -> TlsConfig: ...

@final
class NativeClient:
    """A keep-alive HTTP/1.1 connection pool whose requests run on the calling thread, without the GIL, each over
    before ``timeout`` seconds from the call (every wait is bounded by the time left). Opens nothing until used."""

    def __new__(
        cls,
        base_url: str,
        *,
        timeout: float,
        headers: list[tuple[str, str]],
        proxy: str | None = None,
        tls: TlsConfig | None = None,
        max_body: int,
        max_idle: int,
    ) -> NativeClient: ...
    def send(self, method: str, target: str, body: bytes) -> dict[str, Any] | Completion:
        """Send and wait: a new empty dict for a 2xx answer with an empty or ``{}`` body, a ``Completion`` otherwise.
        A signal handler that raises (Ctrl-C) stops the call with its exception."""

    def close(self) -> None:
        """Close the pooled connections and end the calls in progress (they fail as ``CLOSED``)."""

@final
class CompletionQueue:
    """Where the completions of submitted requests are delivered: a thread collects them with ``wait``; an event loop
    watches ``fileno()`` (readable while completions wait) and collects them with ``take``."""

    def __new__(cls) -> CompletionQueue: ...
    def take(self) -> list[Completion]:
        """Every completion delivered so far, without waiting."""

    def wait(self, timeout: float) -> list[Completion]:
        """Like ``take``, but first waits (without the GIL, interruptible by signals) up to ``timeout`` seconds."""

    def fileno(self) -> int:
        """A descriptor that is readable while completions wait."""

@final
class NativeSender:
    """A keep-alive HTTP/1.1 client sending already-signed requests on its own runtime thread.

    With ``ordered``, each request names one of ``lanes`` lanes, and a lane sends its requests one after another in
    submission order (retries included), each attempt over within ``timeout`` from when the lane takes it.
    Otherwise at most ``lanes`` connections are used at once, any idle one first, and the first attempt's ``timeout``
    runs from ``submit`` (waiting included).
    """

    def __new__(
        cls,
        base_url: str,
        *,
        timeout: float,
        lanes: int,
        ordered: bool,
        headers: list[tuple[str, str]],
        proxy: str | None = None,
        tls: TlsConfig | None = None,
        max_body: int,
        retries: int = 0,
        backoff_base: float = 0.1,
        backoff_max: float = 10.0,
    ) -> NativeSender: ...
    def submit(
        self, request_id: int, lane: int | None, method: str, target: str, body: bytes, queue: CompletionQueue
    ) -> None:
        """Queue a request; its ``Completion`` goes to ``queue``. Never waits."""

    def submit_packed(self, request_id: int, request: PackedRequest, queue: CompletionQueue) -> None:
        """Queue a bulk packer's request on its lane, to be signed on the sender's thread; its ``Completion`` goes to
        ``queue``. Never waits."""

    def submit_many(self, requests: list[tuple[int, str, str, bytes]], queue: CompletionQueue) -> None:
        """Queue ``(request_id, method, target, body)`` requests on a pool, waking its thread once for all of them;
        their ``Completion``s go to ``queue``. Never waits."""

    def cancel(self, request_id: int) -> None:
        """Drop a submitted request that has not started: it is not sent and gets no completion."""

    def close(self) -> None:
        """Stop accepting requests and drop the connections; idempotent. Unfinished requests complete as ``CLOSED``."""
