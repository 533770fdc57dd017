"""A tool-calling agent (LangGraph's "review tool calls" how-to, graphs/review_tool_calls.py):
MessagesState, a fake chat model, interrupt() to review the call, ToolNode; through GraphClient."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from langchain_core.messages import AIMessage
from temporalio.client import Client

from graphs import review_tool_calls
from tempograph import GraphClient, create_worker
from tempograph.graph import END, START, MessagesState, StateGraph
from tempograph.prebuilt import ToolNode, tools_condition
from tempograph.types import Command

TASK_QUEUE = "agents"


def _echo_kinds(state: MessagesState) -> dict[str, Any]:
    kinds = [type(m).__name__ for m in state["messages"]]
    return {"messages": [AIMessage(" ".join(kinds))]}


def _boom(city: str) -> str:
    """Fails."""
    raise RuntimeError(f"no weather for {city}")


def _ask(state: MessagesState) -> dict[str, Any]:
    return {
        "messages": [
            AIMessage("", tool_calls=[{"name": "_boom", "args": {"city": "x"}, "id": "b1"}])
        ]
    }


kinds = StateGraph(MessagesState).add_node("echo", _echo_kinds)
kinds.add_edge(START, "echo")
tools = StateGraph(MessagesState).add_node("ask", _ask).add_node("tools", ToolNode([_boom]))
tools.add_edge(START, "ask")
tools.add_conditional_edges("ask", tools_condition)
tools.add_edge("tools", END)

GRAPHS = {
    "review_tool_calls": review_tool_calls.graph,
    "kinds": kinds.compile(),
    "tool_errors": tools.compile(),
}


@pytest_asyncio.fixture(scope="module")
async def agents(client: Client) -> AsyncIterator[GraphClient]:
    async with create_worker(client, GRAPHS, task_queue=TASK_QUEUE):
        yield GraphClient(client, task_queue=TASK_QUEUE)


QUESTION = {"messages": [{"role": "user", "content": "weather in sf"}]}


def _shape(message: dict[str, Any]) -> None:
    keys = {"content", "additional_kwargs", "response_metadata", "type", "name", "id"}
    assert keys <= set(message), message
    assert isinstance(message["id"], str) and message["id"]


async def test_review_accept(agents: GraphClient, thread: str) -> None:
    out = await agents.invoke("review_tool_calls", QUESTION, thread_id=thread)
    [pending] = out["__interrupt__"]
    call = pending.value["tool_call"]
    assert (call["name"], call["args"]) == ("weather_search", {"city": "sf"})
    human, ai = out["messages"]
    assert (human["type"], ai["type"]) == ("human", "ai")
    assert ai["tool_calls"] == [
        {"name": "weather_search", "args": {"city": "sf"}, "id": "call_1", "type": "tool_call"}
    ]

    done = await agents.invoke(
        "review_tool_calls", Command(resume={"action": "continue"}), thread_id=thread
    )
    assert [m["type"] for m in done["messages"]] == ["human", "ai", "tool", "ai"]
    for m in done["messages"]:
        _shape(m)
    tool = done["messages"][2]
    assert (tool["content"], tool["tool_call_id"], tool["status"]) == (
        "Sunny in sf!",
        "call_1",
        "success",
    )
    assert done["messages"][3]["content"] == "The weather: Sunny in sf!"
    # Ids are kept across steps and runs: the human message's id did not change.
    assert done["messages"][0]["id"] == out["messages"][0]["id"]
    state = await agents.get_state(thread)
    assert state.values["messages"] == done["messages"]


async def test_review_edit_replaces_the_tool_call(agents: GraphClient, thread: str) -> None:
    out = await agents.invoke("review_tool_calls", QUESTION, thread_id=thread)
    ai_id = out["messages"][1]["id"]
    done = await agents.invoke(
        "review_tool_calls",
        Command(resume={"action": "update", "data": {"city": "Rome"}}),
        thread_id=thread,
    )
    messages = done["messages"]
    assert [m["type"] for m in messages] == ["human", "ai", "tool", "ai"]
    assert messages[1]["id"] == ai_id
    assert messages[1]["tool_calls"][0]["args"] == {"city": "Rome"}
    assert messages[2]["content"] == "Sunny in Rome!"


async def test_review_feedback(agents: GraphClient, thread: str) -> None:
    await agents.invoke("review_tool_calls", QUESTION, thread_id=thread)
    done = await agents.invoke(
        "review_tool_calls",
        Command(resume={"action": "feedback", "data": "It is raining"}),
        thread_id=thread,
    )
    assert [m["type"] for m in done["messages"]] == ["human", "ai", "tool", "ai"]
    assert done["messages"][-1]["content"] == "The weather: It is raining"


async def test_nodes_see_message_objects(agents: GraphClient, thread: str) -> None:
    out = await agents.invoke(
        "kinds",
        {"messages": [("user", "a"), "b", {"type": "ai", "content": "c"}]},
        thread_id=thread,
    )
    assert out["messages"][-1]["content"] == "HumanMessage HumanMessage AIMessage"
    assert len({m["id"] for m in out["messages"]}) == 4


async def test_tool_errors_become_tool_messages(agents: GraphClient, thread: str) -> None:
    out = await agents.invoke("tool_errors", {"messages": ["go"]}, thread_id=thread)
    tool = out["messages"][-1]
    assert tool["type"] == "tool" and tool["status"] == "error"
    assert tool["content"] == "Error: RuntimeError('no weather for x')\n Please fix your mistakes."


async def test_input_message_ids_differ_per_thread(agents: GraphClient, thread: str) -> None:
    # The workflow gives an input message without id a deterministic id (replay-safe), salted
    # with the thread: the same first message on two threads must not share an id.
    one = await agents.invoke("kinds", {"messages": [("user", "hi")]}, thread_id=thread)
    two = await agents.invoke("kinds", {"messages": [("user", "hi")]}, thread_id=thread + "-2")
    assert one["messages"][0]["id"] != two["messages"][0]["id"]
    again = await agents.get_state(thread)
    assert again.values["messages"][0]["id"] == one["messages"][0]["id"]  # stable on read
