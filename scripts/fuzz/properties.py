"""Property fuzzing of pusher_fast's JSON through its public API, with Python itself as the oracle.

* ``trigger`` and ``trigger_batch`` bodies (``pusher.prepare``) are the bytes of ``json.dumps`` of the official SDK's
  params, for any JSON-able Python value as ``data``: nested containers, big ints, NaN and infinities, subclasses,
  non-str keys, nesting deeper than the native writer goes, lone surrogates.
* ``authenticate`` and ``authenticate_user`` return ``json.dumps`` of the custom data and sign exactly that text.
* ``validate_webhook`` returns ``json.loads`` of any signed body (spacing, escapes, number spellings, repeated keys,
  trailing garbage), or ``None`` exactly when ``json.loads`` fails, the body is not an object or ``time_ms`` is stale.

    .venv/bin/python scripts/fuzz/properties.py --examples 2000 [--strict] [PROPERTY ...]

A difference listed in ``KNOWN`` (a filed one, awaiting its fix) is counted and listed, not failed, unless
``--strict``; the list is empty since the differences of issue 8 were fixed, so every mismatch fails.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import math
import random
import sys
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

import pusher_fast

KEY = "key"
SECRET = "secret"
PAYLOAD_LIMIT = 10_240
WINDOW_MS = 300_000

# Characters that exercise every escaping rule, surrogates included.
SPECIAL = '"\\/\x00\x08\x0c\n\r\t\x1f\x7f\x80\xa0\xad\u2028\u2029\ufeff\uffff\ud800\udbff\udc00\udfffé😀\U0010ffff'
characters = st.one_of(st.characters(exclude_categories=()), st.sampled_from(SPECIAL))
texts = st.text(characters, max_size=24)


class StrSub(str):
    pass


class IntSub(int):
    pass


class FloatSub(float):
    pass


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**100), max_value=2**100),
    st.floats(),
    texts,
    st.builds(StrSub, texts),
    st.builds(IntSub, st.integers()),
    st.builds(FloatSub, st.floats()),
)
# Mostly str keys; json.dumps turns the others into strings (1 -> "1", None -> "null").
keys = st.one_of(texts, texts, texts, st.integers(), st.floats(), st.booleans(), st.none())


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=5),
        st.tuples(children, children),
        st.dictionaries(keys, children, max_size=5),
        st.dictionaries(texts, children, max_size=3).map(OrderedDict),
    )


def _nested(value: Any, depth: int) -> Any:
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


values = st.recursive(scalars, _containers, max_leaves=25)
# Past the native writer's depth (32) the json module takes over.
deep_values = st.builds(_nested, values, st.integers(min_value=0, max_value=60))
event_data = st.one_of(st.text(characters, max_size=200), values, deep_values)
channel_names = st.from_regex(r"[-a-zA-Z0-9_=@,.;]{1,40}", fullmatch=True).filter(
    lambda name: not name.startswith("private-encrypted-")
)
event_names = st.text(characters, min_size=1, max_size=40)
socket_ids = st.from_regex(r"[0-9]{1,8}\.[0-9]{1,8}", fullmatch=True)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def _has_lone_surrogate(value: Any) -> bool:
    return any(any("\ud800" <= ch <= "\udfff" for ch in text) for text in _strings(value))


def _has_unpaired_surrogate(text: str) -> bool:
    """Whether ``text`` has a surrogate that is not a high one followed by a low one (which JSON reads as one)."""
    index = 0
    while index < len(text):
        ch = text[index]
        if "\ud800" <= ch <= "\udbff" and index + 1 < len(text) and "\udc00" <= text[index + 1] <= "\udfff":
            index += 2
            continue
        if "\ud800" <= ch <= "\udfff":
            return True
        index += 1
    return False


def _written_flags(inputs: Any) -> set[str]:
    return {"lone surrogate"} if _has_lone_surrogate(inputs) else set()


# The known differences: the flag an example must carry for a mismatch to count as one, and its name. Empty since
# issue 8's fixes landed (lone surrogates in written data; the webhook reader's big integers, -0, NaN/Infinity and
# overflowing floats, lone-surrogate escapes and deep nesting): a new, filed difference gets an entry until it is fixed.
KNOWN: dict[str, str] = {}


class Mismatch(AssertionError):
    pass


@dataclass
class Tally:
    examples: int = 0
    known: Counter[str] = field(default_factory=Counter)


def _check(tally: Tally, flags: set[str], strict: bool, compare: Callable[[], None]) -> None:
    """Runs ``compare``; a failure on an example whose ``flags`` name a known difference is counted instead."""
    tally.examples += 1
    try:
        compare()
    except Exception:
        reasons = sorted(KNOWN[flag] for flag in flags if flag in KNOWN)
        if strict or not reasons:
            raise
        tally.known[reasons[0]] += 1


def _same(left: Any, right: Any) -> bool:
    """Equal values of the same types, NaN equal to NaN and -0.0 told from 0.0, dict order included."""
    if type(left) is not type(right):
        return False
    if isinstance(left, float):
        if math.isnan(left) or math.isnan(right):
            return math.isnan(left) and math.isnan(right)
        return left == right and math.copysign(1, left) == math.copysign(1, right)
    if isinstance(left, dict):
        return list(left) == list(right) and all(_same(left[key], right[key]) for key in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(_same(a, b) for a, b in zip(left, right))
    return bool(left == right)


def _data_text(data: Any) -> str:
    return data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)


def _size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _sign(message: str) -> str:
    return hmac.new(SECRET.encode(), message.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


# --- writing ------------------------------------------------------------------------------------------------------


def trigger_body(client: pusher_fast.Pusher, tally: Tally, strict: bool) -> Callable[..., None]:
    @given(
        channels=channel_names | st.lists(channel_names, min_size=1, max_size=3),
        name=event_names,
        data=event_data,
        socket_id=st.none() | socket_ids,
    )
    def run(channels: Any, name: str, data: Any, socket_id: str | None) -> None:
        def compare() -> None:
            text = _data_text(data)
            if _size(text) > PAYLOAD_LIMIT:
                try:
                    client.prepare.trigger(channels, name, data, socket_id)
                except ValueError:
                    return
                raise Mismatch(f"{_size(text)} bytes of data were accepted")
            params: dict[str, Any] = {
                "name": name,
                "channels": [channels] if isinstance(channels, str) else channels,
                "data": text,
            }
            if socket_id:
                params["socket_id"] = socket_id
            body = client.prepare.trigger(channels, name, data, socket_id).body
            expected = json.dumps(params).encode()
            if body != expected:
                raise Mismatch(f"body {body!r}\nexpected {expected!r}")

        _check(tally, _written_flags((name, data)), strict, compare)

    return run


@st.composite
def batch_events(draw: st.DrawFn) -> dict[str, Any]:
    members = {"channel": draw(channel_names), "name": draw(event_names), "data": draw(event_data)}
    if draw(st.booleans()):
        members["socket_id"] = draw(socket_ids)
    order = draw(st.permutations(list(members)))
    return {key: members[key] for key in order}


def batch_body(client: pusher_fast.Pusher, tally: Tally, strict: bool) -> Callable[..., None]:
    @given(batch=st.lists(batch_events(), min_size=1, max_size=10))
    def run(batch: list[dict[str, Any]]) -> None:
        def compare() -> None:
            events = [{key: _data_text(value) if key == "data" else value for key, value in e.items()} for e in batch]
            if any(_size(event["data"]) > PAYLOAD_LIMIT for event in events):
                try:
                    client.prepare.trigger_batch(batch)
                except ValueError:
                    return
                raise Mismatch("over-long data was accepted")
            body = client.prepare.trigger_batch(batch).body
            expected = json.dumps({"batch": events}).encode()
            if body != expected:
                raise Mismatch(f"body {body!r}\nexpected {expected!r}")

        _check(tally, _written_flags(batch), strict, compare)

    return run


def auth_data(client: pusher_fast.Pusher, tally: Tally, strict: bool) -> Callable[..., None]:
    @given(
        channel=channel_names.map(lambda name: ("presence-" + name)[:200]),
        socket_id=socket_ids,
        user_id=st.one_of(texts.filter(bool), st.integers(), values.filter(lambda value: value is not None)),
        user_info=values,
        signin_id=st.from_regex(r"[-a-zA-Z0-9_=@,.;]{1,40}", fullmatch=True),
        extra=st.dictionaries(texts.filter(lambda key: key != "id"), values, max_size=3),
    )
    def run(channel: str, socket_id: str, user_id: Any, user_info: Any, signin_id: str, extra: Any) -> None:
        custom_data = {"user_id": user_id, "user_info": user_info}
        user_data = {"id": signin_id, **extra}

        def compare() -> None:
            channel_data = json.dumps(custom_data)
            expected = {"auth": f"{KEY}:{_sign(f'{socket_id}:{channel}:{channel_data}')}", "channel_data": channel_data}
            got = client.authenticate(channel, socket_id, custom_data)
            if got != expected:
                raise Mismatch(f"authenticate gave {got!r}\nexpected {expected!r}")
            encoded = json.dumps(user_data)
            expected = {"auth": f"{KEY}:{_sign(f'{socket_id}::user::{encoded}')}", "user_data": encoded}
            got = client.authenticate_user(socket_id, user_data)
            if got != expected:
                raise Mismatch(f"authenticate_user gave {got!r}\nexpected {expected!r}")

        _check(tally, _written_flags((custom_data, user_data)), strict, compare)

    return run


# --- reading ------------------------------------------------------------------------------------------------------

WHITESPACE = ["", "", " ", "\n", "\t", "\r\n  "]
# Numbers in the spellings JSON (and Python's json) allows, with the known-difference flag each raises.
NUMBER_SPELLINGS = [
    ("1e400", "non-finite float"),
    ("-1e400", "non-finite float"),
    ("NaN", "non-finite float"),
    ("Infinity", "non-finite float"),
    ("-Infinity", "non-finite float"),
    ("2e-400", ""),
    ("1.0", ""),
    ("-0.0", ""),
    ("0e0", ""),
    ("1E+2", ""),
    ("0.1e1", ""),
    ("18446744073709551615", ""),
    ("-9223372036854775808", ""),
    ("123456789012345678901234567890", "big integer"),
    ("-9223372036854775809", "big integer"),
    ("18446744073709551616", "big integer"),
    ("-0", "negative zero"),
]


class _Writer:
    """JSON text of a value, spelled in the many ways JSON allows, with its choices from ``rng``; notes in ``flags``
    what it wrote that the known-difference rules look for (a repeated key can hide it from the parsed value)."""

    def __init__(self, rng: random.Random, flags: set[str]) -> None:
        self.rng = rng
        self.flags = flags

    def space(self) -> str:
        return self.rng.choice(WHITESPACE)

    def string(self, text: str) -> str:
        if _has_unpaired_surrogate(text):
            self.flags.add("lone surrogate escape")
        out = ['"']
        for ch in text:
            code = ord(ch)
            if ch in '"\\':
                out.append("\\" + ch)
            elif code < 0x20 or 0xD800 <= code <= 0xDFFF or self.rng.random() < 0.1:
                units = ch.encode("utf-16-le", "surrogatepass")
                out.extend(f"\\u{int.from_bytes(units[i : i + 2], 'little'):04x}" for i in range(0, len(units), 2))
            elif ch == "/" and self.rng.random() < 0.5:
                out.append("\\/")
            else:
                out.append(ch)
        out.append('"')
        return "".join(out)

    def value(self, value: Any) -> str:
        if self.rng.random() < 0.03:
            spelling, flag = self.rng.choice(NUMBER_SPELLINGS)
            if flag:
                self.flags.add(flag)
            return spelling
        if isinstance(value, float) and not math.isfinite(value):
            self.flags.add("non-finite float")
        if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**64:
            self.flags.add("big integer")
        if value is None or isinstance(value, (bool, int, float)):
            return json.dumps(value)
        if isinstance(value, str):
            return self.string(value)
        if isinstance(value, (list, tuple)):
            return "[" + ",".join(self.space() + self.value(item) + self.space() for item in value) + "]"
        members = [(key if isinstance(key, str) else str(key), item) for key, item in value.items()]
        if members and self.rng.random() < 0.3:
            members.append((members[0][0], self.rng.choice([None, 0, "x", 1.5, [], {}])))  # the last one wins
        return "{" + ",".join(self.member(key, item) for key, item in members) + "}"

    def member(self, key: str, value: Any) -> str:
        return f"{self.space()}{self.string(key)}{self.space()}:{self.space()}{self.value(value)}{self.space()}"


@st.composite
def webhook_bodies(draw: st.DrawFn) -> tuple[str, set[str]]:
    flags: set[str] = set()
    writer = _Writer(draw(st.randoms(use_true_random=False)), flags)
    # Well inside or well outside the window, so that the time the check takes does not matter.
    offset = draw(
        st.one_of(st.integers(-290_000, 290_000), st.integers(310_000, 10**12), st.integers(-(10**12), -310_000))
    )
    time_ms = time.time() * 1000 + offset
    time_value = draw(
        st.sampled_from(["int", "float", "absent", "string", "zero", "null", "any"]).map(
            lambda kind: {
                "int": int(time_ms),
                "float": time_ms,
                "absent": None,
                "string": str(int(time_ms)),
                "zero": 0,
                "null": "null",
                "any": "any",
            }[kind]
        )
    )
    members = []
    if time_value == "any":
        members.append(writer.member("time_ms", draw(scalars)))
    elif time_value == "null":
        members.append(writer.member("time_ms", None))
    elif time_value is not None:
        members.append(writer.member("time_ms", time_value))
    events = draw(st.lists(st.dictionaries(texts, values, max_size=4), max_size=3))
    members.append(writer.member("events", events))
    for key, value in draw(st.dictionaries(texts, values, max_size=2)).items():
        members.append(writer.member(key, value))
    order = draw(st.permutations(members))
    body = writer.space() + "{" + ",".join(order) + "}" + writer.space()
    shape = writer.rng.randrange(40)
    if shape == 0:
        body = writer.value(draw(values))  # not an object, or not even JSON when it is a bare special number
    elif shape == 1:
        body += writer.rng.choice(["x", ",", "}", "{}", "\x00"])  # trailing garbage
    elif shape == 2:
        depth = writer.rng.randrange(100, 140)  # around serde_json's nesting limit of 128
        body = _nested_text(depth)
        if depth >= 127:
            flags.add("deep nesting")
    return body, flags


def _nested_text(depth: int) -> str:
    return f'{{"time_ms": {int(time.time() * 1000)}, "events": {"[" * depth + "]" * depth}}}'


def webhook_read(client: pusher_fast.Pusher, tally: Tally, strict: bool) -> Callable[..., None]:
    @given(body_and_flags=webhook_bodies(), forged=st.integers(0, 20))
    def run(body_and_flags: tuple[str, set[str]], forged: int) -> None:
        text, flags = body_and_flags
        raw = text.encode("utf-8")
        signature = hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
        key = KEY
        if forged == 1:
            signature = signature[:-1] + ("0" if signature[-1] != "0" else "1")
        elif forged == 2:
            key = "other"
        try:
            parsed = json.loads(raw)
        except (ValueError, RecursionError):
            parsed = None

        def compare() -> None:
            got = client.validate_webhook(key, signature, raw)
            now_ms = time.time() * 1000
            time_ms = parsed.get("time_ms") if isinstance(parsed, dict) else None
            fresh = isinstance(time_ms, (int, float)) and time_ms != 0 and abs(now_ms - time_ms) <= WINDOW_MS
            expected = parsed if forged not in (1, 2) and isinstance(parsed, dict) and fresh else None
            if not _same(got, expected):
                raise Mismatch(f"validate_webhook({raw!r}) gave {got!r}\nexpected {expected!r}")

        _check(tally, flags, strict, compare)

    return run


PROPERTIES = {
    "trigger_body": trigger_body,
    "batch_body": batch_body,
    "auth_data": auth_data,
    "webhook_read": webhook_read,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=2000, help="examples per property (default 2000)")
    parser.add_argument("--strict", action="store_true", help="fail on the differences already filed, too")
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed, to repeat a run")
    parser.add_argument("properties", nargs="*", help=f"some of {', '.join(PROPERTIES)} (all when none is named)")
    args = parser.parse_args(argv)
    names = args.properties or list(PROPERTIES)
    unknown = sorted(set(names) - set(PROPERTIES))
    if unknown:
        parser.error(f"unknown properties: {', '.join(unknown)}")
    config = settings(
        max_examples=args.examples,
        database=None,
        deadline=None,
        derandomize=False,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    failed = []
    with pusher_fast.Pusher("4", KEY, SECRET) as client:
        for name in names:
            tally = Tally()
            run = config(PROPERTIES[name](client, tally, args.strict))
            if args.seed is not None:
                run = seed(args.seed)(run)
            start = time.monotonic()
            try:
                run()
            except Exception as error:
                failed.append(name)
                print(f"{name}: FAILED after {tally.examples} examples: {error}", file=sys.stderr)
            known = ", ".join(f"{reason}: {count}" for reason, count in sorted(tally.known.items()))
            seconds = time.monotonic() - start
            print(f"{name:<14} {tally.examples:>9} examples {seconds:7.1f} s" + (f"  known: {known}" if known else ""))
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
