"""The real langgraph-sdk client (0.4.14), unchanged, against Tempograph's Agent Server API served
by uvicorn on a local port; graphs run on the session worker (langgraph-hitl.md §5, §8)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

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
from tests.sample_graphs import ENTRIES, all_graphs

HEX32 = re.compile(r"^[0-9a-f]{32}$")


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


async def test_dynamic_interrupt_pause_resume_finish(sdk: LangGraphClient) -> None:
    thread = await sdk.threads.create(metadata={"user": "ann"})
    tid = thread["thread_id"]
    assert thread["status"] == "idle"

    created: list[Any] = []
    out = await sdk.runs.wait(tid, "ask", input={"log": [], "x": 1}, on_run_created=created.append)
    [interrupt] = out["__interrupt__"]
    assert interrupt["value"] == {"question": "approve?", "x": 1} and HEX32.match(interrupt["id"])
    assert {k: v for k, v in out.items() if k != "__interrupt__"} == {"log": ["a"], "x": 1}
    assert created and created[0]["thread_id"] == tid

    state = await sdk.threads.get_state(tid)
    assert state["next"] == ["ask"] and state["values"] == {"log": ["a"], "x": 1}
    assert state["tasks"][0]["interrupts"] == [{"id": interrupt["id"], "value": interrupt["value"]}]
    t = await sdk.threads.get(tid)
    assert (
        t["status"] == "interrupted"
        and list(t["interrupts"].values())[0][0]["id"] == (interrupt["id"])
    )

    done = await sdk.runs.wait(tid, "ask", command={"resume": "yes"})
    assert done == {"log": ["a", "ask=yes", "b"], "x": 1, "human": "yes"}
    assert ENTRIES[(tid, "ask")] == 2
    t = await sdk.threads.get(tid)
    assert (t["status"], t["interrupts"], t["metadata"]["user"]) == ("idle", {}, "ann")

    history = await sdk.threads.get_history(tid)
    assert history[0]["values"] == done and history[0]["next"] == []
    assert history[-1]["metadata"]["source"] == "input"


async def test_static_breakpoints_at_run_time(sdk: LangGraphClient) -> None:
    tid = (await sdk.threads.create())["thread_id"]
    # Scenario 16: before and after the same node. Run-level breakpoints belong to one run,
    # so each run that should pause sends them again.
    bp = {"interrupt_before": ["b"], "interrupt_after": ["b"]}
    out = await sdk.runs.wait(tid, "chain", input={"log": []}, **bp)
    assert out == {"log": ["a"]}  # no __interrupt__ at a static breakpoint
    assert (await sdk.threads.get_state(tid))["next"] == ["b"]
    assert (await sdk.threads.get(tid))["status"] == "interrupted"
    assert await sdk.runs.wait(tid, "chain", **bp) == {"log": ["a", "b"]}
    assert (await sdk.threads.get_state(tid))["next"] == ["c"]
    assert await sdk.runs.wait(tid, "chain", **bp) == {"log": ["a", "b", "c"]}
    assert (await sdk.threads.get(tid))["status"] == "idle"


async def test_32_a_run_without_breakpoints_runs_to_the_end(sdk: LangGraphClient) -> None:
    tid = (await sdk.threads.create())["thread_id"]
    out = await sdk.runs.wait(tid, "chain", input={"log": []}, interrupt_before=["b"])
    assert out == {"log": ["a"]}
    assert await sdk.runs.wait(tid, "chain") == {"log": ["a", "b", "c"]}
    assert (await sdk.threads.get(tid))["status"] == "idle"


async def test_interrupt_before_star(sdk: LangGraphClient) -> None:
    tid = (await sdk.threads.create())["thread_id"]
    assert await sdk.runs.wait(tid, "chain", input={"log": []}, interrupt_before="*") == {"log": []}
    assert (await sdk.threads.get_state(tid))["next"] == ["a"]
    assert await sdk.runs.wait(tid, "chain", interrupt_before="*") == {"log": ["a"]}
    assert await sdk.runs.wait(tid, "chain", interrupt_before="*") == {"log": ["a", "b"]}


async def test_parallel_interrupts_resume_map(sdk: LangGraphClient) -> None:
    tid = (await sdk.threads.create())["thread_id"]
    out = await sdk.runs.wait(tid, "par", input={"log": []})
    assert list(out) == ["__interrupt__"]
    state = await sdk.threads.get_state(tid)
    assert sorted(state["next"]) == ["qa", "qb"]
    ids = {i["value"]: i["id"] for i in state["interrupts"]}
    assert ids == {i["value"]: i["id"] for i in out["__interrupt__"]}

    with pytest.raises(Exception, match="^AmbiguousResume: When there are multiple pending"):
        await sdk.runs.wait(tid, "par", command={"resume": "single"})
    assert (await sdk.threads.get(tid))["status"] == "error"

    done = await sdk.runs.wait(tid, "par", command={"resume": {ids["q-a"]: "A", ids["q-b"]: "B"}})
    assert sorted(done["log"]) == sorted(["plain", "a=A", "b=B", "join"])
    assert ENTRIES[(tid, "join")] == 1 and ENTRIES[(tid, "p")] == 1


async def test_multi_interrupts_in_one_node(sdk: LangGraphClient) -> None:
    tid = (await sdk.threads.create())["thread_id"]
    first = await sdk.runs.wait(tid, "multi", input={"log": []})
    second = await sdk.runs.wait(tid, "multi", command={"resume": "X"})
    assert [first["__interrupt__"][0]["value"], second["__interrupt__"][0]["value"]] == [
        "first",
        "second",
    ]
    assert first["__interrupt__"][0]["id"] != second["__interrupt__"][0]["id"]
    assert await sdk.runs.wait(tid, "multi", command={"resume": "Y"}) == {"log": ["X+Y"]}


async def test_update_state_then_continue(sdk: LangGraphClient) -> None:
    tid = (await sdk.threads.create())["thread_id"]
    await sdk.runs.wait(tid, "chain", input={"log": []}, interrupt_before=["b"])
    response = await sdk.threads.update_state(tid, {"log": ["human"]})
    assert response["checkpoint"]["thread_id"] == tid
    state = await sdk.threads.get_state(tid)
    assert (state["values"], state["next"]) == ({"log": ["a", "human"]}, ["b"])
    await sdk.threads.update_state(tid, None, as_node="b")  # skip b
    assert (await sdk.threads.get_state(tid))["next"] == ["c"]
    assert await sdk.runs.wait(tid, "chain") == {"log": ["a", "human", "c"]}
    assert ENTRIES[(tid, "b")] == 0

    updates = await sdk.threads.get_history(tid, metadata={"source": "update"})
    assert len(updates) == 2
    newest_two = await sdk.threads.get_history(tid, limit=2)
    older = await sdk.threads.get_history(tid, limit=100, before=newest_two[1]["checkpoint"])
    assert older and older[0]["checkpoint_id"] not in {s["checkpoint_id"] for s in newest_two}

    with pytest.raises(httpx.HTTPStatusError) as err:
        await sdk.threads.update_state(tid, {"log": ["x"]}, as_node="nope")
    assert err.value.response.status_code in (400, 409)


async def test_resume_with_update_and_goto(sdk: LangGraphClient) -> None:
    tid = (await sdk.threads.create())["thread_id"]
    await sdk.runs.wait(tid, "ask", input={"log": [], "x": 0})
    done = await sdk.runs.wait(
        tid, "ask", command={"resume": "ok", "update": {"x": 5}, "goto": "c"}
    )
    assert done["x"] == 5 and "ask=ok" in done["log"] and "c" in done["log"]


async def test_runs_create_join_get_list(sdk: LangGraphClient) -> None:
    tid = (await sdk.threads.create())["thread_id"]
    run = await sdk.runs.create(tid, "ask", input={"log": [], "x": 2})
    assert run["status"] in ("pending", "running", "success")
    joined = await sdk.runs.join(tid, run["run_id"])
    assert joined["__interrupt__"][0]["value"] == {"question": "approve?", "x": 2}
    assert (await sdk.runs.get(tid, run["run_id"]))["status"] == "success"

    resumed = await sdk.runs.create(tid, "ask", command={"resume": "later"})
    done = await sdk.runs.join(tid, resumed["run_id"])
    assert done["human"] == "later"
    runs = await sdk.runs.list(tid)
    assert run["run_id"] in {r["run_id"] for r in runs}
    assert all(r["status"] == "success" for r in runs)


async def test_stateless_run_and_assistants(sdk: LangGraphClient) -> None:
    assert await sdk.runs.wait(None, "chain", input={"log": ["s"]}) == {"log": ["s", "a", "b", "c"]}
    [assistant] = await sdk.assistants.search(graph_id="chain")
    assert assistant["metadata"] == {"created_by": "system"}
    assert (await sdk.assistants.get(assistant["assistant_id"]))["graph_id"] == "chain"
    # A run may name the assistant by its UUID as well as by graph name.
    out = await sdk.runs.wait(None, assistant["assistant_id"], input={"log": []})
    assert out == {"log": ["a", "b", "c"]}


async def test_errors_through_the_sdk(sdk: LangGraphClient) -> None:
    tid = (await sdk.threads.create())["thread_id"]
    with pytest.raises(Exception, match="^ValueError: kaboom$"):
        await sdk.runs.wait(tid, "failing", input={"n": 1})
    assert (await sdk.threads.get(tid))["status"] == "error"

    with pytest.raises(httpx.HTTPStatusError) as err:
        await sdk.runs.wait("no-such-thread", "chain", input={"log": []})
    assert err.value.response.status_code == 404
    assert err.value.response.json() == {"detail": "Thread or assistant not found."}

    with pytest.raises(httpx.HTTPStatusError) as err:
        await sdk.threads.get("no-such-thread")
    assert err.value.response.status_code == 404

    busy = (await sdk.threads.create())["thread_id"]
    run = await sdk.runs.create(busy, "slow", input={})
    with pytest.raises(httpx.HTTPStatusError) as err:
        await sdk.runs.wait(busy, "slow", input={}, multitask_strategy="reject")
    assert err.value.response.status_code == 409
    # The default strategy (enqueue) waits for the in-flight run, then runs.
    queued = await sdk.runs.wait(busy, "slow", input={"n": 5})
    assert queued["n"] == 1
    assert (await sdk.runs.get(busy, run["run_id"]))["status"] == "success"


async def test_api_key(client: Client, worker: Worker) -> None:
    app = create_app(GraphClient(client, task_queue=TASK_QUEUE), ["chain"], api_token="k3y")
    async with serve(app) as base:
        anonymous = get_client(url=base, api_key=None)
        with pytest.raises(httpx.HTTPStatusError) as err:
            await anonymous.assistants.search()
        assert err.value.response.status_code == 401
        await anonymous.aclose()
        keyed = get_client(url=base, api_key="k3y")  # sent as x-api-key
        assert await keyed.runs.wait(None, "chain", input={"log": []}) == {"log": ["a", "b", "c"]}
        await keyed.aclose()


async def test_stream_values_updates_and_errors(sdk: LangGraphClient) -> None:
    tid = (await sdk.threads.create())["thread_id"]
    parts = [p async for p in sdk.runs.stream(tid, "ask", input={"log": [], "x": 1})]
    assert parts[0].event == "metadata" and parts[0].data["run_id"]
    values = [p.data for p in parts if p.event == "values"]
    assert values[0] == {"log": [], "x": 1}  # the input, then the state after each step
    assert values[-2] == {"log": ["a"], "x": 1}
    [interrupt] = values[-1]["__interrupt__"]
    assert interrupt["value"] == {"question": "approve?", "x": 1}

    parts = [
        p
        async for p in sdk.runs.stream(
            tid, "ask", command={"resume": "yes"}, stream_mode=["values", "updates"]
        )
    ]
    values = [p.data for p in parts if p.event == "values"]
    assert values[0] == {"log": ["a"], "x": 1}  # a resume starts from the current state
    assert values[-1] == {"log": ["a", "ask=yes", "b"], "x": 1, "human": "yes"}
    # One chunk per node task as its superstep finishes, the resumed node included.
    updates = [p.data for p in parts if p.event == "updates"]
    assert updates == [{"ask": {"log": ["ask=yes"], "human": "yes"}}, {"b": {"log": ["b"]}}]

    chain = (await sdk.threads.create())["thread_id"]
    parts = [
        p
        async for p in sdk.runs.stream(
            chain, "chain", input={"log": []}, interrupt_after=["a"], stream_mode="updates"
        )
    ]
    assert [(p.event, p.data) for p in parts[1:]] == [
        ("updates", {"a": {"log": ["a"]}}),
        ("updates", {"__interrupt__": []}),
    ]
    # A dynamic interrupt: the nodes before it, then the interrupt chunk.
    asked = (await sdk.threads.create())["thread_id"]
    parts = [
        p
        async for p in sdk.runs.stream(
            asked, "ask", input={"log": [], "x": 2}, stream_mode="updates"
        )
    ]
    assert [p.data for p in parts[1:-1]] == [{"a": {"log": ["a"]}}]
    [pending] = parts[-1].data["__interrupt__"]
    assert pending["value"] == {"question": "approve?", "x": 2}

    parts = [p async for p in sdk.runs.stream(None, "failing", input={"n": 1})]
    assert (parts[-1].event, parts[-1].data) == (
        "error",
        {"error": "ValueError", "message": "kaboom"},
    )
