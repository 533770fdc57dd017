"""Runs that exercise every path of the GraphRun workflow, for replay tests.

`python -m tests.replay.replay_scenarios NAME` records their histories into tests/histories/NAME/
(commit them, one folder per workflow version): replaying every recorded folder with today's
workflow code proves that a change keeps runs recorded by older versions, possibly paused for
weeks, replayable. Record a new folder whenever the workflow gains a `workflow.patched` branch.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHistory

from tempograph import GraphClient, GraphRunError, connect, create_worker
from tempograph.devserver import DevServer
from tempograph.messages import (
    RESUME_SIGNAL,
    RESUME_UPDATE,
    STREAM_WANTED_SIGNAL,
    WORKFLOW_TYPE,
    ResumeInput,
    RunInput,
)
from tempograph.types import Command, Send
from tests.sample_graphs import all_graphs

HISTORY_DIR = Path(__file__).parent.parent / "histories"


@contextlib.contextmanager
def webhook_receiver() -> Iterator[str]:
    """A local webhook receiver that answers 200 to every POST; yields its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook"
    finally:
        server.shutdown()


async def run_scenarios(graphs: GraphClient, prefix: str) -> list[str]:
    """Drive one run per scenario to its end; returns the thread ids."""
    threads: list[str] = []

    def thread(name: str) -> str:
        threads.append(f"{prefix}-{name}")
        return threads[-1]

    t = thread("ask")
    await graphs.invoke("ask", {"log": [], "x": 1}, thread_id=t)
    # A rejected signal stays in history (a rejected update leaves no trace at all).
    await graphs.client.get_workflow_handle(t).signal(RESUME_SIGNAL, ResumeInput())
    await graphs.invoke("ask", Command(update={"x": 2}), thread_id=t)
    await graphs.invoke("ask", Command(resume="yes"), thread_id=t)

    t = thread("multi")
    await graphs.invoke("multi", {"log": []}, thread_id=t)
    await graphs.invoke("multi", Command(resume="X"), thread_id=t)
    await graphs.invoke("multi", Command(resume="Y"), thread_id=t)

    t = thread("par")
    out = await graphs.invoke("par", {"log": []}, thread_id=t)
    ids = [i.id for i in out["__interrupt__"]]
    await graphs.invoke("par", Command(resume={ids[0]: "A"}), thread_id=t)
    await graphs.invoke("par", Command(resume={ids[1]: "B"}), thread_id=t)

    t = thread("send")
    out = await graphs.invoke("send", {"items": ["p", "q"]}, thread_id=t)
    await graphs.invoke(
        "send", Command(resume={i.id: "ok" for i in out["__interrupt__"]}), thread_id=t
    )

    t = thread("goto-send")  # Command(goto=...) with Sends and a name, at an interrupt
    await graphs.invoke("ask", {"log": [], "x": 1}, thread_id=t)
    await graphs.invoke("ask", Command(resume="yes", goto=[Send("c", {"k": 1}), "c"]), thread_id=t)

    t = thread("goto-send-breakpoint")  # ... and at a static breakpoint
    await graphs.invoke("chain_before_b", {"log": []}, thread_id=t)
    await graphs.invoke("chain_before_b", Command(goto=Send("c", {"k": 2})), thread_id=t)

    t = thread("chain")
    await graphs.invoke("chain_before_b", {"log": []}, thread_id=t, interrupt_after=["b"])
    await graphs.invoke("chain_before_b", None, thread_id=t)
    await graphs.invoke("chain_before_b", Command(update={"log": ["human"]}), thread_id=t)

    t = thread("second-run")  # a second run on a thread loads the first one's state
    await graphs.invoke("chain", {"log": ["x"]}, thread_id=t)
    await graphs.invoke("chain", {"log": ["y"]}, thread_id=t)

    t = thread("route")
    await graphs.invoke("route_after_a", {"log": [], "route": "y"}, thread_id=t)
    await graphs.invoke("route_after_a", None, thread_id=t)

    t = thread("pydantic")
    await graphs.invoke("pydantic", {"title": "t"}, thread_id=t)
    await graphs.invoke("pydantic", Command(resume="T"), thread_id=t)

    for name in ("approve", "joins"):
        t = thread(name)
        await graphs.invoke(
            name, {"action": "x"} if name == "approve" else {"log": []}, thread_id=t
        )
        if name == "approve":
            await graphs.invoke(name, Command(resume=True), thread_id=t)

    t = thread("failing")
    with contextlib.suppress(GraphRunError):
        await graphs.invoke("failing", {}, thread_id=t)

    # The fast path: local-activity nodes (and an interrupt in one), state deltas.
    t = thread("ask_local")
    await graphs.invoke("ask_local", {"log": [], "x": 1}, thread_id=t)
    await graphs.invoke("ask_local", Command(resume="yes"), thread_id=t)
    # Messages: add_messages coerces tuples and role dicts, gives ids (patch coerce-messages).
    t = thread("messages")
    await graphs.invoke("messages", {"messages": [("user", "hi")]}, thread_id=t)
    await graphs.invoke("messages", Command(resume="Ada"), thread_id=t)
    # Live output: node activities signal token batches to their run (stream=True); a client
    # joining a paused run asks for it (STREAM_WANTED_SIGNAL); the resume brings its own flag.
    t = thread("streamed")
    handle = await graphs.client.start_workflow(
        WORKFLOW_TYPE,
        RunInput(graph="streamed", input={"messages": [("user", "hi")]}, stream=True),
        id=t,
        task_queue=graphs.task_queue,
    )
    while (await graphs.get_state(t)).status != "interrupted":
        await asyncio.sleep(0.05)
    await handle.signal(STREAM_WANTED_SIGNAL)
    await graphs.client.get_workflow_handle(t).execute_update(
        RESUME_UPDATE, ResumeInput(resume="Ada", stream=True), result_type=dict
    )
    await handle.result()
    for name in ("chat", "chat_local"):
        await graphs.invoke(name, {"messages": [], "turns": 8}, thread_id=thread(name))
    # Notifications (patch notify): the invocation's webhook hears of the pause, the answer
    # and the end, each a notify activity the run does not wait for (but for the end's).
    t = thread("notify")
    with webhook_receiver() as url:
        handle = await graphs.client.start_workflow(
            WORKFLOW_TYPE,
            RunInput(graph="ask", input={"log": [], "x": 1}, webhook=url),
            id=t,
            task_queue=graphs.task_queue,
        )
        while (await graphs.get_state(t)).status != "interrupted":
            await asyncio.sleep(0.05)
        await handle.execute_update(
            RESUME_UPDATE, ResumeInput(resume="yes", webhook=url), result_type=dict
        )
        await handle.result()
    return threads


async def fetch_histories(client: Client, threads: list[str]) -> list[WorkflowHistory]:
    return [await client.get_workflow_handle(t).fetch_history() for t in threads]


async def record(version: str) -> None:
    server = DevServer(port=7299, ui_port=None)
    await server.start()
    try:
        client = await connect(server.address)
        async with create_worker(client, all_graphs(), task_queue="record"):
            threads = await run_scenarios(
                GraphClient(client, task_queue="record"), f"rec-{uuid.uuid4().hex[:6]}"
            )
        folder = HISTORY_DIR / version
        folder.mkdir(parents=True, exist_ok=True)
        for history in await fetch_histories(client, threads):
            name = history.workflow_id.split("-", 2)[-1]
            (folder / f"{name}.json").write_text(history.to_json())
    finally:
        server.stop()


if __name__ == "__main__":
    asyncio.run(record(sys.argv[1]))
