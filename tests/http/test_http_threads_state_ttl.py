"""Threads through the real langgraph-sdk (0.4.14): `supersteps` at creation, update_state with
a list of updates, search `select` / `extract`, and thread TTLs (a durable timer in the
thread's record workflow; ttl is in minutes, fractions allowed: 0.02 = 1.2 s)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from langgraph_sdk.errors import APIStatusError
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError
from temporalio.worker import Worker

from tempograph import GraphClient
from tempograph._workflows.thread_record import TTL_MEMO, ThreadTTL
from tempograph.http import create_app
from tempograph.http.testing import serve
from tempograph.messages import thread_record_id
from tests.conftest import TASK_QUEUE
from tests.sample_graphs import all_graphs


@pytest_asyncio.fixture(scope="module")
async def url(client: Client, worker: Worker) -> AsyncIterator[str]:
    app = create_app(GraphClient(client, task_queue=TASK_QUEUE), sorted(all_graphs()))
    async with serve(app) as base:
        yield base


@pytest_asyncio.fixture
async def sdk(url: str) -> AsyncIterator[LangGraphClient]:
    lg = get_client(url=url, api_key=None)
    yield lg
    await lg.aclose()


@pytest_asyncio.fixture
async def http(url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as c:
        yield c


async def status_of(call: Any) -> tuple[int, str]:
    try:
        await call
    except APIStatusError as exc:
        return exc.status_code, str(exc.body)
    raise AssertionError("the call was taken")


# ---------------------------------------------------------------------------------------------
# supersteps
# ---------------------------------------------------------------------------------------------


async def test_supersteps_build_the_new_threads_history(sdk: LangGraphClient) -> None:
    thread = await sdk.threads.create(
        graph_id="chain",
        metadata={"copied": True},
        supersteps=[
            {"updates": [{"values": {"log": ["a"]}, "as_node": "a"}]},
            {"updates": [{"values": {"log": ["b"]}, "as_node": "b"}]},
        ],
    )
    tid = thread["thread_id"]
    assert thread["values"] == {"log": ["a", "b"]}
    assert thread["metadata"]["copied"] is True and thread["metadata"]["graph_id"] == "chain"
    state = await sdk.threads.get_state(tid)
    assert state["values"] == {"log": ["a", "b"]} and state["next"] == ["c"]
    history = await sdk.threads.get_history(tid, limit=20)
    updates = [h for h in history if h["metadata"]["source"] == "update"]
    # One checkpoint per superstep, newest first.
    assert [h["values"] for h in updates[:2]] == [{"log": ["a", "b"]}, {"log": ["a"]}]
    assert [h["next"] for h in updates[:2]] == [["c"], ["b"]]
    # The thread goes on from there: a run without input runs what is next.
    out = await sdk.runs.wait(tid, "chain", input=None)
    assert out == {"log": ["a", "b", "c"]}


async def test_supersteps_with_a_command_update(sdk: LangGraphClient) -> None:
    thread = await sdk.threads.create(
        graph_id="chain",
        supersteps=[
            {"updates": [{"values": None, "command": {"update": {"log": ["x"]}}, "as_node": "b"}]}
        ],
    )
    state = await sdk.threads.get_state(thread["thread_id"])
    assert state["values"] == {"log": ["x"]} and state["next"] == ["c"]


async def test_bad_supersteps_are_refused_and_create_nothing(
    sdk: LangGraphClient, http: httpx.AsyncClient
) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"supersteps": [{"updates": [{"values": {}, "as_node": "a"}]}]}, "metadata.graph_id"),
        (
            {"metadata": {"graph_id": "nope"}, "supersteps": [{"updates": [{"as_node": "a"}]}]},
            "unknown graph",
        ),
        (
            {
                "metadata": {"graph_id": "chain"},
                "supersteps": [
                    {"updates": [{"values": {}, "as_node": "a"}, {"values": {}, "as_node": "b"}]}
                ],
            },
            "supersteps[0].updates",
        ),
        (
            {
                "metadata": {"graph_id": "chain"},
                "supersteps": [{"updates": [{"values": {"log": []}, "as_node": "__input__"}]}],
            },
            "supersteps[0].updates[0].as_node",
        ),
        (
            {
                "metadata": {"graph_id": "chain"},
                "supersteps": [{"updates": [{"command": {"goto": "b"}, "as_node": "a"}]}],
            },
            "supersteps[0].updates[0].command",
        ),
        (
            {"metadata": {"graph_id": "chain"}, "supersteps": [{"updates": [{"values": {}}]}]},
            "supersteps[0].updates[0].as_node",
        ),
    ]
    for body, field in cases:
        tid = str(uuid.uuid4())
        r = await http.post("/threads", json={"thread_id": tid, **body})
        assert r.status_code == 422 and field in r.json()["detail"], (body, r.text)
        assert (await http.get(f"/threads/{tid}")).status_code == 404
    # A node the graph does not have: refused by the run, and the thread is deleted again.
    tid = str(uuid.uuid4())
    r = await http.post(
        "/threads",
        json={
            "thread_id": tid,
            "metadata": {"graph_id": "chain"},
            "supersteps": [
                {"updates": [{"values": {"log": ["a"]}, "as_node": "a"}]},
                {"updates": [{"values": {"log": ["z"]}, "as_node": "zz"}]},
            ],
        },
    )
    assert 400 <= r.status_code < 500 and "supersteps[1]" in r.json()["detail"], r.text
    assert "zz" in r.json()["detail"]
    assert (await http.get(f"/threads/{tid}")).status_code == 404


# ---------------------------------------------------------------------------------------------
# update_state with a list of updates
# ---------------------------------------------------------------------------------------------


async def test_update_state_with_a_list_applies_each_in_order(
    sdk: LangGraphClient, http: httpx.AsyncClient
) -> None:
    tid = (await sdk.threads.create())["thread_id"]
    await sdk.runs.wait(tid, "chain", input={"log": []}, interrupt_before=["b"])
    before = len(await sdk.threads.get_history(tid, limit=50))
    answer = await sdk.threads.update_state(tid, [{"log": ["u1"]}, {"log": ["u2"]}])
    state = await sdk.threads.get_state(tid)
    assert state["values"] == {"log": ["a", "u1", "u2"]} and state["next"] == ["b"]
    assert answer["checkpoint"]["checkpoint_id"] == state["checkpoint"]["checkpoint_id"]
    history = await sdk.threads.get_history(tid, limit=50)
    assert len(history) == before + 2  # one checkpoint per update
    assert [h["values"]["log"] for h in history[:2]] == [["a", "u1", "u2"], ["a", "u1"]]
    # Refused: an empty list, a non-object item (nothing applied).
    for bad, field in (([], "values"), ([{"log": ["x"]}, 3], "values[1]")):
        r = await http.post(f"/threads/{tid}/state", json={"values": bad})
        assert r.status_code == 422 and field in r.json()["detail"], r.text
    assert len(await sdk.threads.get_history(tid, limit=50)) == before + 2
    # As a node: each update is that node's write; the run goes on from there.
    await sdk.threads.update_state(tid, [{"log": ["b1"]}, {"log": ["b2"]}], as_node="b")
    state = await sdk.threads.get_state(tid)
    assert state["values"]["log"][-2:] == ["b1", "b2"] and state["next"] == ["c"]


# ---------------------------------------------------------------------------------------------
# search select / extract
# ---------------------------------------------------------------------------------------------


async def test_search_select_and_extract(sdk: LangGraphClient, http: httpx.AsyncClient) -> None:
    tag = uuid.uuid4().hex
    tid = (await sdk.threads.create(metadata={"tag": tag, "owner": {"name": "ann"}}))["thread_id"]
    await sdk.runs.wait(tid, "chain", input={"log": ["start"]})
    [found] = await sdk.threads.search(
        metadata={"tag": tag},
        select=["thread_id", "status"],
        extract={
            "last": "values.log[-1]",
            "first": "values.log[0]",
            "owner": "metadata.owner.name",
            "missing": "values.nothing.here",
            "out_of_range": "values.log[99]",
        },
    )
    assert found == {
        "thread_id": tid,
        "status": "idle",
        "extracted": {
            "last": "c",
            "first": "start",
            "owner": "ann",
            "missing": None,
            "out_of_range": None,
        },
    }
    [whole] = await sdk.threads.search(metadata={"tag": tag}, extract={"n": "values.log"})
    assert whole["extracted"] == {"n": ["start", "a", "b", "c"]} and "values" in whole
    bad: list[tuple[Any, str]] = [
        ({"x": "runs.id"}, "must start with one of"),
        ({"values": "values.log"}, "reserved"),
        ({"1x": "values.log"}, "identifier"),
        ({f"k{i}": "values.log" for i in range(11)}, "at most 10"),
        ({"x": ""}, "extract.x"),
        ("values.log", "extract"),
    ]
    for extract, text in bad:
        r = await http.post("/threads/search", json={"extract": extract})
        assert r.status_code == 422 and text in r.json()["detail"], (extract, r.text)
    r = await http.post("/threads/search", json={"select": ["thread_id", "runs"]})
    assert r.status_code == 422 and "runs" in r.json()["detail"]


# ---------------------------------------------------------------------------------------------
# TTL
# ---------------------------------------------------------------------------------------------


async def wait_gone(http: httpx.AsyncClient, tid: str, within: float) -> float:
    loop = asyncio.get_running_loop()
    start = loop.time()
    while loop.time() - start < within:
        if (await http.get(f"/threads/{tid}")).status_code == 404:
            return loop.time() - start
        await asyncio.sleep(0.2)
    raise AssertionError(f"thread {tid} still there after {within} s")


async def test_ttl_deletes_the_thread_and_its_runs(
    sdk: LangGraphClient, http: httpx.AsyncClient, client: Client
) -> None:
    thread = await sdk.threads.create(metadata={"k": 1}, ttl={"ttl": 0.04, "strategy": "delete"})
    tid = thread["thread_id"]
    got = await sdk.threads.get(tid)
    assert "ttl" not in got  # only with ?include=ttl, as the Agent Server
    ttl = (await sdk.threads.get(tid, include=["ttl"]))["ttl"]  # type: ignore[typeddict-item]
    assert ttl["strategy"] == "delete" and ttl["ttl_minutes"] == 0.04 and ttl["expires_at"]
    out = await sdk.runs.wait(tid, "ask", input={"log": [], "x": 1})
    assert "__interrupt__" in out  # a paused run on the thread
    await wait_gone(http, tid, 30)
    # Its record ended expired; its run's execution is deleted.
    record = await client.get_workflow_handle(thread_record_id(tid)).describe()
    assert record.status == WorkflowExecutionStatus.COMPLETED
    memo = ThreadTTL.model_validate(await record.memo_value(TTL_MEMO))
    assert memo.expired
    for _ in range(50):
        try:
            desc = await client.get_workflow_handle(tid).describe()
        except Exception:  # noqa: BLE001 - NOT_FOUND: deleted
            break
        if desc.status != WorkflowExecutionStatus.RUNNING:
            break  # deleted in the background (terminated first)
        await asyncio.sleep(0.2)
    else:
        raise AssertionError("the expired thread's paused run is still running")
    found = await sdk.threads.search(ids=[tid])
    assert found == []
    # The id can be used again: a new thread.
    again = await sdk.threads.create(thread_id=tid)
    assert again["metadata"] == {} and (await sdk.threads.get(tid))["thread_id"] == tid


async def test_ttl_refreshed_by_update_and_set_by_patch(
    sdk: LangGraphClient, http: httpx.AsyncClient
) -> None:
    # 0.05 min = 3 s; patched every second for 5 s: still there; then it expires.
    tid = (await sdk.threads.create(ttl=0.05))["thread_id"]
    for i in range(5):
        await asyncio.sleep(1.0)
        await sdk.threads.update(tid, metadata={"i": i})
    assert (await sdk.threads.get(tid))["metadata"]["i"] == 4
    await wait_gone(http, tid, 20)
    # A thread created without a TTL gets one from a PATCH (and an updated one replaces it).
    tid = (await sdk.threads.create())["thread_id"]
    r = await http.get(f"/threads/{tid}", params={"include": "ttl"})
    assert r.status_code == 200 and "ttl" not in r.json()
    await sdk.threads.update(tid, metadata={}, ttl=600)
    await sdk.threads.update(tid, metadata={}, ttl=0.03)
    r = await http.get(f"/threads/{tid}", params={"include": "ttl"})
    assert r.json()["ttl"]["ttl_minutes"] == 0.03
    await wait_gone(http, tid, 20)


async def test_ttl_refreshed_by_a_state_edit(sdk: LangGraphClient, http: httpx.AsyncClient) -> None:
    tid = (await sdk.threads.create(ttl=0.05))["thread_id"]
    await sdk.runs.wait(tid, "chain", input={"log": []}, interrupt_before=["b"])
    for _ in range(4):
        await asyncio.sleep(1.0)
        await sdk.threads.update_state(tid, {"log": ["e"]})
    assert (await sdk.threads.get(tid))["status"] == "interrupted"
    await wait_gone(http, tid, 20)


async def test_ttl_refreshed_by_runs(sdk: LangGraphClient, http: httpx.AsyncClient) -> None:
    tid = (await sdk.threads.create(ttl=0.05))["thread_id"]
    r = await http.get(f"/threads/{tid}", params={"include": "ttl"})
    first_deadline = r.json()["ttl"]["expires_at"]
    for i in range(4):
        await asyncio.sleep(1.0)
        out = await sdk.runs.wait(tid, "chain", input={"log": [str(i)]})
        assert out["log"][-1] == "c"
    r = await http.get(f"/threads/{tid}", params={"include": "ttl"})
    assert r.status_code == 200 and r.json()["ttl"]["expires_at"] > first_deadline
    await wait_gone(http, tid, 20)


async def test_do_nothing_on_an_existing_thread_refuses_what_it_would_drop(
    sdk: LangGraphClient,
) -> None:
    tid = (await sdk.threads.create(ttl=60))["thread_id"]
    same = await sdk.threads.create(thread_id=tid, if_exists="do_nothing", ttl=60)
    assert same["thread_id"] == tid
    code, body = await status_of(sdk.threads.create(thread_id=tid, if_exists="do_nothing", ttl=5))
    assert code == 409 and "ttl" in body and "60" in body
    steps = [{"updates": [{"values": {"log": ["a"]}, "as_node": "a"}]}]
    code, body = await status_of(
        sdk.threads.create(
            thread_id=tid, if_exists="do_nothing", graph_id="chain", supersteps=steps
        )
    )
    assert code == 409 and "supersteps" in body
    assert (await sdk.threads.get_state(tid))["values"] == {}


async def test_sweep_deletes_expired_threads_runs_nobody_asked_for(
    client: Client, worker: Worker
) -> None:
    """The record expires on its own (a Temporal timer, no server request); the runs'
    executions go at the first look-up, search, or ThreadStore.sweep_expired."""
    app = create_app(GraphClient(client, task_queue=TASK_QUEUE), sorted(all_graphs()))
    since = datetime.now(UTC)
    async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as h:
        tid = (await h.post("/threads", json={"ttl": {"ttl": 0.03}})).json()["thread_id"]
        r = await h.post(
            f"/threads/{tid}/runs/wait", json={"assistant_id": "ask", "input": {"log": [], "x": 1}}
        )
        assert "__interrupt__" in r.json()
        record = client.get_workflow_handle(thread_record_id(tid))
        await asyncio.wait_for(record.result(), 30)  # expired by its own timer
        run = await client.get_workflow_handle(tid).describe()
        assert run.status == WorkflowExecutionStatus.RUNNING  # paused, still there
        store = app.state.service.store
        for _ in range(50):  # visibility lists the closed record shortly after
            swept = await store.sweep_expired(since)
            if swept:
                break
            await asyncio.sleep(0.2)
        assert swept == [tid]
        assert await store.sweep_expired(since) == []  # once
        assert (await h.get(f"/threads/{tid}")).status_code == 404
    for _ in range(50):
        try:
            run = await client.get_workflow_handle(tid).describe()
        except RPCError:
            break  # deleted
        if run.status != WorkflowExecutionStatus.RUNNING:
            break  # terminated, being deleted
        await asyncio.sleep(0.2)
    else:
        raise AssertionError("the expired thread's run is still running")


async def test_a_thread_busy_at_its_deadline_is_kept(
    sdk: LangGraphClient, http: httpx.AsyncClient, client: Client
) -> None:
    """As the Agent Server's sweep skips busy threads: the TTL (0.3 s) runs out while the run
    executes a 1.5 s step; the thread stays (its record starts again), and goes once idle."""
    tag = uuid.uuid4().hex
    tid = (await sdk.threads.create(ttl=0.005, metadata={"tag": tag}))["thread_id"]
    first = client.get_workflow_handle(thread_record_id(tid))
    run = await sdk.runs.create(tid, "slow", input={})
    await asyncio.wait_for(first.result(), 10)  # expired by its own timer, mid-step
    # A search meets it first (visibility lists the ended record): kept.
    found = await sdk.threads.search(metadata={"tag": tag})
    assert [t["thread_id"] for t in found] == [tid]
    got = await sdk.threads.get(tid)
    assert got["status"] == "busy"
    revived = await client.get_workflow_handle(thread_record_id(tid)).describe()
    assert revived.run_id != first.result_run_id
    assert (await sdk.runs.join(tid, run["run_id"]))["n"] == 1
    await wait_gone(http, tid, 20)


async def test_bad_ttls_are_refused(http: httpx.AsyncClient) -> None:
    cases: list[tuple[Any, str]] = [
        ({"ttl": 5, "strategy": "keep_latest"}, "keep_latest"),
        ({"ttl": 5, "strategy": "archive"}, "ttl.strategy"),
        ({"ttl": 0}, "ttl.ttl"),
        ({"ttl": -1}, "ttl.ttl"),
        ({"ttl": "10"}, "ttl.ttl"),
        ({"strategy": "delete"}, "ttl.ttl"),
        ({"ttl": 5, "sweep_interval_minutes": 1}, "unknown keys"),
        (5, "ttl"),
    ]
    for ttl, text in cases:
        tid = str(uuid.uuid4())
        r = await http.post("/threads", json={"thread_id": tid, "ttl": ttl})
        assert r.status_code == 422 and text in r.json()["detail"], (ttl, r.text)
        assert (await http.get(f"/threads/{tid}")).status_code == 404
    tid = (await http.post("/threads", json={})).json()["thread_id"]
    r = await http.patch(f"/threads/{tid}", json={"metadata": {}, "ttl": {"ttl": 0}})
    assert r.status_code == 422 and "ttl.ttl" in r.json()["detail"]
    r = await http.get(f"/threads/{tid}", params={"include": "ttl,runs"})
    assert r.status_code == 422 and "runs" in r.json()["detail"]


@pytest.mark.parametrize("minutes", [0.04])
async def test_ttl_thread_seen_expired_by_another_server_process(
    client: Client, worker: Worker, minutes: float
) -> None:
    """Two app instances (two server processes on one namespace): one creates the thread with
    a TTL, the other answers 404 once it expired, with no request in between to the first."""
    a = create_app(GraphClient(client, task_queue=TASK_QUEUE), sorted(all_graphs()))
    b = create_app(GraphClient(client, task_queue=TASK_QUEUE), sorted(all_graphs()))
    async with serve(a) as url_a, serve(b) as url_b:
        async with httpx.AsyncClient(base_url=url_a) as ha, httpx.AsyncClient(base_url=url_b) as hb:
            tid = (await ha.post("/threads", json={"ttl": {"ttl": minutes}})).json()["thread_id"]
            assert (await hb.get(f"/threads/{tid}")).status_code == 200
            await wait_gone(hb, tid, 30)
            assert (await ha.get(f"/threads/{tid}")).status_code == 404


async def test_the_server_sweeps_expired_threads_by_itself(client: Client, worker: Worker) -> None:
    """A served app (its lifespan running) deletes the runs of an expired thread that no
    request looks up again (create_app's ttl_sweep_seconds)."""
    app = create_app(
        GraphClient(client, task_queue=TASK_QUEUE), sorted(all_graphs()), ttl_sweep_seconds=0.5
    )
    async with serve(app, lifespan="on") as base, httpx.AsyncClient(base_url=base) as h:
        tid = (await h.post("/threads", json={"ttl": {"ttl": 0.02}})).json()["thread_id"]
        r = await h.post(
            f"/threads/{tid}/runs/wait", json={"assistant_id": "ask", "input": {"log": [], "x": 1}}
        )
        assert "__interrupt__" in r.json()
        for _ in range(150):  # no request about the thread: only the sweeper can delete it
            try:
                run = await client.get_workflow_handle(tid).describe()
            except RPCError:
                break  # deleted
            if run.status != WorkflowExecutionStatus.RUNNING:
                break  # terminated, being deleted
            await asyncio.sleep(0.2)
        else:
            raise AssertionError("the expired thread's paused run was never swept")


def test_a_bad_sweep_interval_is_refused(client: Client) -> None:
    with pytest.raises(ValueError, match="ttl_sweep_seconds"):
        create_app(GraphClient(client, task_queue=TASK_QUEUE), ["ask"], ttl_sweep_seconds=0)
