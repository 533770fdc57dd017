"""LangGraph's "review tool calls" how-to, unchanged (tests/langgraph/review_tool_calls_lg.py:
imports from langgraph, a fake chat model), on Tempograph and on LangGraph's own runtime
(InMemorySaver), driven by the same script: accept, edit (the tool call is rewritten in place),
feedback (back to the model). Values and interrupt values must match at every step."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command as LangGraphCommand
from temporalio.client import Client

from tempograph import GraphClient, create_worker
from tempograph.types import Command
from tests.langgraph.review_tool_calls_lg import build_review

TASK_QUEUE = "langgraph-review-tool-calls"
QUESTION = {"messages": [{"role": "user", "content": "what's the weather in sf"}]}
ANSWERS: dict[str, list[Any]] = {
    "accept": [{"action": "continue"}],
    "edit": [{"action": "update", "data": {"city": "San Francisco, USA"}}],
    # Feedback goes back to the model, which asks for the tool again: then accepted.
    "feedback": [
        {"action": "feedback", "data": "User requested changes: use <city, country> format"},
        {"action": "continue"},
    ],
}


@pytest_asyncio.fixture(scope="module")
async def graphs_(client: Client) -> AsyncIterator[GraphClient]:
    async with create_worker(client, {"review": build_review().compile()}, task_queue=TASK_QUEUE):
        yield GraphClient(client, task_queue=TASK_QUEUE)


def _message(m: Any) -> dict[str, Any]:
    """A message without its random id: an object (LangGraph) or its serialized dict."""
    d = m.model_dump() if hasattr(m, "model_dump") else dict(m)
    out = {"type": d["type"], "content": d["content"]}
    if d.get("tool_calls"):
        out["tool_calls"] = [(c["name"], c["args"], c["id"]) for c in d["tool_calls"]]
    for key in ("tool_call_id", "name"):
        if d.get(key) is not None:
            out[key] = d[key]
    return out


def _shape(out: dict[str, Any]) -> dict[str, Any]:
    messages = [_message(m) for m in out["messages"]]
    return {"messages": messages, "interrupts": [i.value for i in out.get("__interrupt__", [])]}


@pytest.mark.parametrize("case", sorted(ANSWERS))
async def test_same_values_and_interrupts_as_langgraph(graphs_: GraphClient, case: str) -> None:
    reference = build_review().compile(checkpointer=InMemorySaver())
    config: Any = {"configurable": {"thread_id": uuid.uuid4().hex}}
    expected = [_shape(reference.invoke(QUESTION, config))]
    for answer in ANSWERS[case]:
        expected.append(_shape(reference.invoke(LangGraphCommand(resume=answer), config)))
    assert expected[0]["interrupts"][0]["tool_call"]["args"] == {"city": "sf"}
    assert expected[-1]["interrupts"] == []

    thread = f"review-{uuid.uuid4().hex[:12]}"
    got = [_shape(await graphs_.invoke("review", QUESTION, thread_id=thread))]
    for answer in ANSWERS[case]:
        got.append(_shape(await graphs_.invoke("review", Command(resume=answer), thread_id=thread)))
    assert got == expected


async def test_an_edited_tool_call_replaces_the_message(graphs_: GraphClient) -> None:
    """The edit keeps the AI message's id, so add_messages replaces it (no second AI message
    with the old call), as in LangGraph."""
    thread = f"review-{uuid.uuid4().hex[:12]}"
    first = await graphs_.invoke("review", QUESTION, thread_id=thread)
    proposed = first["messages"][-1]
    out = await graphs_.invoke("review", Command(resume=ANSWERS["edit"][0]), thread_id=thread)
    ai = [m for m in out["messages"] if m["type"] == "ai" and m.get("tool_calls")]
    assert [m["id"] for m in ai] == [proposed["id"]]
    assert ai[0]["tool_calls"][0]["args"] == {"city": "San Francisco, USA"}
    assert out["messages"][-1]["content"] == "The weather: Sunny in San Francisco, USA!"
