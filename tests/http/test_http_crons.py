"""Crons through the real langgraph-sdk (0.4.14) as Temporal Schedules on the session's dev
server: created, listed by `temporal schedule list`, searched, counted, updated, deleted,
fired (a trigger instead of waiting a minute) into a run on a new thread, or on the cron's
thread (crons.create_for_thread: the thread goes on; a busy thread gets the cron's multitask
strategy); fields a cron cannot honour refused with 422; other schedules in the namespace
never touched."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import operator
import subprocess
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypedDict

import httpx
import pytest
import pytest_asyncio
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleHandle,
    ScheduleSpec,
    ScheduleState,
    WorkflowFailureError,
)
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import ActivityEnvironment
from temporalio.worker import Replayer, Worker

from tempograph import GraphClient, TempographPlugin, create_worker
from tempograph._activities.cron_firing import fire_cron
from tempograph._cron import CRON_THREAD_WORKFLOW, SCHEDULE_PREFIX, CronFiring
from tempograph._workflows.cron_thread import CronThread, UpgradingCronThread
from tempograph.devserver import temporal_cli
from tempograph.graph import START, CompiledGraph, StateGraph
from tempograph.http import create_app
from tempograph.http.rendering import assistant_id_of
from tempograph.http.testing import serve
from tempograph.messages import RunInput
from tests.conftest import TASK_QUEUE, SessionServer
from tests.sample_graphs import all_graphs

# Once a year (1 January, 00:00 UTC): while a test runs, a firing is a trigger, never the clock
# (a minute boundary would add a run to a thread cron's thread mid-test).
BY_HAND = "0 0 1 1 *"


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


def status_of(exc: BaseException) -> int:
    assert isinstance(exc, httpx.HTTPStatusError)
    return exc.response.status_code


async def schedule_list(server: SessionServer) -> list[dict[str, object]]:
    """`temporal schedule list -o json` against the session's server."""
    out = await asyncio.to_thread(
        subprocess.run,
        [temporal_cli(), "schedule", "list", "--address", server.address, "-o", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    listed = json.loads(out.stdout or "[]")
    return listed if isinstance(listed, list) else [listed]


async def test_cron_lifecycle_visible_as_a_schedule(
    sdk: LangGraphClient, client: Client, server: SessionServer
) -> None:
    marker = uuid.uuid4().hex
    end = datetime.now(UTC) + timedelta(days=30)
    # langgraph-sdk types the answer as a Run; the Agent Server sends the Cron.
    cron: dict[str, Any] = dict(
        await sdk.crons.create(
            "chain",
            schedule="0 9 * * 1-5",
            input={"log": []},
            metadata={"team": marker},
            timezone="Europe/Paris",
            end_time=end,
        )
    )
    cron_id = cron["cron_id"]
    assert str(uuid.UUID(cron_id)) == cron_id
    assert cron["assistant_id"] == assistant_id_of("chain")
    assert (cron["schedule"], cron["timezone"], cron["enabled"]) == (
        "0 9 * * 1-5",
        "Europe/Paris",
        True,
    )
    assert cron["thread_id"] is None and cron["on_run_completed"] == "keep"
    assert cron["metadata"] == {"team": marker} and cron["payload"]["input"] == {"log": []}
    assert abs(datetime.fromisoformat(cron["end_time"]) - end) < timedelta(seconds=1)
    # Monday to Friday at 09:00 in Paris: 07:00 or 08:00 UTC.
    next_run = datetime.fromisoformat(cron["next_run_date"])
    assert next_run > datetime.now(UTC) and next_run.astimezone(UTC).hour in (7, 8)

    # A Temporal Schedule, managed by the CLI too.
    sid = SCHEDULE_PREFIX + cron_id
    desc = await client.get_schedule_handle(sid).describe()
    spec = desc.schedule.spec
    # Temporal keeps the expression as a calendar: 09:00, Monday to Friday.
    [calendar] = spec.calendars
    assert [(r.start, r.end) for r in calendar.hour] == [(9, 9)]
    assert [(r.start, r.end) for r in calendar.day_of_week] == [(1, 5)]
    assert spec.time_zone_name == "Europe/Paris"
    action = desc.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert (action.workflow, action.task_queue) == ("GraphRun", TASK_QUEUE)
    for _ in range(100):
        if any(s.get("scheduleId") == sid for s in await schedule_list(server)):
            break
        await asyncio.sleep(0.2)
    else:
        raise AssertionError(f"{sid} not in `temporal schedule list`")

    # search and count, by assistant (graph name or UUID), metadata, enabled.
    [found] = await sdk.crons.search(metadata={"team": marker})
    assert found == {**cron, "updated_at": found["updated_at"]}
    by_uuid = await sdk.crons.search(assistant_id=assistant_id_of("chain"), limit=1000)
    assert cron_id in {c["cron_id"] for c in by_uuid}
    assert await sdk.crons.search(assistant_id="ask", metadata={"team": marker}) == []
    assert await sdk.crons.search(enabled=False, metadata={"team": marker}) == []
    assert await sdk.crons.count(metadata={"team": marker}) == 1
    assert await sdk.crons.count(assistant_id="chain", metadata={"team": marker}) == 1
    assert await sdk.crons.count(thread_id="no-such-thread", metadata={"team": marker}) == 0
    [selected] = await sdk.crons.search(metadata={"team": marker}, select=["cron_id", "enabled"])
    assert selected == {"cron_id": cron_id, "enabled": True}

    # update: schedule, enabled (the schedule's paused state), metadata, input, end_time cleared.
    updated = await sdk.crons.update(
        cron_id,
        schedule="30 6 * * *",
        enabled=False,
        metadata={"team": marker, "v": 2},
        input={"log": ["x"]},  # type: ignore[dict-item]
        end_time=None,
    )
    assert (updated["schedule"], updated["enabled"], updated["end_time"]) == (
        "30 6 * * *",
        False,
        None,
    )
    assert updated["timezone"] == "Europe/Paris" and updated["next_run_date"] is None
    assert updated["metadata"] == {"team": marker, "v": 2}
    assert updated["payload"]["input"] == {"log": ["x"]}
    assert updated["created_at"] == cron["created_at"]
    assert updated["updated_at"] > cron["updated_at"]
    desc = await client.get_schedule_handle(sid).describe()
    assert desc.schedule.state.paused and desc.schedule.spec.end_at is None
    [calendar] = desc.schedule.spec.calendars
    assert [(r.start, r.end) for r in calendar.hour] == [(6, 6)]
    [found] = await sdk.crons.search(enabled=False, metadata={"team": marker})
    assert found["cron_id"] == cron_id

    await sdk.crons.delete(cron_id)
    with pytest.raises(RPCError) as gone:
        await client.get_schedule_handle(sid).describe()
    assert gone.value.status == RPCStatusCode.NOT_FOUND
    assert await sdk.crons.search(metadata={"team": marker}) == []
    assert await sdk.crons.count(metadata={"team": marker}) == 0
    with pytest.raises(httpx.HTTPStatusError) as again:
        await sdk.crons.delete(cron_id)
    assert status_of(again.value) == 404


async def test_a_firing_runs_the_graph_on_a_new_thread(
    sdk: LangGraphClient, client: Client
) -> None:
    marker = uuid.uuid4().hex
    cron: dict[str, Any] = dict(
        await sdk.crons.create(
            "chain", schedule=BY_HAND, input={"log": []}, metadata={"team": marker}
        )
    )
    cron_id = cron["cron_id"]
    handle = client.get_schedule_handle(SCHEDULE_PREFIX + cron_id)
    try:
        started: list[str] = []
        for firing in (1, 2):
            # Firings are named to the second: the second trigger comes a second later.
            await asyncio.sleep(1.1 * (firing - 1))
            await handle.trigger()
            for _ in range(600):
                actions = (await handle.describe()).info.recent_actions
                started = [a.action.workflow_id for a in actions]  # type: ignore[attr-defined]
                if len(started) >= firing:
                    break
                await asyncio.sleep(0.1)
        assert len(started) == 2 and len(set(started)) == 2
        for thread_id in started:
            # Temporal names the scheduled workflow `<cron id>-<firing time>`: its thread.
            assert thread_id.startswith(cron_id + "-")
            runs: list[Any] = []
            for _ in range(600):
                runs = list(await sdk.runs.list(thread_id))
                if runs:
                    break
                await asyncio.sleep(0.1)
            [run] = runs
            # join waits for the run to end: the graph ran on the cron's input.
            assert await sdk.runs.join(thread_id, run["run_id"]) == {"log": ["a", "b", "c"]}
            assert (await sdk.runs.get(thread_id, run["run_id"]))["status"] == "success"
            thread = await sdk.threads.get(thread_id)
            assert thread["status"] == "idle"
            state = await sdk.threads.get_state(thread_id)
            assert state["values"] == {"log": ["a", "b", "c"]}
    finally:
        await sdk.crons.delete(cron_id)


async def test_unsupported_fields_are_refused(sdk: LangGraphClient) -> None:
    thread = await sdk.threads.create()
    refusals = [
        # A thread cron starts a run with input at each firing.
        sdk.crons.create_for_thread(thread["thread_id"], "chain", schedule=BY_HAND),
        sdk.crons.create_for_thread(
            thread["thread_id"],
            "chain",
            schedule=BY_HAND,
            input={"log": []},
            multitask_strategy="rollback",
        ),
        sdk.crons.create("chain", schedule=BY_HAND, on_run_completed="delete"),
        sdk.crons.create("chain", schedule=BY_HAND, multitask_strategy="reject"),
        sdk.crons.create("chain", schedule=BY_HAND, stream_subgraphs=True),
        sdk.crons.create("chain", schedule=BY_HAND, webhook="ftp://example.com/hook"),
        sdk.crons.create("chain", schedule=BY_HAND, timezone="Mars/Olympus_Mons"),
        sdk.crons.create("chain", schedule="not a cron"),
        sdk.crons.create("chain", schedule=BY_HAND, stream_mode="nonsense"),  # type: ignore[arg-type]
        sdk.crons.search(sort_by="nope"),  # type: ignore[arg-type]
        sdk.crons.search(select=["cron_id", "nope"]),  # type: ignore[list-item]
    ]
    for call in refusals:
        with pytest.raises(httpx.HTTPStatusError) as refused:
            await call
        assert status_of(refused.value) == 422, refused.value.response.text
    with pytest.raises(httpx.HTTPStatusError) as missing:
        await sdk.crons.create("no-such-graph", schedule=BY_HAND)
    assert status_of(missing.value) == 404
    with pytest.raises(httpx.HTTPStatusError) as no_thread:
        await sdk.crons.create_for_thread(
            str(uuid.uuid4()), "chain", schedule=BY_HAND, input={"log": []}
        )
    assert status_of(no_thread.value) == 404
    with pytest.raises(httpx.HTTPStatusError) as named:
        await sdk.crons.create(
            "chain",
            schedule=BY_HAND,
            on_run_completed="delete",
        )
    assert "on_run_completed" in named.value.response.text


async def test_other_schedules_are_not_found(sdk: LangGraphClient, client: Client) -> None:
    """A schedule Tempograph did not create, even with a cron-like id, is never read or
    changed: not found, not listed, left as it was."""
    cron_id = str(uuid.uuid4())
    lookalike = SCHEDULE_PREFIX + cron_id
    foreign = await client.create_schedule(
        lookalike,
        Schedule(
            action=ScheduleActionStartWorkflow(
                "SomeoneElsesWorkflow", id="theirs", task_queue="their-queue"
            ),
            spec=ScheduleSpec(cron_expressions=[BY_HAND]),
            state=ScheduleState(paused=True),
        ),
    )
    try:
        with pytest.raises(httpx.HTTPStatusError) as update:
            await sdk.crons.update(cron_id, enabled=True)
        assert status_of(update.value) == 404
        with pytest.raises(httpx.HTTPStatusError) as delete:
            await sdk.crons.delete(cron_id)
        assert status_of(delete.value) == 404
        for _ in range(50):  # once visibility lists it, search still leaves it out
            listed = [s.id async for s in await client.list_schedules()]
            if lookalike in listed:
                break
            await asyncio.sleep(0.1)
        found = await sdk.crons.search(limit=1000)
        assert cron_id not in {c["cron_id"] for c in found}
        desc = await foreign.describe()
        assert desc.schedule.state.paused
        for bad in ("not-a-uuid", cron_id.upper()):
            with pytest.raises(httpx.HTTPStatusError) as odd:
                await sdk.crons.delete(bad)
            assert status_of(odd.value) == 404
    finally:
        await foreign.delete()


async def fire(client: Client, handle: ScheduleHandle) -> tuple[str, dict[str, Any]]:
    """Trigger the schedule once; the firing workflow's id and result."""
    before = len((await handle.describe()).info.recent_actions)
    await handle.trigger()
    for _ in range(600):
        actions = (await handle.describe()).info.recent_actions
        if len(actions) > before:
            started = actions[-1].action
            workflow_id = started.workflow_id  # type: ignore[attr-defined]
            run_id = started.first_execution_run_id  # type: ignore[attr-defined]
            result = await client.get_workflow_handle(workflow_id, run_id=run_id).result()
            return workflow_id, result
        await asyncio.sleep(0.1)
    raise AssertionError("the schedule never fired")


async def test_a_thread_cron_runs_on_its_thread(
    sdk: LangGraphClient, client: Client, server: SessionServer
) -> None:
    marker = uuid.uuid4().hex
    tid = (await sdk.threads.create())["thread_id"]
    cron: dict[str, Any] = dict(
        await sdk.crons.create_for_thread(
            tid, "chain", schedule=BY_HAND, input={"log": ["x"]}, metadata={"team": marker}
        )
    )
    cron_id = cron["cron_id"]
    assert cron["thread_id"] == tid and cron["on_run_completed"] is None
    assert cron["assistant_id"] == assistant_id_of("chain") and cron["enabled"]
    sid = SCHEDULE_PREFIX + cron_id
    handle = client.get_schedule_handle(sid)
    try:
        action = (await handle.describe()).schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        assert (action.workflow, action.task_queue) == (CRON_THREAD_WORKFLOW, TASK_QUEUE)
        for _ in range(100):
            if any(s.get("scheduleId") == sid for s in await schedule_list(server)):
                break
            await asyncio.sleep(0.2)
        else:
            raise AssertionError(f"{sid} not in `temporal schedule list`")
        assert [c["cron_id"] for c in await sdk.crons.search(thread_id=tid)] == [cron_id]
        assert await sdk.crons.count(thread_id=tid) == 1
        assert await sdk.crons.count(thread_id=tid, assistant_id="ask") == 0

        # Each firing continues the thread, as runs.create on it does.
        workflow_id, result = await fire(client, handle)
        assert workflow_id.startswith(cron_id + "-") and result["outcome"] == "started"
        first = await sdk.runs.join(tid, result["run_id"])
        assert first == {"log": ["x", "a", "b", "c"]}
        _, result = await fire(client, handle)
        assert result["outcome"] == "started"
        second = await sdk.runs.join(tid, result["run_id"])
        assert second == {"log": ["x", "a", "b", "c", "x", "a", "b", "c"]}
        runs = await sdk.runs.list(tid)
        assert len(runs) == 2 and {r["status"] for r in runs} == {"success"}
        assert (await sdk.threads.get(tid))["status"] == "idle"

        # update: disabled, a new input, kept on its thread; the firing uses the new input.
        updated = await sdk.crons.update(cron_id, enabled=False, input={"log": ["y"]})  # type: ignore[dict-item]
        assert updated["thread_id"] == tid and updated["enabled"] is False
        _, result = await fire(client, handle)  # a trigger fires a paused schedule too
        assert (await sdk.runs.join(tid, result["run_id"]))["log"][-4:] == ["y", "a", "b", "c"]
        # (the SDK leaves out a None: sent by hand)
        no_input = await sdk.http.client.patch(f"/runs/crons/{cron_id}", json={"input": None})
        assert no_input.status_code == 422 and "input" in no_input.text

        # The firing workflow's history replays.
        history = await client.get_workflow_handle(workflow_id).fetch_history()
        replayed = await Replayer(
            workflows=[CronThread], data_converter=pydantic_data_converter
        ).replay_workflow(history, raise_on_replay_failure=False)
        assert replayed.replay_failure is None

        # A deleted thread: the firing starts nothing, and the cron goes with its thread (as
        # the Agent Server deletes a thread's crons).
        await sdk.threads.delete(tid)
        _, result = await fire(client, handle)
        assert result["outcome"] == "thread_gone"
        with pytest.raises(RPCError) as gone:
            await handle.describe()
        assert gone.value.status == RPCStatusCode.NOT_FOUND
    finally:
        with contextlib.suppress(httpx.HTTPStatusError):
            await sdk.crons.delete(cron_id)
    assert await sdk.crons.count(thread_id=tid) == 0


async def test_a_thread_cron_is_gone_once_its_thread_is(
    sdk: LangGraphClient, client: Client
) -> None:
    """Read after its thread was deleted (no firing in between), a thread cron is not found
    and its schedule is deleted."""
    tid = (await sdk.threads.create())["thread_id"]
    cron = await sdk.crons.create_for_thread(tid, "chain", schedule=BY_HAND, input={"log": []})
    assert [c["cron_id"] for c in await sdk.crons.search(thread_id=tid)] == [cron["cron_id"]]
    await sdk.threads.delete(tid)
    assert await sdk.crons.search(thread_id=tid) == []
    with pytest.raises(RPCError) as gone:
        await client.get_schedule_handle(SCHEDULE_PREFIX + cron["cron_id"]).describe()
    assert gone.value.status == RPCStatusCode.NOT_FOUND
    with pytest.raises(httpx.HTTPStatusError) as again:
        await sdk.crons.delete(cron["cron_id"])
    assert status_of(again.value) == 404


# Busy threads: a step long enough (BUSY_SECONDS) that a firing surely finds it executing,
# served by a worker and an app of their own.
BUSY_SECONDS = 3.0
BUSY_QUEUE = f"cron-busy-{uuid.uuid4().hex[:8]}"


class SleepyState(TypedDict, total=False):
    n: int
    log: Annotated[list[str], operator.add]


async def sleepy(state: SleepyState) -> dict[str, Any]:
    await asyncio.sleep(BUSY_SECONDS)
    return {"n": 1}


def build_sleepy() -> CompiledGraph:
    g = StateGraph(SleepyState)
    g.add_node("nap", sleepy)
    g.add_edge(START, "nap")
    return g.compile()


@pytest_asyncio.fixture(scope="module")
async def busy_url(client: Client) -> AsyncIterator[str]:
    graphs = {"slow": build_sleepy(), "ask": all_graphs()["ask"]}
    async with create_worker(client, graphs, task_queue=BUSY_QUEUE):
        app = create_app(GraphClient(client, task_queue=BUSY_QUEUE), graphs)
        async with serve(app) as base:
            yield base


@pytest_asyncio.fixture
async def busy_sdk(busy_url: str) -> AsyncIterator[LangGraphClient]:
    lg = get_client(url=busy_url, api_key=None)
    yield lg
    await lg.aclose()


async def busy_thread(sdk: LangGraphClient) -> tuple[str, str]:
    """A thread whose "slow" run is executing its step (BUSY_SECONDS)."""
    tid = (await sdk.threads.create())["thread_id"]
    run = await sdk.runs.create(tid, "slow", input={"log": ["first"]})
    return tid, run["run_id"]


async def thread_cron(sdk: LangGraphClient, client: Client, tid: str, strategy: str) -> str:
    cron = await sdk.crons.create_for_thread(
        tid, "slow", schedule=BY_HAND, input={"log": [strategy]}, multitask_strategy=strategy
    )
    return str(cron["cron_id"])


async def test_a_thread_cron_on_a_busy_thread_follows_its_multitask_strategy(
    busy_sdk: LangGraphClient, client: Client
) -> None:
    sdk = busy_sdk
    crons: list[str] = []
    try:
        # reject: nothing starts.
        tid, first = await busy_thread(sdk)
        crons.append(await thread_cron(sdk, client, tid, "reject"))
        _, result = await fire(client, client.get_schedule_handle(SCHEDULE_PREFIX + crons[-1]))
        assert result["outcome"] == "rejected"
        assert (await sdk.runs.join(tid, first))["log"] == ["first"]
        assert [r["run_id"] for r in await sdk.runs.list(tid)] == [first]

        # enqueue: the firing waits until the running run has ended, then continues the thread.
        tid, first = await busy_thread(sdk)
        crons.append(await thread_cron(sdk, client, tid, "enqueue"))
        _, result = await fire(client, client.get_schedule_handle(SCHEDULE_PREFIX + crons[-1]))
        assert result["outcome"] == "started"
        assert (await sdk.runs.get(tid, first))["status"] == "success"
        assert (await sdk.runs.join(tid, result["run_id"]))["log"] == ["first", "enqueue"]

        # interrupt: the running run is cancelled (as runs.cancel does), the cron's run starts.
        tid, first = await busy_thread(sdk)
        crons.append(await thread_cron(sdk, client, tid, "interrupt"))
        _, result = await fire(client, client.get_schedule_handle(SCHEDULE_PREFIX + crons[-1]))
        assert result["outcome"] == "started"
        assert (await sdk.runs.join(tid, result["run_id"]))["log"] == ["first", "interrupt"]
        assert (await sdk.runs.get(tid, first))["status"] == "interrupted"

        # A thread paused at an interrupt: the new input discards the pause (superseded).
        tid = (await sdk.threads.create())["thread_id"]
        paused = await sdk.runs.wait(tid, "ask", input={"log": []})
        assert "__interrupt__" in paused
        cron = await sdk.crons.create_for_thread(
            tid, "ask", schedule=BY_HAND, input={"log": ["cron"]}
        )
        crons.append(cron["cron_id"])
        _, result = await fire(client, client.get_schedule_handle(SCHEDULE_PREFIX + crons[-1]))
        assert result["outcome"] == "started"
        again = await sdk.runs.join(tid, result["run_id"])
        assert "__interrupt__" in again  # the new run asks again
        assert (await sdk.threads.get(tid))["status"] == "interrupted"
    finally:
        for cron_id in crons:
            await sdk.crons.delete(cron_id)


async def test_a_firing_with_bad_input_fails_at_once(client: Client) -> None:
    """TempographCronFiring started with input it cannot use (by hand, the CLI): the workflow
    fails with InvalidInput at its first task, never a workflow task failing over and over."""
    handle = await client.start_workflow(
        CRON_THREAD_WORKFLOW,
        {"thread_id": "t", "nonsense": 1},
        id=f"bad-firing-{uuid.uuid4().hex}",
        task_queue=TASK_QUEUE,
    )
    with pytest.raises(WorkflowFailureError) as failed:
        await asyncio.wait_for(handle.result(), timeout=30)
    assert "InvalidInput" in repr(failed.value.cause) or "Invalid CronFiring" in str(
        failed.value.cause
    )


async def test_concurrent_enqueued_firings_on_a_busy_thread_each_run_once(
    busy_sdk: LangGraphClient, client: Client
) -> None:
    sdk = busy_sdk
    """Two firings of an enqueue cron while the thread is busy: each waits its turn and starts
    exactly one run; none is lost, none fails (Temporal settles the race for the thread id)."""
    tid, first = await busy_thread(sdk)
    cron_id = await thread_cron(sdk, client, tid, "enqueue")
    handle = client.get_schedule_handle(SCHEDULE_PREFIX + cron_id)
    try:
        one = asyncio.ensure_future(fire(client, handle))
        await asyncio.sleep(1.1)  # firings are named to the second
        two = asyncio.ensure_future(fire(client, handle))
        (id_one, result_one), (id_two, result_two) = await asyncio.gather(one, two)
        assert id_one != id_two
        assert result_one["outcome"] == result_two["outcome"] == "started"
        assert result_one["run_id"] != result_two["run_id"]
        for result in (result_one, result_two):
            await sdk.runs.join(tid, result["run_id"])
        state = await sdk.threads.get_state(tid)
        assert state["values"]["log"] == ["first", "enqueue", "enqueue"]
        runs = await sdk.runs.list(tid)
        assert len(runs) == 3 and {r["status"] for r in runs} == {"success"}
        assert first in {r["run_id"] for r in runs}
    finally:
        await sdk.crons.delete(cron_id)


async def test_workers_register_the_firing_workflow_and_activity(client: Client) -> None:
    """create_worker and TempographPlugin register TempographCronFiring and its activity; a
    versioned worker the auto-upgrading variant (the SDK refuses a versioned worker's
    workflow without a behaviour)."""
    graphs = {"chain": all_graphs()["chain"]}
    plain = create_worker(client, graphs, task_queue=f"q-{uuid.uuid4().hex[:8]}")
    config = plain.config(active_config=True)
    assert CronThread in config["workflows"] and UpgradingCronThread not in config["workflows"]
    assert fire_cron in config["activities"]
    versioned = create_worker(
        client,
        graphs,
        task_queue=f"q-{uuid.uuid4().hex[:8]}",
        deployment=f"d-{uuid.uuid4().hex[:8]}",
        build_id="b1",
    )
    assert UpgradingCronThread in versioned.config(active_config=True)["workflows"]
    plugged = Worker(
        client,
        task_queue=f"q-{uuid.uuid4().hex[:8]}",
        plugins=[TempographPlugin(graphs, deployment=f"d-{uuid.uuid4().hex[:8]}", build_id="b")],
    )
    assert UpgradingCronThread in plugged.config(active_config=True)["workflows"]
    assert fire_cron in plugged.config(active_config=True)["activities"]


async def test_crons_on_a_created_assistant_read_it_at_each_firing(
    sdk: LangGraphClient, client: Client
) -> None:
    """A cron naming a created assistant (stateless, or on a thread) runs with the assistant's
    current config and context under the cron's own, read at each firing: a new version
    applies to the next firing; a deleted assistant takes its crons with it."""
    aid = (
        await sdk.assistants.create("config_context", context={"user_id": "v1", "model_name": "m1"})
    )["assistant_id"]
    crons: list[str] = []
    try:
        cron = await sdk.crons.create(
            aid, schedule=BY_HAND, input={"seen": []}, context={"model_name": "cron-model"}
        )
        crons.append(cron["cron_id"])
        assert cron["assistant_id"] == aid and cron["thread_id"] is None
        handle = client.get_schedule_handle(SCHEDULE_PREFIX + cron["cron_id"])
        # The stateless firing `<cron id>-firing-<time>` runs on the thread `<cron id>-<time>`.
        firing_id, result = await fire(client, handle)
        assert firing_id.startswith(cron["cron_id"] + "-firing-")
        assert result["outcome"] == "started"
        thread = firing_id.replace("-firing-", "-", 1)
        out = await sdk.runs.join(thread, result["run_id"])
        assert out["seen"][0]["context"] == {"user_id": "v1", "model_name": "cron-model"}
        assert (await sdk.runs.get(thread, result["run_id"]))["assistant_id"] == aid
        assert [c["cron_id"] for c in await sdk.crons.search(assistant_id=aid)] == crons
        # The graph's system assistant is another assistant: its filter leaves this cron out.
        assert cron["cron_id"] not in {
            c["cron_id"] for c in await sdk.crons.search(assistant_id="config_context")
        }

        # A new version: the next firing uses it (the cron's own context still wins).
        await sdk.assistants.update(aid, context={"user_id": "v2", "model_name": "m2"})
        await asyncio.sleep(1.1)  # firings are named to the second
        firing_id, result = await fire(client, handle)
        thread = firing_id.replace("-firing-", "-", 1)
        out = await sdk.runs.join(thread, result["run_id"])
        assert out["seen"][0]["context"] == {"user_id": "v2", "model_name": "cron-model"}

        # On a thread: the thread goes on with the assistant's configuration.
        tid = (await sdk.threads.create())["thread_id"]
        on_thread = await sdk.crons.create_for_thread(
            tid, aid, schedule=BY_HAND, input={"seen": []}
        )
        crons.append(on_thread["cron_id"])
        thread_handle = client.get_schedule_handle(SCHEDULE_PREFIX + on_thread["cron_id"])
        _, result = await fire(client, thread_handle)
        out = await sdk.runs.join(tid, result["run_id"])
        assert out["seen"][-1]["context"] == {"user_id": "v2", "model_name": "m2"}

        # Both configurable and context with the assistant's: refused now, as a run would be.
        with pytest.raises(httpx.HTTPStatusError) as both:
            await sdk.crons.create(
                aid,
                schedule=BY_HAND,
                input={"seen": []},
                context={"user_id": "x"},
                config={"configurable": {"model_name": "y"}},
            )
        assert status_of(both.value) == 400
    finally:
        await sdk.assistants.delete(aid)
    # The assistant deleted: a firing starts nothing, and its crons are deleted.
    _, result = await fire(client, client.get_schedule_handle(SCHEDULE_PREFIX + crons[-1]))
    assert result["outcome"] == "assistant_gone"
    with pytest.raises(RPCError) as gone:
        await client.get_schedule_handle(SCHEDULE_PREFIX + crons[-1]).describe()
    assert gone.value.status == RPCStatusCode.NOT_FOUND
    with contextlib.suppress(httpx.HTTPStatusError):
        await sdk.crons.delete(crons[0])


async def test_a_retried_firing_attempt_starts_no_second_run(
    busy_sdk: LangGraphClient, client: Client
) -> None:
    sdk = busy_sdk
    """The fire activity run twice for the same firing (an attempt that started the run but
    failed to report back, retried): the second finds the run the first started."""
    tid = (await sdk.threads.create())["thread_id"]
    await sdk.runs.wait(tid, "slow", input={"log": ["first"]})
    env = ActivityEnvironment(client=client)
    env.info = dataclasses.replace(
        ActivityEnvironment.default_info(),
        workflow_id=f"{uuid.uuid4()}-2026-01-01T00:00:00Z",
        workflow_run_id=str(uuid.uuid4()),
    )
    firing = CronFiring(
        cron_id=str(uuid.uuid4()),
        thread_id=tid,
        task_queue=BUSY_QUEUE,
        run=RunInput(graph="slow", input={"log": ["cron"]}),
    )
    first = await env.run(fire_cron, firing)
    again = await env.run(fire_cron, firing)  # the run is still executing its step
    assert first.outcome == again.outcome == "started" and again.run_id == first.run_id
    assert first.run_id is not None
    assert (await sdk.runs.join(tid, first.run_id))["log"] == ["first", "cron"]
    assert len(await sdk.runs.list(tid)) == 2
