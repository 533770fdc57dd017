"""Resumable streams and joins with the real langgraph-sdk (agents.md §1.8, §1.9): a stream
dropped mid-run and rejoined with Last-Event-ID on another server process (no event missing,
none twice), a full replay, live-only joins, threads.join_stream, an unknown run, heartbeats."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from temporalio.client import Client

from tempograph import GraphClient, create_worker
from tempograph.http import create_app, sse
from tempograph.http.testing import serve
from tests.http.test_http_stream_modes import GRAPHS

TASK_QUEUE = "http-stream-join"
MODES: list[Any] = ["values", "updates", "custom"]


@pytest_asyncio.fixture(scope="module")
async def urls(client: Client) -> AsyncIterator[tuple[str, str]]:
    """Two server processes (nothing shared but Temporal) and a worker."""
    async with create_worker(client, GRAPHS, task_queue=TASK_QUEUE):
        a = create_app(GraphClient(client, task_queue=TASK_QUEUE), sorted(GRAPHS))
        b = create_app(GraphClient(client, task_queue=TASK_QUEUE), sorted(GRAPHS))
        async with serve(a) as url_a, serve(b) as url_b:
            yield url_a, url_b


@pytest_asyncio.fixture
async def sdks(urls: tuple[str, str]) -> AsyncIterator[tuple[LangGraphClient, LangGraphClient]]:
    a, b = get_client(url=urls[0], api_key=None), get_client(url=urls[1], api_key=None)
    yield a, b
    await a.aclose()
    await b.aclose()


Event = tuple[str, Any, str | None]


async def collect(parts: AsyncIterator[Any]) -> list[Event]:
    return [(p.event, p.data, p.id) async for p in parts]


async def test_a_dropped_stream_rejoined_on_another_process_misses_nothing(
    sdks: tuple[LangGraphClient, LangGraphClient],
) -> None:
    a, b = sdks
    tid = (await a.threads.create())["thread_id"]
    seen: list[Event] = []
    stream = a.runs.stream(
        tid, "slow_steps", input={"log": []}, stream_mode=MODES, stream_resumable=True
    )
    async with contextlib.aclosing(stream) as parts:  # type: ignore[type-var]
        async for part in parts:
            seen.append((part.event, part.data, part.id))
            if len(seen) == 4:
                break  # the connection drops mid-run
    assert seen[0][0] == "metadata" and all(i is not None for _, _, i in seen)
    run_id = seen[0][1]["run_id"]
    assert (await b.runs.get(tid, run_id))["status"] in ("pending", "running")

    rest = await collect(
        b.runs.join_stream(tid, run_id, last_event_id=seen[-1][2], stream_mode=MODES)
    )
    assert rest, "the run went on after the drop"
    assert rest[-1][:2] == ("values", {"log": ["s0", "s1", "s2", "s3"]})
    got = seen[1:] + rest
    # The whole run replayed from its history: exactly what the two connections got.
    full = await collect(b.runs.join_stream(tid, run_id, last_event_id="-1", stream_mode=MODES))
    assert got == full
    assert len({i for _, _, i in got}) == len(got)  # no event twice
    assert [d for e, d, _ in full if e == "custom"] == [{"step": n} for n in range(4)]
    # A finished run joined without Last-Event-ID: nothing (live events only).
    assert await collect(b.runs.join_stream(tid, run_id, stream_mode=MODES)) == []


async def test_a_live_join_gets_what_comes_after_it(
    sdks: tuple[LangGraphClient, LangGraphClient],
) -> None:
    a, b = sdks
    tid = (await a.threads.create())["thread_id"]
    run = await a.runs.create(tid, "slow_steps", input={"log": []}, stream_mode=MODES)
    joined = await collect(b.runs.join_stream(tid, run["run_id"], stream_mode=["values"]))
    assert joined and joined[-1][:2] == ("values", {"log": ["s0", "s1", "s2", "s3"]})
    assert {e for e, _, _ in joined} == {"values"}
    full = await collect(
        b.runs.join_stream(tid, run["run_id"], last_event_id="0", stream_mode=["values"])
    )
    assert joined == full[len(full) - len(joined) :]  # a tail of the whole stream


async def test_joining_an_unknown_run_is_an_error_event(
    sdks: tuple[LangGraphClient, LangGraphClient],
) -> None:
    a, _ = sdks
    tid = (await a.threads.create())["thread_id"]
    events = await collect(a.runs.join_stream(tid, "01a2351c-0000-7000-8000-000000000000"))
    assert [(e, d) for e, d, _ in events] == [
        ("error", {"error": "HTTPException", "message": "404: Run not found"})
    ]


async def test_a_paused_run_joined_replays_up_to_its_pause(
    sdks: tuple[LangGraphClient, LangGraphClient],
) -> None:
    a, b = sdks
    tid = (await a.threads.create())["thread_id"]
    live = await collect(
        a.runs.stream(
            tid,
            "plain",
            input={"topic": "t"},
            stream_mode=["values", "updates"],
            stream_resumable=True,
        )
    )
    run_id = live[0][1]["run_id"]
    replay = await collect(
        b.runs.join_stream(tid, run_id, last_event_id="0", stream_mode=["values", "updates"])
    )
    assert replay == live[1:]
    assert "__interrupt__" in replay[-1][1]


async def test_thread_join_stream_shows_each_run_then_run_done(
    sdks: tuple[LangGraphClient, LangGraphClient],
) -> None:
    a, b = sdks
    tid = (await a.threads.create())["thread_id"]
    got: list[Event] = []

    async def watch() -> None:
        async for part in await b.threads.join_stream(tid):
            got.append((part.event, part.data, part.id))

    watcher = asyncio.create_task(watch())
    try:
        await asyncio.sleep(0.5)  # the join is open before the run starts
        out: Any = await a.runs.wait(tid, "plain", input={"topic": "t"})
        [pending] = out["__interrupt__"]
        for _ in range(100):
            if any(e == "metadata" for e, _, _ in got):
                break
            await asyncio.sleep(0.05)
        runs: list[Any] = await a.runs.list(tid)
        assert ("metadata", {"status": "run_done", "run_id": runs[0]["run_id"]}) in [
            (e, d) for e, d, _ in got
        ]
        values = [d for e, d, _ in got if e == "values"]
        assert values[0] == {"topic": "t", "log": []}
        assert values[-1]["__interrupt__"] == [pending]
        assert all(i is not None for e, _, i in got if e != "metadata")
        # The stream stays open: the resume's events come next.
        before = len(got)
        await a.runs.wait(tid, "plain", command={"resume": "yes"})
        for _ in range(100):
            if sum(e == "metadata" for e, _, _ in got[before:]):
                break
            await asyncio.sleep(0.05)
        assert [d for e, d, _ in got[before:] if e == "values"][-1]["log"] == [
            "a",
            "ask=yes",
            "yes",
        ]
        assert not watcher.done()
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


async def test_a_silent_stream_sends_heartbeats(
    urls: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sse, "HEARTBEAT_SECONDS", 0.1)
    async with httpx.AsyncClient(base_url=urls[0], timeout=30) as http:
        tid = (await http.post("/threads", json={})).json()["thread_id"]
        r = await http.post(
            f"/threads/{tid}/runs/stream",
            json={"assistant_id": "slow_steps", "input": {"log": []}, "stream_mode": "updates"},
        )
    assert b"\r\n\r\n: heartbeat\r\n\r\n" in r.content
    updates = [b for b in r.content.split(b"\r\n\r\n") if b.startswith(b"event: updates")]
    assert len(updates) == 4


async def test_cancel_on_disconnect_cancels_the_run_when_the_joiner_leaves(
    sdks: tuple[LangGraphClient, LangGraphClient],
) -> None:
    a, b = sdks
    tid = (await a.threads.create())["thread_id"]
    run = await a.runs.create(tid, "slow_steps", input={"log": []})
    stream = b.runs.join_stream(
        tid, run["run_id"], stream_mode=["values"], cancel_on_disconnect=True
    )
    async with contextlib.aclosing(stream) as parts:  # type: ignore[type-var]
        async for _ in parts:
            break  # the joiner goes away while the run goes on
    for _ in range(100):
        if (await a.runs.get(tid, run["run_id"]))["status"] == "interrupted":
            break
        await asyncio.sleep(0.1)
    assert (await a.runs.get(tid, run["run_id"]))["status"] == "interrupted"
    thread: Any = await a.threads.get(tid)
    assert thread["values"]["log"] != ["s0", "s1", "s2", "s3"]
