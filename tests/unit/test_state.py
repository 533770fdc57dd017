"""Channels, reducers and state deltas (pure, shared by the workflow, the worker, the client)."""

from __future__ import annotations

import operator

import pytest

from tempograph._engine.channels import apply_grouped, apply_writes, group_writes, initial_values
from tempograph._engine.reducers import add_messages, builtin_name
from tempograph._engine.statedelta import apply, diff, resolve, snapshot
from tempograph.errors import InvalidUpdateError
from tempograph.messages import ChannelSpec, StateDelta, StateRef

CHANNELS = {
    "text": ChannelSpec(name="text"),
    "log": ChannelSpec(name="log", reducer="add", has_initial=True, initial=[]),
    "msgs": ChannelSpec(name="msgs", reducer="add_messages", has_initial=True, initial=[]),
    "mine": ChannelSpec(name="mine", reducer="custom"),
}


def test_group_writes_keeps_order() -> None:
    assert group_writes([("a", 1), ("b", 2), ("a", 3)]) == {"a": [1, 3], "b": [2]}


def test_initial_values_are_copies() -> None:
    values = initial_values(CHANNELS.values())
    assert values == {"log": [], "msgs": []}
    values["log"].append(1)
    assert CHANNELS["log"].initial == []


def test_last_value_wins_and_reducers_fold() -> None:
    values = initial_values(CHANNELS.values())
    custom = apply_grouped(
        values, group_writes([("text", "hi"), ("log", [1]), ("log", [2]), ("nope", 0)]), CHANNELS
    )
    assert custom == []
    assert values == {"text": "hi", "log": [1, 2], "msgs": []}  # unknown keys ignored


def test_two_writes_to_a_plain_key_in_one_step_are_an_error() -> None:
    with pytest.raises(InvalidUpdateError, match="only one value per step"):
        apply_grouped({}, {"text": ["a", "b"]}, CHANNELS)


def test_a_reducer_that_cannot_apply_is_an_invalid_update() -> None:
    with pytest.raises(InvalidUpdateError, match="reducer 'add' cannot apply"):
        apply_grouped({"log": []}, {"log": ["str"]}, CHANNELS)


def test_custom_reducers_are_left_to_the_caller() -> None:
    values: dict[str, object] = {}
    assert apply_grouped(values, {"mine": [1]}, CHANNELS) == ["mine"]
    assert "mine" not in values
    apply_writes(values, [("mine", 1), ("mine", 2)], CHANNELS, lambda k, has, cur, w: sum(w))
    assert values["mine"] == 3


def test_add_messages_appends_and_replaces_by_id() -> None:
    left = [{"id": "1", "text": "a"}, {"id": "2", "text": "b"}]
    merged = add_messages(left, [{"id": "2", "text": "B"}, {"id": "3", "text": "c"}])
    assert [m["text"] for m in merged] == ["a", "B", "c"]
    assert add_messages(None, {"id": "x"}) == [{"id": "x"}]


def test_builtin_reducer_names() -> None:
    assert builtin_name(operator.add) == "add"
    assert builtin_name(add_messages) == "add_messages"
    assert builtin_name(lambda a, b: a) is None


def test_delta_of_a_growing_list_is_its_new_items() -> None:
    old = {"log": [1, 2], "text": "a"}
    new = {"log": [1, 2, 3], "text": "b", "extra": 1}
    delta = diff(old, new)
    assert delta == StateDelta(set={"text": "b", "extra": 1}, extend={"log": [3]})
    assert apply(old, delta) == new
    assert old == {"log": [1, 2], "text": "a"}


def test_a_removed_key_means_no_delta() -> None:
    assert diff({"a": 1}, {}) is None


def test_resolve_a_ref_from_known_versions() -> None:
    known = {1: {"a": 1}}
    assert resolve(StateRef(version=2, state={"a": 5}), known) == {"a": 5}
    assert resolve(StateRef(version=1), known) == {"a": 1}
    delta = StateDelta(set={"a": 2})
    assert resolve(StateRef(version=2, base_version=1, delta=delta), known) == {"a": 2}
    assert resolve(StateRef(version=3, base_version=2, delta=delta), known) is None


def test_snapshot_is_deep() -> None:
    values = {"log": [[1]]}
    copy = snapshot(values)
    values["log"][0].append(2)
    assert copy == {"log": [[1]]}
