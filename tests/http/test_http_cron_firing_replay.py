"""Replay safety of TempographCronFiring (a thread cron's firing, _workflows/cron_thread.py).

tests/histories/cron_firing_v1/firings/ holds firing histories recorded with this code: a
run started on a thread with runs, a busy thread rejected, a busy thread waited for (the
activity answers "busy", the workflow sleeps and calls again) then started, a deleted thread,
and a start input refused. A change to the workflow that emits other commands for them fails
this test.

`python -m tests.http.test_http_cron_firing_replay` records them again (own dev server on
port 7312).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowFailureError, WorkflowHandle, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tempograph import GraphClient, connect, create_worker, ensure_search_attributes
from tempograph._activities import cron_firing
from tempograph._cron import CRON_THREAD_WORKFLOW, CronFiring
from tempograph._workflows.cron_thread import CronThread, UpgradingCronThread
from tempograph.devserver import DevServer
from tempograph.messages import RunInput
from tests.sample_graphs import build_chain, build_slow

# One folder deeper than the GraphRun histories (tests/histories/v*/*.json), which other tests
# read as GraphRun histories.
HISTORIES = Path(__file__).parent.parent / "histories" / "cron_firing_v1" / "firings"
SCENARIOS = ("started", "rejected", "waited", "thread_gone", "bad_input")


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text())


async def replay_failures(histories: list[WorkflowHistory], workflow: type) -> dict[str, str]:
    async def each() -> AsyncIterator[WorkflowHistory]:
        for history in histories:
            yield history

    results = await Replayer(
        workflows=[workflow], data_converter=pydantic_data_converter
    ).replay_workflows(each(), raise_on_replay_failure=False)
    return {wid: str(err) for wid, err in results.replay_failures.items()}


async def test_recorded_firings_replay() -> None:
    histories = [load(p) for p in sorted(HISTORIES.glob("*.json"))]
    assert sorted(h.workflow_id for h in histories) == sorted(SCENARIOS)
    assert await replay_failures(histories, CronThread) == {}
    assert await replay_failures(histories, UpgradingCronThread) == {}


# -- recording ---------------------------------------------------------------------------------


def firing(thread: str, graph: str, strategy: str, task_queue: str) -> CronFiring:
    return CronFiring(
        cron_id=str(uuid.uuid4()),
        thread_id=thread,
        task_queue=task_queue,
        run=RunInput(graph=graph, input={"log": [strategy]}),
        multitask_strategy=strategy,  # type: ignore[arg-type]
    )


async def scenarios(client: Client, task_queue: str) -> dict[str, WorkflowHandle[Any, Any]]:
    graphs = GraphClient(client, task_queue=task_queue)
    handles: dict[str, WorkflowHandle[Any, Any]] = {}

    async def fire(name: str, arg: Any) -> dict[str, Any] | None:
        handle = await client.start_workflow(
            CRON_THREAD_WORKFLOW, arg, id=f"{name}-{uuid.uuid4().hex[:8]}", task_queue=task_queue
        )
        handles[name] = handle
        try:
            result: dict[str, Any] = await handle.result()
        except WorkflowFailureError:
            return None
        return result

    thread = f"t-{uuid.uuid4().hex[:8]}"
    await graphs.invoke("chain", {"log": []}, thread_id=thread)
    assert (await fire("started", firing(thread, "chain", "enqueue", task_queue)) or {}).get(
        "outcome"
    ) == "started"

    busy = f"t-{uuid.uuid4().hex[:8]}"
    running = asyncio.ensure_future(graphs.invoke("slow", {"log": []}, thread_id=busy))
    await asyncio.sleep(0.5)
    rejected = await fire("rejected", firing(busy, "slow", "reject", task_queue))
    assert (rejected or {}).get("outcome") == "rejected"
    # The activity waits 0.2 s per attempt here: "busy", a timer, another attempt.
    waited = await fire("waited", firing(busy, "slow", "enqueue", task_queue))
    assert (waited or {}).get("outcome") == "started"
    await running

    gone = await fire(
        "thread_gone", firing(f"t-{uuid.uuid4().hex}", "chain", "enqueue", task_queue)
    )
    assert (gone or {}).get("outcome") == "thread_gone"
    assert await fire("bad_input", {"thread_id": "t", "nonsense": 1}) is None
    return handles


async def record() -> None:
    server = DevServer(port=7312, ui_port=None)
    await server.start()
    cron_firing.ENQUEUE_POLL_SECONDS = 0.2
    try:
        client = await connect(server.address)
        await ensure_search_attributes(client)
        graphs = {"chain": build_chain(), "slow": build_slow()}
        async with create_worker(client, graphs, task_queue="record-cron"):
            handles = await scenarios(client, "record-cron")
        HISTORIES.mkdir(parents=True, exist_ok=True)
        for name, handle in handles.items():
            history = await handle.fetch_history()
            # Named by scenario: the replayer reports failures by workflow id.
            named = WorkflowHistory(name, history.events)
            (HISTORIES / f"{name}.json").write_text(named.to_json())
    finally:
        server.stop()


if __name__ == "__main__":
    asyncio.run(record())
