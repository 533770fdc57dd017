"""update_state on a paused run, with LangGraph's routing effect (§3.3; scenarios 19, 21-24)."""

from __future__ import annotations

import pytest

from tempograph import GraphClient, GraphRunError, InvalidUpdateError, ResumeError
from tests.sample_graphs import ENTRIES


async def test_21_update_at_a_breakpoint(graphs: GraphClient, thread: str) -> None:
    await graphs.invoke("chain_before_b", {"log": []}, thread_id=thread)
    state = await graphs.update_state(thread, {"log": ["human"]})
    assert (state.values, state.next, state.status) == (
        {"log": ["a", "human"]},
        ["b"],
        "interrupted",
    )
    done = await graphs.invoke("chain_before_b", None, thread_id=thread)
    assert done == {"log": ["a", "human", "b", "c"]}


async def test_22_skip_a_node_with_as_node(graphs: GraphClient, thread: str) -> None:
    await graphs.invoke("chain_before_b", {"log": []}, thread_id=thread)
    state = await graphs.update_state(thread, {"log": ["as-b"]}, as_node="b")
    assert state.next == ["c"]
    done = await graphs.invoke("chain_before_b", None, thread_id=thread)
    assert done == {"log": ["a", "as-b", "c"]}
    assert ENTRIES[(thread, "b")] == 0


async def test_19_update_after_a_router_reroutes(graphs: GraphClient, thread: str) -> None:
    await graphs.invoke("route19", {"log": [], "route": "x"}, thread_id=thread)
    assert (await graphs.get_state(thread)).next == ["x"]
    state = await graphs.update_state(thread, {"route": "y"})  # as_node defaults to a
    assert state.next == ["y"]  # the router ran again on the new state
    done = await graphs.invoke("route19", None, thread_id=thread)
    assert done["log"] == ["a", "y"]
    assert ENTRIES[(thread, "x")] == 0


async def test_update_whose_router_fails_fails_the_run_clearly(
    graphs: GraphClient, thread: str
) -> None:
    # This graph's router refuses to see its sibling's write: re-routing after the step fails.
    await graphs.invoke("route_after_a", {"log": [], "route": "x"}, thread_id=thread)
    with pytest.raises(GraphRunError, match="router saw"):
        await graphs.update_state(thread, {"route": "y"}, as_node="a")
    assert (await graphs.get_state(thread)).status == "error"


async def test_23_skip_a_dynamic_interrupt(graphs: GraphClient, thread: str) -> None:
    await graphs.invoke("ask_after", {"log": []}, thread_id=thread)
    state = await graphs.update_state(thread, {"log": ["manual"]}, as_node="ask")
    assert (state.interrupts, state.next, state.values) == ([], ["after"], {"log": ["manual"]})
    done = await graphs.invoke("ask_after", None, thread_id=thread)
    assert done == {"log": ["manual", "after"]}


async def test_update_without_as_node_at_interrupt_keeps_waiting(
    graphs: GraphClient, thread: str
) -> None:
    await graphs.invoke("ask", {"log": [], "x": 1}, thread_id=thread)
    state = await graphs.update_state(thread, {"x": 9})
    assert state.values["x"] == 9 and len(state.interrupts) == 1
    done = await graphs.resume(thread, "ok")
    assert done["x"] == 9 and done["human"] == "ok"


async def test_24_as_node_errors(graphs: GraphClient, thread: str) -> None:
    await graphs.invoke("fan_then_z", {"log": []}, thread_id=thread)
    with pytest.raises(InvalidUpdateError, match="Ambiguous update, specify as_node"):
        await graphs.update_state(thread, {"log": ["x"]})
    with pytest.raises(InvalidUpdateError, match="Node nope does not exist"):
        await graphs.update_state(thread, {"log": ["x"]}, as_node="nope")
    with pytest.raises(InvalidUpdateError, match="Unknown state key"):
        await graphs.update_state(thread, {"nope": 1}, as_node="p1")
    state = await graphs.update_state(thread, {"log": ["x"]}, as_node="p1")
    assert state.values["log"][-1] == "x"
    done = await graphs.invoke("fan_then_z", None, thread_id=thread)
    assert done["log"][-1] == "z"


async def test_update_state_of_a_failed_run_is_refused(graphs: GraphClient, thread: str) -> None:
    # (A finished run's thread can be edited: tests/integration/test_update_state_semantics.py.)
    with pytest.raises(GraphRunError):
        await graphs.invoke("failing", {}, thread_id=thread)
    with pytest.raises(ResumeError, match="not paused"):
        await graphs.update_state(thread, {})
