"""Webhook notifications and what the Temporal UI shows of a waiting run.

A local HTTP receiver (http.server in a thread) records every POST. The graphs are built here:
`notify_graph` has compile(notify=<receiver>/graph); `notify_ask` takes the interrupt's notify
URL (and deadline) from its input, so each test points it where it needs."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypedDict

import httpx
import pytest
import pytest_asyncio
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Client

from tempograph import GraphClient, create_worker
from tempograph.graph import END, START, StateGraph
from tempograph.http import create_app
from tempograph.http.testing import free_port, serve
from tempograph.notifications import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    WEBHOOK_SECRET_ENV,
    answer_template,
    question_of,
    verify_signature,
)
from tempograph.types import Command, interrupt

SECRET = "test-secret"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    raw: bytes
    status: int

    @property
    def body(self) -> dict[str, Any]:
        return dict(json.loads(self.raw))


@dataclass
class Receiver:
    """Answers 200, except: /refuse/... 400; /fail-once/... 500 the first time per path."""

    url: str = ""
    posts: list[Received] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)

    def status_for(self, path: str) -> int:
        if path.startswith("/refuse"):
            return 400
        if path.startswith("/fail-once") and path not in self.failed:
            self.failed.add(path)
            return 500
        return 200

    def of(self, thread: str, event: str | None = None) -> list[Received]:
        return [
            p
            for p in self.posts
            if p.body.get("thread_id") == thread and (event is None or p.body["event"] == event)
        ]

    async def wait(self, thread: str, event: str, count: int = 1) -> list[Received]:
        for _ in range(300):
            got = self.of(thread, event)
            if len(got) >= count:
                return got
            await asyncio.sleep(0.05)
        raise AssertionError(f"no {event} POST for {thread}: {[p.body for p in self.posts]}")


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    rec = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = rec.status_for(self.path)
            rec.posts.append(Received(self.path, dict(self.headers), raw, status))
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rec.url = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield rec
    server.shutdown()


class State(TypedDict, total=False):
    hook: str
    timeout: float
    approved: bool


def ask(state: State) -> dict[str, Any]:
    approved = interrupt(
        {"question": "Ship it?", "diff": "+1 line"},
        response_schema=bool,
        notify=state.get("hook"),
        timeout=state.get("timeout"),
        default=False,
    )
    return {"approved": approved}


def build(notify: str | None) -> Any:
    builder = StateGraph(State)
    builder.add_node("ask", ask)
    builder.add_edge(START, "ask")
    builder.add_edge("ask", END)
    return builder.compile(notify=notify)


@pytest_asyncio.fixture(scope="module")
async def graphs(client: Client, receiver: Receiver) -> AsyncIterator[GraphClient]:
    queue = f"notify-{uuid.uuid4().hex[:6]}"
    served = {"notify_graph": build(f"{receiver.url}/graph"), "notify_ask": build(None)}
    async with create_worker(client, served, task_queue=queue):
        yield GraphClient(client, task_queue=queue)


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WEBHOOK_SECRET_ENV, SECRET)  # the worker's activity runs in this process


async def current_details(graphs: GraphClient, thread: str) -> str:
    handle = graphs.client.get_workflow_handle(thread)
    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    return metadata.current_details


async def test_pause_and_answer_notified_once_signed(
    graphs: GraphClient, receiver: Receiver, thread: str
) -> None:
    out = await graphs.invoke("notify_graph", {}, thread_id=thread)
    interrupt_id = out["__interrupt__"][0].id
    [paused] = await receiver.wait(thread, "interrupted")
    assert paused.path == "/graph" and paused.status == 200
    assert verify_signature(SECRET, paused.headers[SIGNATURE_HEADER], paused.raw)
    assert not verify_signature("other", paused.headers[SIGNATURE_HEADER], paused.raw)
    assert not verify_signature(SECRET, paused.headers[SIGNATURE_HEADER], paused.raw + b" ")
    body = paused.body
    assert body["graph"] == "notify_graph" and body["status"] == "interrupted"
    assert body["event_id"] == paused.headers[EVENT_ID_HEADER]
    assert body["inbox_url"] == f"http://127.0.0.1:2024/inbox/{thread}"
    [item] = body["interrupts"]
    assert item["id"] == interrupt_id and item["question"] == "Ship it?"
    assert item["response_schema"] == {"type": "boolean"} and item["deadline"] is None
    assert body["resume_example"] == {"resume": True}
    assert body["resume_commands"] == [
        f"tempograph resume {thread} true",
        f"temporal workflow update execute -w {thread} --name resume_update "
        """--input '{"resume":true}'""",
    ]
    done = await graphs.invoke("notify_graph", Command(resume=True), thread_id=thread)
    assert done["approved"] is True
    [answered] = await receiver.wait(thread, "answered")
    assert answered.body["answer"] is True and answered.body["interrupts"][0]["id"] == interrupt_id
    await asyncio.sleep(1.5)  # a retry would come after 1 s (NOTIFY_RETRY)
    assert [p.body["event"] for p in receiver.of(thread)] == ["interrupted", "answered"]


async def test_temporal_ui_summary_and_waiting_line(graphs: GraphClient, thread: str) -> None:
    await graphs.invoke("notify_graph", {}, thread_id=thread)
    description = await graphs.client.get_workflow_handle(thread).describe()
    assert await description.static_summary() == f"notify_graph · {thread}"
    assert f"thread `{thread}`" in (await description.static_details() or "")
    details = await current_details(graphs, thread)
    lines = details.splitlines()
    assert lines[0] == "Waiting for a human: Ship it?"
    assert "Answer template: `true`" in lines
    assert f"`tempograph resume {thread} true`" in lines
    assert f"Inbox: http://127.0.0.1:2024/inbox/{thread}" in lines
    assert any(
        line.startswith("or: More Actions → Send an Update → resume_update") for line in lines
    )
    await graphs.invoke("notify_graph", Command(resume=False), thread_id=thread)


async def test_retried_when_the_receiver_fails_first(
    graphs: GraphClient, receiver: Receiver, thread: str
) -> None:
    hook = f"{receiver.url}/fail-once/{thread}"
    await graphs.invoke("notify_ask", {"hook": hook}, thread_id=thread)
    first, second = await receiver.wait(thread, "interrupted", count=2)
    assert (first.status, second.status) == (500, 200)
    assert first.headers[EVENT_ID_HEADER] == second.headers[EVENT_ID_HEADER]
    assert verify_signature(SECRET, second.headers[SIGNATURE_HEADER], second.raw)
    done = await graphs.invoke("notify_ask", Command(resume=True), thread_id=thread)
    assert done["approved"] is True


async def test_receiver_down_the_run_pauses_and_resumes(graphs: GraphClient, thread: str) -> None:
    hook = f"http://127.0.0.1:{free_port()}/down"  # nothing listens there
    out = await graphs.invoke("notify_ask", {"hook": hook}, thread_id=thread)
    assert out["__interrupt__"][0].value["question"] == "Ship it?"
    # The delivery is retried in the background (a pending activity) while the run waits.
    handle = graphs.client.get_workflow_handle(thread)
    for _ in range(100):
        pending = (await handle.describe()).raw_description.pending_activities
        if pending and pending[0].attempt >= 2:
            break
        await asyncio.sleep(0.1)
    assert pending and "unreachable" in pending[0].last_failure.message
    done = await graphs.invoke("notify_ask", Command(resume=True), thread_id=thread)
    assert done == {"hook": hook, "approved": True}
    assert (await graphs.get_state(thread)).status == "done"


async def test_refused_delivery_shown_in_current_details(
    graphs: GraphClient, receiver: Receiver, thread: str
) -> None:
    await graphs.invoke("notify_ask", {"hook": f"{receiver.url}/refuse"}, thread_id=thread)
    await receiver.wait(thread, "interrupted")
    for _ in range(100):
        details = await current_details(graphs, thread)
        if "Notification failed" in details:
            break
        await asyncio.sleep(0.05)
    assert "Notification failed: interrupted webhook to" in details
    assert "answered HTTP 400" in details
    assert details.startswith("Waiting for a human: Ship it?")
    await graphs.invoke("notify_ask", Command(resume=True), thread_id=thread)


async def test_deadline_passed_is_notified(
    graphs: GraphClient, receiver: Receiver, thread: str
) -> None:
    hook = f"{receiver.url}/deadline"
    out = await graphs.invoke("notify_ask", {"hook": hook, "timeout": 1.0}, thread_id=thread)
    [paused] = await receiver.wait(thread, "interrupted")
    assert paused.body["interrupts"][0]["deadline"] is not None
    [expired] = await receiver.wait(thread, "expired")
    assert expired.body["expired"] == [out["__interrupt__"][0].id]
    for _ in range(100):
        if (await graphs.get_state(thread)).status == "done":
            break
        await asyncio.sleep(0.05)
    assert (await graphs.get_state(thread)).values["approved"] is False  # the default
    await asyncio.sleep(0.3)
    assert receiver.of(thread, "answered") == []  # nobody answered


async def test_http_webhook_posted_when_the_run_pauses_and_ends(
    graphs: GraphClient, receiver: Receiver
) -> None:
    app = create_app(graphs, ["notify_ask"])
    hook = f"{receiver.url}/run-webhook"
    async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=60) as api:
        r = await api.post("/threads", json={})
        thread = r.json()["thread_id"]
        body = {"assistant_id": "notify_ask", "input": {}, "webhook": hook}
        r = await api.post(f"/threads/{thread}/runs/wait", json=body)
        assert r.status_code == 200, r.text
        [paused] = await receiver.wait(thread, "interrupted")
        assert paused.path == "/run-webhook" and paused.body["values"] == {}
        resume = {"assistant_id": "notify_ask", "command": {"resume": True}, "webhook": hook}
        r = await api.post(f"/threads/{thread}/runs/wait", json=resume)
        assert r.status_code == 200 and r.json()["approved"] is True, r.text
        [ended] = await receiver.wait(thread, "ended")
        assert ended.body["status"] == "done" and ended.body["values"] == {"approved": True}
        assert ended.body["error"] is None
        assert verify_signature(SECRET, ended.headers[SIGNATURE_HEADER], ended.raw)
        bad = {"assistant_id": "notify_ask", "input": {}, "webhook": "ftp://x"}
        r = await api.post("/runs/wait", json=bad)
        assert r.status_code == 422, r.text


def test_question_and_answer_template() -> None:
    assert question_of("Approve?") == "Approve?"
    assert question_of({"description": "Check the tool call"}) == "Check the tool call"
    human = {"action_request": {"action": "send_email", "args": {"to": "a@b"}}, "config": {}}
    assert question_of(human) == 'send_email({"to":"a@b"})'
    assert question_of([human, human]) == 'send_email({"to":"a@b"}) (+1 more)'
    assert question_of({"a": [1, 2]}) == '{"a":[1,2]}'
    schema = {
        "type": "object",
        "properties": {
            "ok": {"type": "boolean"},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "kind": {"$ref": "#/$defs/Kind"},
            "n": {"type": "integer"},
        },
        "$defs": {"Kind": {"enum": ["a", "b"]}},
    }
    assert answer_template(schema) == {"ok": True, "note": "<answer>", "kind": "a", "n": 0}
    assert answer_template(None) == "<answer>"
