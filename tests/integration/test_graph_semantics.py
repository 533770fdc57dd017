"""Supersteps, reducers, routing, joins and the errors a graph can raise."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

import pytest

from tempograph import (
    GraphClient,
    GraphRecursionError,
    GraphRunError,
    InvalidUpdateError,
    LimitError,
    PayloadTooLargeError,
    ThreadNotFoundError,
)
from tempograph.graph import END, START, StateGraph
from tempograph.types import Command
from tests.sample_graphs import ENTRIES


async def test_router_sees_own_writes_not_siblings(graphs: GraphClient, thread: str) -> None:
    # The router raises if it sees the sibling's write, which would fail the run.
    done = await graphs.invoke("route", {"log": [], "route": "y"}, thread_id=thread)
    assert done["log"] == ["a", "y"]
    assert done["m"] == 2 and done["n"] == 1


async def test_join_waits_and_separate_edges_fire_per_arrival(
    graphs: GraphClient, thread: str
) -> None:
    done = await graphs.invoke("joins", {"log": []}, thread_id=thread)
    assert ENTRIES[(thread, "j")] == 1
    assert ENTRIES[(thread, "k")] == 2
    # Steps: [a1, b] -> [a2, k] -> [k, j]; writes are applied in (deterministic) task order.
    assert done["log"] == ["a1", "b", "a2", "k", "k", "j"]


async def test_two_writes_to_plain_key_in_one_step(graphs: GraphClient, thread: str) -> None:
    with pytest.raises(InvalidUpdateError, match="At key 'n': Can receive only one value per step"):
        await graphs.invoke("double_write", {}, thread_id=thread)
    state = await graphs.get_state(thread)
    assert state.status == "error"


async def test_wrong_type_for_a_reducer_key_fails_clearly(
    graphs: GraphClient, thread: str
) -> None:
    with pytest.raises(InvalidUpdateError, match="At key 'log': reducer 'add' cannot apply"):
        await graphs.invoke("chain", {"log": "notalist"}, thread_id=thread)
    assert (await graphs.get_state(thread)).status == "error"


async def test_recursion_limit(graphs: GraphClient, thread: str) -> None:
    with pytest.raises(GraphRecursionError, match="Recursion limit of 5 reached"):
        await graphs.invoke("loop", {"n": 0}, thread_id=thread, recursion_limit=5)
    state = await graphs.get_state(thread)
    assert (state.status, state.values["n"]) == ("error", 5)


async def test_node_exception_fails_the_run_clearly(graphs: GraphClient, thread: str) -> None:
    with pytest.raises(GraphRunError, match="Node 'boom' failed: kaboom"):
        await graphs.invoke("failing", {}, thread_id=thread)
    state = await graphs.get_state(thread)
    assert state.status == "error" and "kaboom" in (state.error or "")


async def test_node_returning_a_string(graphs: GraphClient, thread: str) -> None:
    with pytest.raises(InvalidUpdateError, match="Expected dict, got 'hello'"):
        await graphs.invoke("bad_return", {}, thread_id=thread)


async def test_oversized_output_fails_clearly_instead_of_hanging(
    graphs: GraphClient, thread: str
) -> None:
    with pytest.raises(PayloadTooLargeError, match="over Tempograph's limit"):
        await graphs.invoke("big", {}, thread_id=thread)
    assert (await graphs.get_state(thread)).status == "error"


async def test_oversized_input_state_fails_clearly(graphs: GraphClient, thread: str) -> None:
    # Refused by the client before anything is sent (limits.MAX_MESSAGE_BYTES): no run exists.
    with pytest.raises(LimitError, match="The input of the run is 1900011 bytes"):
        await graphs.invoke("big", {"blob": "y" * 1_900_000}, thread_id=thread)
    with pytest.raises(ThreadNotFoundError):
        await graphs.get_state(thread)


async def test_pydantic_state_async_node_and_custom_reducer(
    graphs: GraphClient, thread: str
) -> None:
    out = await graphs.invoke("pydantic", {"title": "hello"}, thread_id=thread)
    # keep_max is a custom reducer (run by an activity): lower's 1 does not replace score's 5.
    assert out["__interrupt__"][0].value == {"title": "hello", "score": 5}
    done = await graphs.invoke("pydantic", Command(resume="Hello!"), thread_id=thread)
    assert done == {
        "title": "Hello!",
        "score": 5,
        "notes": ["scored hello", "lowered?"],
    }


def test_compile_rejects_unknown_nodes() -> None:
    class S(TypedDict):
        log: Annotated[list[str], operator.add]

    g = StateGraph(S)
    g.add_node("a", lambda s: None)
    g.add_edge(START, "a")
    g.add_edge("a", "nope")
    with pytest.raises(ValueError, match="unknown node `nope`"):
        g.compile()
    g2 = StateGraph(S)
    g2.add_node("a", lambda s: None)
    with pytest.raises(ValueError, match="entrypoint"):
        g2.compile()
    g2.add_edge(START, "a")
    with pytest.raises(ValueError, match="Interrupt node `zz` not found"):
        g2.compile(interrupt_before=["zz"])


def test_spec_is_plain_data() -> None:
    class S(TypedDict):
        log: Annotated[list[str], operator.add]
        n: int

    g = StateGraph(S)
    g.add_node("a", lambda s: None, start_to_close_timeout=5)
    g.add_edge(START, "a")
    g.add_edge("a", END)
    spec = g.compile(interrupt_after=["a"]).spec("demo")
    assert spec.model_dump(mode="json")["channels"] == [
        {"name": "log", "reducer": "add", "has_initial": True, "initial": []},
        {"name": "n", "reducer": "last", "has_initial": False, "initial": None},
    ]
    assert spec.nodes[0].start_to_close_timeout_seconds == 5
    assert spec.interrupt_after == ["a"]
