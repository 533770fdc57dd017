"""The HITL payloads real UIs send (issue 12): Agent Inbox's HumanInterrupt / HumanResponse list
(graphs/inbox_review.py) and LangChain v1's HITL middleware action_requests / decisions
(graphs/hitl_middleware.py); every answer type through GraphClient, and through the HTTP API
with langgraph-sdk. A worker of their own on a task queue of their own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from langgraph_sdk import get_client
from temporalio.client import Client

from graphs import hitl_middleware, inbox_review
from tempograph import GraphClient, create_worker
from tempograph.http import create_app
from tempograph.http.testing import serve
from tempograph.types import Command

TASK_QUEUE = "hitl-conventions"
GRAPHS = {"inbox_review": inbox_review.graph, "hitl_middleware": hitl_middleware.graph}
EMAIL: dict[str, Any] = {"messages": [{"role": "user", "content": "reply to alice@example.com"}]}
WEATHER: dict[str, Any] = {"messages": [{"role": "user", "content": "weather in Paris"}]}
DRAFTED = {
    "to": "alice@example.com",
    "subject": "Re: your message",
    "body": "Thanks, I will get back to you.",
}


@pytest_asyncio.fixture(scope="module")
async def hitl(client: Client) -> AsyncIterator[GraphClient]:
    async with create_worker(client, GRAPHS, task_queue=TASK_QUEUE):
        yield GraphClient(client, task_queue=TASK_QUEUE)


def _types(out: dict[str, Any]) -> list[str]:
    return [m["type"] for m in out["messages"]]


# --- Agent Inbox: HumanInterrupt list, HumanResponse list ---------------------------------


async def _inbox_paused(hitl: GraphClient, thread: str) -> dict[str, Any]:
    out = await hitl.invoke("inbox_review", EMAIL, thread_id=thread)
    [pending] = out["__interrupt__"]
    assert pending.value == [
        {
            "action_request": {"action": "send_email", "args": DRAFTED},
            "config": {
                "allow_ignore": True,
                "allow_respond": True,
                "allow_edit": True,
                "allow_accept": True,
            },
            "description": "The assistant wants to email alice@example.com. Send it?",
        }
    ]
    assert _types(out) == ["human", "ai"]
    return out


async def test_inbox_accept(hitl: GraphClient, thread: str) -> None:
    await _inbox_paused(hitl, thread)
    done = await hitl.invoke(
        "inbox_review", Command(resume=[{"type": "accept", "args": None}]), thread_id=thread
    )
    assert _types(done) == ["human", "ai", "tool", "ai"]
    assert done["messages"][2]["content"] == "Sent to alice@example.com: 'Re: your message'"
    assert done["messages"][3]["content"] == "Done. Sent to alice@example.com: 'Re: your message'"
    assert "__interrupt__" not in done


async def test_inbox_edit_replaces_the_call(hitl: GraphClient, thread: str) -> None:
    out = await _inbox_paused(hitl, thread)
    edited = {**DRAFTED, "to": "bob@example.com", "subject": "Lunch"}
    answer = [{"type": "edit", "args": {"action": "send_email", "args": edited}}]
    done = await hitl.invoke("inbox_review", Command(resume=answer), thread_id=thread)
    assert _types(done) == ["human", "ai", "tool", "ai"]
    ai = done["messages"][1]
    assert ai["id"] == out["messages"][1]["id"]
    assert ai["tool_calls"][0]["args"] == edited and ai["tool_calls"][0]["id"] == "call_1"
    assert done["messages"][2]["content"] == "Sent to bob@example.com: 'Lunch'"


async def test_inbox_response_answers_the_call(hitl: GraphClient, thread: str) -> None:
    await _inbox_paused(hitl, thread)
    answer = [{"type": "response", "args": "I will call her instead"}]
    done = await hitl.invoke("inbox_review", Command(resume=answer), thread_id=thread)
    assert _types(done) == ["human", "ai", "tool", "ai"]
    tool = done["messages"][2]
    assert (tool["content"], tool["tool_call_id"]) == ("I will call her instead", "call_1")
    assert done["messages"][3]["content"] == "Done. I will call her instead"


async def test_inbox_ignore_ends(hitl: GraphClient, thread: str) -> None:
    out = await _inbox_paused(hitl, thread)
    done = await hitl.invoke(
        "inbox_review", Command(resume=[{"type": "ignore", "args": None}]), thread_id=thread
    )
    assert done == {"messages": out["messages"]}
    state = await hitl.get_state(thread)
    assert not state.next


# --- LangChain v1 HITL middleware: action_requests / review_configs, decisions --------------


async def _middleware_paused(
    hitl: GraphClient, thread: str, question: dict[str, Any] = WEATHER
) -> dict[str, Any]:
    out = await hitl.invoke("hitl_middleware", question, thread_id=thread)
    [pending] = out["__interrupt__"]
    return out


async def test_middleware_request_shape(hitl: GraphClient, thread: str) -> None:
    out = await _middleware_paused(hitl, thread)
    assert out["__interrupt__"][0].value == {
        "action_requests": [
            {
                "name": "get_weather",
                "args": {"city": "Paris"},
                "description": "Tool execution requires approval\n\nTool: get_weather\n"
                "Args: {'city': 'Paris'}",
            }
        ],
        "review_configs": [
            {"action_name": "get_weather", "allowed_decisions": ["approve", "edit", "reject"]}
        ],
    }


async def test_middleware_approve(hitl: GraphClient, thread: str) -> None:
    await _middleware_paused(hitl, thread)
    done = await hitl.invoke(
        "hitl_middleware", Command(resume={"decisions": [{"type": "approve"}]}), thread_id=thread
    )
    assert _types(done) == ["human", "ai", "tool", "ai"]
    assert done["messages"][2]["content"] == "sunny in Paris"
    assert done["messages"][3]["content"] == "sunny in Paris"


async def test_middleware_edit(hitl: GraphClient, thread: str) -> None:
    out = await _middleware_paused(hitl, thread)
    edit = {"type": "edit", "edited_action": {"name": "get_weather", "args": {"city": "Rome"}}}
    done = await hitl.invoke(
        "hitl_middleware", Command(resume={"decisions": [edit]}), thread_id=thread
    )
    assert _types(done) == ["human", "ai", "tool", "ai"]
    assert done["messages"][1]["id"] == out["messages"][1]["id"]
    assert done["messages"][1]["tool_calls"][0]["args"] == {"city": "Rome"}
    assert done["messages"][2]["content"] == "sunny in Rome"


async def test_middleware_reject(hitl: GraphClient, thread: str) -> None:
    await _middleware_paused(hitl, thread)
    reject = {"type": "reject", "message": "not now"}
    done = await hitl.invoke(
        "hitl_middleware", Command(resume={"decisions": [reject]}), thread_id=thread
    )
    assert _types(done) == ["human", "ai", "tool", "ai"]
    tool = done["messages"][2]
    assert tool["status"] == "error"
    assert tool["content"] == "User rejected the tool call for `get_weather` with reason: not now"


async def test_middleware_batch_one_decision_each(hitl: GraphClient, thread: str) -> None:
    question = {"messages": [{"role": "user", "content": "weather in Paris and Rome"}]}
    out = await _middleware_paused(hitl, thread, question)
    assert [r["args"] for r in out["__interrupt__"][0].value["action_requests"]] == [
        {"city": "Paris"},
        {"city": "Rome"},
    ]
    decisions = [{"type": "reject", "message": "skip"}, {"type": "approve"}]
    done = await hitl.invoke(
        "hitl_middleware", Command(resume={"decisions": decisions}), thread_id=thread
    )
    assert _types(done) == ["human", "ai", "tool", "tool", "ai"]
    assert [m["tool_call_id"] for m in done["messages"][2:4]] == ["call_1", "call_2"]
    assert done["messages"][3]["content"] == "sunny in Rome"


# --- Through the HTTP API, with the real langgraph-sdk -------------------------------------


async def test_both_forms_through_langgraph_sdk(hitl: GraphClient) -> None:
    app = create_app(hitl, sorted(GRAPHS))
    async with serve(app) as url:
        sdk = get_client(url=url, api_key=None)
        try:
            tid = (await sdk.threads.create())["thread_id"]
            out: Any = await sdk.runs.wait(tid, "inbox_review", input=EMAIL)
            [pending] = out["__interrupt__"]
            assert pending["value"][0]["action_request"]["action"] == "send_email"
            assert (await sdk.threads.get(tid))["status"] == "interrupted"
            answer = [
                {
                    "type": "edit",
                    "args": {"action": "send_email", "args": {**DRAFTED, "to": "c@x.org"}},
                }
            ]
            done: Any = await sdk.runs.wait(tid, "inbox_review", command={"resume": answer})
            assert [m["type"] for m in done["messages"]] == ["human", "ai", "tool", "ai"]
            assert done["messages"][2]["content"] == "Sent to c@x.org: 'Re: your message'"
            assert (await sdk.threads.get(tid))["status"] == "idle"

            tid = (await sdk.threads.create())["thread_id"]
            out = await sdk.runs.wait(tid, "hitl_middleware", input=WEATHER)
            [pending] = out["__interrupt__"]
            assert pending["value"]["review_configs"][0]["action_name"] == "get_weather"
            done = await sdk.runs.wait(
                tid, "hitl_middleware", command={"resume": {"decisions": [{"type": "approve"}]}}
            )
            assert done["messages"][-1]["content"] == "sunny in Paris"
        finally:
            await sdk.aclose()
