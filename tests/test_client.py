"""Every REST method of the sync client, over real HTTP against pusher_fast.testing's local server."""

from __future__ import annotations

import base64
import hashlib
import json

import nacl.secret
import pytest

from pusher_fast import (
    Pusher,
    PusherBadAuth,
    PusherBadRequest,
    PusherBadStatus,
    PusherForbidden,
    PusherHTTPError,
    parse_response,
)
from pusher_fast.testing import LocalPusherServer
from tests.sdk_pair import MASTER_KEY


def open_envelope(channel: str, data: str) -> str:
    """Decrypt an event's data with PyNaCl (libsodium), independently of pusher_fast's Rust core."""
    envelope = json.loads(data)
    key = hashlib.sha256(channel.encode() + MASTER_KEY).digest()
    box = nacl.secret.SecretBox(key)
    return box.decrypt(base64.b64decode(envelope["ciphertext"]), base64.b64decode(envelope["nonce"])).decode()


def test_trigger_one_channel_dict_data(pusher: Pusher, pusher_server: LocalPusherServer) -> None:
    assert pusher.trigger("my-channel", "my-event", {"message": "hello", "n": 1}) == {}
    (event,) = pusher_server.events
    assert event.channels == ("my-channel",)
    assert event.name == "my-event"
    assert json.loads(event.data) == {"message": "hello", "n": 1}
    assert event.socket_id is None
    assert event.endpoint == "events"


def test_trigger_str_data_is_sent_verbatim(pusher: Pusher, pusher_server: LocalPusherServer) -> None:
    pusher.trigger("c", "e", '{"already": "json"}  ')
    assert pusher_server.events[0].data == '{"already": "json"}  '


def test_trigger_unicode_and_nested_data_arrive_intact(pusher: Pusher, pusher_server: LocalPusherServer) -> None:
    data = {"text": "héllo wörld ✓ 🎉", "nested": {"list": [1, 2.5, None, True], "empty": {}}}
    pusher.trigger("c", "e", data)
    assert json.loads(pusher_server.events[0].data) == data


def test_trigger_many_channels(pusher: Pusher, pusher_server: LocalPusherServer) -> None:
    channels = [f"channel-{i}" for i in range(100)]
    pusher.trigger(channels, "e", {"x": 1})
    assert pusher_server.events[0].channels == tuple(channels)


def test_trigger_channels_from_tuple_and_generator(pusher: Pusher, pusher_server: LocalPusherServer) -> None:
    pusher.trigger(("a", "b"), "e", 1)
    pusher.trigger((name for name in ["c", "d"]), "e", 2)
    assert [event.channels for event in pusher_server.events] == [("a", "b"), ("c", "d")]


def test_trigger_excludes_socket_id(pusher: Pusher, pusher_server: LocalPusherServer) -> None:
    pusher.trigger("c", "e", {}, socket_id="123.456")
    assert pusher_server.events[0].socket_id == "123.456"


def test_trigger_with_info_returns_channel_attributes(pusher: Pusher, pusher_server: LocalPusherServer) -> None:
    pusher_server.set_channel("busy", subscription_count=4)
    result = pusher.trigger(["busy", "idle"], "e", {}, info="subscription_count")
    assert result == {"channels": {"busy": {"subscription_count": 4}, "idle": {"subscription_count": 0}}}
    assert pusher_server.events[0].info == "subscription_count"


def test_trigger_info_user_count_on_presence(pusher: Pusher, pusher_server: LocalPusherServer) -> None:
    pusher_server.set_presence_members("presence-room", ["1", "2", "3"])
    result = pusher.trigger("presence-room", "e", {}, info=["user_count"])
    assert result == {"channels": {"presence-room": {"user_count": 3}}}


def test_send_to_user(pusher: Pusher, pusher_server: LocalPusherServer) -> None:
    pusher.send_to_user("user-42", "notice", {"text": "hi"})
    assert pusher_server.events[0].channels == ("#server-to-user-user-42",)


def test_trigger_batch(pusher: Pusher, pusher_server: LocalPusherServer) -> None:
    batch = [{"channel": f"c{i}", "name": "e", "data": {"i": i}} for i in range(10)]
    assert pusher.trigger_batch(batch) == {}
    assert [event.channels for event in pusher_server.events] == [(f"c{i}",) for i in range(10)]
    assert [json.loads(event.data) for event in pusher_server.events] == [{"i": i} for i in range(10)]
    assert {event.endpoint for event in pusher_server.events} == {"batch_events"}


def test_trigger_batch_socket_id_and_info(pusher: Pusher, pusher_server: LocalPusherServer) -> None:
    pusher_server.set_channel("a", subscription_count=2)
    result = pusher.trigger_batch(
        [
            {"channel": "a", "name": "e", "data": "1", "socket_id": "1.2", "info": "subscription_count"},
            {"channel": "b", "name": "e", "data": "2"},
        ]
    )
    assert result == {"batch": [{"subscription_count": 2}, {}]}
    assert pusher_server.events[0].socket_id == "1.2"


def test_trigger_batch_does_not_mutate_caller_events(pusher: Pusher) -> None:
    batch = [{"channel": "private-encrypted-x", "name": "e", "data": {"secret": 1}}]
    snapshot = json.dumps(batch)
    pusher.trigger_batch(batch)
    pusher.trigger_batch(batch)
    assert json.dumps(batch) == snapshot


def test_encrypted_trigger_opens_with_pynacl(pusher: Pusher, pusher_server: LocalPusherServer) -> None:
    pusher.trigger("private-encrypted-vault", "e", {"pin": "0000", "name": "Zoë"})
    event = pusher_server.events[0]
    assert "0000" not in event.data
    assert json.loads(open_envelope("private-encrypted-vault", event.data)) == {"pin": "0000", "name": "Zoë"}


def test_encrypted_batch_events_each_encrypted(pusher: Pusher, pusher_server: LocalPusherServer) -> None:
    pusher.trigger_batch(
        [
            {"channel": "private-encrypted-a", "name": "e", "data": "secret a"},
            {"channel": "public", "name": "e", "data": "plain"},
            {"channel": "private-encrypted-b", "name": "e", "data": "secret b"},
        ]
    )
    a, plain, b = pusher_server.events
    assert open_envelope("private-encrypted-a", a.data) == "secret a"
    assert plain.data == "plain"
    assert open_envelope("private-encrypted-b", b.data) == "secret b"
    assert json.loads(a.data)["nonce"] != json.loads(b.data)["nonce"]


def test_channels_info(pusher: Pusher, pusher_server: LocalPusherServer) -> None:
    pusher_server.set_channel("public-1")
    pusher_server.set_presence_members("presence-a", ["1", "2"])
    assert pusher.channels_info() == {"channels": {"public-1": {}, "presence-a": {}}}
    assert pusher.channels_info(prefix_filter="presence-", attributes=["user_count"]) == {
        "channels": {"presence-a": {"user_count": 2}}
    }
    assert pusher.channels_info(prefix_filter="presence-", attributes="user_count") == {
        "channels": {"presence-a": {"user_count": 2}}
    }


def test_channel_info(pusher: Pusher, pusher_server: LocalPusherServer) -> None:
    pusher_server.set_channel("room", subscription_count=5)
    assert pusher.channel_info("room", ["subscription_count"]) == {"occupied": True, "subscription_count": 5}
    assert pusher.channel_info("empty") == {"occupied": False}


def test_users_info(pusher: Pusher, pusher_server: LocalPusherServer) -> None:
    pusher_server.set_presence_members("presence-room", ["7", "8"])
    assert pusher.users_info("presence-room") == {"users": [{"id": "7"}, {"id": "8"}]}


def test_terminate_user_connections(pusher: Pusher, pusher_server: LocalPusherServer) -> None:
    assert pusher.terminate_user_connections("user-1") == {}
    assert pusher_server.terminated_users == ("user-1",)
    assert pusher_server.requests[-1].path == "/apps/app-id/users/user-1/terminate_connections"


def test_server_rejection_400_is_bad_request(pusher: Pusher) -> None:
    with pytest.raises(PusherBadRequest) as info:
        pusher.users_info("not-presence")
    assert info.value.status == 400
    assert info.value.body


@pytest.mark.parametrize(
    ("status", "error", "message"),
    [
        (400, PusherBadRequest, "nope"),
        (401, PusherBadAuth, "nope"),
        (403, PusherForbidden, "nope"),
        (404, PusherBadStatus, "404: nope"),
        (413, PusherBadStatus, "413: nope"),
        (500, PusherBadStatus, "500: nope"),
        (503, PusherBadStatus, "503: nope"),
    ],
)
def test_http_errors_map_to_official_exception_names(
    pusher: Pusher, pusher_server: LocalPusherServer, status: int, error: type[PusherHTTPError], message: str
) -> None:
    pusher_server.fail_next(status, "nope")
    with pytest.raises(error) as info:
        pusher.trigger("c", "e", {})
    assert (info.value.status, info.value.body, str(info.value)) == (status, "nope", message)
    assert pusher_server.events == ()


def test_retry_after_is_exposed(pusher: Pusher, pusher_server: LocalPusherServer) -> None:
    pusher_server.fail_next(429, "slow down", retry_after=2)
    with pytest.raises(PusherBadStatus) as info:
        pusher.trigger("c", "e", {})
    assert info.value.retry_after == 2


def test_wrong_secret_is_bad_auth(pusher_server: LocalPusherServer) -> None:
    with Pusher(**{**pusher_server.client_options(), "secret": "wrong"}) as impostor, pytest.raises(PusherBadAuth):
        impostor.trigger("c", "e", {})
    assert pusher_server.events == ()


def test_wrong_app_id_is_not_found(pusher_server: LocalPusherServer) -> None:
    with Pusher(**{**pusher_server.client_options(), "app_id": "other"}) as client, pytest.raises(PusherBadStatus):
        client.trigger("c", "e", {})


def test_parse_response_accepts_ok_true_and_empty_bodies() -> None:
    assert parse_response(200, '{"ok":true}') == {"ok": True}
    assert parse_response(202, b"") == {}
    assert parse_response(204, "") == {}


def test_parse_response_refuses_non_object_success_bodies() -> None:
    with pytest.raises(PusherBadStatus, match="not JSON"):
        parse_response(200, "<html>proxy error</html>")
    with pytest.raises(PusherBadStatus, match="not a JSON object"):
        parse_response(200, "[1, 2]")


def test_http_errors_pickle() -> None:
    import pickle

    error = PusherBadStatus(500, "boom", retry_after=1.5)
    clone = pickle.loads(pickle.dumps(error))
    assert (type(clone), clone.status, clone.body, clone.retry_after, str(clone)) == (
        PusherBadStatus,
        500,
        "boom",
        1.5,
        "500: boom",
    )


def test_non_numeric_app_id_works(pusher_server: LocalPusherServer) -> None:
    assert pusher_server.client_options()["app_id"] == "app-id"
    with Pusher(**pusher_server.client_options()) as client:
        assert client.trigger("c", "e", 1) == {}
