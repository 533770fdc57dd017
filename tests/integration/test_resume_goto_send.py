"""Command(goto=Send(node, arg)) on resume (LangGraph: goto holds node names and Sends, mixed).

Each target of a resume's goto is one more task of the paused step, in goto's order: a name
runs its node with the state, a Send with its argument.
"""

from __future__ import annotations

import operator
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any, TypedDict

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError

from tempograph import GraphClient, ResumeError, create_worker
from tempograph.graph import END, START, CompiledGraph, StateGraph
from tempograph.messages import RESUME_UPDATE
from tempograph.types import Command, Send, interrupt

QUEUE = f"goto-send-{uuid.uuid4().hex[:8]}"


class State(TypedDict, total=False):
    topic: str
    out: Annotated[list[str], operator.add]


def ask(state: State) -> dict[str, Any]:
    answer = interrupt({"question": "go?"})
    return {"out": [f"ask:{answer}"]}


def echo(arg: dict[str, Any]) -> dict[str, Any]:
    # A Send's argument ({"item": ...}), or the state when goto names the node.
    return {"out": [f"echo:{arg.get('item', 'state:' + str(arg.get('topic')))}"]}


def build() -> CompiledGraph:
    g = StateGraph(State)
    g.add_node("ask", ask)
    g.add_node("echo", echo)
    g.add_edge(START, "ask")
    g.add_edge("ask", END)
    g.add_edge("echo", END)
    return g.compile()


@pytest.fixture
async def gc(client: Client) -> AsyncIterator[GraphClient]:
    async with create_worker(client, {"goto": build()}, task_queue=QUEUE):
        yield GraphClient(client, task_queue=QUEUE)


async def test_resume_with_sends_and_names_in_goto(gc: GraphClient) -> None:
    thread = f"t-{uuid.uuid4().hex[:10]}"
    out = await gc.invoke("goto", {"topic": "T", "out": []}, thread_id=thread)
    assert out["__interrupt__"][0].value == {"question": "go?"}
    done = await gc.invoke(
        "goto",
        Command(
            resume="yes",
            goto=[Send("echo", {"item": "p"}), "echo", Send("echo", {"item": "q"})],
        ),
        thread_id=thread,
    )
    # The answered task first, then goto's tasks in goto's order.
    assert done == {"topic": "T", "out": ["ask:yes", "echo:p", "echo:state:T", "echo:q"]}


async def test_a_single_send_as_goto(gc: GraphClient) -> None:
    thread = f"t-{uuid.uuid4().hex[:10]}"
    await gc.invoke("goto", {"topic": "T", "out": []}, thread_id=thread)
    done = await gc.resume(thread, "ok", goto=Send("echo", {"item": "only"}))
    assert done["out"] == ["ask:ok", "echo:only"]


async def test_a_send_to_an_unknown_node_is_refused(gc: GraphClient) -> None:
    thread = f"t-{uuid.uuid4().hex[:10]}"
    await gc.invoke("goto", {"topic": "T", "out": []}, thread_id=thread)
    with pytest.raises(ResumeError, match="Unknown node") as err:
        await gc.resume(thread, "x", goto=[Send("nowhere", {"item": 1})])
    assert err.value.kind == "InvalidResume"
    # Refused without a trace: the run is still paused and takes a good resume.
    done = await gc.resume(thread, "y", goto=[Send("echo", {"item": "after"})])
    assert done["out"] == ["ask:y", "echo:after"]


async def test_a_send_spelt_as_the_agent_server_does_is_refused(
    gc: GraphClient, client: Client
) -> None:
    """On the wire a Send is {"node", "arg"}; {"node", "input"} would lose its argument, so it
    is refused (the HTTP API translates LangGraph's spelling)."""
    thread = f"t-{uuid.uuid4().hex[:10]}"
    await gc.invoke("goto", {"topic": "T", "out": []}, thread_id=thread)
    handle = client.get_workflow_handle(thread)
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await handle.execute_update(
            RESUME_UPDATE, {"resume": "x", "goto": [{"node": "echo", "input": {"item": 1}}]}
        )
    assert "input" in str(err.value.cause)
    raw = await handle.execute_update(
        RESUME_UPDATE,
        {"resume": "z", "goto": ["echo", {"node": "echo", "arg": {"item": "wire"}}]},
        result_type=dict,
    )
    assert raw["out"] == ["ask:z", "echo:state:T", "echo:wire"]
