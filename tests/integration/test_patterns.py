"""The four human-in-the-loop patterns of LangGraph's "interrupts" page, as the example graphs in
graphs/ (approve or reject, review and edit state, review tool calls, validate human input),
run on a worker serving graphs.GRAPHS on its own task queue."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from temporalio.client import Client

from graphs import GRAPHS
from graphs.tool_review import ReviewDecision
from tempograph import GraphClient, ResumeError, create_worker
from tempograph.types import Command

TASK_QUEUE = "patterns"


@pytest_asyncio.fixture(scope="module")
async def patterns(client: Client) -> AsyncIterator[GraphClient]:
    async with create_worker(client, GRAPHS, task_queue=TASK_QUEUE):
        yield GraphClient(client, task_queue=TASK_QUEUE)


# 1. Approve or reject (LangGraph acceptance scenario 39).


@pytest.mark.parametrize("answer, status", [(True, "approved"), (False, "rejected")])
async def test_approval_routes_on_the_answer(
    patterns: GraphClient, thread: str, answer: bool, status: str
) -> None:
    out = await patterns.invoke("approval", {"request": "refund order #42"}, thread_id=thread)
    [pending] = out["__interrupt__"]
    assert pending.value == {
        "question": "Approve this action?",
        "action": "Execute: refund order #42",
    }
    state = await patterns.get_state(thread)
    assert (state.status, state.next) == ("interrupted", ["approval"])

    done = await patterns.invoke("approval", Command(resume=answer), thread_id=thread)
    assert done == {
        "request": "refund order #42",
        "action": "Execute: refund order #42",
        "status": status,
    }


async def test_approval_refuses_a_non_boolean_answer(patterns: GraphClient, thread: str) -> None:
    await patterns.invoke("approval", {"request": "drop the table"}, thread_id=thread)
    with pytest.raises(ResumeError) as err:
        await patterns.resume(thread, "yes")
    assert err.value.kind == "InvalidAnswer"
    assert (await patterns.get_state(thread)).status == "interrupted"
    done = await patterns.resume(thread, False)
    assert done["status"] == "rejected"


# 2. Review and edit state.


async def test_edit_text_publishes_the_humans_edit(patterns: GraphClient, thread: str) -> None:
    out = await patterns.invoke("edit_text", {"topic": "Temporal"}, thread_id=thread)
    [pending] = out["__interrupt__"]
    assert pending.value == {
        "instruction": "Review and edit this content",
        "content": "A first draft about Temporal.",
    }
    done = await patterns.resume(thread, "Temporal makes workflows durable.")
    assert done == {
        "topic": "Temporal",
        "generated_text": "Temporal makes workflows durable.",
        "published": "Temporal makes workflows durable.",
    }


# 3. Review tool calls.

EMAIL = {"to": "alice@example.com", "message": "The launch is on Friday."}
PROPOSED = {
    "name": "send_email",
    "args": {"to": "alice@example.com", "subject": "Update", "body": "The launch is on Friday."},
}


async def start_tool_review(patterns: GraphClient, thread: str) -> None:
    out = await patterns.invoke("tool_review", EMAIL, thread_id=thread)
    [pending] = out["__interrupt__"]
    assert pending.value == {"question": "Review this tool call", "tool_call": PROPOSED}
    assert pending.response_schema == ReviewDecision.model_json_schema()


async def test_tool_review_approve_runs_the_proposed_call(
    patterns: GraphClient, thread: str
) -> None:
    await start_tool_review(patterns, thread)
    done = await patterns.resume(thread, {"action": "approve"})
    assert done["status"] == "done"
    assert done["tool_call"] == PROPOSED
    assert done["result"] == (
        "Email sent to alice@example.com (subject: 'Update'): The launch is on Friday."
    )


async def test_tool_review_edit_runs_the_tool_with_the_edited_args(
    patterns: GraphClient, thread: str
) -> None:
    await start_tool_review(patterns, thread)
    done = await patterns.resume(
        thread, {"action": "edit", "args": {"to": "bob@example.com", "subject": "Launch"}}
    )
    assert done["status"] == "done"
    assert done["tool_call"]["args"] == {
        "to": "bob@example.com",
        "subject": "Launch",
        "body": "The launch is on Friday.",
    }
    assert done["result"] == (
        "Email sent to bob@example.com (subject: 'Launch'): The launch is on Friday."
    )


async def test_tool_review_reject_sends_feedback_to_the_agent(
    patterns: GraphClient, thread: str
) -> None:
    await start_tool_review(patterns, thread)
    out = await patterns.resume(thread, {"action": "reject", "feedback": "mention the time"})
    [pending] = out["__interrupt__"]
    revised = pending.value["tool_call"]
    assert revised["args"]["body"] == "The launch is on Friday. [revised: mention the time]"
    assert out["revisions"] == 1

    done = await patterns.resume(thread, {"action": "approve"})
    assert done["status"] == "done"
    assert done["result"].endswith("[revised: mention the time]")


async def test_tool_review_agent_gives_up_after_repeated_rejections(
    patterns: GraphClient, thread: str
) -> None:
    await start_tool_review(patterns, thread)
    out: dict[str, object] = {}
    for _ in range(3):
        out = await patterns.resume(thread, {"action": "reject", "feedback": "no"})
    assert "__interrupt__" not in out
    assert out["status"] == "gave_up"
    assert out["tool_call"] is None
    assert "result" not in out
    assert (await patterns.get_state(thread)).status == "done"


async def test_tool_review_invalid_answer_is_refused_and_run_stays_paused(
    patterns: GraphClient, thread: str
) -> None:
    await start_tool_review(patterns, thread)
    pending = (await patterns.get_state(thread)).interrupts
    for bad in [{"action": "maybe"}, {"args": {}}, "approve"]:
        with pytest.raises(ResumeError) as err:
            await patterns.resume(thread, bad)
        assert err.value.kind == "InvalidAnswer"
    state = await patterns.get_state(thread)
    assert (state.status, state.next) == ("interrupted", ["review_tool_call"])
    assert [i.id for i in state.interrupts] == [i.id for i in pending]

    done = await patterns.resume(thread, {"action": "approve"})
    assert done["status"] == "done"


# 4. Validate human input (LangGraph acceptance scenario 40).


async def test_ask_age_asks_again_until_the_age_is_valid(
    patterns: GraphClient, thread: str
) -> None:
    out = await patterns.invoke("ask_age", {}, thread_id=thread)
    assert [i.value for i in out["__interrupt__"]] == ["What is your age?"]

    out = await patterns.resume(thread, "thirty")
    assert [i.value for i in out["__interrupt__"]] == [
        "'thirty' is not a valid age. What is your age?"
    ]
    assert out["invalid_answer"] == "thirty"

    out = await patterns.resume(thread, -5)
    assert [i.value for i in out["__interrupt__"]] == ["'-5' is not a valid age. What is your age?"]

    done = await patterns.resume(thread, 30)
    assert done == {"age": 30, "invalid_answer": None}
    assert (await patterns.get_state(thread)).status == "done"
