"""Strict JSON bodies (tempograph.http.jsonbody, orjson): what is refused and in which words,
what still parses as json.loads parsed it, and the time a ~1 MB body takes (printed, -s)."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from typing import Any

import pytest

from tempograph import limits
from tempograph.http import jsonbody


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b'{"x": NaN}', "NaN is not valid JSON"),
        (b'{"x": [Infinity]}', "Infinity is not valid JSON"),
        (b'{"x": -Infinity}', "-Infinity is not valid JSON"),
        (b'{"x": 1e400}', "number is infinity when parsed as double"),
        (b'{"x": "\\ud800"}', "a string holds a lone UTF-16 surrogate"),
        (b'{"\\udfff": 1}', "a string holds a lone UTF-16 surrogate"),
        (b'{"x": "\xff"}', "the body is not valid UTF-8"),
        (b'{"x": "\xed\xa0\x80"}', "the body is not valid UTF-8"),  # a surrogate, UTF-8 encoded
        ('{"x": 1}'.encode("utf-16"), "the body is not valid UTF-8"),
        (b"[" * (jsonbody.MAX_DEPTH + 1) + b"]" * (jsonbody.MAX_DEPTH + 1), "nested deeper"),
        (b'{"x": ' * 5000 + b"1" + b"}" * 5000, "nested deeper"),
        (b"{", "unexpected end of data"),
        (b"", "empty document"),
    ],
)
def test_refused(body: bytes, why: str) -> None:
    with pytest.raises(json.JSONDecodeError) as caught:
        jsonbody.loads(body)
    assert why in caught.value.msg


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": 1, "a": 2}',
        b'{"x": "\\ud83d\\ude00 \\u0000 \xc3\xa9"}',
        b'{"big": 18446744073709551616, "small": -9223372036854775809, "f": 1.5e300}',
        b'{"edge": [18446744073709551615, -9223372036854775808, 0.1, -0.0, 1e19]}',
        b"123456789012345678901234567890",
        b'"text"',
        b"[" * jsonbody.MAX_DEPTH + b"]" * jsonbody.MAX_DEPTH,
    ],
)
def test_parsed_as_json_loads_parses_it(body: bytes) -> None:
    value = jsonbody.loads(body)
    assert value == json.loads(body)
    assert json.dumps(value) == json.dumps(json.loads(body))  # ints stay ints, exactly


def test_a_utf8_byte_order_mark_is_skipped() -> None:
    assert jsonbody.loads(b'\xef\xbb\xbf{"x": 1}') == {"x": 1}


def _records(size: int) -> dict[str, Any]:
    rng = random.Random(1)
    rows: list[dict[str, Any]] = []
    while len(json.dumps(rows)) < size:
        rows += [
            {
                "id": len(rows) + i,
                "score": rng.random(),
                "tags": ["a", "b", "c"],
                "ok": True,
                "name": f"row {len(rows) + i} é",
                "nested": {"x": [1, 2, 3], "y": None},
            }
            for i in range(500)
        ]
    return {"assistant_id": "agent", "input": {"rows": rows}, "metadata": {}}


def _old_loads(body: bytes) -> Any:
    """The parser this replaced: json.loads and a walk over every value."""

    def constant(name: str) -> Any:
        raise ValueError(name)

    value = json.loads(body, parse_constant=constant)
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if not item.isascii():
                item.encode("utf-8")
        elif isinstance(item, dict | list):
            assert depth <= limits.MAX_JSON_DEPTH + jsonbody.BODY_LEVELS
            if isinstance(item, dict):
                stack.extend((k, depth) for k in item)
                stack.extend((v, depth + 1) for v in item.values())
            else:
                stack.extend((v, depth + 1) for v in item)
    return value


def _best(parse: Callable[[bytes], Any], body: bytes) -> float:
    times = []
    for _ in range(7):
        start = time.perf_counter()
        parse(body)
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def test_a_one_megabyte_body(capsys: pytest.CaptureFixture[str]) -> None:
    body = json.dumps(_records(1 << 20), ensure_ascii=False).encode()
    assert jsonbody.loads(body) == _old_loads(body)
    old, new = _best(_old_loads, body), _best(jsonbody.loads, body)
    with capsys.disabled():
        mb = len(body) / 1e6
        print(f"\n{mb:.2f} MB body: json.loads + walk {old:.1f} ms, orjson {new:.1f} ms")
