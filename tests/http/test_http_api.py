"""The Agent Server HTTP API over plain HTTP (cURL-style calls through httpx), against graphs run
by the session worker: langgraph-hitl.md §5 and scenarios 29-35."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.worker import Worker

from tempograph import GraphClient
from tempograph._workflows.thread_record import ThreadRecord
from tempograph.http import create_app
from tempograph.messages import THREAD_PATCH_UPDATE, ThreadMetadata, thread_record_id
from tests.conftest import TASK_QUEUE
from tests.http.test_http_processes import server_process
from tests.sample_graphs import ENTRIES, all_graphs

HEX32 = re.compile(r"^[0-9a-f]{32}$")
BUSY = (
    "Thread is already running a task. Wait for it to finish or choose a different multitask "
    "strategy."
)
ASK_ID = str(uuid.uuid5(uuid.UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8"), "ask"))


@pytest_asyncio.fixture(scope="module")
async def api(client: Client, worker: Worker) -> AsyncIterator[httpx.AsyncClient]:
    async with server_process(client) as http:
        yield http


async def new_thread(api: httpx.AsyncClient, **body: Any) -> str:
    r = await api.post("/threads", json=body)
    assert r.status_code == 200, r.text
    return str(r.json()["thread_id"])


async def wait(api: httpx.AsyncClient, thread: str, **body: Any) -> httpx.Response:
    return await api.post(f"/threads/{thread}/runs/wait", json=body)


async def test_assistants(api: httpx.AsyncClient) -> None:
    r = await api.post("/assistants/search", json={"graph_id": "ask", "limit": 10, "offset": 0})
    assert r.status_code == 200
    [assistant] = r.json()
    assert assistant["assistant_id"] == ASK_ID  # the real server's system assistant id
    assert (assistant["graph_id"], assistant["metadata"]) == ("ask", {"created_by": "system"})
    assert (await api.get(f"/assistants/{ASK_ID}")).json()["graph_id"] == "ask"
    assert (await api.get("/assistants/ask")).json()["assistant_id"] == ASK_ID
    r = await api.get("/assistants/nope")
    assert (r.status_code, r.json()) == (404, {"detail": "Assistant nope not found"})


async def test_29_dynamic_interrupt_thread_status_and_resume(api: httpx.AsyncClient) -> None:
    thread = await new_thread(api, metadata={"owner": "qa"})
    fresh = (await api.get(f"/threads/{thread}")).json()
    assert (fresh["status"], fresh["values"], fresh["metadata"]) == ("idle", None, {"owner": "qa"})

    r = await wait(api, thread, assistant_id="ask", input={"log": [], "x": 1})
    assert r.status_code == 200
    body = r.json()
    [interrupt] = body["__interrupt__"]
    assert HEX32.match(interrupt["id"])
    assert body == {
        "log": ["a"],
        "x": 1,
        "__interrupt__": [
            {
                "value": {"question": "approve?", "x": 1},
                "id": interrupt["id"],
                "response_schema": None,
            }
        ],
    }
    run_url = r.headers["content-location"]
    assert r.headers["location"] == f"{run_url}/join"

    t = (await api.get(f"/threads/{thread}")).json()
    assert t["status"] == "interrupted"
    [(task_id, items)] = t["interrupts"].items()
    assert items == [{"id": interrupt["id"], "value": {"question": "approve?", "x": 1}}]
    assert t["metadata"]["owner"] == "qa" and t["metadata"]["graph_id"] == "ask"
    assert (await api.get(run_url)).json()["status"] == "success"  # a HITL pause is a success

    state = (await api.get(f"/threads/{thread}/state")).json()
    assert state["next"] == ["ask"] and state["values"] == {"log": ["a"], "x": 1}
    assert state["tasks"][0]["id"] == task_id and state["tasks"][0]["name"] == "ask"
    assert state["interrupts"] == items
    assert state["checkpoint"]["thread_id"] == thread and state["parent_checkpoint"] is not None

    # Join returns what wait returned.
    assert (await api.get(f"{run_url}/join")).json() == body

    r = await wait(api, thread, assistant_id="ask", command={"resume": "yes"})
    assert r.json() == {"log": ["a", "ask=yes", "b"], "x": 1, "human": "yes"}
    assert ENTRIES[(thread, "ask")] == 2 and ENTRIES[(thread, "a")] == 1
    t = (await api.get(f"/threads/{thread}")).json()
    assert (t["status"], t["interrupts"], t["values"]["human"]) == ("idle", {}, "yes")

    # Scenario 14: resuming a finished thread returns its final values; nothing runs.
    r = await wait(api, thread, assistant_id="ask", command={"resume": "again"})
    assert r.json() == {"log": ["a", "ask=yes", "b"], "x": 1, "human": "yes"}
    assert ENTRIES[(thread, "ask")] == 2


async def test_5_6_parallel_interrupts_error_envelope_then_resume_map(
    api: httpx.AsyncClient,
) -> None:
    thread = await new_thread(api)
    r = await wait(api, thread, assistant_id="par", input={"log": []})
    body = r.json()
    assert list(body) == ["__interrupt__"]  # several interrupts: no state keys (scenario 30)
    ids = {i["value"]: i["id"] for i in body["__interrupt__"]}
    assert set(ids) == {"q-a", "q-b"}

    # A scalar resume with 2 pending: HTTP 200 with __error__; the thread shows the error but
    # keeps both interrupts, and a correct resume still works.
    r = await wait(api, thread, assistant_id="par", command={"resume": "single"})
    assert r.status_code == 200
    error = r.json()["__error__"]
    assert error["error"] == "AmbiguousResume"
    assert error["message"].startswith("When there are multiple pending interrupts")
    t = (await api.get(f"/threads/{thread}")).json()
    assert t["status"] == "error" and t["error"] == error
    assert sum(len(v) for v in t["interrupts"].values()) == 2
    assert (await api.get(r.headers["content-location"])).json()["status"] == "error"

    r = await wait(api, thread, assistant_id="par", command={"resume": {ids["q-a"]: "A"}})
    assert [i["id"] for i in r.json()["__interrupt__"]] == [ids["q-b"]]
    r = await wait(api, thread, assistant_id="par", command={"resume": {ids["q-b"]: "B"}})
    assert sorted(r.json()["log"]) == sorted(["plain", "a=A", "b=B", "join"])
    assert (await api.get(f"/threads/{thread}")).json()["status"] == "idle"


async def test_31_missing_thread_create_and_stateless(api: httpx.AsyncClient) -> None:
    missing = str(uuid.uuid4())
    r = await wait(api, missing, assistant_id="chain", input={"log": []})
    assert (r.status_code, r.json()) == (404, {"detail": "Thread or assistant not found."})
    r = await wait(api, missing, assistant_id="chain", input={"log": []}, if_not_exists="create")
    assert (r.status_code, r.json()) == (200, {"log": ["a", "b", "c"]})

    r = await api.post("/runs/wait", json={"assistant_id": "chain", "command": {"resume": 1}})
    assert (r.status_code, r.json()) == (
        400,
        {"detail": "You must provide a thread_id when resuming."},
    )
    r = await api.post("/runs/wait", json={"assistant_id": "chain", "input": {"log": ["s"]}})
    assert (r.status_code, r.json()) == (200, {"log": ["s", "a", "b", "c"]})

    r = await wait(api, missing, assistant_id="nope", input={})
    assert (r.status_code, r.json()) == (404, {"detail": "Thread or assistant not found."})


async def test_32_static_breakpoint_over_http(api: httpx.AsyncClient) -> None:
    thread = await new_thread(api)
    r = await wait(api, thread, assistant_id="chain", input={"log": []}, interrupt_before=["b"])
    assert r.json() == {"log": ["a"]}  # values only: no __interrupt__ at a static breakpoint
    t = (await api.get(f"/threads/{thread}")).json()
    assert (t["status"], t["interrupts"]) == ("interrupted", {})
    assert (await api.get(f"/threads/{thread}/state")).json()["next"] == ["b"]
    r = await wait(api, thread, assistant_id="chain")
    assert r.json() == {"log": ["a", "b", "c"]}
    assert (await api.get(f"/threads/{thread}")).json()["status"] == "idle"


async def test_13_new_input_discards_the_pause(api: httpx.AsyncClient) -> None:
    thread = await new_thread(api)
    before_b = {"assistant_id": "chain", "interrupt_before": ["b"]}
    assert (await wait(api, thread, **before_b, input={"log": ["x"]})).json() == {"log": ["x", "a"]}
    r = await wait(api, thread, **before_b, input={"log": ["y"]})
    assert r.json() == {"log": ["x", "a", "y", "a"]}
    assert (await api.get(f"/threads/{thread}/state")).json()["next"] == ["b"]
    runs = (await api.get(f"/threads/{thread}/runs")).json()
    assert len(runs) == 2 and {r["status"] for r in runs} == {"success"}


async def test_21_22_update_state_and_history(api: httpx.AsyncClient) -> None:
    thread = await new_thread(api)
    before_b = {"assistant_id": "chain", "interrupt_before": ["b"]}
    await wait(api, thread, **before_b, input={"log": []})

    r = await api.post(
        f"/threads/{thread}/state", json={"values": {"log": ["nope"]}, "as_node": "nope"}
    )
    assert (r.status_code, r.json()) == (400, {"detail": "Node nope does not exist"})
    r = await api.post(f"/threads/{thread}/state", json={"values": {"log": ["human"]}})
    assert r.status_code == 200
    update = r.json()
    assert update["checkpoint"]["thread_id"] == thread
    assert update["checkpoint_id"] == update["configurable"]["checkpoint_id"]
    state = (await api.get(f"/threads/{thread}/state")).json()
    assert (state["values"], state["next"]) == ({"log": ["a", "human"]}, ["b"])
    assert state["metadata"]["source"] == "update"

    # Skip b: update as if b had run.
    r = await api.post(
        f"/threads/{thread}/state", json={"values": {"log": ["as-b"]}, "as_node": "b"}
    )
    assert r.status_code == 200
    assert (await api.get(f"/threads/{thread}/state")).json()["next"] == ["c"]
    assert (await wait(api, thread, assistant_id="chain")).json() == {
        "log": ["a", "human", "as-b", "c"]
    }

    history = (await api.post(f"/threads/{thread}/history", json={"limit": 100})).json()
    assert [h["metadata"]["source"] for h in history][-1] == "input"
    assert history[0]["values"] == {"log": ["a", "human", "as-b", "c"]} and history[0]["next"] == []
    assert [h["metadata"]["source"] for h in history].count("update") == 2
    top2 = (await api.post(f"/threads/{thread}/history", json={"limit": 2})).json()
    assert [h["checkpoint_id"] for h in top2] == [h["checkpoint_id"] for h in history[:2]]
    # `before` as an id, a checkpoint object, or a config.
    second = history[1]["checkpoint_id"]
    for before in (
        second,
        {"checkpoint_id": second},
        {"configurable": {"checkpoint_id": second}},
    ):
        older = (
            await api.post(f"/threads/{thread}/history", json={"limit": 100, "before": before})
        ).json()
        assert [h["checkpoint_id"] for h in older] == [h["checkpoint_id"] for h in history[2:]]
    updates = (
        await api.post(
            f"/threads/{thread}/history", json={"limit": 10, "metadata": {"source": "update"}}
        )
    ).json()
    assert len(updates) == 2
    at = (await api.get(f"/threads/{thread}/state/{second}")).json()
    assert at["checkpoint_id"] == second

    # update_state on a thread whose run is finished: a new checkpoint with the edit
    # (LangGraph; GraphClient.update_state starts a run from the last checkpoint).
    r = await api.post(f"/threads/{thread}/state", json={"values": {"log": ["late"]}})
    assert r.status_code == 200, r.text
    state = (await api.get(f"/threads/{thread}/state")).json()
    assert state["values"]["log"][-1] == "late" and state["next"] == []


async def test_reject_busy_thread_then_join(api: httpx.AsyncClient) -> None:
    thread = await new_thread(api)
    r = await api.post(f"/threads/{thread}/runs", json={"assistant_id": "slow", "input": {}})
    assert r.status_code == 200
    run = r.json()
    assert run["status"] in ("pending", "running") and run["thread_id"] == thread
    assert r.headers["content-location"] == f"/threads/{thread}/runs/{run['run_id']}"
    assert (await api.get(f"/threads/{thread}")).json()["status"] == "busy"

    r = await wait(api, thread, assistant_id="slow", input={}, multitask_strategy="reject")
    assert (r.status_code, r.json()) == (409, {"detail": BUSY})
    r = await api.post(f"/threads/{thread}/state", json={"values": {"n": 5}})
    assert r.status_code == 409 and "in-flight runs" in r.json()["detail"]

    joined = await api.get(f"/threads/{thread}/runs/{run['run_id']}/join")
    assert joined.json() == {"log": [], "n": 1}
    got = (await api.get(f"/threads/{thread}/runs/{run['run_id']}")).json()
    assert got["status"] == "success"
    listed = (await api.get(f"/threads/{thread}/runs")).json()
    assert [r["run_id"] for r in listed] == [run["run_id"]]


async def test_34_cancel_then_continue(api: httpx.AsyncClient) -> None:
    thread = await new_thread(api)
    run = (
        await api.post(f"/threads/{thread}/runs", json={"assistant_id": "slow", "input": {"n": 0}})
    ).json()
    while not (await api.post(f"/threads/{thread}/history", json={"limit": 1})).json():
        await asyncio.sleep(0.02)  # cancel while the node runs
    r = await api.post(
        f"/threads/{thread}/runs/{run['run_id']}/cancel", params={"wait": 1, "action": "interrupt"}
    )
    assert r.status_code == 200  # the Agent Server: 200 with the run's result when waited on
    assert (await api.get(f"/threads/{thread}/runs/{run['run_id']}")).json()["status"] == (
        "interrupted"
    )
    t = (await api.get(f"/threads/{thread}")).json()
    assert t["status"] == "interrupted" and t["error"]["error"] == "UserInterrupt", t
    # A run without input continues from the latest checkpoint.
    assert (await wait(api, thread, assistant_id="slow")).json() == {"log": [], "n": 1}
    # Nothing left to cancel.
    r = await api.post(f"/threads/{thread}/runs/{run['run_id']}/cancel")
    assert r.status_code == 409


async def test_35_graph_error_envelope(api: httpx.AsyncClient) -> None:
    thread = await new_thread(api)
    r = await wait(api, thread, assistant_id="failing", input={"n": 1})
    assert (r.status_code, r.json()) == (
        200,
        {"__error__": {"error": "ValueError", "message": "kaboom"}},
    )
    t = (await api.get(f"/threads/{thread}")).json()
    assert t["status"] == "error"
    assert t["error"] == {"error": "ValueError", "message": "kaboom"}
    assert (await api.get(r.headers["content-location"])).json()["status"] == "error"
    assert (await api.get(f"{r.headers['content-location']}/join")).json() == r.json()


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"input": {}}, "assistant_id"),
        ({"assistant_id": "chain", "input": "text"}, "input"),
        ({"assistant_id": "chain", "input": {}, "multitask_strategy": "later"}, "multitask"),
        ({"assistant_id": "ask", "command": {"answer": "x"}}, "command.answer"),
        ({"assistant_id": "chain", "config": {"recursion_limit": 0}}, "recursion_limit"),
        # A Send is {"node", "input"}: anything else is refused, naming where.
        ({"assistant_id": "ask", "command": {"goto": {"node": 5, "input": {}}}}, "command.goto"),
        ({"assistant_id": "ask", "command": {"goto": ["c", {"nod": "c"}]}}, "command.goto"),
    ],
)
async def test_422_invalid_bodies(api: httpx.AsyncClient, body: dict[str, Any], where: str) -> None:
    thread = await new_thread(api)
    r = await wait(api, thread, **body)
    assert r.status_code == 422
    assert isinstance(r.json()["detail"], str) and where in r.json()["detail"]


UNSUPPORTED_RUN_FIELDS = [
    ({"on_disconnect": "cancel"}, "on_disconnect"),
    # Resumes are always strict: false would be ignored.
    ({"strict_resume": False}, "strict_resume"),
    ({"langsmith_tracer": {"project_name": "p"}}, "langsmith_tracer"),
    # Fields of the Agent Server Tempograph has no use for, and unknown ones: refused when set.
    ({"feedback_keys": ["score"]}, "feedback_keys"),
    ({"no_such_field": 1}, "no_such_field"),
]


@pytest.mark.parametrize(("extra", "field"), UNSUPPORTED_RUN_FIELDS)
async def test_run_fields_not_honoured_are_refused(
    api: httpx.AsyncClient, extra: dict[str, Any], field: str
) -> None:
    """A field Tempograph would ignore is refused (422, naming it) before anything runs."""
    thread = await new_thread(api)
    body = {"assistant_id": "chain", "input": {"log": []}, **extra}
    for path in (f"/threads/{thread}/runs/wait", f"/threads/{thread}/runs/stream", "/runs/wait"):
        r = await api.post(path, json=body)
        assert r.status_code == 422, (path, r.text)
        detail = r.json()["detail"]
        assert field in detail and "not supported yet" in detail, detail
    assert (await api.get(f"/threads/{thread}")).json()["values"] is None


async def test_run_fields_at_their_defaults_are_accepted(api: httpx.AsyncClient) -> None:
    thread = await new_thread(api)
    r = await wait(
        api,
        thread,
        assistant_id="chain",
        input={"log": []},
        on_disconnect="continue",  # what the server does
        stream_subgraphs=False,
        stream_resumable=False,
        after_seconds=0,
        durability="async",  # every step is checkpointed in Temporal anyway
        checkpoint_during=True,
        strict_resume=True,  # what Tempograph's resumes always are
        langsmith_tracer=None,
        # Stateless runs only: the Agent Server ignores it on a thread run too (parity).
        on_completion="keep",
    )
    assert r.status_code == 200 and r.json()["log"], r.text


async def test_thread_fields_not_honoured_are_refused(api: httpx.AsyncClient) -> None:
    thread = await new_thread(api)
    refused = [
        ("GET", f"/threads/{thread}/state?subgraphs=true", None, "subgraphs"),
        ("GET", f"/threads/{thread}/state/{uuid.uuid4()}?subgraphs=true", None, "subgraphs"),
        (
            "POST",
            f"/threads/{thread}/state/checkpoint",
            {"checkpoint": {}, "subgraphs": True},
            "subgraphs",
        ),
        ("GET", f"/threads/{thread}/state?select=values.log", None, "select"),
        ("GET", f"/threads/{thread}/state/{uuid.uuid4()}?select=values", None, "select"),
        (
            "POST",
            f"/threads/{thread}/state/checkpoint",
            {"checkpoint": {"checkpoint_ns": "child:1"}},
            "checkpoint.checkpoint_ns",
        ),
        (
            "POST",
            f"/threads/{thread}/state/checkpoint",
            {"checkpoint": {}, "select": ["values"]},
            "select",
        ),
        (
            "POST",
            f"/threads/{thread}/history",
            {"checkpoint": {"checkpoint_ns": "child"}},
            "checkpoint",
        ),
        (
            "POST",
            f"/threads/{thread}/history",
            {"checkpoint": {"checkpoint_id": str(uuid.uuid4())}},
            "checkpoint",
        ),
    ]
    for method, path, body, field in refused:
        r = await api.request(method, path, json=body)
        assert r.status_code == 422, (method, path, r.text)
        detail = r.json()["detail"]
        assert field in detail and "not supported yet" in detail, detail
    # Their defaults are accepted.
    accepted = [
        ("PATCH", f"/threads/{thread}", {"ttl": None}),
        ("GET", f"/threads/{thread}/state?subgraphs=false", None),
        ("POST", f"/threads/{thread}/state/checkpoint", {"checkpoint": {}, "subgraphs": False}),
        (
            "POST",
            f"/threads/{thread}/state/checkpoint",
            {"checkpoint": {"thread_id": thread, "checkpoint_ns": ""}, "select": None},
        ),
        ("POST", f"/threads/{thread}/history", {"checkpoint": {"thread_id": thread}}),
    ]
    for method, path, body in accepted:
        r = await api.request(method, path, json=body)
        assert r.status_code == 200, (method, path, r.text)


async def test_state_routes_refuse_unknown_query_parameters(api: httpx.AsyncClient) -> None:
    """A query parameter the state routes do not read is refused, naming it, not ignored."""
    thread = await new_thread(api)
    for path in (f"/threads/{thread}/state", f"/threads/{thread}/state/{uuid.uuid4()}"):
        r = await api.get(path, params={"subgraphs": "false", "as_of": "x", "zz": "1"})
        assert r.status_code == 422, (path, r.text)
        assert "['as_of', 'zz']" in r.json()["detail"], r.text
    r = await api.get(f"/threads/{thread}/state", params={"subgraphs": "false"})
    assert r.status_code == 200, r.text


async def test_thread_search_select(api: httpx.AsyncClient) -> None:
    thread = await new_thread(api, metadata={"k": "v"})
    r = await api.post("/threads/search", json={"ids": [thread], "select": ["thread_id", "status"]})
    assert r.status_code == 200 and r.json() == [{"thread_id": thread, "status": "idle"}]
    r = await api.post("/threads/search", json={"ids": [thread], "select": ["thread_id", "ttl"]})
    assert r.status_code == 422 and "ttl" in r.json()["detail"]


async def test_422_not_json_and_404s(api: httpx.AsyncClient) -> None:
    r = await api.post(
        "/threads/x/runs/wait", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422 and isinstance(r.json()["detail"], str)
    missing = str(uuid.uuid4())
    for response in (
        await api.get(f"/threads/{missing}"),
        await api.get(f"/threads/{missing}/state"),
        await api.post(f"/threads/{missing}/history", json={}),
        await api.post(f"/threads/{missing}/state", json={"values": {}}),
        await api.delete(f"/threads/{missing}"),
    ):
        assert response.status_code == 404
        assert response.json() == {"detail": f"Thread with ID {missing} not found"}
    r = await api.get(f"/threads/{missing}/runs/{uuid.uuid4()}")
    assert r.status_code == 404


async def test_threads_create_search_delete(api: httpx.AsyncClient) -> None:
    tag = uuid.uuid4().hex
    thread = await new_thread(api, metadata={"tag": tag})
    r = await api.post("/threads", json={"thread_id": thread})
    assert r.status_code == 409
    r = await api.post("/threads", json={"thread_id": thread, "if_exists": "do_nothing"})
    assert r.status_code == 200 and r.json()["thread_id"] == thread
    await wait(api, thread, assistant_id="ask", input={"log": [], "x": 3})

    found = (await api.post("/threads/search", json={"metadata": {"tag": tag}})).json()
    assert [t["thread_id"] for t in found] == [thread]
    interrupted = (
        await api.post("/threads/search", json={"status": "interrupted", "ids": [thread]})
    ).json()
    assert [t["thread_id"] for t in interrupted] == [thread]
    idle = (await api.post("/threads/search", json={"status": "idle", "ids": [thread]})).json()
    assert idle == []

    assert (await api.delete(f"/threads/{thread}")).status_code == 204
    assert (await api.get(f"/threads/{thread}")).status_code == 404
    assert (await api.post("/threads/search", json={"metadata": {"tag": tag}})).json() == []


async def fresh_api(client: Client) -> httpx.AsyncClient:
    """A second server process, as after a restart: nothing shared with `api` but Temporal."""
    app = create_app(GraphClient(client, task_queue=TASK_QUEUE), sorted(all_graphs()))
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test", timeout=30
    )


async def test_threads_and_metadata_survive_a_server_restart(
    api: httpx.AsyncClient, client: Client
) -> None:
    tag = uuid.uuid4().hex
    never_run = await new_thread(api, metadata={"tag": tag, "owner": "qa"})
    r = await api.patch(f"/threads/{never_run}", json={"metadata": {"owner": "ops", "n": 1}})
    assert r.status_code == 200 and r.json()["metadata"] == {"tag": tag, "owner": "ops", "n": 1}
    ran = await new_thread(api, metadata={"tag": tag})
    await wait(api, ran, assistant_id="ask", input={"log": [], "x": 5})

    async with await fresh_api(client) as restarted:
        t = (await restarted.get(f"/threads/{never_run}")).json()
        assert (t["status"], t["values"]) == ("idle", None)
        assert t["metadata"] == {"tag": tag, "owner": "ops", "n": 1}
        t = (await restarted.get(f"/threads/{ran}")).json()
        assert t["status"] == "interrupted"
        assert t["metadata"] == {"tag": tag, "graph_id": "ask", "assistant_id": ASK_ID}
        for _ in range(100):  # visibility is eventually consistent
            found = (
                await restarted.post("/threads/search", json={"metadata": {"tag": tag}})
            ).json()
            if len(found) == 2:
                break
            await asyncio.sleep(0.05)
        assert {f["thread_id"] for f in found} == {never_run, ran}
        # The thread created before the restart runs in the new process.
        r = await wait(restarted, never_run, assistant_id="chain", input={"log": []})
        assert r.json() == {"log": ["a", "b", "c"]}
        assert (await restarted.delete(f"/threads/{never_run}")).status_code == 204

    async with await fresh_api(client) as again:
        assert (await again.get(f"/threads/{never_run}")).status_code == 404
        r = await again.patch(f"/threads/{ran}", json={"metadata": {"done": True}})
        assert r.json()["metadata"]["done"] is True
    # The first process still sees its cached thread as deleted only once told; the record is
    # gone from Temporal, so a new process and a re-read agree.
    r = await api.patch(f"/threads/{ran}", json={"metadata": {"again": 1}})
    assert r.json()["metadata"] == {
        "tag": tag,
        "done": True,
        "again": 1,
        "graph_id": "ask",
        "assistant_id": ASK_ID,
    }


async def test_resume_without_a_run_is_an_error(api: httpx.AsyncClient) -> None:
    thread = await new_thread(api)
    r = await wait(api, thread, assistant_id="ask", command={"resume": "x"})
    assert r.status_code == 200 and r.json()["__error__"]["error"] == "InvalidResume"
    r = await wait(api, thread, assistant_id="ask")
    assert r.json()["__error__"]["error"] == "EmptyInputError"


async def test_401_api_token(client: Client, worker: Worker) -> None:
    app = create_app(GraphClient(client, task_queue=TASK_QUEUE), ["chain"], api_token="s3cret")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        r = await http.post("/assistants/search", json={})
        assert (r.status_code, r.json()) == (401, {"detail": "Missing or invalid API key"})
        r = await http.post("/assistants/search", json={}, headers={"x-api-key": "wrong"})
        assert r.status_code == 401
        r = await http.post("/assistants/search", json={}, headers={"x-api-key": "s3cret"})
        assert r.status_code == 200 and r.json()[0]["graph_id"] == "chain"
        r = await http.post(
            "/runs/wait",
            json={"assistant_id": "chain", "input": {"log": []}},
            headers={"Authorization": "Bearer s3cret"},
        )
        assert r.json() == {"log": ["a", "b", "c"]}
        assert (await http.get("/ok")).status_code == 200  # health check stays open


async def test_threads_started_outside_http_are_found(
    api: httpx.AsyncClient, client: Client
) -> None:
    # A thread started with GraphClient (or the CLI) is a thread of the API too.
    thread = f"outside-{uuid.uuid4().hex[:8]}"
    await GraphClient(client, task_queue=TASK_QUEUE).invoke(
        "ask", {"log": [], "x": 7}, thread_id=thread
    )
    t = (await api.get(f"/threads/{thread}")).json()
    assert t["status"] == "interrupted" and t["metadata"]["graph_id"] == "ask"
    for _ in range(100):  # visibility is eventually consistent
        found = (
            await api.post("/threads/search", json={"status": "interrupted", "limit": 1000})
        ).json()
        if thread in {f["thread_id"] for f in found}:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("thread not found by search")
    r = await wait(api, thread, assistant_id="ask", command={"resume": "ok"})
    assert r.json()["human"] == "ok"


async def test_33_interrupt_strategy_cancels_the_running_run(api: httpx.AsyncClient) -> None:
    thread = await new_thread(api)
    first = (
        await api.post(f"/threads/{thread}/runs", json={"assistant_id": "slow", "input": {}})
    ).json()
    while not (await api.post(f"/threads/{thread}/history", json={"limit": 1})).json():
        await asyncio.sleep(0.02)
    r = await wait(api, thread, assistant_id="slow", input={"n": 5}, multitask_strategy="interrupt")
    assert r.json() == {"log": [], "n": 1}
    statuses = {
        run["run_id"]: run["status"] for run in (await api.get(f"/threads/{thread}/runs")).json()
    }
    assert statuses[first["run_id"]] == "interrupted"
    assert statuses[r.headers["content-location"].rsplit("/", 1)[1]] == "success"


async def test_26_27_replay_and_fork_from_a_checkpoint(api: httpx.AsyncClient) -> None:
    thread = await new_thread(api)
    await wait(api, thread, assistant_id="ask", input={"log": [], "x": 1})
    await wait(api, thread, assistant_id="ask", command={"resume": "first"})
    history = (await api.post(f"/threads/{thread}/history", json={"limit": 100})).json()
    at_ask = next(h for h in history if h["next"] == ["ask"])["checkpoint_id"]

    # Replay from before `ask`: the interrupt fires again; a resume answers it anew.
    r = await wait(api, thread, assistant_id="ask", checkpoint_id=at_ask)
    assert r.json()["__interrupt__"][0]["value"] == {"question": "approve?", "x": 1}
    r = await wait(api, thread, assistant_id="ask", command={"resume": "second"})
    assert r.json()["log"] == ["a", "ask=second", "b"]

    # Fork: edit an old checkpoint, then run from it.
    history = (await api.post(f"/threads/{thread}/history", json={"limit": 100})).json()
    at_b = next(h for h in history if h["next"] == ["b"])["checkpoint_id"]
    r = await api.post(
        f"/threads/{thread}/state", json={"values": {"x": 99}, "checkpoint_id": at_b}
    )
    assert r.status_code == 200, r.text
    r = await wait(api, thread, assistant_id="ask")
    assert r.json()["x"] == 99 and r.json()["log"][-1] == "b"


async def test_thread_record_refuses_bad_patches(client: Client, worker: Worker) -> None:
    # A patch sent to the record by hand (CLI, UI) that is not ThreadMetadata is refused and
    # changes nothing.
    handle = await client.start_workflow(
        ThreadRecord.run,
        ThreadMetadata(metadata={"a": 1}),
        id=thread_record_id(f"bad-{uuid.uuid4().hex[:8]}"),
        task_queue=TASK_QUEUE,
    )
    for bad in ({"metadata": {}, "bogus": 1}, {"metadata": "not a dict"}, "text"):
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(THREAD_PATCH_UPDATE, bad)
    saved = await handle.execute_update(ThreadRecord.patch, ThreadMetadata(metadata={"b": 2}))
    assert saved.metadata == {"a": 1, "b": 2}
    await handle.terminate()
