"""One TLS policy for every transport: which roots are trusted, as an ``ssl.SSLContext`` for httpx and as a native
:class:`~pusher_fast._native.TlsConfig` for the native transports.

``verify=True``: the file named by ``SSL_CERT_FILE``, else the directory named by ``SSL_CERT_DIR``, else certifi's
bundle (exactly what httpx itself uses). ``verify="ca.pem"``: that bundle only, replacing the default roots.
``verify=False``: no verification. Native configurations are built once per roots source and process (reading a
bundle takes milliseconds) and rebuilt in a forked child, whose copy may hold a lock of the parent's.
"""

from __future__ import annotations

import os
import ssl
from typing import Union

from pusher_fast import _native
from pusher_fast._transports import fork

__all__ = ["VerifyTypes", "check_verify", "https_proxy", "native_tls", "ssl_context"]

VerifyTypes = Union[bool, str, ssl.SSLContext]

_Roots = tuple[str, str]  # ("bundle" | "directory", path)

_native_configs: dict[_Roots | None, _native.TlsConfig] = {}
"""Built configurations by roots source. No lock: dict operations are atomic under the GIL, and two threads that
both build one at first use waste a few milliseconds, nothing more (a lock held at a fork would stay held in the
child)."""


def check_verify(verify: object) -> None:
    """Refuse, at construction, a ``verify=`` that cannot work: a wrong type or a bundle that is not a file."""
    if isinstance(verify, (bool, ssl.SSLContext)):
        return
    if not isinstance(verify, str):
        raise TypeError("verify should be a bool, a CA bundle path or an ssl.SSLContext")
    if not os.path.isfile(verify):
        raise ValueError(f"verify={verify!r}: there is no CA bundle file at that path")


_PROXY_VARIABLES = ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "http_proxy", "HTTP_PROXY")


def https_proxy(proxy: str | None) -> bool:
    """Whether a connection may go through an ``https://`` proxy (``proxy``, or one from the environment)."""
    candidates = [proxy] if proxy is not None else [os.environ.get(name) for name in _PROXY_VARIABLES]
    return any(value is not None and value.strip().lower().startswith("https://") for value in candidates)


def _roots(verify: bool | str) -> _Roots | None:
    if verify is False:
        return None
    if isinstance(verify, str):
        return ("bundle", verify)
    cert_file = os.environ.get("SSL_CERT_FILE")
    if cert_file:
        return ("bundle", cert_file)
    cert_dir = os.environ.get("SSL_CERT_DIR")
    if cert_dir:
        return ("directory", cert_dir)
    import certifi  # httpx's own CA source, installed with it

    return ("bundle", certifi.where())


def native_tls(verify: bool | str) -> _native.TlsConfig:
    """The native TLS configuration for ``verify``, shared by every client of this process that uses the same roots.

    Raises ``ValueError`` naming the file or directory when it holds no usable certificate.
    """
    roots = _roots(verify)
    fork.reset_if_forked(_native_configs)
    config = _native_configs.get(roots)
    if config is None:
        if roots is None:
            config = _native.TlsConfig()
        elif roots[0] == "bundle":
            config = _native.TlsConfig(bundle=roots[1])
        else:
            config = _native.TlsConfig(directory=roots[1])
        config = _native_configs.setdefault(roots, config)
    return config


def ssl_context(verify: VerifyTypes, cert: str | tuple[str, str] | None = None) -> ssl.SSLContext:
    """The ``ssl.SSLContext`` httpx uses for ``verify`` (same roots as the native transports) and ``cert``."""
    if isinstance(verify, ssl.SSLContext):
        context = verify
    else:
        roots = _roots(verify)
        if roots is None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif roots[0] == "bundle":
            context = ssl.create_default_context(cafile=roots[1])
        else:
            context = ssl.create_default_context(capath=roots[1])
    if cert is not None:
        if isinstance(cert, tuple):
            context.load_cert_chain(*cert)
        else:
            context.load_cert_chain(cert)
    return context
