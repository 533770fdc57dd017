"""Replay safety: temporalio's Replayer re-runs recorded histories against today's GraphRun code.

Replay needs no graph code at all (the Replayer runs no activities): the workflow only reads the
topology and node outputs recorded in history. That is what keeps week-long pauses safe across
deploys.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tempograph import GraphClient
from tempograph._workflows.graph_run import GraphRun
from tempograph._workflows.thread_record import ThreadRecord
from tempograph.messages import ThreadMetadata, thread_record_id
from tests.replay.changed_workflow import ChangedGraphRun
from tests.replay.replay_scenarios import HISTORY_DIR, fetch_histories, run_scenarios
from tests.replay.sandboxed_workflow import ClockReadingGraphRun, SandboxedGraphRun


def load_history(path: Path) -> WorkflowHistory:
    """A committed history, replayed under its own workflow id (the thread id its run input
    names: a run refuses a thread_id that is not its workflow id)."""
    text = path.read_text()
    started = json.loads(text)["events"][0]["workflowExecutionStartedEventAttributes"]
    run_input = json.loads(base64.b64decode(started["input"]["payloads"][0]["data"]))
    return WorkflowHistory.from_json(run_input.get("thread_id") or path.stem, text)


def replayer(workflow: type = GraphRun) -> Replayer:
    return Replayer(workflows=[workflow], data_converter=pydantic_data_converter)


async def replay_failures(histories: list[WorkflowHistory]) -> dict[str, str]:
    """Failures of replaying each history as workers run GraphRun (unsandboxed), then under
    the full sandbox (SandboxedGraphRun: its restrictions catch a non-deterministic call)."""

    async def each() -> AsyncIterator[WorkflowHistory]:
        for history in histories:
            yield history

    failures: dict[str, str] = {}
    for workflow in (GraphRun, SandboxedGraphRun):
        results = await replayer(workflow).replay_workflows(each(), raise_on_replay_failure=False)
        failures |= {
            f"{wid} ({workflow.__name__})": str(err) for wid, err in results.replay_failures.items()
        }
    return failures


async def test_replay_of_live_runs(client: Client, graphs: GraphClient) -> None:
    threads = await run_scenarios(graphs, f"live-{uuid.uuid4().hex[:6]}")
    histories = await fetch_histories(client, threads)
    assert all(len(h.events) > 5 for h in histories)
    assert await replay_failures(histories) == {}


async def test_replay_of_committed_histories() -> None:
    files = sorted(HISTORY_DIR.glob("*/*.json"))
    assert len({f.parent for f in files}) >= 2 and len(files) >= 20
    histories = [load_history(f) for f in files]
    assert await replay_failures(histories) == {}


async def test_replay_detects_a_nondeterministic_change() -> None:
    """The replay test can fail: a workflow that schedules different commands is caught."""
    history = load_history(HISTORY_DIR / "v1" / "ask.json")
    result = await Replayer(
        workflows=[ChangedGraphRun], data_converter=pydantic_data_converter
    ).replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is not None


async def test_sandboxed_replay_catches_a_forbidden_call() -> None:
    """GraphRun runs unsandboxed; the sandboxed replay is what still catches a clock read."""
    history = load_history(HISTORY_DIR / "v1" / "ask.json")
    result = await replayer(ClockReadingGraphRun).replay_workflow(
        history, raise_on_replay_failure=False
    )
    assert result.replay_failure is not None
    assert "time.time" in str(result.replay_failure) or "Restricted" in repr(
        result.replay_failure
    ), result.replay_failure


async def test_replay_of_a_thread_record(client: Client, graphs: GraphClient) -> None:
    # The HTTP API's thread record: started with metadata, patched twice, then closed.
    record_id = thread_record_id(f"record-{uuid.uuid4().hex[:6]}")
    handle = await client.start_workflow(
        ThreadRecord.run,
        ThreadMetadata(metadata={"a": 1}),
        id=record_id,
        task_queue=graphs.task_queue,
    )
    for patch in ({"b": 2}, {"a": 3}):
        await handle.execute_update(ThreadRecord.patch, ThreadMetadata(metadata=patch))
    await handle.signal(ThreadRecord.close)
    assert (await handle.result()).metadata == {"a": 3, "b": 2}
    history = await handle.fetch_history()
    result = await Replayer(
        workflows=[ThreadRecord], data_converter=pydantic_data_converter
    ).replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None
