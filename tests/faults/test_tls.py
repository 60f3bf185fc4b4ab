"""Every path trusts the same roots.

``verify=True``: the ``SSL_CERT_FILE`` file, else the ``SSL_CERT_DIR`` directory, else certifi's bundle;
``verify="ca.pem"``: exactly that bundle (it replaces the default roots); ``verify=False``: no verification. The
tests that set the TLS variables run the client in a fresh process (``programs/call.py``), since a client may read
them once per process.
"""

from __future__ import annotations

import re
import shutil
import ssl
import subprocess
from typing import Any

import pytest

from pusher_fast import AsyncPusher, Pusher, PusherConnectionError

from .certs import ServerCert, TlsSetup
from .conftest import ServerFactory
from .paths import PATHS, Path, call, expect_error, expect_success
from .programs import environment, outcome_problems, run
from .server import OK, FaultServer

TLS_FAILURE_WORDS = re.compile(r"certificate|tls|ssl|handshake|issuer|verif", re.IGNORECASE)


def tls_server(serve: ServerFactory, cert: ServerCert) -> FaultServer:
    return serve(OK, tls=cert.server_context())


def expect_tls_failure(path: Path, server: FaultServer, options: dict[str, Any], what: str) -> None:
    outcome = call(path, options)
    expect_error(outcome, PusherConnectionError, fault=what)
    message = str(outcome.errors[0])
    if not TLS_FAILURE_WORDS.search(message):
        pytest.fail(f"[{path} / {what}] the message does not say it is a TLS failure: {message!r}")
    if server.request_count:
        pytest.fail(f"[{path} / {what}] the server read {server.request_count} requests over an untrusted connection")


def in_fresh_process(path: Path, options: dict[str, Any], env: dict[str, str], what: str, expected: str | None) -> None:
    finished = run("call", {"path": path.name, "options": options, "calls": [{}]}, env=env, timeout=30)
    problems = outcome_problems(finished.report, expected)
    if finished.returncode != 0:
        problems.append(finished.describe())
    if problems:
        wanted = expected or "success"
        pytest.fail(f"[{path} / {what}] expected {wanted}: " + "; ".join(problems))


@pytest.mark.parametrize("path", PATHS, ids=str)
def test_a_ca_bundle_in_verify_is_trusted(serve: ServerFactory, tls: TlsSetup, path: Path) -> None:
    server = tls_server(serve, tls.trusted)
    expect_success(call(path, server.client_options(verify=str(tls.ca_file))), fault="verify=ca.pem", within=5)


@pytest.mark.parametrize("path", PATHS, ids=str)
def test_an_unknown_ca_fails(serve: ServerFactory, tls: TlsSetup, path: Path) -> None:
    server = tls_server(serve, tls.trusted)
    options = server.client_options(verify=str(tls.other_ca_file))
    expect_tls_failure(path, server, options, "server signed by a CA not in verify=")


@pytest.mark.parametrize("path", PATHS, ids=str)
def test_a_certificate_for_another_name_fails(serve: ServerFactory, tls: TlsSetup, path: Path) -> None:
    server = tls_server(serve, tls.wrong_name)
    options = server.client_options(verify=str(tls.ca_file))
    expect_tls_failure(path, server, options, "certificate for pusher.example.test, connecting to 127.0.0.1")


@pytest.mark.parametrize("path", PATHS, ids=str)
@pytest.mark.parametrize("kind", ["ca", "leaf"], ids=["CA-true", "CA-false"])
def test_a_self_signed_certificate_given_as_its_own_ca(
    serve: ServerFactory, tls: TlsSetup, path: Path, kind: str
) -> None:
    cert = tls.self_signed[kind]
    server = tls_server(serve, cert)
    outcome = call(path, server.client_options(verify=str(cert.chain_file)))
    expect_success(outcome, fault=f"self-signed ({kind}) as its own CA", within=5)


@pytest.mark.parametrize("path", PATHS, ids=str)
def test_verify_false_skips_verification(serve: ServerFactory, tls: TlsSetup, path: Path) -> None:
    server = tls_server(serve, tls.wrong_name)
    expect_success(call(path, server.client_options(verify=False)), fault="verify=False, wrong name", within=5)


@pytest.mark.parametrize("cls", [Pusher, AsyncPusher], ids=lambda cls: cls.__name__)
def test_an_ssl_context_in_verify_is_used(serve: ServerFactory, tls: TlsSetup, cls: type) -> None:
    """``verify=<SSLContext>`` needs no ``transport=``: it selects httpx."""
    server = tls_server(serve, tls.trusted)
    context = ssl.create_default_context(cafile=str(tls.ca_file))
    path = Path(f"{cls.__name__}(verify=SSLContext)", is_async=cls is AsyncPusher, bulk=False)
    expect_success(call(path, server.client_options(verify=context)), fault="verify=SSLContext", within=5)


@pytest.mark.parametrize("path", PATHS, ids=str)
def test_ssl_cert_file_is_the_default_root(serve: ServerFactory, tls: TlsSetup, path: Path) -> None:
    server = tls_server(serve, tls.trusted)
    env = environment({"SSL_CERT_FILE": str(tls.ca_file)})
    in_fresh_process(path, server.client_options(), env, "verify=True with SSL_CERT_FILE=ca.pem", None)


@pytest.mark.parametrize("path", PATHS, ids=str)
def test_ssl_cert_dir_is_the_default_root(serve: ServerFactory, tls: TlsSetup, tmp_path: Any, path: Path) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("the openssl command is needed to hash a certificate directory for SSL_CERT_DIR")
    directory = tmp_path / "certs"
    directory.mkdir()
    shutil.copy(tls.ca_file, directory / "fault-suite-ca.pem")
    subprocess.run([openssl, "rehash", str(directory)], check=True, capture_output=True)
    server = tls_server(serve, tls.trusted)
    env = environment({"SSL_CERT_DIR": str(directory)})
    in_fresh_process(path, server.client_options(), env, "verify=True with SSL_CERT_DIR", None)


@pytest.mark.parametrize("path", PATHS, ids=str)
def test_the_default_roots_do_not_trust_an_unknown_ca(serve: ServerFactory, tls: TlsSetup, path: Path) -> None:
    server = tls_server(serve, tls.trusted)
    in_fresh_process(
        path, server.client_options(), environment(), "verify=True, no TLS variables", "PusherConnectionError"
    )


@pytest.mark.parametrize("path", PATHS, ids=str)
def test_a_bundle_in_verify_replaces_the_default_roots(serve: ServerFactory, tls: TlsSetup, path: Path) -> None:
    """SSL_CERT_FILE would trust the server; ``verify=other-ca.pem`` must not add to it but replace it."""
    server = tls_server(serve, tls.trusted)
    env = environment({"SSL_CERT_FILE": str(tls.ca_file)})
    options = server.client_options(verify=str(tls.other_ca_file))
    in_fresh_process(path, options, env, "SSL_CERT_FILE=ca.pem, verify=other-ca.pem", "PusherConnectionError")


@pytest.mark.parametrize("path", PATHS, ids=str)
def test_no_usable_roots_fail_clearly(serve: ServerFactory, tls: TlsSetup, tmp_path: Any, path: Path) -> None:
    """SSL_CERT_FILE names a file without certificates: a ValueError at construction or a PusherConnectionError at
    the first request, saying why; never a success, a hang or another exception."""
    empty = tmp_path / "no-certificates.pem"
    empty.write_text("")
    server = tls_server(serve, tls.trusted)
    env = environment({"SSL_CERT_FILE": str(empty)})
    finished = run("call", {"path": path.name, "options": server.client_options(), "calls": [{}]}, env=env, timeout=30)
    report = finished.report
    what = f"[{path} / SSL_CERT_FILE without certificates]"
    if not isinstance(report, dict):
        pytest.fail(f"{what} {finished.describe()}")
    errors = report["errors"]
    allowed = {"construction": "ValueError", "call": "PusherConnectionError"}[report["stage"]]
    if not errors or any(allowed not in error["mro"] for error in errors):
        pytest.fail(f"{what} {report['stage']} gave {errors[:1] or 'success'}, expected {allowed}")
    message = errors[0]["message"]
    if str(empty) not in message and not TLS_FAILURE_WORDS.search(message):
        pytest.fail(f"{what} the message does not say what is wrong: {message!r}")
