"""A resume's goto: node names and Sends (GotoSend), as tasks of the paused step."""

from __future__ import annotations

import pytest

from tempograph._engine import (
    PauseView,
    RejectedError,
    Task,
    check_resume,
    goto_tasks,
    parse_resume,
    split_goto,
)
from tempograph.messages import END, GotoSend, ResumeInput, SendSpec


def test_goto_parses_names_and_sends_in_order() -> None:
    cmd = parse_resume({"goto": ["a", {"node": "b", "arg": {"x": 1}}, "c"]})
    assert cmd.goto == ["a", GotoSend(node="b", arg={"x": 1}), "c"]
    assert goto_tasks(cmd.goto) == [
        Task("a"),
        Task("b", SendSpec(node="b", arg={"x": 1})),
        Task("c"),
    ]
    assert split_goto(cmd.goto) == (["a", "c"], [SendSpec(node="b", arg={"x": 1})])


def test_old_resumes_with_names_only_parse_as_before() -> None:
    # Recorded histories hold goto as a list of names: they stay strings.
    cmd = parse_resume({"resume": 1, "goto": ["a", "b"]})
    assert cmd.goto == ["a", "b"]
    assert goto_tasks(cmd.goto) == [Task("a"), Task("b")]


def test_end_adds_no_task() -> None:
    assert goto_tasks([END, GotoSend(node="a")]) == [Task("a", SendSpec(node="a"))]


@pytest.mark.parametrize(
    "goto",
    [[{"node": "b", "input": {}}], [{"arg": 1}], [{"node": "b", "arg": 1, "extra": 2}]],
)
def test_a_malformed_send_is_refused(goto: list[object]) -> None:
    with pytest.raises(RejectedError) as err:
        parse_resume({"resume": 1, "goto": goto})
    assert err.value.kind == "InvalidResume"


def test_a_send_to_an_unknown_node_is_refused() -> None:
    view = PauseView(thread_id="t", status="interrupted", busy=False, channels=[], nodes=["a"])
    check_resume(ResumeInput(goto=["a", GotoSend(node="a", arg=1)]), view)
    with pytest.raises(RejectedError, match=r"Unknown node\(s\) in goto: \['z'\]"):
        check_resume(ResumeInput(goto=[GotoSend(node="z", arg=1)]), view)
