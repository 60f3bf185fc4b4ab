"""How prepared requests are sent.

Every transport implements :class:`~pusher_fast._transports.base.SyncTransport` or
:class:`~pusher_fast._transports.base.AsyncTransport`; each lives in its own module:

* ``native``: the default transports (Rust, without the GIL) and the bulk sender of ``trigger_many``;
* ``httpx_client``: httpx, for a caller's own client, an ``ssl.SSLContext``, a client certificate, or on request;
* ``backend``: the official SDK's ``backend=`` classes.

``errors`` is the one module where answers and failures become results and exceptions, ``tls`` the one TLS policy,
``retrying`` the per-call retry loops, ``log`` the DEBUG line, ``fork`` the process generation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pusher_fast._config import Config
from pusher_fast._transports.base import AsyncTransport, SyncTransport, TransportOptions
from pusher_fast._transports.errors import parse_response
from pusher_fast._transports.native import NativeAsyncTransport, NativeTransport

if TYPE_CHECKING:
    import httpx

__all__ = [
    "AsyncTransport",
    "SyncTransport",
    "TransportOptions",
    "async_transport",
    "parse_response",
    "sync_transport",
]


def sync_transport(config: Config, options: TransportOptions, http_client: httpx.Client | None) -> SyncTransport:
    """``Pusher``'s transport: native unless httpx is asked for or needed."""
    if options.uses_httpx(http_client):
        from pusher_fast._transports.httpx_client import HttpxTransport

        return HttpxTransport(config, options, http_client)
    return NativeTransport(config, options)


def async_transport(config: Config, options: TransportOptions, http_client: httpx.AsyncClient | None) -> AsyncTransport:
    """``AsyncPusher``'s transport: native unless httpx is asked for or needed."""
    if options.uses_httpx(http_client):
        from pusher_fast._transports.httpx_client import AsyncHttpxTransport

        return AsyncHttpxTransport(config, options, http_client)
    return NativeAsyncTransport(config, options)
