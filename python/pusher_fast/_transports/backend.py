"""The official SDK's extension point, kept for drop-in use: ``backend(client, **options).send_request(request)``."""

from __future__ import annotations

from typing import Any

from pusher_fast._request import PreparedRequest

__all__ = ["BackendTransport"]


class BackendTransport:
    """Sends through a backend class written for the official ``pusher`` package (``RequestsBackend``, ...)."""

    def __init__(self, backend: Any, client: Any, options: dict[str, Any]) -> None:
        self._backend = backend(client, **options)

    def send(self, request: PreparedRequest) -> Any:
        return self._backend.send_request(request)

    def close(self) -> None:
        close = getattr(self._backend, "close", None)
        if callable(close):
            close()
