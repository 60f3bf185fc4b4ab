"""The clients: ``Pusher`` (sync) and ``AsyncPusher`` (asyncio), sharing configuration, request building and auth.

Both build every request with the same :class:`~pusher_fast._request.RequestBuilder`; they differ only in how the
prepared request is sent.
"""

from __future__ import annotations

import asyncio
import functools
import json
import threading
import time
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from pusher_fast import _bulk
from pusher_fast._bulk_result import BulkResult
from pusher_fast._config import DEFAULT_MAX_PAYLOAD_BYTES, Config, parse_pusher_url, read_url_from_env
from pusher_fast._request import RequestBuilder, make_signer
from pusher_fast._retry import RetryPolicy
from pusher_fast._transports import AsyncTransport, SyncTransport, TransportOptions, async_transport, sync_transport
from pusher_fast._transports.backend import BackendTransport
from pusher_fast._transports.base import TransportChoice
from pusher_fast._transports.tls import VerifyTypes
from pusher_fast.errors import PusherClientClosed
from pusher_fast.webhook import Headers, Webhook, parse_webhook

if TYPE_CHECKING:
    import httpx

__all__ = ["AsyncPusher", "Pusher"]

_Client = TypeVar("_Client", bound="_BaseClient")
_Result = dict[str, Any]


class _BaseClient:
    """Configuration, request preparation, channel and user auth, and webhooks: everything that does no I/O."""

    __slots__ = ("_closed", "_config", "_signer", "_transport", "_transport_options", "prepare")

    def __init__(
        self,
        app_id: str,
        key: str,
        secret: str,
        ssl: bool = True,
        host: str | None = None,
        port: int | None = None,
        timeout: float = 5,
        cluster: str | None = None,
        encryption_master_key: str | bytes | None = None,
        encryption_master_key_base64: str | bytes | None = None,
        json_encoder: type[json.JSONEncoder] | None = None,
        json_decoder: type[json.JSONDecoder] | None = None,
        backend: Any = None,
        *,
        max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
        proxy: str | None = None,
        verify: VerifyTypes = True,
        http_client: httpx.Client | httpx.AsyncClient | None = None,
        retries: int = 0,
        backoff: float = 0.1,
        max_backoff: float = 10.0,
        transport: TransportChoice | None = None,
        **backend_options: Any,
    ) -> None:
        retry = RetryPolicy(retries, backoff, max_backoff)
        self._closed = False
        self._config = Config.build(
            app_id,
            key,
            secret,
            ssl,
            host,
            port,
            timeout,
            cluster,
            encryption_master_key,
            encryption_master_key_base64,
            json_encoder,
            json_decoder,
            max_payload_bytes,
        )
        self._signer = make_signer(self._config)
        self.prepare = RequestBuilder(self._config, self._signer)
        """Builds the signed request of any API call without sending it (see :class:`RequestBuilder`)."""
        if backend is not None:
            if retry.retries:
                raise TypeError("retries= applies to pusher-fast's own transports, not to a backend=")
            if transport is not None:
                raise TypeError("transport= chooses pusher-fast's own transports; it cannot go with a backend=")
            self._transport_options = TransportOptions(proxy=proxy, verify=verify)
            self._transport = self._backend_transport(backend, backend_options)
        else:
            self._transport_options = TransportOptions.from_arguments(
                type(self).__name__, proxy, verify, backend_options, self._config.scheme, retry, transport
            )
            self._transport = self._http_transport(self._transport_options, http_client)

    def _backend_transport(self, backend: Any, options: dict[str, Any]) -> Any:
        raise TypeError(f"{type(self).__name__} does not take backend=; use http_client= or transport=")

    def _http_transport(self, options: TransportOptions, http_client: Any) -> Any:
        raise NotImplementedError

    @classmethod
    def from_url(cls: type[_Client], url: str, **options: Any) -> _Client:
        """A client from ``http(s)://key:secret@host[:port]/apps/app_id``; ``options`` override what it gives."""
        return cls(**{**parse_pusher_url(url), **options})

    @classmethod
    def from_env(cls: type[_Client], env: str = "PUSHER_URL", **options: Any) -> _Client:
        """A client from the URL in environment variable ``env`` (as set by the Heroku add-on)."""
        return cls.from_url(read_url_from_env(env), **options)

    # Read-only configuration, under the official SDK's names.
    @property
    def app_id(self) -> str:
        return self._config.app_id

    @property
    def key(self) -> str:
        return self._config.key

    @property
    def secret(self) -> str:
        return self._config.secret

    @property
    def host(self) -> str:
        return self._config.host

    @property
    def port(self) -> int:
        return self._config.port

    @property
    def ssl(self) -> bool:
        return self._config.ssl

    @property
    def scheme(self) -> str:
        return self._config.scheme

    @property
    def timeout(self) -> float:
        return self._config.timeout

    @property
    def cluster(self) -> str | None:
        return self._config.cluster

    @property
    def max_payload_bytes(self) -> int:
        return self._config.max_payload_bytes

    @property
    def _pusher_client(self: _Client) -> _Client:
        """The official ``Pusher`` splits itself into two internal clients; code that reaches into them gets this."""
        return self

    @property
    def _authentication_client(self: _Client) -> _Client:
        return self

    def __repr__(self) -> str:
        config = self._config
        return (
            f"{type(self).__name__}(app_id={config.app_id!r}, key={config.key!r}, "
            f"host={config.host!r}, port={config.port}, ssl={config.ssl})"
        )

    def authenticate(self, channel: str, socket_id: str, custom_data: Any = None) -> dict[str, str]:
        """The JSON your channel-authorization endpoint returns to pusher-js for a private or presence channel.

        ``{"auth": "key:signature"}``, plus ``channel_data`` (the JSON of ``custom_data``, required for presence
        channels, e.g. ``{"user_id": "42", "user_info": {...}}``) and ``shared_secret`` for encrypted channels.
        """
        return self._signer.authorize_channel(channel, socket_id, custom_data)

    authorize_channel = authenticate

    def authenticate_user(self, socket_id: str, user_data: Mapping[str, Any] | None = None) -> dict[str, str]:
        """The JSON your user-authentication endpoint returns for ``pusher:signin``: ``auth`` and ``user_data``."""
        return self._signer.authenticate_user(socket_id, user_data)

    def validate_webhook(self, key: str, signature: str, body: str | bytes) -> dict[str, Any] | None:
        """The official SDK's check of a webhook: the parsed body, or ``None`` when it is not valid.

        Pass the ``X-Pusher-Key`` and ``X-Pusher-Signature`` headers and the raw body. Prefer :meth:`webhook`,
        which says why a webhook was refused and decrypts encrypted events.
        """
        decoder = self._config.json_decoder
        loads = None if decoder is None else functools.partial(json.loads, cls=decoder)
        return self._signer.validate_webhook(key, signature, body, time.time() * 1000, loads)

    def webhook(self, headers: Headers, body: str | bytes, *, max_age: float | None = None) -> Webhook:
        """Validate a webhook from its request headers and raw body; see :func:`pusher_fast.webhook.parse_webhook`."""
        return parse_webhook(self._config, headers, body, max_age=max_age)

    def _bulk_run(
        self, events: Iterable[Mapping[str, Any]], max_in_flight: int, retries: int, backoff: float, max_backoff: float
    ) -> Callable[[threading.Event | None], BulkResult]:
        """``trigger_many``'s work, its options checked now (at the call, also for the async client); it takes the
        event that stops it."""
        if self._closed:
            raise PusherClientClosed("the client is closed; create a new one")
        options = _bulk.BulkOptions(max_in_flight, RetryPolicy(retries, backoff, max_backoff))
        return functools.partial(_bulk.publish, self._config, self._transport_options, self._signer, events, options)


class Pusher(_BaseClient):
    """A Pusher Channels client; a drop-in replacement for ``pusher.Pusher``.

    One instance keeps a pool of keep-alive connections and is safe to share across threads. Close it with
    :meth:`close` or use it as a context manager.

    Arguments beyond the official SDK's (keyword-only): ``max_payload_bytes`` (the API's 10240 by default; raise it
    for a dedicated cluster), ``proxy`` (``HTTP(S)_PROXY`` are honoured anyway), ``verify`` (a CA bundle path or an
    ``ssl.SSLContext``), ``http_client`` (your own ``httpx.Client``; you close it), and ``retries`` (off by
    default; with ``backoff`` and ``max_backoff``): resend after a connection error, a timeout, a 5xx or a 429, waiting
    with exponential backoff and jitter, or the server's Retry-After. A request that timed out may have been
    delivered, so retrying it can deliver an event twice.
    """

    __slots__ = ()

    _transport: SyncTransport

    def _backend_transport(self, backend: Any, options: dict[str, Any]) -> SyncTransport:
        return BackendTransport(backend, self, options)

    def _http_transport(self, options: TransportOptions, http_client: Any) -> SyncTransport:
        return sync_transport(self._config, options, http_client)

    def trigger(
        self,
        channels: str | Iterable[str],
        event_name: str,
        data: Any,
        socket_id: str | None = None,
        info: str | Sequence[str] | None = None,
    ) -> _Result:
        """Trigger ``event_name`` with ``data`` on one channel or up to 100.

        ``data`` is sent as is when it is a str, as JSON otherwise; on a ``private-encrypted-`` channel it is
        encrypted first. ``socket_id`` excludes that connection. ``info`` (``"user_count"``,
        ``"subscription_count"`` or both) asks for those attributes of each channel, returned under ``"channels"``.
        """
        return self._transport.send(self.prepare.trigger(channels, event_name, data, socket_id, info))

    def send_to_user(self, user_id: str, event_name: str, data: Any) -> _Result:
        """Send an event to every connection of one signed-in user."""
        return self._transport.send(self.prepare.send_to_user(user_id, event_name, data))

    def trigger_batch(self, batch: Iterable[Mapping[str, Any]] = (), already_encoded: bool = False) -> _Result:
        """Trigger up to 10 events in one request; each is a mapping with channel, name, data (socket_id, info).

        With ``info`` on any event, the result holds ``"batch"``: the attributes of each event's channel, in order.
        """
        return self._transport.send(self.prepare.trigger_batch(batch, already_encoded))

    def channels_info(self, prefix_filter: str | None = None, attributes: str | Sequence[str] | None = None) -> _Result:
        """The occupied channels: ``{"channels": {name: {attributes}}}``."""
        return self._transport.send(self.prepare.channels_info(prefix_filter, attributes))

    def channel_info(self, channel: str, attributes: str | Sequence[str] | None = None) -> _Result:
        """One channel's state: ``{"occupied": bool, ...attributes}``."""
        return self._transport.send(self.prepare.channel_info(channel, attributes))

    def users_info(self, channel: str) -> _Result:
        """The members of a presence channel: ``{"users": [{"id": ...}, ...]}``."""
        return self._transport.send(self.prepare.users_info(channel))

    def terminate_user_connections(self, user_id: str) -> _Result:
        """Disconnect every connection of a user."""
        return self._transport.send(self.prepare.terminate_user_connections(user_id))

    def trigger_many(
        self,
        events: Iterable[Mapping[str, Any]],
        *,
        max_in_flight: int = 16,
        retries: int = 0,
        backoff: float = 0.1,
        max_backoff: float = 10.0,
    ) -> BulkResult:
        """Publish any number of events, as fast as the connection allows, with bounded memory.

        ``events`` is any iterable (a generator is fine) of mappings with ``channel`` (or ``channels``), ``name``,
        ``data`` and optionally ``socket_id``. They are packed into ``batch_events`` requests of ten (a multi-channel
        event once per channel), with up to ``max_in_flight`` requests in flight; the events of one channel arrive in
        the order given. Every event is either counted in ``result.sent`` or listed in ``result.failed`` with the
        exception that stopped it (invalid events do not stop the others).

        ``retries`` (off by default) resends a request after a connection error, a timeout, a 5xx or a 429, with
        exponential backoff and jitter (``backoff`` doubling up to ``max_backoff`` seconds, or the server's
        Retry-After). A request that timed out may have been delivered, so retrying it can deliver events twice.

        Requests go through pusher_fast's native HTTP client (the same host, timeout, proxy and TLS settings), not
        through ``http_client`` or ``backend``.
        """
        return self._bulk_run(events, max_in_flight, retries, backoff, max_backoff)(None)

    def close(self) -> None:
        """Close the connection pool (not a caller-supplied ``http_client``).

        Calls made afterwards raise :class:`~pusher_fast.errors.PusherClientClosed`; requests still in flight fail
        with ``PusherConnectionError``.
        """
        self._closed = True
        self._transport.close()

    def __enter__(self) -> Pusher:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncPusher(_BaseClient):
    """The asyncio client: ``Pusher``'s constructor and methods, the API calls as coroutines.

    Arguments are validated when a method is called, before anything is awaited, so bad input raises at the call.
    One instance keeps a pool of keep-alive connections; close it with :meth:`aclose` or ``async with``.
    """

    __slots__ = ()

    _transport: AsyncTransport

    def _http_transport(self, options: TransportOptions, http_client: Any) -> AsyncTransport:
        return async_transport(self._config, options, http_client)

    def trigger(
        self,
        channels: str | Iterable[str],
        event_name: str,
        data: Any,
        socket_id: str | None = None,
        info: str | Sequence[str] | None = None,
    ) -> Coroutine[Any, Any, _Result]:
        """As :meth:`Pusher.trigger`."""
        return self._transport.send(self.prepare.trigger(channels, event_name, data, socket_id, info))

    def send_to_user(self, user_id: str, event_name: str, data: Any) -> Coroutine[Any, Any, _Result]:
        """As :meth:`Pusher.send_to_user`."""
        return self._transport.send(self.prepare.send_to_user(user_id, event_name, data))

    def trigger_batch(
        self, batch: Iterable[Mapping[str, Any]] = (), already_encoded: bool = False
    ) -> Coroutine[Any, Any, _Result]:
        """As :meth:`Pusher.trigger_batch`."""
        return self._transport.send(self.prepare.trigger_batch(batch, already_encoded))

    def channels_info(
        self, prefix_filter: str | None = None, attributes: str | Sequence[str] | None = None
    ) -> Coroutine[Any, Any, _Result]:
        """As :meth:`Pusher.channels_info`."""
        return self._transport.send(self.prepare.channels_info(prefix_filter, attributes))

    def channel_info(self, channel: str, attributes: str | Sequence[str] | None = None) -> Coroutine[Any, Any, _Result]:
        """As :meth:`Pusher.channel_info`."""
        return self._transport.send(self.prepare.channel_info(channel, attributes))

    def users_info(self, channel: str) -> Coroutine[Any, Any, _Result]:
        """As :meth:`Pusher.users_info`."""
        return self._transport.send(self.prepare.users_info(channel))

    def terminate_user_connections(self, user_id: str) -> Coroutine[Any, Any, _Result]:
        """As :meth:`Pusher.terminate_user_connections`."""
        return self._transport.send(self.prepare.terminate_user_connections(user_id))

    def trigger_many(
        self,
        events: Iterable[Mapping[str, Any]],
        *,
        max_in_flight: int = 16,
        retries: int = 0,
        backoff: float = 0.1,
        max_backoff: float = 10.0,
    ) -> Coroutine[Any, Any, BulkResult]:
        """As :meth:`Pusher.trigger_many`; the publishing runs in a worker thread, so the event loop stays free.

        ``events`` is read from that thread: pass a list or a plain generator, not one that touches the loop.
        Cancelling the call stops the publishing within a fraction of a second: nothing more is read or sent.
        """
        return _publish_in_thread(self._bulk_run(events, max_in_flight, retries, backoff, max_backoff))

    async def aclose(self) -> None:
        """Close the connection pool (not a caller-supplied ``http_client``)."""
        self._closed = True
        await self._transport.aclose()

    async def __aenter__(self) -> AsyncPusher:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


async def _publish_in_thread(run: Callable[[threading.Event | None], BulkResult]) -> BulkResult:
    """Runs ``trigger_many``'s work in a worker thread; a cancellation stops it there too."""
    stop = threading.Event()
    try:
        return await asyncio.to_thread(run, stop)
    except asyncio.CancelledError:
        stop.set()
        raise
