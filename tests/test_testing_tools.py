"""The local server's tools for application tests: a clear busy-port error, typed client options, the plaintext of
encrypted events, signed webhook requests, and the standalone server (``python -m pusher_fast.testing``)."""

from __future__ import annotations

import errno
import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from pusher_fast import Pusher
from pusher_fast.testing import AddressInUseError, LocalPusherServer
from tests.sdk_pair import MASTER_KEY_BASE64


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port with a listener on 127.0.0.1 (without SO_REUSEPORT, so nothing else can bind it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


def test_busy_port_is_a_clear_error(busy_port: int) -> None:
    server = LocalPusherServer(port=busy_port)
    with pytest.raises(AddressInUseError) as raised:
        server.start()
    assert isinstance(raised.value, OSError)
    assert raised.value.errno == errno.EADDRINUSE
    assert str(raised.value) == (
        f"127.0.0.1:{busy_port} is already in use (another server is listening there); "
        "choose another port, or port 0 for any free one"
    )
    assert not server.running
    server.stop()  # nothing to stop, and no error


def test_busy_port_as_a_context_manager(busy_port: int) -> None:
    with pytest.raises(AddressInUseError, match="already in use"), LocalPusherServer(port=busy_port):
        pass


def test_client_options_are_typed_keyword_arguments(pusher_server: LocalPusherServer) -> None:
    options = pusher_server.client_options()
    assert options == {
        "app_id": "app-id",
        "key": "app-key",
        "secret": "app-secret",
        "host": "127.0.0.1",
        "port": pusher_server.port,
        "ssl": False,
    }
    with Pusher(**options) as client:
        assert client.trigger("c", "e", "d") == {}


def test_plaintext_of_encrypted_events() -> None:
    with LocalPusherServer(encryption_master_key_base64=MASTER_KEY_BASE64) as server:
        assert server.encryption_master_key_base64 == MASTER_KEY_BASE64
        with Pusher(**server.client_options(), encryption_master_key_base64=MASTER_KEY_BASE64) as client:
            client.trigger("private-encrypted-vault", "sealed", {"pin": "1234", "name": "Zoë"})
            client.trigger(["plain", "other"], "open", "as is")
        sealed, plain = server.wait_for_events(2)
    assert "ciphertext" in sealed.data
    assert "1234" not in sealed.data
    assert json.loads(server.plaintext(sealed)) == {"pin": "1234", "name": "Zoë"}
    assert server.plaintext(plain) == "as is"


def test_plaintext_needs_the_right_key() -> None:
    other_key = "A" * 43 + "="
    with LocalPusherServer() as keyless, LocalPusherServer(encryption_master_key_base64=other_key) as wrong:
        for server in (keyless, wrong):
            with Pusher(**server.client_options(), encryption_master_key_base64=MASTER_KEY_BASE64) as client:
                client.trigger("private-encrypted-x", "e", "secret")
        (keyless_event,) = keyless.events
        (wrong_event,) = wrong.events
    with pytest.raises(ValueError, match=r"encrypted: give LocalPusherServer\(encryption_master_key_base64"):
        keyless.plaintext(keyless_event)
    with pytest.raises(ValueError, match="could not be decrypted"):
        wrong.plaintext(wrong_event)


@pytest.mark.parametrize("key", ["not base64!", "AAAA"])
def test_bad_master_key_is_refused_up_front(key: str) -> None:
    with pytest.raises(ValueError, match="encryption_master_key_base64"):
        LocalPusherServer(encryption_master_key_base64=key)


def test_webhook_request_is_signed_like_channels_signs(pusher_server: LocalPusherServer) -> None:
    events = [{"name": "channel_occupied", "channel": "orders"}]
    hook = pusher_server.webhook_request(events, time_ms=1_700_000_000_000)
    assert json.loads(hook.body) == {"time_ms": 1_700_000_000_000, "events": events}
    expected = hmac.new(b"app-secret", hook.body, hashlib.sha256).hexdigest()
    assert dict(hook.headers) == {
        "Content-Type": "application/json",
        "X-Pusher-Key": "app-key",
        "X-Pusher-Signature": expected,
    }
    with Pusher(**pusher_server.client_options()) as client:
        webhook = client.webhook(hook.headers, hook.body)
    assert [(event.name, event.channel) for event in webhook.events] == [("channel_occupied", "orders")]


def test_webhook_request_with_other_credentials(pusher_server: LocalPusherServer) -> None:
    hook = pusher_server.webhook_request([], key="other", secret="other-secret")
    assert hook.headers["X-Pusher-Key"] == "other"
    assert hook.headers["X-Pusher-Signature"] == hmac.new(b"other-secret", hook.body, hashlib.sha256).hexdigest()
    with Pusher(**pusher_server.client_options()) as client, pytest.raises(ValueError, match="X-Pusher-Key"):
        client.webhook(hook.headers, hook.body)


def _standalone(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pusher_fast.testing", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def test_standalone_server_on_a_busy_port(busy_port: int) -> None:
    process = _standalone("--port", str(busy_port))
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 1
    assert (
        stderr == f"cannot listen: 127.0.0.1:{busy_port} is already in use (another server is listening there); "
        "choose another port, or port 0 for any free one\n"
    )
    assert "Traceback" not in stderr
    assert stdout == ""


def test_standalone_server_prints_events_in_plaintext() -> None:
    process = _standalone("--port", "0", "--print-events", "--encryption-master-key-base64", MASTER_KEY_BASE64)
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert banner.startswith("Local Pusher server listening on http://127.0.0.1:"), banner
        assert "app-secret" not in banner
        port = int(banner.split("http://127.0.0.1:")[1].split(" ")[0])
        assert "HTTP API only (no WebSocket)" in process.stdout.readline()
        options = {"app_id": "app-id", "key": "app-key", "secret": "app-secret", "host": "127.0.0.1", "port": port}
        with Pusher(**options, ssl=False, encryption_master_key_base64=MASTER_KEY_BASE64) as client:
            client.trigger("private-encrypted-room", "sealed", {"pin": 7})
            client.trigger(["a", "b"], "open", "hi")
        assert process.stdout.readline() == "event 'sealed' on private-encrypted-room: {\"pin\": 7}\n"
        assert process.stdout.readline() == "event 'open' on a, b: hi\n"
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    assert process.returncode == 0


def test_standalone_server_refuses_bad_options() -> None:
    process = _standalone("--encryption-master-key-base64", "not base64!")
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "encryption_master_key_base64 must be valid base64" in stderr
