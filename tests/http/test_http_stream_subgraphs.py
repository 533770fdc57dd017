"""stream_subgraphs over HTTP with the real langgraph-sdk (agents.md §1.6): the child run's
events named `mode|<node>:<task id>` between the parent's task start and result, its custom
events (none without stream_subgraphs), the parent surfacing the child's interrupt with the
same id, a resume; resumable ids unique and increasing across parent and child events, and a
join replaying from history with the same events and ids. A worker of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from temporalio.client import Client

from tempograph import GraphClient, create_worker
from tempograph.http import create_app
from tempograph.http.streaming import parse_event_id
from tempograph.http.testing import serve
from tests.integration.test_client_stream_subgraphs import GRAPHS

TASK_QUEUE = "http-stream-subgraphs"
MODES: list[Any] = ["values", "updates", "custom", "tasks", "checkpoints"]

Event = tuple[str, Any, str | None]


@pytest_asyncio.fixture(scope="module")
async def url(client: Client) -> AsyncIterator[str]:
    async with create_worker(client, GRAPHS, task_queue=TASK_QUEUE):
        app = create_app(GraphClient(client, task_queue=TASK_QUEUE), sorted(GRAPHS))
        async with serve(app) as base:
            yield base


@pytest_asyncio.fixture
async def sdk(url: str) -> AsyncIterator[LangGraphClient]:
    lg = get_client(url=url, api_key=None)
    yield lg
    await lg.aclose()


async def collect(parts: AsyncIterator[Any]) -> list[Event]:
    return [(p.event, p.data, p.id) async for p in parts]


def names(events: list[Event]) -> list[str]:
    """Event names, the child's task id shown as <id>; tasks events with their task's name."""
    out = []
    for event, data, _ in events:
        mode, _, namespace = event.partition("|")
        label = mode + ("|" + namespace.split(":")[0] + ":<id>" if namespace else "")
        if mode == "tasks":
            label += f" {data['name']}" + ("!" if "result" in data else "")
        out.append(label)
    return out


async def test_the_childs_events_are_namespaced_where_it_runs(sdk: LangGraphClient) -> None:
    tid = (await sdk.threads.create())["thread_id"]
    events = await collect(
        sdk.runs.stream(
            tid,
            "sub_nested",
            input={"topic": "t1"},
            stream_mode=MODES,
            stream_subgraphs=True,
            stream_resumable=True,
        )
    )
    assert names(events) == [
        "metadata",
        "values",
        "checkpoints",
        "tasks prep",
        "updates",
        "tasks prep!",
        "values",
        "checkpoints",
        "tasks child",
        "values|child:<id>",
        "checkpoints|child:<id>",
        "tasks|child:<id> a",
        "custom|child:<id>",
        "updates|child:<id>",
        "tasks|child:<id> a!",
        "values|child:<id>",
        "checkpoints|child:<id>",
        "tasks|child:<id> ask",
        "updates|child:<id>",
        "values|child:<id>",
        "tasks|child:<id> ask!",
        "updates",
        "values",
        "tasks child!",
    ]
    child_start, child_result = [d for e, d, _ in events if e == "tasks" and d["name"] == "child"]
    assert child_start["id"] == child_result["id"]
    namespace = f"child:{child_start['id']}"
    assert {e.partition("|")[2] for e, _, _ in events} == {"", namespace}
    data = {e: d for e, d, _ in events}
    assert data[f"custom|{namespace}"] == {"progress": "a", "topic": "t1"}
    checkpoint = next(d for e, d, _ in events if e == f"checkpoints|{namespace}")
    assert checkpoint["config"]["configurable"]["checkpoint_ns"] == namespace
    # The child's pause, then the parent's with the same interrupt id (the one to answer).
    child_pause = next(
        d for e, d, _ in events if e == f"updates|{namespace}" and "__interrupt__" in d
    )
    parent_pause = events[-3][1]
    assert parent_pause == child_pause
    state = await sdk.threads.get_state(tid)
    assert [i["id"] for i in parent_pause["__interrupt__"]] == [
        i["id"] for i in state["interrupts"]
    ]
    assert events[-2][1]["__interrupt__"] == parent_pause["__interrupt__"]
    assert events[-1][1]["interrupts"] == parent_pause["__interrupt__"]

    # Resumable ids: unique and increasing across parent and child events.
    keys = [parse_event_id(i) for _, _, i in events]
    assert all(k is not None for k in keys)
    assert keys == sorted(keys, key=lambda k: k or ()) and len(set(keys)) == len(keys)

    # A join replaying the run's history gives the same events with the same ids.
    run_id = events[0][1]["run_id"]
    replay = await collect(sdk.runs.join_stream(tid, run_id, last_event_id="0", stream_mode=MODES))
    assert replay == events[1:]
    # From the middle of the child's events: exactly the rest.
    middle = next(n for n, (e, _, _) in enumerate(events) if e == f"updates|{namespace}")
    rest = await collect(
        sdk.runs.join_stream(tid, run_id, last_event_id=events[middle][2], stream_mode=MODES)
    )
    assert rest == events[middle + 1 :]

    resumed = await collect(
        sdk.runs.stream(
            tid,
            "sub_nested",
            command={"resume": "sure"},
            stream_mode=["updates", "custom"],
            stream_subgraphs=True,
        )
    )
    assert [(e, d) for e, d, _ in resumed[1:]] == [
        (f"updates|{namespace}", {"ask": {"answer": "sure"}}),
        (
            "updates",
            {
                "child": {
                    "topic": "t1",
                    "prepared": "yes",
                    "note": "hello sub world",
                    "answer": "sure",
                }
            },
        ),
        ("updates", {"after": {"done": "after:sure"}}),
    ]


async def test_without_stream_subgraphs_only_the_parents_events(sdk: LangGraphClient) -> None:
    tid = (await sdk.threads.create())["thread_id"]
    events = await collect(
        sdk.runs.stream(tid, "sub_nested", input={"topic": "t2"}, stream_mode=MODES)
    )
    assert all("|" not in e for e, _, _ in events)
    assert [e for e, _, _ in events if e == "custom"] == []  # the child's writes: none
    assert "__interrupt__" in events[-3][1] and events[-3][0] == "updates"


async def test_two_levels_namespaces_join_with_a_bar(sdk: LangGraphClient) -> None:
    tid = (await sdk.threads.create())["thread_id"]
    events = await collect(
        sdk.runs.stream(
            tid,
            "sub_two_levels",
            input={"topic": "t3"},
            stream_mode=["custom"],
            stream_subgraphs=True,
        )
    )
    [(event, data, _)] = events[1:]
    mode, mid, inner = event.split("|")
    assert mode == "custom" and mid.startswith("mid:") and inner.startswith("inner:")
    assert data == {"deep": "t3"}
