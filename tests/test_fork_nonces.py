"""Encryption nonces come from a buffer of OS randomness: a forked child must never hand out the parent's bytes.

Without the fork guard, the child's next nonce would be exactly the parent's next one (both continue the same copied
buffer), and two ciphertexts under one key and nonce leak their XOR.
"""

from __future__ import annotations

import base64
import json
import os
import select
import signal
import sys

import pytest

import pusher_fast

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="fork() is POSIX")

MASTER_KEY_BASE64 = base64.b64encode(bytes(range(32))).decode("ascii")
CHANNEL = "private-encrypted-c"


def _nonces(client: pusher_fast.Pusher, count: int) -> list[str]:
    nonces = []
    for _ in range(count):
        body = json.loads(client.prepare.trigger(CHANNEL, "e", "secret").body)
        nonces.append(json.loads(body["data"])["nonce"])
    return nonces


def test_a_forked_child_never_reuses_the_parents_nonces() -> None:
    client = pusher_fast.Pusher(app_id="1", key="k", secret="s", encryption_master_key_base64=MASTER_KEY_BASE64)
    _nonces(client, 3)  # the buffer is filled, and partly used, before the fork
    readable, writable = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its next nonces and leave without running any cleanup of the parent's
        try:
            os.write(writable, json.dumps(_nonces(client, 5)).encode())
        finally:
            os._exit(0)
    os.close(writable)
    try:
        ready, _, _ = select.select([readable], [], [], 30)
        assert ready, "the child did not answer within 30 s"
        child = json.loads(os.read(readable, 65536))
    finally:
        os.close(readable)
        if not os.waitpid(pid, os.WNOHANG)[0]:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    parent = _nonces(client, 5)
    client.close()
    assert len(set(child)) == len(set(parent)) == 5
    assert not set(child) & set(parent)
