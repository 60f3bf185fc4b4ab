"""A client's life: bad arguments refused at construction, calls after ``close()``, requests in flight when it closes,
an async client used from one event loop after another."""

from __future__ import annotations

import asyncio
import math
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pusher_fast import AsyncPusher, Pusher, PusherConnectionError, PusherTransportError

from .conftest import ServerFactory
from .paths import ASYNC_PATHS, PATHS, SINGLE_PATHS, SLACK, Path, build, call, contract_error, expect_error, leaks
from .server import ECHO, SECRET, STALL

PROXY_PASSWORD = "hunter2-proxy-pw"


@pytest.mark.parametrize("path", PATHS, ids=str)
def test_a_closed_client_raises_client_closed(serve: ServerFactory, path: Path) -> None:
    closed = contract_error("PusherClientClosed")
    if not issubclass(closed, PusherTransportError):
        pytest.fail(f"PusherClientClosed derives from {closed.__mro__[1:]}, not PusherTransportError")
    server = serve()
    outcome = call(path, server.client_options(), closed_first=True, retry={"retries": 3, "backoff": 0.01})
    expect_error(outcome, closed, fault="call after close()", within=SLACK)
    if server.request_count:
        pytest.fail(f"[{path}] a closed client sent {server.request_count} requests")


@pytest.mark.parametrize("path", SINGLE_PATHS, ids=str)
def test_requests_in_flight_fail_when_the_client_closes(serve: ServerFactory, path: Path) -> None:
    server = serve(STALL)
    client: Any = build(path, server.client_options(timeout=30))
    outcome: dict[str, Any] = {}

    if path.is_async:

        async def main() -> None:
            task = asyncio.ensure_future(client.trigger("ch", "ev", {}))
            if not await asyncio.to_thread(server.wait_for_requests, 1, 5):
                task.cancel()
                pytest.fail(f"[{path}] the request never reached the server")
            closed_at = time.monotonic()
            await client.aclose()
            await asyncio.wait({task}, timeout=5)
            outcome["after_close"] = time.monotonic() - closed_at
            if task.done():
                outcome["error"] = task.exception()
            else:
                task.cancel()

        asyncio.run(main())
    else:

        def send() -> None:
            try:
                client.trigger("ch", "ev", {})
            except Exception as exc:
                outcome["error"] = exc
            outcome["ended"] = time.monotonic()

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        if not server.wait_for_requests(1, 5):
            pytest.fail(f"[{path}] the request never reached the server")
        closed_at = time.monotonic()
        client.close()
        sender.join(5)
        outcome["after_close"] = outcome.get("ended", time.monotonic()) - closed_at
    error = outcome.get("error")
    what = f"{type(error).__name__}({error})" if error is not None else "nothing (or it still hangs)"
    if not (isinstance(error, PusherConnectionError) and "closed" in str(error).lower()):
        pytest.fail(
            f"[{path}] a request in flight when the client closed raised {what}, not PusherConnectionError(closed)"
        )
    if outcome["after_close"] > SLACK:
        pytest.fail(f"[{path}] the request in flight ended {outcome['after_close']:.2f} s after close()")


@pytest.mark.parametrize("path", ASYNC_PATHS, ids=str)
def test_an_async_client_works_in_one_event_loop_after_another(serve: ServerFactory, path: Path) -> None:
    """As in a worker that runs ``asyncio.run`` per task (and in a forked child of a parent that used the client)."""
    server = serve(ECHO)
    client: Any = build(path, server.client_options())
    answers = []
    for loop_number in range(3):
        try:
            answers.append(asyncio.run(client.channel_info(f"loop-{loop_number}")))
        except Exception as exc:
            pytest.fail(f"[{path}] the call in event loop #{loop_number + 1} raised {type(exc).__name__}: {exc}")
    asyncio.run(client.aclose())
    assert [answer["channels"] for answer in answers] == [["loop-0"], ["loop-1"], ["loop-2"]]


# Bad arguments: ValueError or TypeError at construction (or at the call, for trigger_many's own), naming the
# problem, never showing a secret or a proxy password, and nothing sent.
CLIENT_ARGUMENTS: dict[str, tuple[dict[str, Any], str]] = {
    "proxy-port-out-of-range": ({"proxy": f"http://user:{PROXY_PASSWORD}@proxy.internal:99999"}, "proxy"),
    "proxy-unsupported-scheme": ({"proxy": f"ftp://user:{PROXY_PASSWORD}@proxy.internal:21"}, "proxy"),
    "proxy-without-host": ({"proxy": f"http://user:{PROXY_PASSWORD}@:3128"}, "proxy"),
    "proxy-not-a-url": ({"proxy": f"user:{PROXY_PASSWORD} at proxy"}, "proxy"),
    "retries-2**40": ({"retries": 2**40}, "retries"),
    "retries-negative": ({"retries": -1}, "retries"),
    "backoff-inf": ({"retries": 1, "backoff": math.inf}, "backoff"),
    "backoff-1e20": ({"retries": 1, "backoff": 1e20}, "backoff"),
    "backoff-nan": ({"retries": 1, "backoff": math.nan}, "backoff"),
    "max-backoff-inf": ({"retries": 1, "max_backoff": math.inf}, "backoff"),
    "max-backoff-1e20": ({"retries": 1, "max_backoff": 1e20}, "backoff"),
    "verify-missing-file": ({"verify": "/nonexistent/pusher-fast/ca.pem"}, "/nonexistent/pusher-fast/ca.pem"),
}

BULK_ARGUMENTS: dict[str, tuple[dict[str, Any], str]] = {
    "retries-2**40": ({"retries": 2**40}, "retries"),
    "backoff-inf": ({"retries": 1, "backoff": math.inf}, "backoff"),
    "backoff-1e20": ({"retries": 1, "backoff": 1e20}, "backoff"),
    "max-backoff-1e20": ({"retries": 1, "max_backoff": 1e20}, "backoff"),
}


def expect_refused(what: str, make: Callable[[], Any], word: str) -> None:
    """``make()`` raises ValueError or TypeError whose message names ``word`` and shows no secret."""
    try:
        built = make()
    except (ValueError, TypeError) as exc:
        message = f"{type(exc).__name__}({str(exc)!r})"
        if word.lower() not in str(exc).lower():
            pytest.fail(f"[{what}] {message} does not name {word!r}")
        if leaks([str(exc)], (SECRET, PROXY_PASSWORD)):
            pytest.fail(f"[{what}] {message} shows a secret")
        return
    except Exception as exc:
        pytest.fail(f"[{what}] expected ValueError or TypeError naming {word!r}, got {type(exc).__name__}: {exc}")
    pytest.fail(f"[{what}] expected ValueError or TypeError naming {word!r}; it built {built!r}")


@pytest.mark.parametrize("cls", [Pusher, AsyncPusher], ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("transport", [None, "httpx"], ids=["default", "httpx"])
@pytest.mark.parametrize("case", CLIENT_ARGUMENTS)
def test_bad_client_arguments_are_refused_at_construction(
    serve: ServerFactory, cls: type, transport: str | None, case: str
) -> None:
    server = serve()
    arguments, word = CLIENT_ARGUMENTS[case]
    chosen = {} if transport is None else {"transport": transport}
    options = {**server.client_options(), **chosen, **arguments}
    expect_refused(f"{cls.__name__} transport={transport} / {case}", lambda: cls(**options), word)
    assert server.request_count == 0


@pytest.mark.parametrize("path", [path for path in PATHS if path.bulk], ids=str)
@pytest.mark.parametrize("case", BULK_ARGUMENTS)
def test_bad_trigger_many_arguments_are_refused(serve: ServerFactory, path: Path, case: str) -> None:
    server = serve()
    arguments, word = BULK_ARGUMENTS[case]
    outcome = call(path, server.client_options(), retry=arguments)
    error = outcome.error
    if not isinstance(error, (ValueError, TypeError)) or word not in str(error):
        pytest.fail(f"[{path} / {case}] expected ValueError naming {word!r}; {outcome.describe()}")
    assert server.request_count == 0, f"[{path} / {case}] {server.request_count} requests were sent"


TRANSPORT_CONFLICTS: dict[str, tuple[Callable[[], dict[str, Any]], str]] = {
    "unknown-transport": (lambda: {"transport": "carrier-pigeon"}, "transport"),
    "native-with-http_client": (lambda: {"transport": "native", "http_client": httpx.Client()}, "http_client"),
    "native-with-ssl-context": (lambda: {"transport": "native", "verify": ssl.create_default_context()}, "verify"),
    "native-with-cert": (lambda: {"transport": "native", "cert": "/nonexistent/pusher-fast/client.pem"}, "cert"),
}


@pytest.mark.parametrize("cls", [Pusher, AsyncPusher], ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("case", TRANSPORT_CONFLICTS)
def test_bad_transport_choices_are_refused(serve: ServerFactory, cls: type, case: str) -> None:
    """``transport=`` is None, "native" or "httpx"; "native" cannot take what only httpx can do."""
    server = serve()
    make_extra, word = TRANSPORT_CONFLICTS[case]
    extra = make_extra()
    if cls is AsyncPusher and "http_client" in extra:
        extra["http_client"].close()
        extra["http_client"] = httpx.AsyncClient()
    options = {**server.client_options(), **extra}
    try:
        expect_refused(f"{cls.__name__} / {case}", lambda: cls(**options), word)
    finally:
        client = extra.get("http_client")
        if isinstance(client, httpx.Client):
            client.close()
        elif isinstance(client, httpx.AsyncClient):
            asyncio.run(client.aclose())
