"""Resumes: which a paused run accepts (maps, ambiguity, typed answers), and who gets which
answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tempograph._engine import (
    PauseView,
    RejectedError,
    RunFailedError,
    Task,
    TaskSlot,
    answers_by_id,
    check_answers,
    check_resume,
    check_state_update,
    expired_answers,
    give_answers,
    is_resume_map,
    parse_resume,
    pending_interrupts,
)
from tempograph.messages import (
    InterruptRaised,
    NodeResult,
    PendingInterrupt,
    ResumeInput,
    StateUpdate,
    stable_id,
)

ID1, ID2 = stable_id("one"), stable_id("two")
SCHEMA = {
    "type": "object",
    "properties": {"approved": {"type": "boolean"}},
    "required": ["approved"],
}


def pending(pid: str, node: str = "ask", **more: Any) -> PendingInterrupt:
    return PendingInterrupt(id=pid, value="?", node=node, task_id="t-" + pid, **more)


def paused(*interrupts: PendingInterrupt, **more: Any) -> PauseView:
    fields: dict[str, Any] = {
        "thread_id": "t1",
        "status": "interrupted",
        "busy": False,
        "channels": ["text", "n"],
        "nodes": ["ask", "other"],
        "paused_at": "interrupt" if interrupts else "before",
        "pending": list(interrupts),
    }
    fields.update(more)
    return PauseView(**fields)


def refused_kind(cmd: ResumeInput, run: PauseView) -> str:
    with pytest.raises(RejectedError) as info:
        check_resume(cmd, run)
    return info.value.kind


def test_a_resume_map_has_interrupt_ids_as_keys() -> None:
    assert is_resume_map({ID1: "yes"})
    assert not is_resume_map({"approved": True})  # a dict answer, not a map
    assert not is_resume_map({})
    assert not is_resume_map("yes")
    assert not is_resume_map({ID1.upper(): 1})


def test_parse_resume_refuses_unknown_keys() -> None:
    assert parse_resume({"resume": 1}).resume == 1
    with pytest.raises(RejectedError, match="Expected") as info:
        parse_resume({"answer": 1})
    assert info.value.kind == "InvalidResume"


def test_one_answer_for_one_pending_interrupt() -> None:
    check_resume(ResumeInput(resume="yes"), paused(pending(ID1)))


def test_a_run_that_is_not_paused_refuses() -> None:
    assert refused_kind(ResumeInput(resume=1), paused(status="running")) == "NotPaused"
    with pytest.raises(RejectedError, match="already resumed"):
        check_resume(ResumeInput(resume=1), paused(pending(ID1), busy=True))


def test_unknown_keys_nodes_and_breakpoints_refused() -> None:
    run = paused(pending(ID1))
    assert refused_kind(ResumeInput(resume=1, update={"nope": 1}), run) == "InvalidResume"
    assert refused_kind(ResumeInput(resume=1, goto=["nope"]), run) == "InvalidResume"
    with pytest.raises(RejectedError, match=r"interrupt_after: \['zz'\]"):
        check_resume(ResumeInput(resume=1, interrupt_after=["zz"]), run)


def test_at_a_breakpoint_any_resume_continues() -> None:
    check_resume(ResumeInput(), paused())
    check_resume(ResumeInput(resume="ignored"), paused())


def test_no_answer_at_an_interrupt_is_refused_unless_update_or_goto() -> None:
    run = paused(pending(ID1))
    assert refused_kind(ResumeInput(), run) == "MissingResumeValue"
    check_resume(ResumeInput(update={"text": "x"}), run)
    check_resume(ResumeInput(goto=["other"]), run)


def test_an_empty_map_answers_nothing() -> None:
    assert refused_kind(ResumeInput(resume={}), paused(pending(ID1))) == "MissingResumeValue"


def test_one_bare_answer_for_several_interrupts_is_ambiguous() -> None:
    run = paused(pending(ID1), pending(ID2, node="other"))
    assert refused_kind(ResumeInput(resume="yes"), run) == "AmbiguousResume"
    check_resume(ResumeInput(resume={ID1: "yes"}), run)  # a map may answer some of them
    check_resume(ResumeInput(resume={ID1: "yes", ID2: "no"}), run)


def test_a_map_with_ids_not_pending_is_refused() -> None:
    run = paused(pending(ID1))
    assert refused_kind(ResumeInput(resume={ID2: "x"}), run) == "UnknownInterrupt"


def test_typed_answers_must_fit_their_schema() -> None:
    typed = pending(ID1, response_schema=SCHEMA, validate_answer=True)
    run = paused(typed)
    check_resume(ResumeInput(resume={"approved": True}), run)
    assert refused_kind(ResumeInput(resume={"approved": "maybe"}), run) == "InvalidAnswer"
    assert refused_kind(ResumeInput(resume={ID1: {}}), run) == "InvalidAnswer"


def test_a_schema_without_validation_is_not_checked() -> None:
    shown_only = pending(ID1, response_schema=SCHEMA, validate_answer=False)
    check_answers([shown_only], {ID1: "anything"})


def test_state_update_checks() -> None:
    run = paused(pending(ID1))
    check_state_update(StateUpdate(values={"text": "x"}, as_node="ask"), run)
    check_state_update(StateUpdate(as_node="__end__"), run)
    cases = [
        (StateUpdate(values={"nope": 1}), run, "InvalidStateUpdate"),
        (StateUpdate(as_node="nope"), run, "InvalidStateUpdate"),
        (StateUpdate(), paused(status="done"), "NotPaused"),
        (
            StateUpdate(),
            paused(paused_at="after", last_step=["ask", "other"]),
            "InvalidStateUpdate",
        ),
    ]
    for update, view, kind in cases:
        with pytest.raises(RejectedError) as info:
            check_state_update(update, view)
        assert info.value.kind == kind
    check_state_update(StateUpdate(), paused(paused_at="after", last_step=["ask"]))


def test_answers_by_id() -> None:
    assert answers_by_id(ResumeInput(), [ID1]) == {}
    assert answers_by_id(ResumeInput(resume="yes"), [ID1, ID2]) == {ID1: "yes"}
    assert answers_by_id(ResumeInput(resume={ID2: 2}), [ID1, ID2]) == {ID2: 2}


def waiting_slot(node: str, pid: str, child: bool = False) -> TaskSlot:
    slot = TaskSlot.of("t1", 0, 0 if node == "a" else 1, Task(node))
    slot.result = NodeResult(
        interrupt=InterruptRaised(value="?", slot=0),
        child_pending=[pending(pid)] if child else None,
    )
    slot.pending_ids = [pid]
    return slot


def test_answers_go_to_the_tasks_that_asked() -> None:
    a, b = waiting_slot("a", ID1), waiting_slot("b", ID2)
    to_run = give_answers([a, b], ResumeInput(resume={ID2: "for b"}))
    assert to_run == [b]
    assert (a.answers, b.answers) == ([], ["for b"])


def test_a_bare_answer_goes_to_the_only_waiting_task() -> None:
    a = waiting_slot("a", ID1)
    a.answers = ["earlier"]
    assert give_answers([a], ResumeInput(resume="now")) == [a]
    assert a.answers == ["earlier", "now"]


def test_a_subgraph_gets_its_answers_forwarded_as_a_map() -> None:
    child = waiting_slot("a", ID1, child=True)
    assert give_answers([child], ResumeInput(resume={ID1: "x"})) == [child]
    assert child.answers == [{ID1: "x"}]


def test_a_subgraph_at_a_breakpoint_goes_on_with_any_resume() -> None:
    child = waiting_slot("a", ID1, child=True)
    child.pending_ids = []
    assert give_answers([child], ResumeInput()) == [child]
    assert child.answers == [None]


def test_an_update_without_answers_reruns_the_waiting_nodes() -> None:
    a, child = waiting_slot("a", ID1), waiting_slot("b", ID2, child=True)
    assert give_answers([a, child], ResumeInput(update={"text": "x"})) == [a]
    assert a.answers == []


def test_slot_ids_are_stable() -> None:
    one = TaskSlot.of("t1", 3, 1, Task("a"))
    assert one.id == TaskSlot.of("t1", 3, 1, Task("a")).id == stable_id("t1", 3, 1, "a")
    assert one.id != TaskSlot.of("t1", 4, 1, Task("a")).id


def test_a_pending_interrupt_keeps_its_first_deadline() -> None:
    slot = TaskSlot.of("t1", 0, 0, Task("a"))
    slot.result = NodeResult(interrupt=InterruptRaised(value="?", slot=2, timeout_seconds=60))
    deadlines: dict[str, datetime] = {}
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    [first] = pending_interrupts(slot, deadlines, t0)
    assert first.id == stable_id(slot.id, 2)
    assert first.task_id == slot.id and first.node == "a"
    assert first.deadline == t0 + timedelta(seconds=60)
    [again] = pending_interrupts(slot, deadlines, t0 + timedelta(seconds=30))
    assert again.deadline == first.deadline


def test_a_subgraphs_interrupts_surface_without_their_deadlines() -> None:
    slot = waiting_slot("a", ID1, child=True)
    assert slot.result.child_pending is not None
    slot.result.child_pending[0].deadline = datetime(2024, 1, 1, tzinfo=UTC)
    [p] = pending_interrupts(slot, {}, datetime(2024, 1, 1, tzinfo=UTC))
    assert p.id == ID1 and p.deadline is None


def test_expired_interrupts_get_their_defaults() -> None:
    now = datetime(2024, 1, 1, tzinfo=UTC)
    due = pending(ID1, deadline=now, has_default=True, default="d")
    later = pending(ID2, deadline=now + timedelta(seconds=5))
    assert expired_answers([due, later], now) == ResumeInput(resume={ID1: "d"})
    assert expired_answers([later], now) is None


def test_an_expired_interrupt_without_default_fails_the_run() -> None:
    now = datetime(2024, 1, 1, tzinfo=UTC)
    with pytest.raises(RunFailedError, match="no answer before its deadline") as info:
        expired_answers([pending(ID1, deadline=now)], now)
    assert info.value.kind == "InterruptTimeout"
