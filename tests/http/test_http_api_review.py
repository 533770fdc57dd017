"""A review of issue 17's HTTP API through langgraph-sdk 0.4.14 and httpx against a served app on
the session's dev server: inputs a hostile or careless client could send to the new fields (cron
schedules and sizes, search extract, thread TTLs) answer a clear 4xx naming the field, never a
500, never a cron Temporal takes with another meaning than the Agent Server's."""

from __future__ import annotations

import asyncio
import operator
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any, TypedDict

import httpx
import pytest
import pytest_asyncio
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.worker import Worker

from tempograph import GraphClient, create_worker
from tempograph._cron import SCHEDULE_PREFIX
from tempograph.graph import END, START, CompiledGraph, StateGraph
from tempograph.http import create_app
from tempograph.http.run_executor import MAX_GOTO
from tempograph.http.testing import serve
from tempograph.messages import thread_record_id
from tempograph.types import interrupt
from tests.conftest import TASK_QUEUE
from tests.sample_graphs import all_graphs

# Once a year: nothing fires while a test runs.
BY_HAND = "0 0 1 1 *"


@pytest_asyncio.fixture(scope="module")
async def url(client: Client, worker: Worker, module_start: str) -> AsyncIterator[str]:
    app = create_app(GraphClient(client, task_queue=TASK_QUEUE), sorted(all_graphs()))
    async with serve(app) as base:
        yield base


@pytest.fixture(scope="module")
def module_start() -> str:
    return datetime.now(UTC).isoformat()


@pytest_asyncio.fixture
async def http(url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=url, timeout=60) as c:
        yield c


async def thread_of(http: httpx.AsyncClient) -> str:
    r = await http.post("/threads", json={"metadata": {"graph_id": "chain"}})
    assert r.status_code == 200, r.text
    return str(r.json()["thread_id"])


# ---------------------------------------------------------------------------------------------
# Crons: the request's size as a whole.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        # Each field under the 1 MiB of a message; the schedule would hold them several times
        # (its action's input and memo): gRPC's 4 MiB (was a 500) or Temporal's blob limit
        # (was a 422 blaming `schedule`).
        {"input": {"log": ["x" * 900_000]}, "metadata": {"a": "y" * 900_000}},
        {"input": {"log": ["x" * 600_000]}, "metadata": {"a": "y" * 600_000}},
    ],
)
async def test_a_cron_too_large_as_a_whole_is_413_naming_the_request(
    http: httpx.AsyncClient, fields: dict[str, Any]
) -> None:
    body = {"assistant_id": "chain", "schedule": BY_HAND, **fields}
    r = await http.post("/runs/crons", json=body)
    assert r.status_code == 413, r.text
    assert "cron" in r.json()["detail"] and "bytes" in r.json()["detail"]
    tid = await thread_of(http)
    r = await http.post(f"/threads/{tid}/runs/crons", json=body)
    assert r.status_code == 413, r.text
    # An update that makes it too large: the same.
    r = await http.post("/runs/crons", json={"assistant_id": "chain", "schedule": BY_HAND})
    assert r.status_code == 200, r.text
    cron_id = r.json()["cron_id"]
    r = await http.patch(f"/runs/crons/{cron_id}", json=fields)
    assert r.status_code == 413, r.text
    assert (await http.delete(f"/runs/crons/{cron_id}")).status_code == 204


# ---------------------------------------------------------------------------------------------
# Crons: the Agent Server's cron syntax, not Temporal's extensions.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "schedule",
    [
        "@every 1s",  # Temporal's interval: a run every second
        "*/5 * * * * * *",  # Temporal's seconds field (a run every 5 s); croniter's differ
        "0 0 1 1 * 2030",  # a year for Temporal, seconds for croniter
        "0 9 * * * # note",  # a comment
        "CRON_TZ=America/New_York 0 9 * * *",  # the time zone is the `timezone` field
        "   ",
    ],
)
async def test_a_schedule_outside_the_agent_servers_cron_syntax_is_422(
    http: httpx.AsyncClient, schedule: str
) -> None:
    body = {"assistant_id": "chain", "schedule": schedule, "input": {}}
    r = await http.post("/runs/crons", json=body)
    assert r.status_code == 422, r.text
    assert "schedule" in r.json()["detail"]
    r = await http.post("/runs/crons", json={**body, "schedule": BY_HAND})
    assert r.status_code == 200, r.text
    cron_id = r.json()["cron_id"]
    r = await http.patch(f"/runs/crons/{cron_id}", json={"schedule": schedule})
    assert r.status_code == 422, r.text
    assert "schedule" in r.json()["detail"]
    assert (await http.delete(f"/runs/crons/{cron_id}")).status_code == 204


@pytest.mark.parametrize("schedule", ["0 9 * * 1-5", "*/15 * * * *", "@hourly", "@daily"])
async def test_five_field_crons_and_macros_are_taken(
    http: httpx.AsyncClient, schedule: str
) -> None:
    r = await http.post(
        "/runs/crons", json={"assistant_id": "chain", "schedule": schedule, "enabled": False}
    )
    assert r.status_code == 200, r.text
    assert r.json()["schedule"] == schedule
    assert (await http.delete(f"/runs/crons/{r.json()['cron_id']}")).status_code == 204


@pytest.mark.parametrize(
    ("field", "value"),
    [("enabled", "yes"), ("enabled", "no"), ("enabled", 1), ("stream_resumable", "true")],
)
async def test_a_cron_boolean_given_as_a_string_or_number_is_422(
    http: httpx.AsyncClient, field: str, value: Any
) -> None:
    """Not coerced ("no" read as false paused a cron, "yes" as true), as the store's bodies."""
    body = {"assistant_id": "chain", "schedule": BY_HAND, field: value}
    r = await http.post("/runs/crons", json=body)
    assert r.status_code == 422, r.text
    assert field in r.json()["detail"]
    r = await http.post("/runs/crons", json={"assistant_id": "chain", "schedule": BY_HAND})
    cron_id = r.json()["cron_id"]
    r = await http.patch(f"/runs/crons/{cron_id}", json={field: value})
    assert r.status_code == 422, r.text
    assert (await http.delete(f"/runs/crons/{cron_id}")).status_code == 204


# ---------------------------------------------------------------------------------------------
# Thread search extract and TTLs.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("alias", ["a\n", "a b", "1a", ""])
async def test_an_extract_alias_that_is_not_an_identifier_is_422(
    http: httpx.AsyncClient, alias: str
) -> None:
    r = await http.post("/threads/search", json={"extract": {alias: "values.log"}, "limit": 1})
    assert r.status_code == 422, r.text
    assert "extract" in r.json()["detail"]


@pytest.mark.parametrize("strategy", [False, "", 0, [], {}])
async def test_a_ttl_strategy_that_is_not_a_string_is_422(
    http: httpx.AsyncClient, strategy: Any
) -> None:
    r = await http.post("/threads", json={"ttl": {"ttl": 5, "strategy": strategy}})
    assert r.status_code == 422, r.text
    assert "ttl.strategy" in r.json()["detail"]
    tid = await thread_of(http)
    r = await http.patch(f"/threads/{tid}", json={"ttl": {"ttl": 5, "strategy": strategy}})
    assert r.status_code == 422, r.text


@pytest.mark.parametrize(
    "patch",
    [{"schedule": None}, {"assistant_id": None}, {"thread_id": None}, {"cron_id": None}],
)
async def test_a_cron_patch_nulling_what_a_cron_cannot_lose_changes_nothing(
    http: httpx.AsyncClient, patch: dict[str, Any]
) -> None:
    """`schedule: null` is 422 naming it; a null for a field a patch does not take is no
    change (it was dropped from the stored request: the next update or firing was a 500)."""
    tid = await thread_of(http)
    for path in ("/runs/crons", f"/threads/{tid}/runs/crons"):
        r = await http.post(path, json={"assistant_id": "chain", "schedule": BY_HAND, "input": {}})
        assert r.status_code == 200, r.text
        cron = r.json()
        r = await http.patch(f"/runs/crons/{cron['cron_id']}", json=patch)
        if "schedule" in patch:
            assert r.status_code == 422, r.text
            assert "schedule" in r.json()["detail"]
        else:
            assert r.status_code == 200, r.text
        # Nothing changed, and the cron still takes updates.
        r = await http.patch(f"/runs/crons/{cron['cron_id']}", json={"metadata": {"k": 1}})
        assert r.status_code == 200, r.text
        found = r.json()
        assert (found["schedule"], found["assistant_id"], found["thread_id"]) == (
            BY_HAND,
            cron["assistant_id"],
            cron["thread_id"],
        )
        assert found["payload"]["assistant_id"] == "chain"
        assert (await http.delete(f"/runs/crons/{cron['cron_id']}")).status_code == 204


# ---------------------------------------------------------------------------------------------
# A thread cron's run is activity on the thread: it moves a TTL's deadline, as a run does.
# ---------------------------------------------------------------------------------------------


async def expires_at(http: httpx.AsyncClient, tid: str) -> datetime:
    r = await http.get(f"/threads/{tid}", params={"include": "ttl"})
    assert r.status_code == 200, r.text
    return datetime.fromisoformat(r.json()["ttl"]["expires_at"])


async def test_a_thread_crons_run_refreshes_the_threads_ttl(
    http: httpx.AsyncClient, client: Client
) -> None:
    r = await http.post("/threads", json={"metadata": {"graph_id": "chain"}, "ttl": {"ttl": 30}})
    assert r.status_code == 200, r.text
    tid = r.json()["thread_id"]
    before = await expires_at(http, tid)
    r = await http.post(
        f"/threads/{tid}/runs/crons",
        json={"assistant_id": "chain", "schedule": BY_HAND, "input": {"log": []}},
    )
    assert r.status_code == 200, r.text
    cron_id = r.json()["cron_id"]
    await asyncio.sleep(1.0)  # a deadline moved later is visibly later
    await client.get_schedule_handle(SCHEDULE_PREFIX + cron_id).trigger()
    for _ in range(100):
        runs = (await http.get(f"/threads/{tid}/runs")).json()
        if runs and runs[0]["status"] == "success":
            break
        await asyncio.sleep(0.2)
    else:
        raise AssertionError(f"the cron's run did not end: {runs}")
    for _ in range(50):
        after = await expires_at(http, tid)
        if after > before:
            break
        await asyncio.sleep(0.2)
    assert (after - before).total_seconds() >= 1.0, (before, after)
    assert (await http.delete(f"/runs/crons/{cron_id}")).status_code == 204


# ---------------------------------------------------------------------------------------------
# command.goto: an empty Send or name is refused, not dropped.
# ---------------------------------------------------------------------------------------------


class GotoState(TypedDict, total=False):
    out: Annotated[list[str], operator.add]


def ask(state: GotoState) -> dict[str, Any]:
    return {"out": [f"ask:{interrupt('go?')}"]}


def echo(arg: dict[str, Any]) -> dict[str, Any]:
    return {"out": [f"echo:{arg.get('item')}"]}


def goto_graph() -> CompiledGraph:
    g = StateGraph(GotoState)
    g.add_node("ask", ask)
    g.add_node("echo", echo)
    g.add_edge(START, "ask")
    g.add_edge("ask", END)
    g.add_edge("echo", END)
    return g.compile()


@pytest.mark.parametrize("goto", [{}, "", [{}], [""], ["echo", {}]])
async def test_an_empty_goto_target_is_422_naming_command_goto(client: Client, goto: Any) -> None:
    queue = f"api-review-goto-{uuid.uuid4().hex[:8]}"
    graphs = {"goto": goto_graph()}
    async with (
        create_worker(client, graphs, task_queue=queue),
        serve(create_app(GraphClient(client, task_queue=queue), graphs)) as base,
        httpx.AsyncClient(base_url=base, timeout=60) as http,
    ):
        tid = (await http.post("/threads", json={})).json()["thread_id"]
        r = await http.post(
            f"/threads/{tid}/runs/wait", json={"assistant_id": "goto", "input": {"out": []}}
        )
        assert r.json()["__interrupt__"][0]["value"] == "go?", r.text
        r = await http.post(
            f"/threads/{tid}/runs/wait",
            json={"assistant_id": "goto", "command": {"resume": "y", "goto": goto}},
        )
        assert r.status_code == 422, r.text
        assert r.json()["detail"].startswith("command.goto"), r.text
        # Nothing ran: the answer still goes through.
        r = await http.post(
            f"/threads/{tid}/runs/wait",
            json={"assistant_id": "goto", "command": {"resume": "y"}},
        )
        assert r.json() == {"out": ["ask:y"]}, r.text


async def test_a_goto_with_more_targets_than_a_step_can_schedule_is_422(client: Client) -> None:
    """2,500 tiny Sends (600 KB, under the message limit) made the run's step schedule more
    activities than Temporal lets one workflow have pending (2,000 by default): its workflow
    task failed over and over (a stuck run). Refused before anything is sent."""
    queue = f"api-review-goto-{uuid.uuid4().hex[:8]}"
    graphs = {"goto": goto_graph()}
    async with (
        create_worker(client, graphs, task_queue=queue),
        serve(create_app(GraphClient(client, task_queue=queue), graphs)) as base,
        httpx.AsyncClient(base_url=base, timeout=60) as http,
    ):
        tid = (await http.post("/threads", json={})).json()["thread_id"]
        r = await http.post(
            f"/threads/{tid}/runs/wait", json={"assistant_id": "goto", "input": {"out": []}}
        )
        assert r.json()["__interrupt__"][0]["value"] == "go?", r.text
        goto = [{"node": "echo", "input": {"item": i}} for i in range(2_500)]
        r = await http.post(
            f"/threads/{tid}/runs/wait",
            json={"assistant_id": "goto", "command": {"resume": "y", "goto": goto}},
        )
        assert r.status_code == 422, r.text[:300]
        assert r.json()["detail"].startswith("command.goto"), r.text[:300]
        # At the bound, taken.
        goto = [{"node": "echo", "input": {"item": i}} for i in range(MAX_GOTO)]
        r = await http.post(
            f"/threads/{tid}/runs/wait",
            json={"assistant_id": "goto", "command": {"resume": "y", "goto": goto}},
        )
        assert r.status_code == 200, r.text[:300]
        assert len(r.json()["out"]) == MAX_GOTO + 1


# ---------------------------------------------------------------------------------------------
# Thread bodies: a field the route does not take is refused, not ignored.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        # graph_id belongs in metadata (the SDK's graph_id=): top level it was dropped, and
        # the thread had no graph.
        ("POST", "/threads", {"graph_id": "chain"}, "graph_id"),
        ("POST", "/threads/search", {"limit": 1, "extracts": {"a": "values"}}, "extracts"),
        ("POST", "/threads/count", {"extract": {"a": "values"}}, "extract"),
        ("PATCH", "/threads/{tid}", {"metadata": {}, "tll": {"ttl": 1}}, "tll"),
        ("POST", "/threads/{tid}/state", {"values": {"log": ["x"]}, "asnode": "a"}, "asnode"),
    ],
)
async def test_a_thread_body_field_the_route_does_not_take_is_422_naming_it(
    http: httpx.AsyncClient, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    tid = await thread_of(http)
    r = await http.request(method, path.format(tid=tid), json=body)
    assert r.status_code == 422, r.text
    assert field in r.json()["detail"], r.text


# ---------------------------------------------------------------------------------------------
# A thread whose TTL runs out while its run executes a step is kept (as the HTTP API keeps it):
# a cron firing meanwhile waits for it (enqueue) instead of deleting itself.
# ---------------------------------------------------------------------------------------------


class NapState(TypedDict, total=False):
    secs: float
    log: Annotated[list[str], operator.add]


async def nap(state: NapState) -> dict[str, Any]:
    await asyncio.sleep(state.get("secs", 0))
    return {"log": ["nap"]}


def nap_graph() -> CompiledGraph:
    g = StateGraph(NapState)
    g.add_node("nap", nap)
    g.add_edge(START, "nap")
    g.add_edge("nap", END)
    return g.compile()


async def test_a_firing_on_a_thread_that_expired_while_busy_waits_instead_of_deleting_its_cron(
    client: Client,
) -> None:
    queue = f"api-review-nap-{uuid.uuid4().hex[:8]}"
    graphs = {"nap": nap_graph()}
    app = create_app(GraphClient(client, task_queue=queue), graphs, ttl_sweep_seconds=None)
    async with (
        create_worker(client, graphs, task_queue=queue),
        serve(app) as base,
        httpx.AsyncClient(base_url=base, timeout=60) as http,
    ):
        r = await http.post(
            "/threads", json={"metadata": {"graph_id": "nap"}, "ttl": {"ttl": 0.05}}
        )
        tid = r.json()["thread_id"]
        r = await http.post(
            f"/threads/{tid}/runs/crons",
            json={"assistant_id": "nap", "schedule": BY_HAND, "input": {"secs": 0}},
        )
        assert r.status_code == 200, r.text
        cron_id = r.json()["cron_id"]
        r = await http.post(
            f"/threads/{tid}/runs", json={"assistant_id": "nap", "input": {"secs": 6}}
        )
        assert r.status_code == 200, r.text
        # The TTL (3 s) runs out during the 6 s step; nothing reads the thread meanwhile.
        record = client.get_workflow_handle(thread_record_id(tid))
        for _ in range(100):
            if (await record.describe()).status != WorkflowExecutionStatus.RUNNING:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the record did not expire")
        await client.get_schedule_handle(SCHEDULE_PREFIX + cron_id).trigger()
        await asyncio.sleep(1.5)  # the firing looks at the busy thread
        # Someone reads the thread while its run is busy: kept (its record starts again, its
        # 3 s from now: past the step's end).
        r = await http.get(f"/threads/{tid}")
        assert r.status_code == 200, r.text
        schedule = await client.get_schedule_handle(SCHEDULE_PREFIX + cron_id).describe()
        [action] = schedule.info.recent_actions
        started = action.action.workflow_id  # type: ignore[attr-defined]
        firing = client.get_workflow_handle(started)
        result = await asyncio.wait_for(firing.result(), timeout=60)
        assert result["outcome"] == "started", result
        # The cron goes on, and so does the thread: the firing's run ran after the nap.
        r = await http.post("/runs/crons/search", json={"thread_id": tid})
        assert [c["cron_id"] for c in r.json()] == [cron_id]
        for _ in range(100):
            runs = (await http.get(f"/threads/{tid}/runs")).json()
            if len(runs) == 2 and all(run["status"] == "success" for run in runs):
                break
            await asyncio.sleep(0.2)
        else:
            raise AssertionError(runs)
        assert (await http.delete(f"/runs/crons/{cron_id}")).status_code == 204


# ---------------------------------------------------------------------------------------------
# Last: nothing this module sent left a record or a firing failing its workflow tasks.
# ---------------------------------------------------------------------------------------------


async def test_no_record_or_firing_failed_a_workflow_task(
    client: Client, module_start: str
) -> None:
    query = (
        "WorkflowType IN ('TempographThread', 'TempographCronFiring') "
        f"AND StartTime >= '{module_start}'"
    )
    seen = 0
    for _ in range(50):  # visibility lags
        seen = 0
        async for wf in client.list_workflows(query):
            seen += 1
            history = await client.get_workflow_handle(wf.id, run_id=wf.run_id).fetch_history()
            failed = [
                e for e in history.events if e.HasField("workflow_task_failed_event_attributes")
            ]
            assert not failed, (wf.workflow_type, wf.id, failed[0])
        if seen:
            break
        await asyncio.sleep(0.2)
    assert seen > 0


async def test_cancel_refuses_query_parameters_it_does_not_read(client: Client) -> None:
    """runs.cancel reads `wait` and `action`; another query parameter (a typo of either) is a
    422 naming it, and nothing is cancelled."""
    queue = f"api-review-cancel-{uuid.uuid4().hex[:8]}"
    graphs = {"goto": goto_graph()}
    async with (
        create_worker(client, graphs, task_queue=queue),
        serve(create_app(GraphClient(client, task_queue=queue), graphs)) as base,
        httpx.AsyncClient(base_url=base, timeout=60) as http,
    ):
        tid = (await http.post("/threads", json={})).json()["thread_id"]
        r = await http.post(
            f"/threads/{tid}/runs/wait", json={"assistant_id": "goto", "input": {"out": []}}
        )
        run_id = r.headers["content-location"].rsplit("/", 1)[1]
        r = await http.post(f"/threads/{tid}/runs/{run_id}/cancel", params={"wiat": 1})
        assert r.status_code == 422 and "wiat" in r.json()["detail"], r.text
        r = await http.post("/runs/cancel", params={"acton": "rollback"}, json={"status": "all"})
        assert r.status_code == 422 and "acton" in r.json()["detail"], r.text
        # Nothing was cancelled: the pause still takes its answer.
        r = await http.post(
            f"/threads/{tid}/runs/wait",
            json={"assistant_id": "goto", "command": {"resume": "y"}},
        )
        assert r.json() == {"out": ["ask:y"]}, r.text
