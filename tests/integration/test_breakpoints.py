"""Static breakpoints: interrupt_before / interrupt_after, compiled and per run (§8 15-19)."""

from __future__ import annotations

from tempograph import GraphClient
from tempograph.types import Command
from tests.sample_graphs import ENTRIES


async def test_15_before_compiled(graphs: GraphClient, thread: str) -> None:
    out = await graphs.invoke("chain_before_b", {"log": []}, thread_id=thread)
    assert out == {"log": ["a"]}
    state = await graphs.get_state(thread)
    assert (state.paused_at, state.next, state.interrupts) == ("before", ["b"], [])
    assert ENTRIES[(thread, "b")] == 0
    assert await graphs.invoke("chain_before_b", None, thread_id=thread) == {"log": ["a", "b", "c"]}


async def test_16_before_and_after_the_same_node(graphs: GraphClient, thread: str) -> None:
    breakpoints = {"interrupt_before": ["b"], "interrupt_after": ["b"]}
    out = await graphs.invoke("chain", {"log": []}, thread_id=thread, **breakpoints)
    assert out == {"log": ["a"]}
    assert (await graphs.get_state(thread)).next == ["b"]
    # The breakpoint just passed does not fire again; the one after b does.
    out = await graphs.invoke("chain", None, thread_id=thread, **breakpoints)
    assert out == {"log": ["a", "b"]}
    state = await graphs.get_state(thread)
    assert (state.paused_at, state.next) == ("after", ["c"])
    assert await graphs.invoke("chain", None, thread_id=thread, **breakpoints) == {
        "log": ["a", "b", "c"]
    }


async def test_run_time_breakpoints_hold_for_one_invocation(
    graphs: GraphClient, thread: str
) -> None:
    # LangGraph: breakpoints given on a call belong to that call; send them again to keep them.
    out = await graphs.invoke("chain", {"log": []}, thread_id=thread, interrupt_after="*")
    assert out == {"log": ["a"]}
    assert await graphs.invoke("chain", None, thread_id=thread) == {"log": ["a", "b", "c"]}


async def test_17_star_at_run_time_stops_before_every_node(
    graphs: GraphClient, thread: str
) -> None:
    out = await graphs.invoke("chain", {"log": ["in"]}, thread_id=thread, interrupt_before="*")
    assert out == {"log": ["in"]}  # before the very first node: values == input
    assert (await graphs.get_state(thread)).next == ["a"]
    seen = []
    for _ in range(3):
        out = await graphs.invoke("chain", None, thread_id=thread, interrupt_before="*")
        seen.append(list(out["log"]))
    assert seen == [["in", "a"], ["in", "a", "b"], ["in", "a", "b", "c"]]
    assert (await graphs.get_state(thread)).status == "done"


async def test_18_run_time_list_replaces_compiled_list(graphs: GraphClient, thread: str) -> None:
    out = await graphs.invoke(
        "chain_before_b", {"log": []}, thread_id=thread, interrupt_before=["c"]
    )
    assert out == {"log": ["a", "b"]}
    assert (await graphs.get_state(thread)).next == ["c"]


async def test_19_interrupt_after_shows_routed_target(graphs: GraphClient, thread: str) -> None:
    out = await graphs.invoke("route_after_a", {"log": [], "route": "x"}, thread_id=thread)
    assert out["log"] == ["a"]
    state = await graphs.get_state(thread)
    assert (state.paused_at, state.next) == ("after", ["x"])  # the router already ran
    done = await graphs.invoke("route_after_a", None, thread_id=thread)
    assert done["log"] == ["a", "x"]


async def test_resume_at_breakpoint_ignores_value_and_applies_update(
    graphs: GraphClient, thread: str
) -> None:
    await graphs.invoke("chain_before_b", {"log": []}, thread_id=thread)
    done = await graphs.invoke(
        "chain_before_b", Command(resume="ignored", update={"log": ["human"]}), thread_id=thread
    )
    assert done == {"log": ["a", "human", "b", "c"]}


async def test_breakpoint_before_a_node_that_interrupts(graphs: GraphClient, thread: str) -> None:
    out = await graphs.invoke(
        "ask", {"log": [], "x": 1}, thread_id=thread, interrupt_before=["ask"]
    )
    assert "__interrupt__" not in out
    assert ENTRIES[(thread, "ask")] == 0
    out = await graphs.invoke("ask", None, thread_id=thread)
    assert out["__interrupt__"][0].value["question"] == "approve?"
    done = await graphs.invoke("ask", Command(resume="go"), thread_id=thread)
    assert done["log"] == ["a", "ask=go", "b"]
