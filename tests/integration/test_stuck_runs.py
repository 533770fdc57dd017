"""Nothing a client sends can leave a run stuck (a workflow task failing on every attempt).

Each message is sent raw with the temporalio client, the way `temporal workflow signal/start`
or any other SDK would: no argument, two arguments, JSON nested past the decoder's limit, a
message over the size limit. Each is refused clearly, and the run either fails at once with a
clear error (a bad start) or stays paused and resumable.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from tempograph import GraphClient, PayloadTooLargeError
from tempograph.limits import MAX_JSON_DEPTH, MAX_MESSAGE_BYTES
from tempograph.messages import (
    CHILD_PAUSED_SIGNAL,
    NODE_STATE_QUERY,
    RESUME_SIGNAL,
    RESUME_UPDATE,
    STATE_QUERY,
    STATE_UPDATE,
    STATUS_ATTRIBUTE,
    THREAD_CLOSE_SIGNAL,
    THREAD_PATCH_UPDATE,
    THREAD_RECORD_WORKFLOW,
    WAIT_UPDATE,
    WORKFLOW_TYPE,
    thread_record_id,
)
from tests.conftest import TASK_QUEUE
from tests.integration.test_bad_input import assert_still_resumable, paused_ask


@pytest.fixture(autouse=True)
def _worker(worker: Worker) -> None:
    """Tests that start runs with the raw client still need the session's worker."""


def raw_json(text: str) -> RawValue:
    """A payload sent as it is: the client's converter could not even encode some of these."""
    return RawValue(Payload(metadata={"encoding": b"json/plain"}, data=text.encode()))


def nested(depth: int) -> RawValue:
    """{"resume": [[[...]]]} with `depth` list levels inside."""
    return raw_json('{"resume": ' + "[" * depth + "]" * depth + "}")


DEEP = nested(250)  # past pydantic-core's decoder (~200 levels): undecodable
TOO_DEEP = nested(MAX_JSON_DEPTH + 10)  # decodable, deeper than Tempograph's limit


async def rejection(graphs: GraphClient, thread: str, previous: str | None = None) -> str:
    """The run's last rejected resume, once it differs from `previous` (signals are handled
    asynchronously)."""
    for _ in range(100):
        state = await graphs.get_state(thread)
        if state.last_rejected_resume and state.last_rejected_resume != previous:
            return state.last_rejected_resume
        await asyncio.sleep(0.05)
    raise AssertionError("no new rejected resume reported")


async def failure_of(client: Client, thread: str, args: list[Any], wf: str = WORKFLOW_TYPE) -> str:
    handle = await client.start_workflow(wf, args=args, id=thread, task_queue=TASK_QUEUE)
    with pytest.raises(WorkflowFailureError) as err:
        await asyncio.wait_for(handle.result(), timeout=15)
    cause = err.value.cause
    assert isinstance(cause, ApplicationError)
    return f"{cause.type}: {cause.message}"


@pytest.mark.parametrize("args", [[], ["x", "y"], [raw_json('{"resume": 1}'), 2]])
async def test_resume_signal_of_any_arity_is_dropped_and_reported(
    client: Client, graphs: GraphClient, thread: str, args: list[Any]
) -> None:
    await paused_ask(graphs, thread)
    await client.get_workflow_handle(thread).signal(RESUME_SIGNAL, args=args)
    why = await rejection(graphs, thread)
    assert f"takes exactly one argument (a JSON object), got {len(args)}" in why
    await assert_still_resumable(graphs, thread)


async def test_undecodable_and_too_deep_signals_are_dropped_and_reported(
    client: Client, graphs: GraphClient, thread: str
) -> None:
    await paused_ask(graphs, thread)
    handle = client.get_workflow_handle(thread)
    await handle.signal(RESUME_SIGNAL, DEEP)
    first = await rejection(graphs, thread)
    assert "cannot be decoded" in first
    await handle.signal(RESUME_SIGNAL, TOO_DEEP)
    assert f"deeper than {MAX_JSON_DEPTH} levels" in await rejection(graphs, thread, first)
    await assert_still_resumable(graphs, thread)


@pytest.mark.parametrize("name", [RESUME_UPDATE, STATE_UPDATE, WAIT_UPDATE])
async def test_updates_of_any_arity_or_depth_are_rejected(
    client: Client, graphs: GraphClient, thread: str, name: str
) -> None:
    await paused_ask(graphs, thread)
    handle = client.get_workflow_handle(thread)
    cases: list[tuple[list[Any], str]] = [
        ([1, 2], "got 2"),
        ([DEEP], "cannot be decoded"),
    ]
    if name != WAIT_UPDATE:  # wait_for_pause takes no argument or {}
        cases.append(([], "got 0"))
        cases.append(
            (
                [
                    TOO_DEEP
                    if name == RESUME_UPDATE
                    else raw_json('{"values": {"x": ' + "[" * 80 + "]" * 80 + "}}")
                ],
                "deeper than",
            )
        )
    for args, message in cases:
        with pytest.raises(WorkflowUpdateFailedError) as err:
            await asyncio.wait_for(handle.execute_update(name, args=args), timeout=10)
        assert message in str(err.value.cause), (args, err.value.cause)
    await assert_still_resumable(graphs, thread)


@pytest.mark.parametrize(
    "args",
    [
        [],
        [{"graph": "ask"}, {"graph": "ask"}],
        [DEEP],
        [raw_json('{"graph": "ask", "input": ' + "[" * 90 + "]" * 90 + "}")],
    ],
    ids=["none", "two", "undecodable", "too-deep"],
)
async def test_start_of_any_arity_or_depth_fails_clearly(
    client: Client, thread: str, args: list[Any]
) -> None:
    why = await failure_of(client, thread, args)
    assert why.startswith("InvalidInput: "), why
    assert any(m in why for m in ("got 0", "got 2", "cannot be decoded", "Invalid RunInput"))


async def test_start_too_deep_input_fails_clearly(client: Client, thread: str) -> None:
    deep: Any = "leaf"
    for _ in range(MAX_JSON_DEPTH + 5):
        deep = [deep]
    why = await failure_of(client, thread, [{"graph": "ask", "input": {"log": [], "x": deep}}])
    assert why.startswith("InvalidInput: ") and f"deeper than {MAX_JSON_DEPTH}" in why


async def test_queries_with_arguments_fail_only_the_query(
    client: Client, graphs: GraphClient, thread: str
) -> None:
    await paused_ask(graphs, thread)
    handle = client.get_workflow_handle(thread)
    for name in (STATE_QUERY, NODE_STATE_QUERY):
        with pytest.raises(WorkflowQueryFailedError, match="takes no arguments"):
            await handle.query(name, args=[1])
    await assert_still_resumable(graphs, thread)


async def test_bad_child_paused_signals_are_dropped(
    client: Client, graphs: GraphClient, thread: str
) -> None:
    await paused_ask(graphs, thread)
    handle = client.get_workflow_handle(thread)
    for args in ([], ["x", "y"], [DEEP], [{"child_id": 1}]):
        await handle.signal(CHILD_PAUSED_SIGNAL, args=args)
    await asyncio.sleep(0.3)
    await assert_still_resumable(graphs, thread)


async def test_thread_record_handlers_take_any_arity(client: Client) -> None:
    record_id = thread_record_id(f"rec-{uuid.uuid4().hex[:8]}")
    for args in ([], [{"metadata": {}}, {"metadata": {}}], [DEEP]):
        why = await failure_of(client, f"{record_id}-{len(args)}", args, wf=THREAD_RECORD_WORKFLOW)
        assert why.startswith("InvalidInput: "), why
    handle = await client.start_workflow(
        THREAD_RECORD_WORKFLOW, {"metadata": {"a": 1}}, id=record_id, task_queue=TASK_QUEUE
    )
    too_deep = '{"metadata": {"a": ' + "[" * 80 + "]" * 80 + "}}"
    for args, message in (
        ([], "got 0"),
        ([1, 2], "got 2"),
        ([DEEP], "cannot be decoded"),
        ([raw_json(too_deep)], "deeper than"),
    ):
        with pytest.raises(WorkflowUpdateFailedError) as err:
            await asyncio.wait_for(handle.execute_update(THREAD_PATCH_UPDATE, args=args), 10)
        assert message in str(err.value.cause)
    await handle.signal(THREAD_CLOSE_SIGNAL, args=["unexpected"])  # dropped: not closed
    patched = await handle.execute_update(THREAD_PATCH_UPDATE, {"metadata": {"b": 2}})
    assert patched["metadata"] == {"a": 1, "b": 2}
    await handle.signal(THREAD_CLOSE_SIGNAL)
    assert (await asyncio.wait_for(handle.result(), 10))["metadata"] == {"a": 1, "b": 2}


# Sizes.


async def test_answer_over_the_message_limit_is_refused(
    client: Client, graphs: GraphClient, thread: str
) -> None:
    await paused_ask(graphs, thread)
    handle = client.get_workflow_handle(thread)
    big = {"resume": "x" * (MAX_MESSAGE_BYTES + 10)}
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await asyncio.wait_for(handle.execute_update(RESUME_UPDATE, big), 10)
    cause = err.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "PayloadTooLarge"
    assert str(MAX_MESSAGE_BYTES) in cause.message
    await handle.signal(RESUME_SIGNAL, big)
    assert "MAX_MESSAGE_BYTES" in await rejection(graphs, thread)
    await assert_still_resumable(graphs, thread)


async def test_answer_that_would_overflow_the_state_is_refused(
    client: Client, graphs: GraphClient, thread: str
) -> None:
    out = await graphs.invoke("big_ask", {"size": 800_000}, thread_id=thread)
    assert len(out["text"]) == 800_000
    handle = client.get_workflow_handle(thread)
    answer = {"resume": "y" * 1_000_000}  # under the message limit, but state + answer is not
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await asyncio.wait_for(handle.execute_update(RESUME_UPDATE, answer), 10)
    assert "MAX_PAYLOAD_BYTES" in str(err.value.cause)
    done = await graphs.resume(thread, "short")
    assert done["answer"] == "short"


async def test_reply_over_the_payload_limit_is_an_error_not_a_hang(
    client: Client, graphs: GraphClient, thread: str
) -> None:
    # A 1.05 MB state (under the 1.8 MB limit) and an interrupt showing it: the reply would be
    # 2.1 MB, over Temporal's 2 MiB.
    with pytest.raises(PayloadTooLargeError, match="1800000 bytes"):
        await asyncio.wait_for(
            graphs.invoke("big_ask", {"size": 1_050_000}, thread_id=thread), timeout=20
        )
    with pytest.raises(WorkflowQueryFailedError, match="PayloadTooLarge|1800000 bytes"):
        await client.get_workflow_handle(thread).query(STATE_QUERY)
    # GraphClient says the same as the README's Limits table: PayloadTooLargeError.
    with pytest.raises(PayloadTooLargeError, match="1800000 bytes"):
        await graphs.get_state(thread)
    # The run is paused, untouched: its state is in history, and it resumes.
    [latest, *_] = await graphs.get_state_history(thread, limit=1)
    assert len(latest.values["text"]) == 1_050_000
    handle = client.get_workflow_handle(thread)
    await handle.signal(RESUME_SIGNAL, {"resume": "ok"})
    result = await asyncio.wait_for(handle.result(), timeout=20)
    assert result["answer"] == "ok"


# History size: a paused run continues as new, carrying its pause, before Temporal's limits.


async def flood_until_continued(client: Client, graphs: GraphClient, thread: str) -> str:
    """Send rejected signals (each lands in history) until the run moved to a new run."""
    handle = client.get_workflow_handle(thread)
    first = (await handle.describe()).run_id
    for n in range(40):
        await handle.signal(RESUME_SIGNAL, {"resume": "x", "typo": "y" * 20_000, "n": n})
        if n % 5 == 4 and (await handle.describe()).run_id != first:
            break
    for _ in range(100):
        state = await graphs.get_state(thread)
        if (await handle.describe()).run_id != first and state.status == "interrupted":
            assert state.last_rejected_resume and "typo" in state.last_rejected_resume
            return first
        await asyncio.sleep(0.05)
    raise AssertionError("the paused run did not continue as new")


async def start_raw(client: Client, graphs: GraphClient, thread: str, **run_input: Any) -> None:
    await client.start_workflow(
        WORKFLOW_TYPE,
        # previous_run_id unset, as from `temporal workflow start`: the run looks its thread's
        # state up (a local activity) and must replay in full when its continue-as-new is
        # refused (see test_replay_unset_previous_run.py).
        {"history_bytes_limit": 150_000, **run_input},
        id=thread,
        task_queue=TASK_QUEUE,
    )
    for _ in range(100):
        if (await graphs.get_state(thread)).status == "interrupted":
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the run did not pause")


async def test_flood_at_an_interrupt_continues_as_new_with_the_same_ids(
    client: Client, graphs: GraphClient, thread: str
) -> None:
    await start_raw(client, graphs, thread, graph="ask", input={"log": [], "x": 1})
    before = await graphs.get_state(thread)
    await flood_until_continued(client, graphs, thread)
    after = await graphs.get_state(thread)
    assert [p.id for p in after.interrupts] == [p.id for p in before.interrupts]
    assert (after.next, after.values, after.paused_at) == (["ask"], before.values, "interrupt")
    await assert_still_resumable(graphs, thread)


async def test_flood_at_a_breakpoint_continues_as_new_paused(
    client: Client, graphs: GraphClient, thread: str
) -> None:
    await start_raw(
        client, graphs, thread, graph="steps", input={"log": []}, interrupt_before=["step_2"]
    )
    await flood_until_continued(client, graphs, thread)
    state = await graphs.get_state(thread)
    assert (state.next, state.values) == (["step_2"], {"log": ["step_1"]})
    done = await graphs.invoke("steps", None, thread_id=thread)
    assert done == {"log": ["step_1", "step_2", "step_3"]}


async def test_flood_between_two_answers_of_one_node(
    client: Client, graphs: GraphClient, thread: str
) -> None:
    await start_raw(client, graphs, thread, graph="ask_twice", input={"log": []})
    first_id = (await graphs.get_state(thread)).interrupts[0].id
    out = await graphs.resume(thread, "A")
    second_id = out["__interrupt__"][0].id
    assert second_id != first_id
    await flood_until_continued(client, graphs, thread)
    assert [p.id for p in (await graphs.get_state(thread)).interrupts] == [second_id]
    done = await graphs.resume(thread, "B")
    assert done == {"log": ["A+B", "after"]}


async def runs_of(client: Client, thread: str) -> int:
    return len([e async for e in client.list_workflows(f"WorkflowId = '{thread}'")])


async def wait_paused(client: Client, thread: str) -> None:
    """Paused, read from the search attribute (the state itself may be too big to query)."""
    for _ in range(200):
        description = await client.get_workflow_handle(thread).describe()
        if description.typed_search_attributes.get(STATUS_ATTRIBUTE) == "interrupted":
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the run did not pause")


@pytest.mark.parametrize(
    ("graph", "run_input"),
    [
        # A fresh history already over the limit: it must not move on again and again.
        ("ask", {"input": {"log": [], "x": 1}, "history_bytes_limit": 1}),
        # A 1.5 MB paused state (under the payload limit): the new run's own history (the
        # state in the node's input and in the interrupt) is over Temporal's suggestion.
        ("big_ask", {"input": {"size": 1_500_000}, "history_bytes_limit": None}),
    ],
)
async def test_a_paused_run_moves_on_only_when_its_pause_grew_the_history(
    client: Client, graphs: GraphClient, thread: str, graph: str, run_input: dict[str, Any]
) -> None:
    await client.start_workflow(
        WORKFLOW_TYPE, {"graph": graph, **run_input}, id=thread, task_queue=TASK_QUEUE
    )
    await wait_paused(client, thread)
    await asyncio.sleep(3)  # before the fix, a new run every second or so
    assert await runs_of(client, thread) == 1
    description = await client.get_workflow_handle(thread).describe()
    assert description.status == WorkflowExecutionStatus.RUNNING
    handle = client.get_workflow_handle(thread)
    await handle.signal(RESUME_SIGNAL, {"resume": "ok"})
    result = await asyncio.wait_for(handle.result(), timeout=30)
    if graph == "big_ask":
        assert result["answer"] == "ok"
    else:
        assert result["log"] == ["a", "ask=ok", "b"]
