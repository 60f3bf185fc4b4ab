"""What a transport is (the :class:`SyncTransport` and :class:`AsyncTransport` protocols), what it is made with
(:class:`TransportOptions`), and which transport a client gets (:func:`uses_httpx`)."""

from __future__ import annotations

import ssl
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, Union

from pusher_fast._request import LIBRARY_HEADER, PreparedRequest
from pusher_fast._retry import RetryPolicy
from pusher_fast._transports.tls import VerifyTypes, check_verify

__all__ = [
    "HEADERS",
    "AsyncTransport",
    "CertTypes",
    "SyncTransport",
    "TransportChoice",
    "TransportOptions",
]

CertTypes = Union[str, tuple[str, str]]
TransportChoice = Literal["native", "httpx"]

HEADERS = [("Content-Type", "application/json"), ("X-Pusher-Library", LIBRARY_HEADER)]
"""The headers every request of the native transports carries."""


class SyncTransport(Protocol):
    """Sends a prepared request and returns the decoded answer, or raises the matching pusher_fast exception."""

    def send(self, request: PreparedRequest) -> dict[str, Any]: ...

    def close(self) -> None: ...


class AsyncTransport(Protocol):
    """The asyncio form of :class:`SyncTransport`."""

    async def send(self, request: PreparedRequest) -> dict[str, Any]: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class TransportOptions:
    """How requests are sent: proxy, TLS verification, client certificate, retry policy, and the transport asked for.

    Everything is checked here, at construction: a bad proxy URL or a missing CA bundle is a ``ValueError`` then,
    not a failure of the first request.
    """

    proxy: str | None = None
    verify: VerifyTypes = True
    cert: CertTypes | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    transport: TransportChoice | None = None

    def __post_init__(self) -> None:
        if self.proxy is not None:
            _check_proxy(self.proxy)
        check_verify(self.verify)
        if self.cert is not None and not (
            isinstance(self.cert, str)
            or (isinstance(self.cert, tuple) and len(self.cert) == 2 and all(isinstance(p, str) for p in self.cert))
        ):
            raise TypeError("cert should be a path, or a (certificate path, key path) tuple")
        if self.transport not in (None, "native", "httpx"):
            raise ValueError(f"transport should be 'native' or 'httpx', not {self.transport!r}")
        if self.transport == "native" and self.needs_httpx():
            raise ValueError(
                "transport='native' cannot use verify=<ssl.SSLContext> or a client certificate (cert=); "
                "leave transport unset or use transport='httpx'"
            )

    def needs_httpx(self) -> bool:
        """Whether these settings can only be honoured by httpx: an ``ssl.SSLContext`` or a client certificate."""
        return self.cert is not None or isinstance(self.verify, ssl.SSLContext)

    def uses_httpx(self, http_client: object) -> bool:
        """Whether a client's API calls go through httpx: asked for, or needed by ``http_client``/the settings."""
        if http_client is not None and self.transport == "native":
            raise ValueError("transport='native' cannot use http_client=; leave transport unset")
        return self.transport == "httpx" or http_client is not None or self.needs_httpx()

    @classmethod
    def from_arguments(
        cls,
        owner: str,
        proxy: str | None,
        verify: VerifyTypes,
        backend_options: Mapping[str, Any],
        scheme: str,
        retry: RetryPolicy,
        transport: TransportChoice | None,
    ) -> TransportOptions:
        """The constructor's transport arguments, including the ``requests``-style ``proxies=``/``cert=`` the official
        SDK forwarded to its backend."""
        options = dict(backend_options)
        proxies = options.pop("proxies", None)
        cert = options.pop("cert", None)
        if options:
            raise TypeError(f"{owner}() got unexpected keyword argument(s): {', '.join(sorted(options))}")
        if proxies is not None and proxy is None:
            if isinstance(proxies, str):
                proxy = proxies
            elif isinstance(proxies, Mapping):
                proxy = proxies.get(scheme) or proxies.get("all")
            else:
                raise TypeError("proxies should be a URL string or a mapping of scheme to proxy URL")
        return cls(proxy=proxy, verify=verify, cert=cert, retry=retry, transport=transport)


def _check_proxy(proxy: object) -> None:
    # The URL is never repeated in these messages: it may hold the proxy's password.
    if not isinstance(proxy, str):
        raise TypeError("proxy should be a URL string such as 'http://proxy.internal:3128'")
    try:
        parsed = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        port = parsed.port
        host = parsed.hostname
    except ValueError:
        raise ValueError(
            "Invalid proxy URL: bad host or port (the URL is not repeated: it may hold a password)"
        ) from None
    if parsed.scheme not in ("http", "https"):
        raise ValueError("Invalid proxy URL: the scheme must be http:// or https://")
    if not host or any(character in host for character in " \t"):
        raise ValueError("Invalid proxy URL: no valid host")
    if parsed.path not in ("", "/") or parsed.query or parsed.fragment:
        raise ValueError("Invalid proxy URL: a path or query is not allowed")
    if port == 0:
        raise ValueError("Invalid proxy URL: bad host or port (the URL is not repeated: it may hold a password)")
