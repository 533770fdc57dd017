"""LangGraph's how-to "wait for user input" (graphs/wait_for_user_input.py): the model calls the
`AskHuman` tool, `ask_human` pauses with the question and answers the call with the human's
reply, the model searches with it (ToolNode) and answers; through GraphClient."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from langchain_core.messages import HumanMessage, ToolMessage
from temporalio.client import Client

from graphs import wait_for_user_input
from tempograph import GraphClient, create_worker
from tempograph.types import Command

TASK_QUEUE = "wait-for-user-input"
REQUEST: dict[str, Any] = {
    "messages": [("user", "Ask the user where they are, then look up the weather there")]
}


@pytest_asyncio.fixture(scope="module")
async def agent(client: Client) -> AsyncIterator[GraphClient]:
    graphs = {"wait_for_user_input": wait_for_user_input.graph}
    async with create_worker(client, graphs, task_queue=TASK_QUEUE):
        yield GraphClient(client, task_queue=TASK_QUEUE)


async def test_the_agent_asks_then_searches_with_the_answer(
    agent: GraphClient, thread: str
) -> None:
    out = await agent.invoke("wait_for_user_input", REQUEST, thread_id=thread)
    [pending] = out["__interrupt__"]
    assert pending.value == "Where are you?"
    human, ai = out["messages"]
    assert (human["type"], human["content"]) == ("human", REQUEST["messages"][0][1])
    assert ai["type"] == "ai" and ai["content"] == "I need to know where you are first."
    [ask] = ai["tool_calls"]
    assert (ask["name"], ask["args"]) == ("AskHuman", {"question": "Where are you?"})
    state = await agent.get_state(thread)
    assert state.next == ["ask_human"] and state.interrupts[0].value == "Where are you?"

    done = await agent.invoke(
        "wait_for_user_input", Command(resume="san francisco"), thread_id=thread
    )
    messages = done["messages"]
    assert [m["type"] for m in messages] == ["human", "ai", "tool", "ai", "tool", "ai"]
    for m in messages:
        assert isinstance(m["id"], str) and m["id"], m
    assert len({m["id"] for m in messages}) == len(messages)
    # ask_human's answer: a ToolMessage for the AskHuman call, carrying what the human said.
    answer = messages[2]
    assert (answer["tool_call_id"], answer["content"]) == (ask["id"], "san francisco")
    [search] = messages[3]["tool_calls"]
    assert (search["name"], search["args"]) == ("search", {"query": "weather in san francisco"})
    result = messages[4]
    assert (result["name"], result["tool_call_id"], result["status"]) == (
        "search",
        search["id"],
        "success",
    )
    assert result["content"].startswith("I looked up: weather in san francisco. Result:")
    assert messages[5]["content"] == f"Here is what I found: {result['content']}"
    assert messages[5]["tool_calls"] == []
    # The ids of the first run's messages are kept.
    assert [m["id"] for m in messages[:2]] == [m["id"] for m in out["messages"]]

    state = await agent.get_state(thread)
    assert state.next == [] and state.values["messages"] == messages


async def test_each_question_is_answered_by_its_own_tool_message(
    agent: GraphClient, thread: str
) -> None:
    """A second request on the same thread asks again; the new answer goes to the new call."""
    await agent.invoke("wait_for_user_input", REQUEST, thread_id=thread)
    await agent.invoke("wait_for_user_input", Command(resume="paris"), thread_id=thread)
    out = await agent.invoke("wait_for_user_input", REQUEST, thread_id=thread)
    [pending] = out["__interrupt__"]
    assert pending.value == "Where are you?"
    done = await agent.invoke("wait_for_user_input", Command(resume="rome"), thread_id=thread)
    messages = done["messages"]
    assert len(messages) == 12
    calls = [c for m in messages if m["type"] == "ai" for c in m["tool_calls"]]
    assert [c["name"] for c in calls] == ["AskHuman", "search", "AskHuman", "search"]
    assert len({c["id"] for c in calls}) == 4
    answers = {m["tool_call_id"]: m["content"] for m in messages if m["type"] == "tool"}
    assert answers[calls[2]["id"]] == "rome"
    assert calls[3]["args"] == {"query": "weather in rome"}


def test_the_model_refuses_a_tool_it_was_not_bound_to() -> None:
    """The stand-in model checks its bound tools, so the port must bind AskHuman as the how-to
    does (a model without it cannot ask)."""
    unbound = wait_for_user_input.ScriptedChatModel().bind_tools([wait_for_user_input.search])
    with pytest.raises(ValueError, match="'AskHuman' is not bound"):
        unbound.invoke([HumanMessage("where am I?")])
    reply = wait_for_user_input.model.invoke([HumanMessage("where am I?")])
    assert reply.tool_calls[0]["name"] == "AskHuman"


def test_the_model_streams_words_then_the_tool_call() -> None:
    """Streamed (as when a client asks for messages-tuple), the reply is the same message."""
    chunks = list(
        wait_for_user_input.model.stream(
            [
                HumanMessage("hi"),
                wait_for_user_input.model.invoke([HumanMessage("hi")]),
                ToolMessage("oslo", tool_call_id="call_1"),
            ]
        )
    )
    assert [c.content for c in chunks[:3]] == ["Let", " ", "me"]
    merged: Any = chunks[0]
    for c in chunks[1:]:
        merged += c
    assert merged.content == "Let me look that up."
    assert [(c["name"], c["args"]) for c in merged.tool_calls] == [
        ("search", {"query": "weather in oslo"})
    ]
