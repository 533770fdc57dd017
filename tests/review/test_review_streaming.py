"""Fresh-eyes review of issue 12's streaming (reviewer v): probes against the real dev server,
over HTTP with langgraph-sdk and through GraphClient.stream. Each test began as a finding or a
probe of one; the findings are fixed and these keep them fixed."""

from __future__ import annotations

import asyncio
import gc as pygc
import json
import operator
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any, TypedDict

import httpx
import pytest
import pytest_asyncio
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.worker import Worker

from tempograph import GraphClient, create_worker
from tempograph.graph import START, CompiledGraph, MessagesState, StateGraph
from tempograph.http import create_app
from tempograph.http.testing import serve
from tempograph.messages import STREAM_SIGNAL, STREAM_WANTED_SIGNAL
from tempograph.types import Command, interrupt

QUEUE = "review-v-streaming"


# ---------------------------------------------------------------------------------------------
# Graphs.
# ---------------------------------------------------------------------------------------------


def talk(state: MessagesState) -> dict[str, Any]:
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    from tempograph.config import get_stream_writer

    get_stream_writer()({"turn": len(state["messages"])})
    model = GenericFakeChatModel(messages=iter([AIMessage("alpha beta gamma delta")]))
    return {"messages": [model.invoke(state["messages"])]}


def ask_human(state: MessagesState) -> dict[str, Any]:
    answer = interrupt("ok?")
    return {"messages": [("user", str(answer))]}


def build_tok() -> CompiledGraph:
    g = StateGraph(MessagesState)
    g.add_node("talk", talk)
    g.add_node("ask", ask_human)
    g.add_node("talk2", talk)
    g.add_edge(START, "talk")
    g.add_edge("talk", "ask")
    g.add_edge("ask", "talk2")
    return g.compile()


class XState(TypedDict, total=False):
    x: int
    log: Annotated[list[str], operator.add]


def hop(state: XState) -> Command:
    return Command(goto="b")


def build_goto() -> CompiledGraph:
    g = StateGraph(XState)
    g.add_node("a", hop)
    g.add_node("b", lambda s: {"x": 1})
    g.add_edge(START, "a")
    return g.compile()


class FloodState(TypedDict, total=False):
    n: int
    size: int
    done: bool


def flood(state: FloodState) -> dict[str, Any]:
    from tempograph.config import get_stream_writer

    write = get_stream_writer()
    pad = "x" * state["size"]
    for i in range(state["n"]):
        write({"i": i, "pad": pad})
    return {"done": True}


def build_flood() -> CompiledGraph:
    g = StateGraph(FloodState)
    g.add_node("flood", flood)
    g.add_edge(START, "flood")
    return g.compile()


def build_pause() -> CompiledGraph:
    g = StateGraph(XState)
    g.add_node("a", lambda s: {"log": ["a"]})
    g.add_node("ask", lambda s: {"log": [f"ask={interrupt('go?')}"]})
    g.add_node("b", lambda s: {"log": ["b"]})
    g.add_edge(START, "a")
    g.add_edge("a", "ask")
    g.add_edge("ask", "b")
    return g.compile()


GRAPHS = {"rv_tok": build_tok(), "rv_goto": build_goto(), "rv_flood": build_flood()}
GRAPHS["rv_pause"] = build_pause()


async def doze(state: XState) -> dict[str, Any]:
    await asyncio.sleep(4)
    return {"x": 1}


def build_slow() -> CompiledGraph:
    g = StateGraph(XState)
    g.add_node("doze", doze)
    g.add_edge(START, "doze")
    return g.compile()


GRAPHS["rv_slow"] = build_slow()


@workflow.defn(name="SomeoneElsesWorkflow")
class SomeoneElsesWorkflow:
    """Another team's workflow type in the namespace (never run by a worker here)."""

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)


# ---------------------------------------------------------------------------------------------
# Fixtures and helpers.
# ---------------------------------------------------------------------------------------------


@pytest_asyncio.fixture(scope="module")
async def rworker(client: Client) -> AsyncIterator[Worker]:
    async with create_worker(client, GRAPHS, task_queue=QUEUE) as w:
        yield w


@pytest.fixture
def gcl(client: Client, rworker: Worker) -> GraphClient:
    return GraphClient(client, task_queue=QUEUE)


@pytest_asyncio.fixture(scope="module")
async def url(client: Client, rworker: Worker) -> AsyncIterator[str]:
    app = create_app(GraphClient(client, task_queue=QUEUE), sorted(GRAPHS))
    async with serve(app) as base:
        yield base


@pytest_asyncio.fixture
async def sdk(url: str) -> AsyncIterator[LangGraphClient]:
    lg = get_client(url=url, api_key=None)
    yield lg
    await lg.aclose()


Event = tuple[str, Any]


async def collect(parts: AsyncIterator[Any]) -> list[Event]:
    return [(p.event, p.data) async for p in parts]


def sse_events(raw: bytes) -> list[tuple[str, Any, str | None]]:
    out = []
    for block in raw.decode().split("\r\n\r\n"):
        lines = [ln for ln in block.split("\r\n") if ln and not ln.startswith(":")]
        if not lines:
            continue
        fields = dict(ln.split(": ", 1) for ln in lines)
        out.append(
            (fields.get("event", ""), json.loads(fields.get("data", "null")), fields.get("id"))
        )
    return out


async def signal_events(client: Client, workflow_id: str, run_id: str | None = None) -> list[Any]:
    handle = client.get_workflow_handle(workflow_id, run_id=run_id)
    return [
        e
        async for e in handle.fetch_history_events()
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
    ]


# ---------------------------------------------------------------------------------------------
# 1. Streaming over HTTP.
# ---------------------------------------------------------------------------------------------


async def test_updates_for_command_goto_without_update_is_null(sdk: LangGraphClient) -> None:
    """agents.md §1.2: `{node: null}` for Command(goto) with no writes."""
    tid = (await sdk.threads.create())["thread_id"]
    got = await collect(sdk.runs.stream(tid, "rv_goto", input={"x": 0}, stream_mode="updates"))
    updates = [d for e, d in got if e == "updates"]
    assert updates == [{"a": None}, {"b": {"x": 1}}]


async def test_every_mode_at_once_tokens_and_order(sdk: LangGraphClient) -> None:
    """agents.md §1.4 order, then §1.5 for the resume."""
    tid = (await sdk.threads.create())["thread_id"]
    modes: Any = ["values", "updates", "messages-tuple", "custom", "tasks", "checkpoints"]
    got = await collect(
        sdk.runs.stream(tid, "rv_tok", input={"messages": [("user", "hi")]}, stream_mode=modes)
    )
    names = [e for e, _ in got]
    assert names[0] == "metadata"
    tokens = [d[0] for e, d in got if e == "messages" and d[0]["type"] == "AIMessageChunk"]
    assert len(tokens) >= 2 and "".join(t["content"] for t in tokens) == "alpha beta gamma delta"
    assert len({t["id"] for t in tokens}) == 1
    assert tokens[0]["id"] != "" and tokens[0]["id"] is not None
    meta = next(d[1] for e, d in got if e == "messages")
    assert meta["langgraph_node"] == "talk" and meta["thread_id"] == tid
    # §1.4: tasks(start) < custom < messages < updates(talk) < tasks(result) < values
    i_start = next(i for i, (e, d) in enumerate(got) if e == "tasks" and "input" in d)
    i_custom = names.index("custom")
    i_msg = names.index("messages")
    i_upd = next(i for i, (e, d) in enumerate(got) if e == "updates" and "talk" in d)
    i_res = next(
        i
        for i, (e, d) in enumerate(got)
        if e == "tasks" and d.get("name") == "talk" and "result" in d
    )
    assert i_start < i_custom < i_msg < i_upd < i_res
    assert got[-1][0] == "tasks" and got[-1][1]["interrupts"]  # the paused task's result last

    resumed = await collect(
        sdk.runs.stream(tid, "rv_tok", command={"resume": "yes"}, stream_mode=modes)
    )
    assert resumed[0][0] == "metadata" and resumed[1][0] == "values"
    assert "__interrupt__" not in resumed[1][1]
    assert {"ask": {"messages": [resumed_user(resumed)]}} in [
        d for e, d in resumed if e == "updates"
    ]
    tok2 = [d for e, d in resumed if e == "messages" and d[0]["type"] == "AIMessageChunk"]
    assert "".join(t[0]["content"] for t in tok2) == "alpha beta gamma delta"
    assert all(t[1]["langgraph_node"] == "talk2" for t in tok2)
    final = [d for e, d in resumed if e == "values"][-1]
    assert [m["type"] for m in final["messages"]] == ["human", "ai", "human", "ai"]


def resumed_user(events: list[Event]) -> Any:
    for e, d in events:
        if e == "updates" and "ask" in d:
            return d["ask"]["messages"][0]
    return None


GARBAGE_IDS = ["abc", "-5", "99999999-0", "9" * 5000, "1" * 4000, "1-2-3", "0-", "--", "1.5"]


async def test_join_stream_garbage_last_event_ids_never_500_or_hang(
    sdk: LangGraphClient, url: str
) -> None:
    tid = (await sdk.threads.create())["thread_id"]
    out = await sdk.runs.wait(tid, "rv_goto", input={"x": 0})
    assert out["x"] == 1
    [run] = await sdk.runs.list(tid)
    async with httpx.AsyncClient(base_url=url, timeout=20) as http:
        for bad in GARBAGE_IDS:
            r = await asyncio.wait_for(
                http.get(
                    f"/threads/{tid}/runs/{run['run_id']}/stream",
                    headers={"Last-Event-ID": bad},
                ),
                15,
            )
            assert r.status_code in (200, 422), (bad[:20], r.status_code, r.text[:200])
            if r.status_code == 200:
                events = sse_events(r.content)
                assert all(e != "error" for e, _, _ in events), (bad[:20], events)


async def test_join_on_a_workflow_that_is_not_tempographs_touches_nothing(
    client: Client, url: str, sdk: LangGraphClient
) -> None:
    wid = f"foreign-{uuid.uuid4().hex[:8]}"
    handle = await client.start_workflow(
        "SomeoneElsesWorkflow", id=wid, task_queue="nobody-polls-this-queue"
    )
    rid = handle.result_run_id
    assert rid is not None
    async with httpx.AsyncClient(base_url=url, timeout=20) as http:
        for q in (
            "?stream_mode=messages-tuple&cancel_on_disconnect=true",
            "?stream_mode=custom",
            "",
        ):
            r = await http.get(
                f"/threads/{wid}/runs/{rid}/stream{q}", headers={"Last-Event-ID": "0"}
            )
            assert r.status_code == 200
            assert sse_events(r.content) == [
                ("error", {"error": "HTTPException", "message": "404: Run not found"}, None)
            ]
        r = await http.get(f"/threads/{wid}/stream", timeout=5)
        assert r.status_code == 404
        # A stream on that id must not act on it either.
        r = await http.post(
            f"/threads/{wid}/runs/stream",
            json={"assistant_id": "rv_tok", "input": None, "stream_mode": ["messages-tuple"]},
        )
        assert r.status_code in (404, 409, 422), r.status_code
    assert await signal_events(client, wid) == []
    desc = await handle.describe()
    assert desc.status == WorkflowExecutionStatus.RUNNING
    await handle.terminate("review test done")


async def test_join_a_run_through_another_thread_is_not_found(
    sdk: LangGraphClient, url: str
) -> None:
    a = (await sdk.threads.create())["thread_id"]
    b = (await sdk.threads.create())["thread_id"]
    await sdk.runs.wait(a, "rv_goto", input={"x": 0})
    await sdk.runs.wait(b, "rv_pause", input={"log": []})
    [run_a] = await sdk.runs.list(a)
    got = await collect(
        sdk.runs.join_stream(b, run_a["run_id"], last_event_id="0", stream_mode=["values"])
    )
    assert got == [("error", {"error": "HTTPException", "message": "404: Run not found"})]


# ---------------------------------------------------------------------------------------------
# 2. Bad input sent to a paused run with the raw client.
# ---------------------------------------------------------------------------------------------


BIG = "y" * int(1.9 * 1024 * 1024)
GARBAGE_ARGS: list[list[Any]] = [
    [],
    [5],
    ["nope"],
    [None],
    [{"node": 1, "items": "x"}],
    [{"node": "a", "task_id": "t", "step": 0, "items": [{"kind": "weird"}]}],
    [BIG],
    [1, 2, 3, 4, 5],
    [{"a": 1}, {"b": 2}],
]


async def test_garbage_stream_signals_leave_a_paused_run_healthy(
    client: Client, gcl: GraphClient
) -> None:
    tid = f"rv-{uuid.uuid4().hex[:10]}"
    out = await gcl.invoke("rv_pause", {"log": []}, thread_id=tid)
    assert "__interrupt__" in out
    handle = client.get_workflow_handle(tid)
    for name in (STREAM_SIGNAL, STREAM_WANTED_SIGNAL):
        for args in GARBAGE_ARGS:
            await handle.signal(name, args=args)
    done = await asyncio.wait_for(gcl.invoke("rv_pause", Command(resume="y"), thread_id=tid), 30)
    assert done == {"log": ["a", "ask=y", "b"]}
    # No failed workflow task anywhere in the history.
    failed = [
        e
        async for e in handle.fetch_history_events()
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
    ]
    assert failed == []


# A schema-valid batch (messages.StreamBatch) whose values are not what a publisher sends.
MALFORMED_BATCHES: list[dict[str, Any]] = [
    {
        "node": "a",
        "task_id": "forged",
        "step": 0,
        "items": [
            {"kind": "model_start", "value": {"id": ["not", "a", "str"], "tags": 5}},
            {"kind": "chunk", "value": {"content": "x"}},
            {"kind": "model_end"},
        ],
    },
    {
        "node": "a",
        "task_id": "forged2",
        "step": 0,
        "items": [
            {"kind": "model_start", "value": {"id": "m1"}},
            {"kind": "chunk", "value": {"id": {"k": 1}, "content": 3}},
        ],
    },
]


async def test_readers_skip_a_malformed_stream_batch_in_history(
    client: Client, gcl: GraphClient, url: str
) -> None:
    tid = f"rv-{uuid.uuid4().hex[:10]}"
    await gcl.invoke("rv_pause", {"log": []}, thread_id=tid)
    handle = client.get_workflow_handle(tid)
    for batch in MALFORMED_BATCHES:
        await handle.signal(STREAM_SIGNAL, batch)
    desc = await handle.describe()
    # Full replay over HTTP, every mode that reads batches.
    async with httpx.AsyncClient(base_url=url, timeout=20) as http:
        for mode in ("messages-tuple", "messages", "events"):
            r = await asyncio.wait_for(
                http.get(
                    f"/threads/{tid}/runs/{desc.run_id}/stream?stream_mode={mode}",
                    headers={"Last-Event-ID": "0"},
                ),
                15,
            )
            assert r.status_code == 200
            # The malformed items are skipped (a well-formed forged one is indistinguishable).
            assert b'"not","a","str"' not in r.content and b"event: error" not in r.content
            assert r.content == b"" or r.content.endswith(b"\r\n\r\n"), mode
    # GraphClient.stream resuming the run reads the same history from the pause on...
    chunks = [
        c
        async for c in gcl.stream(
            "rv_pause",
            command=Command(resume="y"),
            thread_id=tid,
            stream_mode=["messages", "events"],
        )
    ]
    assert chunks is not None
    # ...and a fresh reader of the whole run too.
    events = [e async for e in gcl.follow(tid, desc.run_id)]
    assert events


# ---------------------------------------------------------------------------------------------
# 3. Custom events at volume.
# ---------------------------------------------------------------------------------------------


async def test_a_flood_of_custom_events_streamed_all_in_order_history_bounded(
    client: Client, gcl: GraphClient
) -> None:
    tid = f"rv-{uuid.uuid4().hex[:10]}"
    n, size = 2_500, 700  # ~1.9 MB: under publisher.MAX_CALL_BYTES (2 MiB)
    got = [
        c
        async for c in gcl.stream(
            "rv_flood", {"n": n, "size": size}, thread_id=tid, stream_mode="custom"
        )
    ]
    state = await gcl.get_state(tid)
    assert state.values["done"] is True
    signals = await signal_events(client, tid)
    sizes = [
        sum(len(p.data) for p in s.workflow_execution_signaled_event_attributes.input.payloads)
        for s in signals
    ]
    # publisher.MAX_BATCH_BYTES (256 KiB) per batch, as documented; Temporal refuses > 2 MiB.
    assert max(sizes) <= 300 * 1024, f"batches {sizes}; {len(got)} of {n} delivered"
    assert [c["i"] for c in got] == list(range(n)), f"{len(got)} of {n} delivered; batches {sizes}"


async def test_a_3_mib_custom_value_streamed_does_not_fail_the_node(
    client: Client, gcl: GraphClient
) -> None:
    tid = f"rv-{uuid.uuid4().hex[:10]}"
    got = [
        c
        async for c in gcl.stream(
            "rv_flood", {"n": 1, "size": 3 * 1024 * 1024}, thread_id=tid, stream_mode="custom"
        )
    ]
    assert (await gcl.get_state(tid)).values["done"] is True
    desc = await client.get_workflow_handle(tid).describe()
    assert desc.raw_description.workflow_execution_info.history_size_bytes < 1024 * 1024
    assert got == []  # dropped (publisher: an item over MAX_BATCH_BYTES), documented


# ---------------------------------------------------------------------------------------------
# 4. GraphClient.stream API.
# ---------------------------------------------------------------------------------------------


async def test_stream_unknown_mode_refused_before_any_run(client: Client, gcl: GraphClient) -> None:
    tid = f"rv-{uuid.uuid4().hex[:10]}"
    for bad in ("value", ["values", "nope"], [], "messages/partial"):
        with pytest.raises(ValueError):
            async for _ in gcl.stream("rv_goto", {"x": 0}, thread_id=tid, stream_mode=bad):
                pass
    with pytest.raises(Exception):  # noqa: B017 - no run was started on the thread
        await client.get_workflow_handle(tid).describe()


async def test_breaking_out_of_stream_early_leaks_no_task(gcl: GraphClient) -> None:
    tid = f"rv-{uuid.uuid4().hex[:10]}"

    def ours() -> set[asyncio.Task[Any]]:
        names = ("stream", "_followed", "pump", "_invoke", "follow")
        return {
            t
            for t in asyncio.all_tasks()
            if not t.done() and any(n in getattr(t.get_coro(), "__qualname__", "") for n in names)
        }

    before = ours()
    async for chunk in gcl.stream(
        "rv_tok", {"messages": [("user", "hi")]}, thread_id=tid, stream_mode="messages"
    ):
        assert chunk
        break
    for _ in range(20):
        pygc.collect()
        await asyncio.sleep(0.25)
        if not (ours() - before):
            break
    assert ours() - before == set()
    # The run went on to its pause (durable), and a stream can resume it.
    await asyncio.sleep(0.5)
    resumed = [
        c
        async for c in gcl.stream(
            "rv_tok", command=Command(resume="ok"), thread_id=tid, stream_mode="updates"
        )
    ]
    assert {"ask": {"messages": [resumed[0]["ask"]["messages"][0]]}} == resumed[0]


async def test_stream_a_resume_yields_the_paused_state_then_what_it_adds(gcl: GraphClient) -> None:
    tid = f"rv-{uuid.uuid4().hex[:10]}"
    first = [
        c async for c in gcl.stream("rv_pause", {"log": []}, thread_id=tid, stream_mode="updates")
    ]
    assert first[0] == {"a": {"log": ["a"]}} and "__interrupt__" in first[-1]
    got = [
        c
        async for c in gcl.stream(
            "rv_pause",
            command=Command(resume="y"),
            thread_id=tid,
            stream_mode=["values", "updates"],
        )
    ]
    assert got[0] == ("values", {"log": ["a"]})
    assert ("updates", {"ask": {"log": ["ask=y"]}}) in got
    assert got[-1] == ("values", {"log": ["a", "ask=y", "b"]})


async def test_config_and_context_reach_nodes_through_stream(
    graphs: GraphClient,
) -> None:
    tid = f"rv-{uuid.uuid4().hex[:10]}"
    got = [
        c
        async for c in graphs.stream(
            "config_context",
            {"seen": []},
            thread_id=tid,
            stream_mode="updates",
            config={"configurable": {"user_id": "u1"}, "tags": ["t"]},
            context={"user_id": "ctx-user", "model_name": "m"},
        )
    ]
    echo = got[0]["echo"]["seen"][0]
    assert echo["configurable"] == {"user_id": "u1"}
    assert echo["context"] == {"user_id": "ctx-user", "model_name": "m"}
    assert echo["tags"] == ["t"]


async def test_repeated_joins_do_not_grow_history_one_signal_each(
    sdk: LangGraphClient, client: Client, url: str
) -> None:
    """Every runs.join_stream asking a live mode of a running run signals STREAM_WANTED: a
    reconnect loop (or anyone) adds a signal and a workflow task to history per join."""
    tid = (await sdk.threads.create())["thread_id"]
    run = await sdk.runs.create(tid, "rv_slow", input={"x": 0})
    await asyncio.sleep(0.3)
    async with httpx.AsyncClient(base_url=url, timeout=5) as http:
        for _ in range(20):
            async with http.stream(
                "GET", f"/threads/{tid}/runs/{run['run_id']}/stream?stream_mode=custom"
            ) as r:
                assert r.status_code == 200
    await sdk.runs.join(tid, run["run_id"])
    wanted = [
        s
        for s in await signal_events(client, tid)
        if s.workflow_execution_signaled_event_attributes.signal_name == STREAM_WANTED_SIGNAL
    ]
    assert len(wanted) <= 1, f"{len(wanted)} {STREAM_WANTED_SIGNAL} signals for 20 joins"


async def test_background_run_with_live_stream_mode_replays_tokens_on_join(
    sdk: LangGraphClient,
) -> None:
    """langgraph-sdk's pattern: runs.create(stream_mode=[...], stream_resumable=True), then
    runs.join_stream(last_event_id="0"). The body's messages-tuple is accepted; its tokens
    must then be in the run's stream (the Agent Server keeps them for the join)."""
    tid = (await sdk.threads.create())["thread_id"]
    run = await sdk.runs.create(
        tid,
        "rv_tok",
        input={"messages": [("user", "hi")]},
        stream_mode=["messages-tuple", "custom"],
        stream_resumable=True,
    )
    await sdk.runs.join(tid, run["run_id"])
    got = await collect(sdk.runs.join_stream(tid, run["run_id"], last_event_id="0"))
    tokens = [d[0] for e, d in got if e == "messages" and d[0]["type"] == "AIMessageChunk"]
    assert "".join(t["content"] for t in tokens) == "alpha beta gamma delta", got


async def test_graphclient_stream_survives_a_malformed_batch_signalled_mid_run(
    client: Client, gcl: GraphClient
) -> None:
    tid = f"rv-{uuid.uuid4().hex[:10]}"

    async def forge() -> None:
        await asyncio.sleep(1.5)  # while `doze` runs
        await client.get_workflow_handle(tid).signal(STREAM_SIGNAL, MALFORMED_BATCHES[0])

    forging = asyncio.ensure_future(forge())
    got = [
        c
        async for c in gcl.stream(
            "rv_slow", {"x": 0}, thread_id=tid, stream_mode=["messages", "updates"]
        )
    ]
    await forging
    assert ("updates", {"doze": {"x": 1}}) in got
