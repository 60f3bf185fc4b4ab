"""The official SDK's extension point, kept for drop-in use: ``backend(client, **options).send_request(request)``."""

from __future__ import annotations

from typing import Any

from pusher_fast._request import PreparedRequest
from pusher_fast._transports import fork

__all__ = ["BackendTransport"]


class BackendTransport:
    """Sends through a backend class written for the official ``pusher`` package (``RequestsBackend``, ...).

    The backend is made again in a forked child: the parent's (a ``requests.Session`` with its pooled connections)
    would share connections, and answers, with the parent.
    """

    def __init__(self, backend: Any, client: Any, options: dict[str, Any]) -> None:
        self._make: Any = lambda: backend(client, **options)
        self._backend = self._make()
        self._generation = fork.current()

    def send(self, request: PreparedRequest) -> Any:
        if self._generation != fork.current():
            self._backend = self._make()
            self._generation = fork.current()
        return self._backend.send_request(request)

    def close(self) -> None:
        if self._generation != fork.current():
            return  # the parent's backend: left to the parent
        close = getattr(self._backend, "close", None)
        if callable(close):
            close()
