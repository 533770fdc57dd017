"""A step wider than Temporal lets a workflow have activities pending (2,000 by default) runs in
a window (GraphRun.STEP_WINDOW at a time) instead of failing its workflow task over and over."""

from __future__ import annotations

import operator
import uuid
from typing import Annotated, Any, TypedDict

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from tempograph import GraphClient, create_worker
from tempograph._workflows.graph_run import STEP_WINDOW
from tempograph.graph import END, START, StateGraph
from tempograph.types import Send

WIDTH = 2_050  # over Temporal's default limit of 2,000 pending activities


class Wide(TypedDict, total=False):
    n: int
    done: Annotated[list[int], operator.add]


async def item(state: dict[str, Any]) -> dict[str, Any]:
    return {"done": [state["i"]]}


def fan_out(state: Wide) -> list[Send]:
    return [Send("item", {"i": i}) for i in range(state["n"])]


async def test_a_step_wider_than_temporals_pending_limit_completes(client: Client) -> None:
    assert WIDTH > 2_000 > STEP_WINDOW
    g = StateGraph(Wide)
    g.add_node("item", item)
    g.add_conditional_edges(START, fan_out)
    g.add_edge("item", END)
    queue = f"wide-{uuid.uuid4().hex[:6]}"
    thread = f"t-{uuid.uuid4().hex[:12]}"
    async with create_worker(client, {"wide": g.compile()}, task_queue=queue):
        out = await GraphClient(client, task_queue=queue).invoke(
            "wide", {"n": WIDTH, "done": []}, thread_id=thread
        )
    assert sorted(out["done"]) == list(range(WIDTH))
    # Not stuck: the run completed. On a loaded server the history service may fail a workflow
    # task completing hundreds of commands (FORCE_CLOSE_COMMAND, its own identity) and the task
    # is retried; a task failing on our side (a nondeterminism, an SDK error, Temporal's
    # pending-activity limit) would be a worker-side failure, which must not happen.
    history = await client.get_workflow_handle(thread).fetch_history()
    failures = [
        e.workflow_task_failed_event_attributes
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
    ]
    ours = [f for f in failures if f.identity != "history-service"]
    assert ours == [], ours[0]
    assert len(failures) <= 5, failures
