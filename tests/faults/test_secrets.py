"""No error message, repr or log line shows the app secret, a request's ``auth_signature`` or proxy credentials.

Errors are checked as they can be shown: ``str``, ``repr``, and the printed traceback with every chained
exception. Logs are captured at DEBUG from every logger (``pusher_fast``, ``httpx``, ``httpcore``, ...).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import traceback
from typing import Any

import pytest

from pusher_fast import AsyncPusher, Pusher, PusherConnectionError

from .conftest import ServerFactory
from .paths import PATHS, Outcome, Path, build, call, error_texts, expect_error, leaks
from .server import ECHO, GARBAGE, NOT_JSON, OK, RESET, SECRET, STALL, Fault, answer, oversized, refused_port

URL_SECRET = "S3CR3T@7f9a2b"
PROXY_USER, PROXY_PASSWORD = "proxy-user", "hunter2-proxy-pw"
PROXY_TOKEN = base64.b64encode(f"{PROXY_USER}:{PROXY_PASSWORD}".encode()).decode()

FAULTS: dict[str, Fault] = {
    "200": OK,
    "stall": STALL,
    "reset": RESET,
    "garbage": GARBAGE,
    "401": answer(401, '{"error": "invalid signature"}'),
    "429": answer(429, retry_after=3),
    "not-json": NOT_JSON,
    "9MB": oversized(9 * 1024 * 1024),
}


def shown(outcome: Outcome, caplog: pytest.LogCaptureFixture) -> list[str]:
    """Everything the call left to be seen: its errors, its result's repr and every log record."""
    texts = [text for error in outcome.errors for text in error_texts(error)]
    if outcome.close_error is not None:
        texts.extend(error_texts(outcome.close_error))
    texts.append(repr(outcome.result)[:10_000])
    for record in caplog.records:
        texts.append(record.getMessage())
        if record.exc_info and record.exc_info[1] is not None:
            texts.append("".join(traceback.format_exception(*record.exc_info)))
    return texts


def expect_nothing_shown(what: str, texts: list[str], secrets: set[str]) -> None:
    found = leaks(texts, secrets)
    if found:
        pytest.fail(f"[{what}] a secret is shown: " + "; ".join(found[:3]))


@pytest.mark.parametrize("cls", [Pusher, AsyncPusher], ids=lambda cls: cls.__name__)
def test_from_url_takes_a_secret_containing_at(cls: type) -> None:
    try:
        client = cls.from_url(f"http://key:{URL_SECRET}@host.example/apps/1")
    except Exception as exc:
        found = leaks([str(exc)], {URL_SECRET, "7f9a2b"})
        pytest.fail(
            f"from_url raised {type(exc).__name__}: {exc}" + (f" (showing the secret: {found})" if found else "")
        )
    assert (client.key, client.secret, client.host, client.app_id) == ("key", URL_SECRET, "host.example", "1")


BAD_URLS = {
    "port-out-of-range": f"http://key:{URL_SECRET}@host.example:99999/apps/1",
    "no-host": f"http://key:{URL_SECRET}@/apps/1",
    "no-app-id": f"http://key:{URL_SECRET}@host.example/apps/",
    "wrong-path": f"http://key:{URL_SECRET}@host.example/nope/1",
    "unknown-scheme": f"ftp://key:{URL_SECRET}@host.example/apps/1",
}


@pytest.mark.parametrize("case", BAD_URLS)
def test_from_url_errors_do_not_show_the_secret(case: str) -> None:
    try:
        Pusher.from_url(BAD_URLS[case])
    except ValueError as exc:
        expect_nothing_shown(f"from_url {case}", error_texts(exc), {URL_SECRET, "7f9a2b"})
        return
    except Exception as exc:
        pytest.fail(f"[from_url {case}] expected ValueError, got {type(exc).__name__}: {exc}")
    pytest.fail(f"[from_url {case}] was accepted")


@pytest.mark.parametrize("path", PATHS, ids=str)
@pytest.mark.parametrize("fault_name", FAULTS)
def test_errors_and_logs_do_not_show_secrets(
    serve: ServerFactory, caplog: pytest.LogCaptureFixture, path: Path, fault_name: str
) -> None:
    server = serve(FAULTS[fault_name])
    caplog.set_level(logging.DEBUG)
    outcome = call(path, server.client_options())
    if not server.request_count:
        pytest.fail(f"[{path} / {fault_name}] nothing reached the server: {outcome.describe()}")
    expect_nothing_shown(f"{path} / {fault_name}", shown(outcome, caplog), {SECRET, *server.signatures()})


@pytest.mark.parametrize("path", PATHS, ids=str)
def test_reprs_do_not_show_secrets(serve: ServerFactory, path: Path) -> None:
    server = serve(ECHO)
    client: Any = build(path, server.client_options())
    prepared = client.prepare.trigger("ch", "ev", {})
    texts = [repr(client), str(client), repr(prepared), str(prepared), repr(client.prepare)]
    expect_nothing_shown(f"{path} reprs", texts, {SECRET, prepared.query_params["auth_signature"]})
    if path.is_async:
        asyncio.run(client.aclose())
    else:
        client.close()


PROXY_FAULTS: dict[str, Fault | None] = {"200": ECHO, "reset": RESET, "garbage": GARBAGE, "refused": None}


@pytest.mark.parametrize("path", PATHS, ids=str)
@pytest.mark.parametrize("fault_name", PROXY_FAULTS)
def test_proxy_credentials_are_not_shown(
    serve: ServerFactory, caplog: pytest.LogCaptureFixture, path: Path, fault_name: str
) -> None:
    """The fault server plays an HTTP proxy (it reads absolute-form requests); the proxy URL holds credentials."""
    fault = PROXY_FAULTS[fault_name]
    caplog.set_level(logging.DEBUG)
    if fault is None:
        with refused_port() as port:
            proxy = f"http://{PROXY_USER}:{PROXY_PASSWORD}@127.0.0.1:{port}"
            outcome = call(path, {"app_id": "1", "key": "k", "secret": SECRET, "ssl": False, "proxy": proxy})
        secrets = {SECRET, PROXY_PASSWORD, PROXY_TOKEN}
    else:
        server = serve(fault)
        proxy = f"http://{PROXY_USER}:{PROXY_PASSWORD}@127.0.0.1:{server.port}"
        options = {"app_id": "1", "key": "k", "secret": SECRET, "host": "api.invalid", "ssl": False, "proxy": proxy}
        outcome = call(path, options)
        secrets = {SECRET, PROXY_PASSWORD, PROXY_TOKEN, *server.signatures()}
        via_proxy = [item.request for item in server.received if item.request.target.startswith("http://api.invalid")]
        if not via_proxy:
            pytest.fail(f"[{path} / proxy {fault_name}] no request came through the proxy: {outcome.describe()}")
        if fault_name == "200" and outcome.errors:
            pytest.fail(f"[{path} / proxy 200] the call failed through a working proxy: {outcome.describe()}")
        authorizations = {request.headers.get("proxy-authorization") for request in via_proxy}
        if authorizations != {f"Basic {PROXY_TOKEN}"}:
            pytest.fail(f"[{path} / proxy {fault_name}] Proxy-Authorization sent: {authorizations}")
    if fault_name != "200":
        expect_error(outcome, PusherConnectionError, fault=f"proxy {fault_name}")
    expect_nothing_shown(f"{path} / proxy {fault_name}", shown(outcome, caplog), secrets)
