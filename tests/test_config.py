"""Constructor checks, host/port/cluster rules, URLs and the environment, the master key, repr and properties."""

from __future__ import annotations

import base64
import json

import pytest

from pusher_fast import AsyncPusher, Pusher
from tests.sdk_pair import MASTER_KEY, MASTER_KEY_BASE64


def make(**options: object) -> Pusher:
    return Pusher(**{"app_id": "4", "key": "key", "secret": "secret", **options})  # type: ignore[arg-type]


def test_defaults_match_the_official_sdk() -> None:
    client = make()
    assert (client.host, client.port, client.ssl, client.scheme, client.timeout) == (
        "api.pusherapp.com",
        443,
        True,
        "https",
        5.0,
    )
    assert client.prepare.trigger("c", "e", 1).url.startswith("https://api.pusherapp.com/apps/4/events?")


@pytest.mark.parametrize(
    ("options", "host", "port", "base_url"),
    [
        ({"cluster": "eu"}, "api-eu.pusher.com", 443, "https://api-eu.pusher.com"),
        ({"cluster": "eu", "host": "custom.example"}, "custom.example", 443, "https://custom.example"),
        ({"ssl": False}, "api.pusherapp.com", 80, "http://api.pusherapp.com"),
        ({"ssl": False, "port": 8080}, "api.pusherapp.com", 8080, "http://api.pusherapp.com:8080"),
        ({"host": "localhost:6001", "ssl": False}, "localhost", 6001, "http://localhost:6001"),
        ({"host": "localhost:6001", "port": 7000, "ssl": False}, "localhost", 7000, "http://localhost:7000"),
        ({"host": "[::1]:6001", "ssl": False}, "[::1]", 6001, "http://[::1]:6001"),
        ({"port": 0}, "api.pusherapp.com", 443, "https://api.pusherapp.com"),
    ],
)
def test_host_and_port_rules(options: dict[str, object], host: str, port: int, base_url: str) -> None:
    client = make(**options)
    assert (client.host, client.port) == (host, port)
    assert client.prepare.users_info("presence-c").base_url == base_url


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"app_id": 4}, TypeError, "app_id should be a string"),
        ({"app_id": ""}, ValueError, "Invalid app id"),
        ({"app_id": "a/b"}, ValueError, "Invalid app id"),
        ({"key": None}, TypeError, "key should be a string"),
        ({"key": ""}, ValueError, "key must not be empty"),
        ({"secret": 5}, TypeError, "secret should be a string"),
        ({"secret": ""}, ValueError, "secret must not be empty"),
        ({"ssl": "yes"}, TypeError, "SSL should be a boolean"),
        ({"port": "80"}, TypeError, "port should be an integer"),
        ({"port": True}, TypeError, "port should be an integer"),
        ({"port": 70000}, ValueError, "between 1 and 65535"),
        ({"host": 5}, TypeError, "host should be a string"),
        ({"host": "https://api.example.com"}, ValueError, "Invalid host"),
        ({"host": "api.example.com/path"}, ValueError, "Invalid host"),
        ({"cluster": "eu/x"}, ValueError, "Invalid cluster"),
        ({"timeout": None}, TypeError, "timeout should be"),
        ({"timeout": "5"}, TypeError, "timeout should be"),
        ({"timeout": True}, TypeError, "timeout should be"),
        ({"timeout": 0}, ValueError, "timeout must be positive"),
        ({"max_payload_bytes": 0}, ValueError, "max_payload_bytes must be positive"),
        ({"max_payload_bytes": 1.5}, TypeError, "max_payload_bytes should be an integer"),
        ({"json_encoder": json.dumps}, TypeError, "json_encoder should be a subclass"),
        ({"json_decoder": dict}, TypeError, "json_decoder should be a subclass"),
        ({"unknown_option": 1}, TypeError, "unexpected keyword argument"),
        ({"proxies": 5}, TypeError, "proxies should be"),
        ({"proxy": 5}, TypeError, "proxy should be"),
        ({"verify": 5}, TypeError, "verify should be"),
        ({"http_client": object()}, TypeError, "http_client should be an httpx.Client"),
    ],
)
def test_bad_constructor_arguments(options: dict[str, object], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        make(**options)


def test_bytes_arguments_are_decoded() -> None:
    client = make(app_id=b"4", key=b"key", secret=b"secret")
    assert (client.app_id, client.key, client.secret) == ("4", "key", "secret")


def test_master_key_base64() -> None:
    client = make(encryption_master_key_base64=MASTER_KEY_BASE64)
    assert client.authenticate("private-encrypted-c", "1.1")["shared_secret"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"encryption_master_key_base64": "not base64!"}, "valid base64"),
        ({"encryption_master_key_base64": base64.b64encode(b"short").decode()}, "32 bytes"),
        ({"encryption_master_key_base64": MASTER_KEY_BASE64, "encryption_master_key": "x" * 32}, "both"),
    ],
)
def test_bad_master_keys(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make(**options)


def test_deprecated_raw_master_key_warns_once() -> None:
    raw = MASTER_KEY.hex()[:32]
    with pytest.warns(DeprecationWarning, match="encryption_master_key is deprecated") as record:
        client = make(encryption_master_key=raw)
    assert len(record) == 1
    assert client.authenticate("private-encrypted-c", "1.1")["shared_secret"]
    with pytest.warns(DeprecationWarning, match="deprecated"), pytest.raises(ValueError, match="must be 32 bytes long"):
        make(encryption_master_key="short")


def test_repr_hides_secret_and_master_key() -> None:
    client = make(secret="s3cr3t-value", encryption_master_key_base64=MASTER_KEY_BASE64)
    text = repr(client) + repr(client._config) + repr(client.prepare.trigger("c", "e", 1))
    assert "s3cr3t-value" not in text
    assert MASTER_KEY_BASE64 not in text
    assert repr(MASTER_KEY) not in text
    assert "auth_signature" not in text
    assert "app_id='4'" in repr(client)


def test_from_url() -> None:
    client = Pusher.from_url("https://key:secret@api-eu.pusher.com/apps/123")
    assert (client.key, client.secret, client.host, client.port, client.ssl, client.app_id) == (
        "key",
        "secret",
        "api-eu.pusher.com",
        443,
        True,
        "123",
    )


def test_from_url_with_port_and_named_app() -> None:
    client = Pusher.from_url("http://app-key:app-secret@127.0.0.1:6001/apps/app-id")
    assert (client.host, client.port, client.ssl, client.app_id) == ("127.0.0.1", 6001, False, "app-id")
    assert client.prepare.trigger("c", "e", 1).url.startswith("http://127.0.0.1:6001/apps/app-id/events?")


def test_from_url_options_override_and_percent_decoding() -> None:
    client = Pusher.from_url("http://k%40ey:se%2Fcret@host/apps/1", ssl=True, timeout=2)
    assert (client.key, client.secret, client.ssl, client.timeout) == ("k@ey", "se/cret", True, 2.0)


@pytest.mark.parametrize(
    "url",
    ["nonsense", "ftp://k:s@h/apps/1", "http://h/apps/1", "http://k@h/apps/1", "http://k:s@h/1", "http://k:s@h/apps/"],
)
def test_from_url_refuses_bad_urls_without_echoing_them(url: str) -> None:
    with pytest.raises(ValueError, match="Unparsable url") as info:
        Pusher.from_url(url)
    assert url not in str(info.value)


def test_from_url_refuses_non_text() -> None:
    with pytest.raises(TypeError):
        Pusher.from_url(5)  # type: ignore[arg-type]


def test_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUSHER_URL", "http://key:secret@127.0.0.1:6001/apps/7")
    monkeypatch.setenv("OTHER_URL", "https://k2:s2@api-us2.pusher.com/apps/8")
    assert Pusher.from_env().port == 6001
    other = AsyncPusher.from_env("OTHER_URL")
    assert isinstance(other, AsyncPusher)
    assert (other.key, other.host, other.app_id) == ("k2", "api-us2.pusher.com", "8")


def test_from_env_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUSHER_URL", raising=False)
    with pytest.raises(ValueError, match="Environment variable PUSHER_URL not found"):
        Pusher.from_env()


def test_internal_client_paths_of_the_official_sdk_work() -> None:
    client = make()
    assert client._pusher_client.key == "key"
    assert client._authentication_client.app_id == "4"


def test_authorize_channel_is_authenticate() -> None:
    client = make()
    assert client.authorize_channel("private-c", "1.1") == client.authenticate("private-c", "1.1")
