"""Drives pusher-js, the official JS client (npm ``pusher-js``, Node build), from the tests.

``node/pusherjs_client.js`` runs pusher-js and talks JSON lines over stdin/stdout; this side plays the app's auth
endpoint, answering pusher-js's auth requests with what pusher_fast's ``authenticate`` and ``authenticate_user``
return.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

from .harness import E2E_DIR, node_env

SCRIPT = E2E_DIR / "node" / "pusherjs_client.js"


class PusherJs:
    """One pusher-js client in a ``node`` process."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process
        self._lines: list[dict[str, Any]] = []
        self._consumed: set[int] = set()
        self._arrived = asyncio.Event()
        self._reader = asyncio.get_running_loop().create_task(self._read())
        self._stderr = b""
        self._stderr_reader = asyncio.get_running_loop().create_task(self._read_stderr())

    @classmethod
    async def start(cls, host: str, port: int, key: str) -> PusherJs:
        process = await asyncio.create_subprocess_exec(
            "node",
            str(SCRIPT),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=node_env(),
        )
        client = cls(process)
        await client.send({"type": "start", "key": key, "host": host, "port": port})
        return client

    async def __aenter__(self) -> PusherJs:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _read(self) -> None:
        assert self._process.stdout is not None
        while True:
            line = await self._process.stdout.readline()
            if not line:
                break
            self._lines.append(json.loads(line))
            self._arrived.set()
        self._arrived.set()

    async def _read_stderr(self) -> None:
        assert self._process.stderr is not None
        self._stderr = await self._process.stderr.read()

    async def send(self, message: dict[str, Any]) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(message).encode("utf-8") + b"\n")
        await self._process.stdin.drain()

    async def wait_for(self, match: Callable[[dict[str, Any]], bool], timeout: float = 10) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for index, line in enumerate(self._lines):
                if index not in self._consumed and match(line):
                    self._consumed.add(index)
                    return line
            if self._reader.done():
                await asyncio.wait_for(asyncio.shield(self._stderr_reader), 5)
                raise ConnectionError(
                    f"pusher-js exited; output {self._lines!r}; stderr {self._stderr.decode('utf-8', 'replace')}"
                )
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"pusher-js: nothing matching within {timeout} s; output {self._lines[-10:]!r}")
            self._arrived.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)

    async def expect(self, type_: str, timeout: float = 10, **fields: Any) -> dict[str, Any]:
        return await self.wait_for(
            lambda line: line.get("type") == type_ and all(line.get(k) == v for k, v in fields.items()), timeout
        )

    async def close(self) -> None:
        if self._process.returncode is None:
            with contextlib.suppress(Exception):
                await self.send({"type": "quit"})
            try:
                await asyncio.wait_for(self._process.wait(), 5)
            except asyncio.TimeoutError:
                self._process.kill()
                await self._process.wait()
        for task in (self._reader, self._stderr_reader):
            task.cancel()
            with contextlib.suppress(BaseException):
                await task

    @property
    def stderr(self) -> str | None:
        return self._stderr.decode("utf-8", "replace") if self._stderr else None
