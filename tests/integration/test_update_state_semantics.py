"""update_state's LangGraph semantics: as_node is the writer and its edges decide `next`;
as_node="__end__" ends a paused run; a finished thread can be edited and then continued."""

from __future__ import annotations

from tempograph import GraphClient
from tempograph.types import Command
from tests.sample_graphs import ENTRIES

END = "__end__"


async def test_as_node_after_an_interrupt_after_pause(graphs: GraphClient, thread: str) -> None:
    # Paused after step_1 (next: step_2); step_2 "ran" by hand: only step_3 is left.
    await graphs.invoke("steps", {"log": []}, thread_id=thread, interrupt_after=["step_1"])
    assert (await graphs.get_state(thread)).next == ["step_2"]
    state = await graphs.update_state(thread, {"log": ["by hand"]}, as_node="step_2")
    assert (state.next, state.values) == (["step_3"], {"log": ["step_1", "by hand"]})
    done = await graphs.invoke("steps", None, thread_id=thread)
    assert done == {"log": ["step_1", "by hand", "step_3"]}
    assert (ENTRIES[(thread, "step_2")], ENTRIES[(thread, "step_3")]) == (0, 1)


async def test_as_node_at_an_interrupt_before_pause(graphs: GraphClient, thread: str) -> None:
    await graphs.invoke("steps", {"log": []}, thread_id=thread, interrupt_before=["step_2"])
    state = await graphs.update_state(thread, {"log": ["by hand"]}, as_node="step_2")
    assert state.next == ["step_3"]
    done = await graphs.invoke("steps", None, thread_id=thread)
    assert done == {"log": ["step_1", "by hand", "step_3"]}
    assert (ENTRIES[(thread, "step_2")], ENTRIES[(thread, "step_3")]) == (0, 1)


async def test_as_node_of_the_paused_step_still_reroutes(graphs: GraphClient, thread: str) -> None:
    await graphs.invoke("steps", {"log": []}, thread_id=thread, interrupt_after=["step_1"])
    state = await graphs.update_state(thread, {"log": ["again"]}, as_node="step_1")
    assert state.next == ["step_2"]
    done = await graphs.invoke("steps", None, thread_id=thread)
    assert done == {"log": ["step_1", "again", "step_2", "step_3"]}


async def test_end_at_a_dynamic_interrupt_marks_it_resolved(
    graphs: GraphClient, thread: str
) -> None:
    out = await graphs.invoke("ask", {"log": [], "x": 1}, thread_id=thread)
    assert out["__interrupt__"]
    state = await graphs.update_state(thread, None, as_node=END)
    assert (state.status, state.next, state.interrupts) == ("done", [], [])
    assert state.values == {"log": ["a"], "x": 1}
    assert ENTRIES[(thread, "b")] == 0
    # The thread is idle: new input starts a new run from those values.
    again = await graphs.invoke("ask", {"x": 2}, thread_id=thread)
    assert again["x"] == 2 and again["log"] == ["a", "a"] and again["__interrupt__"]


async def test_end_at_a_breakpoint(graphs: GraphClient, thread: str) -> None:
    await graphs.invoke("steps", {"log": []}, thread_id=thread, interrupt_before=["step_2"])
    state = await graphs.update_state(thread, None, as_node=END)
    assert (state.status, state.next, state.values) == ("done", [], {"log": ["step_1"]})
    assert await graphs.invoke("steps", None, thread_id=thread) == {"log": ["step_1"]}


async def test_update_of_a_finished_thread_then_new_input(graphs: GraphClient, thread: str) -> None:
    await graphs.invoke("steps", {"log": []}, thread_id=thread)
    state = await graphs.update_state(thread, {"log": ["late"]})
    assert state.values == {"log": ["step_1", "step_2", "step_3", "late"]}
    assert (state.next, state.status) == ([], "done")
    assert (await graphs.get_state(thread)).values == state.values
    # invoke(None): nothing next, the edited values come back.
    assert await graphs.invoke("steps", None, thread_id=thread) == state.values
    # New input: a new run from the edited values.
    done = await graphs.invoke("steps", {"log": ["new"]}, thread_id=thread)
    assert done["log"] == ["step_1", "step_2", "step_3", "late", "new"] + [
        "step_1",
        "step_2",
        "step_3",
    ]
    history = await graphs.get_state_history(thread, source="update")
    assert history and history[0].values["log"][-1] == "late"


async def test_update_of_a_finished_thread_as_node_continues(
    graphs: GraphClient, thread: str
) -> None:
    await graphs.invoke("steps", {"log": []}, thread_id=thread)
    state = await graphs.update_state(thread, {"log": ["redo"]}, as_node="step_1")
    assert (state.next, state.status) == (["step_2"], "interrupted")
    done = await graphs.invoke("steps", None, thread_id=thread)
    assert done["log"] == ["step_1", "step_2", "step_3", "redo", "step_2", "step_3"]


async def test_update_of_a_finished_thread_with_a_resume_command(
    graphs: GraphClient, thread: str
) -> None:
    await graphs.invoke("ask", {"log": [], "x": 1}, thread_id=thread)
    await graphs.invoke("ask", Command(resume="yes"), thread_id=thread)
    state = await graphs.update_state(thread, {"x": 5})
    assert state.values["x"] == 5 and state.values["human"] == "yes"
