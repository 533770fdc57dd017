"""The thread request fields checked before any work (tempograph.http.thread_updates): ttl,
supersteps, update_state lists, search extract paths. No server needed."""

from __future__ import annotations

from typing import Any

import pytest

from tempograph.http.errors import HttpError
from tempograph.http.thread_updates import (
    check_extract,
    extract_path,
    parse_state_values,
    parse_supersteps,
    parse_ttl,
)

THREAD: dict[str, Any] = {
    "thread_id": "t",
    "values": {"messages": [{"content": "hi", "_secret": 1}, {"content": "bye"}], "n": 0},
    "metadata": {"owner": {"name": "ann"}},
    "interrupts": {"task": [{"id": "i1", "value": "ok?"}]},
    "config": {},
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("values.messages[-1].content", "bye"),
        ("values.messages[0].content", "hi"),
        ("values.messages[0]._secret", None),
        ("values.messages[2]", None),
        ("values.messages[-3]", None),
        ("values.messages[x]", None),
        ("values.n", 0),
        ("values.n.deeper", None),
        ("metadata.owner.name", "ann"),
        ("interrupts.task[0].value", "ok?"),
        ("config.configurable", None),
        ("values", THREAD["values"]),
    ],
)
def test_extract_paths(path: str, expected: Any) -> None:
    assert extract_path(THREAD, path) == expected


@pytest.mark.parametrize(
    ("extract", "text"),
    [
        ({"a": "status"}, "must start with one of"),
        ({"status": "values.x"}, "reserved"),
        ({"a-b": "values.x"}, "identifier"),
        ({"a": 3}, "extract.a"),
        ({f"k{i}": "values" for i in range(11)}, "at most 10"),
        (["values.x"], "extract"),
    ],
)
def test_bad_extracts(extract: Any, text: str) -> None:
    with pytest.raises(HttpError) as exc:
        check_extract(extract)
    assert exc.value.status == 422 and text in exc.value.detail


def test_ttls() -> None:
    assert parse_ttl(None) is None
    ttl = parse_ttl({"ttl": 0.5})
    assert ttl is not None and (ttl.strategy, ttl.ttl_minutes) == ("delete", 0.5)
    assert parse_ttl({"ttl": 10, "strategy": "delete"}) is not None
    for bad in ({"ttl": True}, {"ttl": 1e12}, {"ttl": None}, {"ttl": 1, "strategy": None, "x": 1}):
        with pytest.raises(HttpError) as exc:
            parse_ttl(bad)
        assert exc.value.status == 422 and "ttl" in exc.value.detail


def test_supersteps() -> None:
    assert parse_supersteps(None) is None and parse_supersteps([]) is None
    [first, second] = parse_supersteps(  # type: ignore[misc]
        [
            {"updates": [{"values": {"x": 1}, "command": None, "as_node": "a"}]},
            {"updates": [{"values": None, "command": {"update": {"y": 2}}, "as_node": "b"}]},
        ]
    )
    assert (first.values, first.as_node, first.where) == ({"x": 1}, "a", "supersteps[0].updates[0]")
    assert (second.values, second.as_node) == ({"y": 2}, "b")
    bad: list[tuple[Any, str]] = [
        ({"updates": []}, "supersteps"),
        ([{"updates": [{"values": {}, "as_node": "a"}], "extra": 1}], "supersteps[0]"),
        ([{"updates": [{"values": [1], "as_node": "a"}]}], "supersteps[0].updates[0].values"),
        ([{"updates": [{"values": {}, "command": {"update": {}}, "as_node": "a"}]}], "not both"),
        ([{"updates": [{"command": {"resume": 1}, "as_node": "a"}]}], "resume"),
        ([{"updates": [{"values": {}, "as_node": "__start__"}]}], "__start__"),
        ([{"updates": [{"values": {}, "as_node": "a", "foo": 1}]}], "foo"),
        ([{"updates": [{"values": {}, "as_node": "a"}]}] * 101, "at most 100"),
    ]
    for steps, text in bad:
        with pytest.raises(HttpError) as exc:
            parse_supersteps(steps)
        assert exc.value.status == 422 and text in exc.value.detail, (steps, exc.value.detail)


def test_state_values() -> None:
    assert parse_state_values({"a": 1}) == {"a": 1} and parse_state_values(None) is None
    assert parse_state_values([{"a": 1}, {"b": 2}]) == [{"a": 1}, {"b": 2}]
    for bad, text in (([], "empty"), ([{"a": 1}, "x"], "values[1]"), ([{}] * 101, "at most")):
        with pytest.raises(HttpError) as exc:
            parse_state_values(bad)
        assert exc.value.status == 422 and text in exc.value.detail
