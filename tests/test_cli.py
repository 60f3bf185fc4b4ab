"""``pusher-fast``, the command line: every command through ``main(argv)`` against the local server, exit codes
included, and the installed entry points as subprocesses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pusher_fast.cli import EXIT_FAILED, EXIT_NETWORK, EXIT_OK, EXIT_USAGE, main
from pusher_fast.testing import LocalPusherServer
from tests.sdk_pair import MASTER_KEY_BASE64


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalPusherServer]:
    """A local server that ``PUSHER_URL`` points at, with the master key in the environment too."""
    with LocalPusherServer(encryption_master_key_base64=MASTER_KEY_BASE64) as local:
        monkeypatch.setenv("PUSHER_URL", url_of(local))
        monkeypatch.setenv("PUSHER_ENCRYPTION_MASTER_KEY_BASE64", MASTER_KEY_BASE64)
        yield local


def url_of(server: LocalPusherServer) -> str:
    return f"http://{server.key}:{server.secret}@{server.host}:{server.port}/apps/{server.app_id}"


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    def run(*argv: str, stdin: str | bytes = "") -> Run:
        raw = stdin.encode() if isinstance(stdin, str) else stdin
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8"))
        code = main(list(argv))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# trigger


def test_trigger_one_channel(cli: Any, server: LocalPusherServer) -> None:
    run = cli("trigger", "-c", "orders", "order-created", '{"id": 7}')
    assert (run.code, run.json(), run.err) == (EXIT_OK, {}, "")
    (event,) = server.events
    assert (event.channels, event.name, event.data) == (("orders",), "order-created", '{"id": 7}')


def test_trigger_many_channels_with_info_and_socket_id(cli: Any, server: LocalPusherServer) -> None:
    server.set_channel("a", subscription_count=3)
    run = cli("trigger", "-c", "a", "--channel", "b", "e", "x", "--socket-id", "1.2", "--info", "subscription_count")
    assert run.code == EXIT_OK
    assert run.json() == {"channels": {"a": {"subscription_count": 3}, "b": {"subscription_count": 0}}}
    (event,) = server.events
    assert (event.channels, event.socket_id) == (("a", "b"), "1.2")


@pytest.mark.parametrize("data_argument", [[], ["-"]])
def test_trigger_reads_data_from_stdin(cli: Any, server: LocalPusherServer, data_argument: list[str]) -> None:
    assert cli("trigger", "-c", "c", "e", *data_argument, stdin='{"from": "stdin ✓"}\n').code == EXIT_OK
    assert server.events[0].data == '{"from": "stdin ✓"}'


def test_trigger_encrypted_with_the_key_from_the_environment(cli: Any, server: LocalPusherServer) -> None:
    assert cli("trigger", "-c", "private-encrypted-v", "e", "sealed").code == EXIT_OK
    (event,) = server.events
    assert "ciphertext" in event.data
    assert server.plaintext(event) == "sealed"


def test_trigger_exit_codes(cli: Any, server: LocalPusherServer, monkeypatch: pytest.MonkeyPatch) -> None:
    invalid = cli("trigger", "-c", "bad channel", "e", "d")
    assert (invalid.code, invalid.err) == (EXIT_USAGE, "pusher-fast: Invalid Channel: bad channel\n")
    server.fail_next(403, "over quota")
    refused = cli("trigger", "-c", "c", "e", "d")
    assert (refused.code, refused.err) == (
        EXIT_FAILED,
        "pusher-fast: the API refused the request: HTTP 403: over quota\n",
    )
    monkeypatch.setenv("PUSHER_URL", f"http://k:s@127.0.0.1:{closed_port()}/apps/1")
    unreachable = cli("trigger", "-c", "c", "e", "d")
    assert unreachable.code == EXIT_NETWORK
    assert unreachable.err.startswith("pusher-fast: no answer from the API: ")
    assert cli("trigger", "e", "d").code == EXIT_USAGE  # --channel is required
    assert server.events == ()


def test_timeout_is_a_network_error(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as silent:  # accepts connections (the backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        monkeypatch.setenv("PUSHER_URL", f"http://k:s@127.0.0.1:{silent.getsockname()[1]}/apps/1")
        run = cli("channels", "--timeout", "0.2")
    assert run.code == EXIT_NETWORK
    assert run.err.startswith("pusher-fast: no answer from the API: ")


# configuration


def test_no_configuration(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUSHER_URL", raising=False)
    run = cli("channels")
    assert run.code == EXIT_USAGE
    assert run.err == "pusher-fast: no app configured: set $PUSHER_URL, or give --url, or --app-id, --key, --secret\n"
    assert cli("channels", "--app-id", "1", "--key", "k").err.endswith("or --secret\n")


def test_flags_instead_of_a_url(cli: Any, server: LocalPusherServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUSHER_URL")
    server.set_channel("here")
    flags = ["--app-id", server.app_id, "--key", server.key, "--secret", server.secret]
    run = cli("channels", *flags, "--host", server.host, "--port", str(server.port), "--no-ssl")
    assert (run.code, run.json()) == (EXIT_OK, {"channels": {"here": {}}})
    before_command = cli("--url", url_of(server), "channels")
    assert (before_command.code, before_command.json()) == (EXIT_OK, {"channels": {"here": {}}})


def test_flags_override_the_url(cli: Any, server: LocalPusherServer) -> None:
    run = cli("channels", "--secret", "wrong")
    assert run.code == EXIT_FAILED
    assert "HTTP 401" in run.err


def test_bad_url_and_key_do_not_echo_secrets(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUSHER_URL", "https://key:very-secret@host/not-apps")
    run = cli("channels")
    assert run.code == EXIT_USAGE
    assert "Unparsable url" in run.err
    assert "very-secret" not in run.err + run.out
    bad_key = cli("channels", "--url", "http://k:s@h/apps/1", "--encryption-master-key-base64", "AAAA")
    assert bad_key.code == EXIT_USAGE
    assert "32 bytes" in bad_key.err


def test_verbose_logs_requests_to_stderr(cli: Any, server: LocalPusherServer) -> None:
    run = cli("-v", "channels")
    assert run.code == EXIT_OK
    assert "pusher_fast" in run.err
    assert "/apps/app-id/channels" in run.err
    assert server.secret not in run.err


# queries


def test_channels_channel_users(cli: Any, server: LocalPusherServer) -> None:
    server.set_channel("news", subscription_count=2)
    server.set_presence_members("presence-room", ["u1", "u2"])
    assert cli("channels").json() == {"channels": {"news": {}, "presence-room": {}}}
    listed = cli("channels", "--prefix", "presence-", "--info", "user_count").json()
    assert listed == {"channels": {"presence-room": {"user_count": 2}}}
    assert cli("channel", "news", "--info", "subscription_count").json() == {"occupied": True, "subscription_count": 2}
    assert cli("channel", "presence-room", "--info", "user_count").json() == {"occupied": True, "user_count": 2}
    assert cli("users", "presence-room").json() == {"users": [{"id": "u1"}, {"id": "u2"}]}
    refused = cli("channels", "--info", "user_count")  # refused by the client's rules, before any request
    assert refused.code == EXIT_USAGE
    assert "presence-" in refused.err


# authorize


def signed(message: str) -> str:
    return "app-key:" + hmac.new(b"app-secret", message.encode(), hashlib.sha256).hexdigest()


def test_authorize(cli: Any, server: LocalPusherServer) -> None:
    assert cli("authorize", "1.2", "private-a").json() == {"auth": signed("1.2:private-a")}
    presence = cli("authorize", "1.2", "presence-a", "--presence-data", '{"user_id": "7", "user_info": {"n": 1}}')
    payload = presence.json()
    assert json.loads(payload["channel_data"]) == {"user_id": "7", "user_info": {"n": 1}}
    assert payload["auth"] == signed(f"1.2:presence-a:{payload['channel_data']}")
    encrypted = cli("authorize", "1.2", "private-encrypted-a").json()
    key = base64.b64decode(MASTER_KEY_BASE64)
    assert (
        encrypted["shared_secret"] == base64.b64encode(hashlib.sha256(b"private-encrypted-a" + key).digest()).decode()
    )


def test_authorize_usage_errors(cli: Any, server: LocalPusherServer) -> None:
    assert cli("authorize", "nope", "private-a").code == EXIT_USAGE
    bad_json = cli("authorize", "1.2", "presence-a", "--presence-data", "{oops")
    assert bad_json.code == EXIT_USAGE
    assert "--presence-data is not valid JSON" in bad_json.err
    assert cli("authorize", "1.2", "presence-a").code == EXIT_USAGE  # presence needs member data


# webhook verify


def test_webhook_verify_with_header_flags(cli: Any, server: LocalPusherServer, tmp_path: Path) -> None:
    assert cli("trigger", "-c", "private-encrypted-v", "e", '{"pin": 1}').code == EXIT_OK
    sealed = server.events[0].data
    hook = server.webhook_request(
        [
            {"name": "channel_occupied", "channel": "news"},
            {"name": "client_event", "channel": "private-encrypted-v", "event": "client-e", "data": sealed},
        ]
    )
    body = tmp_path / "body.json"
    body.write_bytes(hook.body)
    headers = [f"-H{name}: {value}" for name, value in hook.headers.items()]
    run = cli("webhook", "verify", str(body), *headers)
    assert run.code == EXIT_OK
    occupied, client_event = run.json()["events"]
    assert occupied == {
        "name": "channel_occupied",
        "channel": "news",
        "event": None,
        "data": None,
        "socket_id": None,
        "user_id": None,
        "subscription_count": None,
    }
    assert (client_event["event"], json.loads(client_event["data"])) == ("client-e", {"pin": 1})


@pytest.mark.parametrize("style", ["http", "json"])
def test_webhook_verify_with_a_headers_file(cli: Any, server: LocalPusherServer, tmp_path: Path, style: str) -> None:
    hook = server.webhook_request([{"name": "member_added", "channel": "presence-x", "user_id": "9"}])
    headers = tmp_path / "headers"
    if style == "json":
        headers.write_text(json.dumps(dict(hook.headers)))
    else:
        headers.write_text("HTTP/1.1 POST\n" + "".join(f"{k}: {v}\r\n" for k, v in hook.headers.items()) + "\n")
    run = cli("webhook", "verify", "-", "--headers-file", str(headers), stdin=hook.body)
    assert run.code == EXIT_OK
    assert run.json()["events"][0]["user_id"] == "9"


def test_webhook_verify_reads_the_body_byte_for_byte(cli: Any, server: LocalPusherServer, tmp_path: Path) -> None:
    raw = b'{"time_ms": 1700000000000,\r\n "events": [{"name": "channel_vacated", "channel": "\xc3\xa9"}]}'
    body = tmp_path / "body"
    body.write_bytes(raw)  # CRLF and UTF-8 as sent: reading it as text would change what was signed
    signature = hmac.new(b"app-secret", raw, hashlib.sha256).hexdigest()
    run = cli("webhook", "verify", str(body), "-H", "X-Pusher-Key: app-key", "-H", f"X-Pusher-Signature: {signature}")
    assert run.code == EXIT_OK, run.err
    assert run.json()["events"][0]["channel"] == "é"


def test_webhook_verify_refusals(cli: Any, server: LocalPusherServer, tmp_path: Path) -> None:
    hook = server.webhook_request([{"name": "channel_occupied", "channel": "c"}], secret="other")
    body = tmp_path / "body"
    body.write_bytes(hook.body)
    headers = [f"-H{name}: {value}" for name, value in hook.headers.items()]
    run = cli("webhook", "verify", str(body), *headers)
    assert (run.code, run.out) == (EXIT_FAILED, "")
    assert run.err == (
        "pusher-fast: invalid webhook: The X-Pusher-Signature does not match the body (pass the raw request body)\n"
    )
    assert cli("webhook", "verify", str(body)).err.endswith("The X-Pusher-Key header is missing\n")
    old = server.webhook_request([], time_ms=1)
    body.write_bytes(old.body)
    old_headers = [f"-H{name}: {value}" for name, value in old.headers.items()]
    assert cli("webhook", "verify", str(body), *old_headers, "--max-age", "60").code == EXIT_FAILED
    assert cli("webhook", "verify", str(tmp_path / "missing")).code == EXIT_USAGE
    assert cli("webhook", "verify", str(body), "-H", "no colon").code == EXIT_USAGE
    assert cli("webhook", "verify", "-", "--headers-file", "-").code == EXIT_USAGE


# keygen


def test_keygen(cli: Any) -> None:
    first, second = cli("keygen"), cli("keygen")
    assert first.code == EXIT_OK
    assert len(base64.b64decode(first.out.strip(), validate=True)) == 32
    assert first.out != second.out


# publish


def write_lines(path: Path, lines: list[Any]) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path


def test_publish_a_file(cli: Any, server: LocalPusherServer, tmp_path: Path) -> None:
    events = [{"channel": f"c{i % 3}", "name": "e", "data": {"n": i}} for i in range(25)]
    events.append({"channels": ["x", "y"], "name": "multi", "data": "both"})
    events.append({"channel": "private-encrypted-v", "name": "sealed", "data": "s"})
    run = cli("publish", str(write_lines(tmp_path / "events.jsonl", events)))
    assert run.code == EXIT_OK
    summary = run.json()
    assert (summary["sent"], summary["failed"]) == (27, 0)
    assert summary["requests"] >= 3
    assert summary["seconds"] >= 0
    assert "27 sent, 0 failed" in run.err
    recorded = server.events
    assert len(recorded) == 28  # the two-channel event is one per channel in a batch
    for channel in ("c0", "c1", "c2"):
        numbers = [json.loads(e.data)["n"] for e in recorded if e.channels == (channel,)]
        assert numbers == sorted(numbers), "one channel's events keep their order"
    (sealed,) = [e for e in recorded if e.name == "sealed"]
    assert server.plaintext(sealed) == "s"


def test_publish_failures_go_to_the_failed_file(cli: Any, server: LocalPusherServer, tmp_path: Path) -> None:
    lines: list[Any] = [
        {"channel": "ok", "name": "e", "data": "1"},
        "{not json",
        "",
        [1, 2],
        {"channel": "bad channel", "name": "e", "data": "2"},
        {"channel": "ok", "name": "e", "data": "3"},
    ]
    failed = tmp_path / "failed.jsonl"
    run = cli("publish", str(write_lines(tmp_path / "in.jsonl", lines)), "--failed", str(failed))
    assert run.code == EXIT_FAILED
    assert (run.json()["sent"], run.json()["failed"]) == (2, 3)
    records = [json.loads(line) for line in failed.read_text().splitlines()]
    assert [record["line"] for record in records] == [2, 4, 5]
    assert records[0]["event"] == "{not json"
    assert records[0]["error"].startswith("bad JSON:")
    assert records[1] == {"line": 4, "error": "not a JSON object", "event": [1, 2]}
    assert records[2]["event"] == {"channel": "bad channel", "name": "e", "data": "2"}
    assert records[2]["error"].startswith("ValueError: Invalid Channel")
    assert "first failure, line 2: bad JSON" in run.err
    assert str(failed) in run.err
    assert [e.data for e in server.events] == ["1", "3"]


def test_publish_from_stdin_with_plain_progress(cli: Any, server: LocalPusherServer) -> None:
    stdin = "".join(json.dumps({"channel": "c", "name": "e", "data": str(i)}) + "\n" for i in range(300))
    run = cli("publish", "--progress", "plain", stdin=stdin)
    assert run.code == EXIT_OK
    assert run.json()["sent"] == 300
    assert "pusher-fast: 300 lines read: 300 sent, 0 failed" in run.err
    assert len(server.events) == 300


def test_publish_progress_bar_and_its_fallback(
    cli: Any, server: LocalPusherServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_lines(tmp_path / "in.jsonl", [{"channel": "c", "name": "e", "data": "x"}] * 5)
    bar = cli("publish", str(source), "--progress", "bar")
    assert bar.code == EXIT_OK
    assert "5/5" in bar.err
    assert "sent=5" in bar.err
    from pusher_fast.cli import _progress

    monkeypatch.setattr(_progress, "tqdm_installed", lambda: False)
    fallback = cli("publish", str(source), "--progress", "bar")
    assert fallback.code == EXIT_OK
    assert "5 lines read: 5 sent, 0 failed" in fallback.err
    quiet = cli("publish", str(source), "--progress", "auto")  # stderr is not a terminal here
    assert "lines read" not in quiet.err
    assert "5/5" not in quiet.err


def test_publish_network_down_and_usage(cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUSHER_URL", f"http://k:s@127.0.0.1:{closed_port()}/apps/1")
    source = write_lines(tmp_path / "in.jsonl", [{"channel": "c", "name": "e", "data": "x"}] * 3)
    down = cli("publish", str(source))
    assert down.code == EXIT_NETWORK
    assert down.json()["failed"] == 3
    assert cli("publish", str(tmp_path / "missing.jsonl")).code == EXIT_USAGE
    assert cli("publish", str(source), "--max-in-flight", "0").code == EXIT_USAGE


# help, entry points and serve


def test_help_lists_commands_and_exit_codes(cli: Any) -> None:
    run = cli("--help")
    assert run.code == EXIT_OK
    for word in ("trigger", "publish", "channels", "authorize", "webhook", "keygen", "serve", "exit codes:"):
        assert word in run.out
    assert "3  network error or timeout" in cli("publish", "--help").out
    assert cli("webhook", "verify", "--help").code == EXIT_OK
    assert cli("nonsense").code == EXIT_USAGE


def run_process(*argv: str, input_text: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, input=input_text, timeout=60, check=False)


def test_entry_points(server: LocalPusherServer) -> None:
    script = shutil.which("pusher-fast", path=str(Path(sys.executable).parent))
    assert script is not None, "the pusher-fast script is installed with the package"
    keygen = run_process(script, "keygen")
    assert keygen.returncode == 0
    assert len(base64.b64decode(keygen.stdout.strip())) == 32
    module = run_process(sys.executable, "-m", "pusher_fast", "trigger", "-c", "c", "e", input_text="from -m\n")
    assert (module.returncode, module.stdout) == (0, "{}\n")
    assert server.events[0].data == "from -m"
    assert run_process(sys.executable, "-m", "pusher_fast", "--version").stdout.startswith("pusher-fast ")


def test_serve(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "pusher_fast", "serve", "--port", "0", "--print-events", "--key", "k2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        port = banner.split("http://127.0.0.1:")[1].split(" ")[0]
        process.stdout.readline()
        url = f"http://k2:app-secret@127.0.0.1:{port}/apps/app-id"
        sent = run_process(sys.executable, "-m", "pusher_fast", "trigger", "--url", url, "-c", "c", "e", "hello")
        assert sent.returncode == 0, sent.stderr
        assert process.stdout.readline() == "event 'e' on c: hello\n"
        with socket.socket() as probe:
            probe.connect(("127.0.0.1", int(port)))
        busy = run_process(sys.executable, "-m", "pusher_fast", "serve", "--port", port)
        assert busy.returncode == 1
        assert "already in use" in busy.stderr
        assert "Traceback" not in busy.stderr
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    assert process.returncode == 0
