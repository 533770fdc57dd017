"""Full replay of runs whose first patch marker could follow a local activity's marker.

A run started with previous_run_id unset (None: `temporal workflow start --input
'{"graph": ...}'`) asks `patched("thread-state")` right after the describe_graph local activity.
When a query is answered while that activity's result waits to be handed over (a client
polling get_state right after the start), the SDK ends the workflow task there: the activity's
marker in it, the patch marker in the next task. A full replay (cache eviction, a
continue-as-new refused because signals arrived meanwhile, a worker restart) handed the result
over in the first task, where patched() did not yet know the next task's marker: a
nondeterminism error on every attempt, a stuck run. Runs now record their patches at their
start (GraphRun._patched).

The race is made certain here: the query is sent before any worker polls, so it comes with the
run's first workflow task, and this worker answers queries slowly, so the local activity has
finished by then. max_cached_workflows=0 replays the whole history for every workflow task.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from temporalio import workflow
from temporalio.api.enums.v1 import EventType, WorkflowTaskFailedCause
from temporalio.client import Client, WorkflowHistory, WorkflowQueryFailedError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.worker import (
    HandleQueryInput,
    Interceptor,
    Replayer,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

from tempograph import GraphClient, create_worker
from tempograph._workflows.graph_run import GraphRun
from tempograph.messages import RESUME_SIGNAL, STATE_QUERY, WORKFLOW_TYPE
from tests.integration.test_bad_input import assert_still_resumable
from tests.sample_graphs import all_graphs

# The patch a new run records first, before its first local activity (GraphRun._patched):
# it stands for the five recorded before it (patches-at-start, coerce-messages, ...).
START_PATCHES = ["patch start-patches-v2"]


class _SlowQueryInbound(WorkflowInboundInterceptor):
    def handle_query(self, input: HandleQueryInput) -> Any:
        with workflow.unsafe.sandbox_unrestricted():
            time.sleep(0.3)  # the first local activity finishes meanwhile
        return super().handle_query(input)


class SlowQueries(Interceptor):
    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor]:
        return _SlowQueryInbound


@contextlib.asynccontextmanager
async def started_with_a_query(
    client: Client, run_input: dict[str, Any], **worker_options: Any
) -> AsyncIterator[tuple[str, GraphClient]]:
    """Start a run with no worker polling, query it, then start a worker: the query comes
    with the run's first workflow task."""
    thread, queue = f"t-{uuid.uuid4().hex[:12]}", f"slow-queries-{uuid.uuid4().hex[:8]}"
    handle = await client.start_workflow(WORKFLOW_TYPE, run_input, id=thread, task_queue=queue)
    early = asyncio.create_task(handle.query(STATE_QUERY))
    await asyncio.sleep(0.5)
    async with create_worker(
        client, all_graphs(), task_queue=queue, interceptors=[SlowQueries()], **worker_options
    ):
        assert (await asyncio.wait_for(early, 20))["status"] == "running"
        yield thread, GraphClient(client, task_queue=queue)


def marker_tasks(history: WorkflowHistory) -> list[list[str]]:
    """The markers each workflow task recorded: local activity types, patch ids."""
    tasks: list[list[str]] = []
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            tasks.append([])
        elif event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            details = event.marker_recorded_event_attributes.details
            if "patch-data" in details:
                data = pydantic_data_converter.payload_converter.from_payloads(
                    details["patch-data"].payloads
                )[0]
                tasks[-1].append(f"patch {data['id']}")
            else:
                data = pydantic_data_converter.payload_converter.from_payloads(
                    details["data"].payloads
                )[0]
                tasks[-1].append(data["activity_type"])
    return tasks


def task_failures(history: WorkflowHistory) -> list[str]:
    return [
        WorkflowTaskFailedCause.Name(e.workflow_task_failed_event_attributes.cause)
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
    ]


async def replay_failure(history: WorkflowHistory) -> str | None:
    result = await Replayer(
        workflows=[GraphRun], data_converter=pydantic_data_converter
    ).replay_workflow(history, raise_on_replay_failure=False)
    return None if result.replay_failure is None else str(result.replay_failure)


async def wait_paused(client: Client, thread: str) -> None:
    handle = client.get_workflow_handle(thread)
    for _ in range(100):
        with contextlib.suppress(WorkflowQueryFailedError, RPCError, asyncio.TimeoutError):
            state = await asyncio.wait_for(handle.query(STATE_QUERY), 2)
            if state["status"] == "interrupted":
                return
        await asyncio.sleep(0.05)
    failures = task_failures(await handle.fetch_history())
    raise AssertionError(f"the run did not pause; workflow task failures: {failures}")


async def test_unset_previous_run_id_replays_when_a_query_ends_the_first_task(
    client: Client,
) -> None:
    run_input = {"graph": "ask", "input": {"log": [], "x": 1}}  # previous_run_id unset
    async with started_with_a_query(client, run_input, max_cached_workflows=0) as (
        thread,
        graphs,
    ):
        await wait_paused(client, thread)
        history = await client.get_workflow_handle(thread).fetch_history()
        tasks = marker_tasks(history)
        # The query ended the first task right after the first local activity...
        assert tasks[0] == [*START_PATCHES, "tempograph.describe_graph"], tasks
        # ...and the thread's state was still looked up (a local activity), in the next task.
        assert "tempograph.load_thread" in tasks[1], tasks
        assert "patch thread-state" not in sum(tasks, []), tasks
        # Every task replayed the whole history (no cache): none failed.
        assert task_failures(history) == []
        assert await replay_failure(history) is None
        await assert_still_resumable(graphs, thread)
        done = await client.get_workflow_handle(thread).fetch_history()
        assert await replay_failure(done) is None


async def test_unset_previous_run_id_flooded_pause_continues_as_new_and_replays(
    client: Client,
) -> None:
    """The report: a paused run, started with previous_run_id unset and queried at once, is
    flooded with rejected signals; its continue-as-new is refused when signals arrive during
    that workflow task, and the retry replays the whole history."""
    run_input = {"graph": "ask", "input": {"log": [], "x": 1}, "history_bytes_limit": 150_000}
    async with started_with_a_query(client, run_input) as (thread, graphs):
        await wait_paused(client, thread)
        handle = client.get_workflow_handle(thread)
        first = (await handle.describe()).run_id
        for n in range(40):
            await handle.signal(RESUME_SIGNAL, {"resume": "x", "typo": "y" * 20_000, "n": n})
            if n % 5 == 4 and (await handle.describe()).run_id != first:
                break
        for _ in range(200):
            if (await handle.describe()).run_id != first:
                break
            await asyncio.sleep(0.05)
        await wait_paused(client, thread)
        old = await client.get_workflow_handle(thread, run_id=first).fetch_history()
        assert old.events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
        tasks = marker_tasks(old)
        assert tasks[0] == [*START_PATCHES, "tempograph.describe_graph"], tasks
        # A refused continue-as-new (signals arrived meanwhile) is the only task failure; the
        # retry replayed the whole history.
        assert set(task_failures(old)) <= {"WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND"}
        assert await replay_failure(old) is None
        await assert_still_resumable(graphs, thread)
        assert await replay_failure(await handle.fetch_history()) is None
