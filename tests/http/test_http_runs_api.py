"""The runs and threads items of the Agent Server API through the real langgraph-sdk (0.4.14)
against Tempograph served by uvicorn: runs.create queued behind a running run (enqueue,
answered at once as "pending"), runs.delete, runs.cancel_many, multitask_strategy="rollback",
runs.create_batch, after_seconds, a malformed command.goto Send (refused), threads.copy and
threads.prune."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from temporalio.client import Client
from temporalio.worker import Worker

from tempograph import GraphClient
from tempograph.http import create_app
from tempograph.http.testing import serve
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


async def refused(call: object, status: int) -> str:
    with pytest.raises(httpx.HTTPStatusError) as err:
        await call  # type: ignore[misc]
    assert err.value.response.status_code == status, err.value.response.text
    detail: str = err.value.response.json()["detail"]
    return detail


async def test_enqueue_answers_at_once_pending_then_runs(sdk: LangGraphClient) -> None:
    tid = (await sdk.threads.create())["thread_id"]
    first = await sdk.runs.create(tid, "slow", input={})
    started = time.monotonic()
    queued = await sdk.runs.create(tid, "slow", input={"n": 5}, multitask_strategy="enqueue")
    assert time.monotonic() - started < 1.0  # the first run naps 1.5 s
    assert queued["status"] == "pending" and queued["run_id"] != first["run_id"]
    assert (await sdk.runs.get(tid, queued["run_id"]))["status"] == "pending"
    assert (await sdk.threads.get(tid))["status"] == "busy"
    # Its turn comes once the first run has ended; the id it was given stays its id.
    assert (await sdk.runs.join(tid, queued["run_id"]))["n"] == 1
    got = await sdk.runs.get(tid, queued["run_id"])
    assert (got["run_id"], got["status"]) == (queued["run_id"], "success")
    assert (await sdk.runs.get(tid, first["run_id"]))["status"] == "success"


async def logs(sdk: LangGraphClient, tid: str) -> list[list[str]]:
    return [c["values"].get("log", []) for c in await sdk.threads.get_history(tid, limit=100)]


async def test_delete_run_returns_the_thread_to_before_it(sdk: LangGraphClient) -> None:
    tid = (await sdk.threads.create())["thread_id"]
    one = await sdk.runs.create(tid, "slow", input={"log": ["one"]})
    await sdk.runs.join(tid, one["run_id"])
    two = await sdk.runs.create(tid, "slow", input={"log": ["two"]})
    assert "in flight" in await refused(sdk.runs.delete(tid, two["run_id"]), 409)
    await sdk.runs.join(tid, two["run_id"])
    assert (await sdk.threads.get_state(tid))["values"]["log"] == ["one", "two"]

    await sdk.runs.delete(tid, two["run_id"])
    await refused(sdk.runs.get(tid, two["run_id"]), 404)
    await refused(sdk.runs.delete(tid, two["run_id"]), 404)
    assert two["run_id"] not in [r["run_id"] for r in await sdk.runs.list(tid)]
    assert (await sdk.threads.get_state(tid))["values"] == {"log": ["one"], "n": 1}
    assert not [log for log in await logs(sdk, tid) if "two" in log]
    assert (await sdk.threads.get(tid))["status"] == "idle"
    # The thread goes on from there.
    assert (await sdk.runs.wait(tid, "slow", input={"log": ["three"]}))["log"] == ["one", "three"]
    # An older run: deleted with its checkpoints; the thread's state is unchanged.
    await sdk.runs.delete(tid, one["run_id"])
    assert (await sdk.threads.get_state(tid))["values"]["log"] == ["one", "three"]
    await refused(sdk.runs.get(tid, one["run_id"]), 404)
    await refused(sdk.runs.delete(tid, "no-such-run"), 404)


async def test_multitask_rollback_deletes_the_cancelled_run(sdk: LangGraphClient) -> None:
    tid = (await sdk.threads.create())["thread_id"]
    one = await sdk.runs.create(tid, "slow", input={"log": ["one"]})
    await sdk.runs.join(tid, one["run_id"])
    two = await sdk.runs.create(tid, "slow", input={"log": ["two"]})
    while not [log for log in await logs(sdk, tid) if "two" in log]:
        await asyncio.sleep(0.05)  # its node is running
    three = await sdk.runs.create(
        tid, "slow", input={"log": ["three"]}, multitask_strategy="rollback"
    )
    assert (await sdk.runs.join(tid, three["run_id"]))["log"] == ["one", "three"]
    await refused(sdk.runs.get(tid, two["run_id"]), 404)
    assert not [log for log in await logs(sdk, tid) if "two" in log]
    listed = [r["run_id"] for r in await sdk.runs.list(tid)]
    assert three["run_id"] in listed and two["run_id"] not in listed


async def test_cancel_many(sdk: LangGraphClient) -> None:
    tid = (await sdk.threads.create())["thread_id"]
    run = await sdk.runs.create(tid, "slow", input={})
    await sdk.runs.cancel_many(thread_id=tid, run_ids=[run["run_id"]])
    await sdk.runs.join(tid, run["run_id"])
    assert (await sdk.runs.get(tid, run["run_id"]))["status"] == "interrupted"
    detail = await refused(sdk.runs.cancel_many(thread_id=tid, run_ids=[run["run_id"]]), 404)
    assert detail == "No runs found to cancel."

    # By status: every run executing a step.
    other = (await sdk.threads.create())["thread_id"]
    busy = await sdk.runs.create(other, "slow", input={})
    queued = await sdk.runs.create(other, "slow", input={"log": ["q"]})
    assert queued["status"] == "pending"
    await sdk.runs.cancel_many(status="pending")
    assert (await sdk.runs.get(other, queued["run_id"]))["status"] == "interrupted"
    await sdk.runs.cancel_many(status="running")
    await sdk.runs.join(other, busy["run_id"])
    assert (await sdk.runs.get(other, busy["run_id"]))["status"] == "interrupted"

    # With rollback, the cancelled run is deleted.
    gone = await sdk.runs.create(other, "slow", input={"log": ["gone"]})
    await sdk.runs.cancel_many(thread_id=other, run_ids=[gone["run_id"]], action="rollback")
    await refused(sdk.runs.get(other, gone["run_id"]), 404)
    assert not [log for log in await logs(sdk, other) if "gone" in log]

    await refused(sdk.runs.cancel_many(thread_id=tid, run_ids=["x"], status="all"), 422)
    await refused(sdk.runs.cancel_many(thread_id=tid), 422)


async def test_create_batch(sdk: LangGraphClient) -> None:
    runs = await sdk.runs.create_batch(
        [
            {"assistant_id": "chain", "input": {"log": []}, "on_completion": "keep"},
            {"assistant_id": "ask", "input": {"log": [], "x": 3}, "on_completion": "keep"},
        ]
    )
    assert [r["assistant_id"] for r in runs] == [
        (await sdk.assistants.search(graph_id=g))[0]["assistant_id"] for g in ("chain", "ask")
    ]
    assert len({r["thread_id"] for r in runs}) == 2
    chain, ask = runs
    assert await sdk.runs.join(chain["thread_id"], chain["run_id"]) == {"log": ["a", "b", "c"]}
    asked = await sdk.runs.join(ask["thread_id"], ask["run_id"])
    assert asked["__interrupt__"][0]["value"] == {"question": "approve?", "x": 3}
    # One bad body: nothing starts.
    before = len(await sdk.threads.search(limit=1000))
    detail = await refused(
        sdk.runs.create_batch(
            [{"assistant_id": "chain", "input": {}}, {"assistant_id": "chain", "after_seconds": -1}]
        ),
        422,
    )
    assert "after_seconds" in detail
    assert len(await sdk.threads.search(limit=1000)) == before


async def test_after_seconds_delays_a_new_threads_run_in_temporal(
    sdk: LangGraphClient, client: Client
) -> None:
    tid = (await sdk.threads.create())["thread_id"]
    started = time.monotonic()
    run = await sdk.runs.create(tid, "chain", input={"log": []}, after_seconds=2)
    assert time.monotonic() - started < 1.5
    assert run["status"] == "pending"
    assert (await sdk.runs.get(tid, run["run_id"]))["status"] == "pending"
    assert (await sdk.threads.get(tid))["status"] == "busy"
    # Temporal holds the delay (start_delay): durable, whatever becomes of this process.
    desc = await client.get_workflow_handle(tid).describe()
    assert desc.execution_time is not None
    assert (desc.execution_time - desc.start_time).total_seconds() >= 2
    assert await sdk.runs.join(tid, run["run_id"]) == {"log": ["a", "b", "c"]}
    assert time.monotonic() - started >= 2
    assert (await sdk.runs.get(tid, run["run_id"]))["status"] == "success"
    # A thread with runs: its next run continues them, and cannot be delayed.
    detail = await refused(sdk.runs.create(tid, "chain", input={"log": []}, after_seconds=1), 422)
    assert detail.startswith("after_seconds: only a run with input on a thread without runs")
    # Stateless: a new thread each time.
    assert await sdk.runs.wait(None, "chain", input={"log": []}, after_seconds=1) == {
        "log": ["a", "b", "c"]
    }


async def test_a_malformed_goto_send_is_refused_naming_it(sdk: LangGraphClient) -> None:
    """A Send is {"node", "input"} on the wire (tests/http/test_http_goto_send.py runs them);
    another shape is refused (422 naming command.goto) through runs.wait, runs.create and
    runs.stream, before anything starts."""
    tid = (await sdk.threads.create())["thread_id"]
    await sdk.runs.wait(tid, "ask", input={"log": [], "x": 1})
    detail = await refused(
        sdk.runs.wait(tid, "ask", command={"resume": "yes", "goto": {"node": "c", "arg": {}}}),
        422,
    )
    assert detail.startswith("command.goto: a node name or a Send"), detail
    mixed = {"resume": "yes", "goto": ["c", {"node": "c", "arg": {"x": 2}}]}
    assert "command.goto[1]" in await refused(sdk.runs.wait(tid, "ask", command=mixed), 422)
    assert "command.goto[1]" in await refused(sdk.runs.create(tid, "ask", command=mixed), 422)
    async with httpx.AsyncClient(base_url=str(sdk.http.client.base_url)) as http:
        r = await http.post(
            f"/threads/{tid}/runs/stream", json={"assistant_id": "ask", "command": mixed}
        )
    assert r.status_code == 422 and "command.goto" in r.text
    assert (await sdk.threads.get(tid))["status"] == "interrupted"  # nothing happened
    assert len(await sdk.runs.list(tid)) == 1


async def test_copy_thread(sdk: LangGraphClient) -> None:
    # Finished: the copy has the same values and metadata, its own id, and goes on alone.
    tid = (await sdk.threads.create(metadata={"owner": "ann"}))["thread_id"]
    await sdk.runs.wait(tid, "chain", input={"log": []})
    copy = await sdk.threads.copy(tid)
    assert copy["thread_id"] != tid and copy["metadata"]["owner"] == "ann"
    assert copy["status"] == "idle" and copy["values"] == {"log": ["a", "b", "c"]}
    assert (await sdk.runs.wait(copy["thread_id"], "chain", input={"log": ["x"]}))["log"][:4] == [
        "a",
        "b",
        "c",
        "x",
    ]
    assert (await sdk.threads.get_state(tid))["values"] == {"log": ["a", "b", "c"]}

    # Paused at an interrupt: the copy asks the same question; answering it leaves the
    # original paused.
    asked = (await sdk.threads.create())["thread_id"]
    await sdk.runs.wait(asked, "ask", input={"log": [], "x": 1})
    twin = await sdk.threads.copy(asked)
    assert twin["status"] == "interrupted"
    [pending] = (await sdk.threads.get_state(twin["thread_id"]))["interrupts"]
    assert pending["value"] == {"question": "approve?", "x": 1}
    done = await sdk.runs.wait(twin["thread_id"], "ask", command={"resume": "no"})
    assert done["human"] == "no"
    assert (await sdk.threads.get(asked))["status"] == "interrupted"

    # At a breakpoint: the copy waits before the same node.
    held = (await sdk.threads.create())["thread_id"]
    await sdk.runs.wait(held, "chain", input={"log": []}, interrupt_before=["b"])
    waiting = await sdk.threads.copy(held)
    assert (await sdk.threads.get_state(waiting["thread_id"]))["next"] == ["b"]
    assert await sdk.runs.wait(waiting["thread_id"], "chain") == {"log": ["a", "b", "c"]}

    # A thread never run: an empty copy. An unknown thread: 409, as the Agent Server.
    empty = await sdk.threads.copy((await sdk.threads.create())["thread_id"])
    assert empty["status"] == "idle" and empty["values"] is None
    await refused(sdk.threads.copy("no-such-thread"), 409)


async def test_prune_threads(sdk: LangGraphClient) -> None:
    a = (await sdk.threads.create())["thread_id"]
    b = (await sdk.threads.create())["thread_id"]
    await sdk.runs.wait(b, "chain", input={"log": []})
    assert await sdk.threads.prune([a, b, "no-such-thread"]) == {"pruned_count": 2}
    await refused(sdk.threads.get(a), 404)
    await refused(sdk.threads.get(b), 404)
    assert await sdk.threads.prune([]) == {"pruned_count": 0}
    detail = await refused(sdk.threads.prune([a], strategy="keep_latest"), 422)
    assert "keep_latest" in detail


async def test_cancel_answers_as_the_agent_server(url: str, sdk: LangGraphClient) -> None:
    """POST .../cancel: 202 at once; with wait=1, 200 and the cancelled run's values once it
    has stopped (langgraph-api's cancel_run); with rollback and wait, null (it is deleted)."""
    async with httpx.AsyncClient(base_url=url, timeout=60) as api:
        for wait, action, code in ((0, "interrupt", 202), (1, "interrupt", 200)):
            tid = (await sdk.threads.create())["thread_id"]
            run = await sdk.runs.create(tid, "slow", input={"log": ["a"]})
            r = await api.post(
                f"/threads/{tid}/runs/{run['run_id']}/cancel",
                params={"wait": wait, "action": action},
            )
            assert r.status_code == code, r.text
            if wait:
                assert r.json()["log"] == ["a"]
                assert r.headers["location"].endswith(f"/runs/{run['run_id']}/join")
            await sdk.runs.join(tid, run["run_id"])
            assert (await sdk.runs.get(tid, run["run_id"]))["status"] == "interrupted"
        tid = (await sdk.threads.create())["thread_id"]
        run = await sdk.runs.create(tid, "slow", input={"log": ["b"]})
        r = await api.post(
            f"/threads/{tid}/runs/{run['run_id']}/cancel",
            params={"wait": 1, "action": "rollback"},
        )
        assert (r.status_code, r.json()) == (200, None)
        await refused(sdk.runs.get(tid, run["run_id"]), 404)
        # The SDK takes both answers.
        run = await sdk.runs.create(tid, "slow", input={})
        assert await sdk.runs.cancel(tid, run["run_id"]) is None
        await sdk.runs.join(tid, run["run_id"])
        run = await sdk.runs.create(tid, "slow", input={"log": ["c"]})
        assert (await sdk.runs.cancel(tid, run["run_id"], wait=True))["log"] == ["c"]
