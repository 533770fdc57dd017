"""Static breakpoints: which list is in force, and whether a step hits it."""

from __future__ import annotations

from tempograph._engine import Task, hits, pick_breakpoints, unknown_breakpoints


def test_a_per_run_list_replaces_the_compiled_one() -> None:
    assert pick_breakpoints(["a"], ["b"]) == ["a"]
    assert pick_breakpoints([], ["b"]) == []  # an empty list turns them off
    assert pick_breakpoints(None, ["b"]) == ["b"]
    assert pick_breakpoints(None, "*") == "*"


def test_a_step_hits_when_one_of_its_tasks_is_listed() -> None:
    step = [Task("a"), Task("b")]
    assert hits(["b"], step)
    assert not hits(["c"], step)
    assert hits("*", step)
    assert not hits(None, step)
    assert not hits([], step)


def test_unknown_breakpoints_are_listed_sorted() -> None:
    assert unknown_breakpoints(["z", "a", "x"], ["a"]) == ["x", "z"]
    assert unknown_breakpoints("*", ["a"]) == []
    assert unknown_breakpoints(None, ["a"]) == []
