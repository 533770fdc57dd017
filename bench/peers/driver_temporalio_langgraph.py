"""Peer driver: Temporal's official LangGraph plugin (`temporalio-langgraph`).

    <venv>/bin/python bench/peers/driver_temporalio_langgraph.py --address HOST:PORT

Runs in its own venv (bench/peers/requirements-temporalio-langgraph.txt) and imports nothing from
the repo. One process holds a Temporal client and a worker with `LangGraphPlugin`; every graph
node runs as a Temporal activity (`metadata={"execute_in": "activity", ...}`), and our own
workflows call `graph(name).compile()` + `ainvoke`, as in Temporal's samples. After a
`{"ready": true, ...}` line it serves JSON-lines commands on stdin, one reply line per command
(see bench/peers/README.md). All logging goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import operator
import os
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta
from importlib.metadata import version
from typing import Annotated, Any, TextIO, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.langgraph import LangGraphPlugin
from temporalio.langgraph import graph as registered_graph
from temporalio.worker import Worker

PACKAGES = ("temporalio-langgraph", "temporalio", "langgraph", "langchain-core")
NODE_OPTIONS: dict[str, Any] = {
    "execute_in": "activity",
    "start_to_close_timeout": timedelta(seconds=30),
}

log = logging.getLogger("peer.temporalio-langgraph")

# --- graphs -------------------------------------------------------------------------------
# Node functions must be module-level: the plugin derives a task id from module + qualname and
# rejects closures and __main__ (hence the re-import at the bottom of this file).


class CounterState(TypedDict):
    i: int


class FanState(TypedDict):
    out: Annotated[list[int], operator.add]
    seen: int


class HitlState(TypedDict):
    answers: Annotated[list[str], operator.add]


async def step(state: CounterState) -> dict[str, int]:
    return {"i": state["i"] + 1}


async def branch(state: FanState, config: RunnableConfig) -> dict[str, list[int]]:
    # Node metadata that is not an activity option reaches the node as config["metadata"].
    return {"out": [config["metadata"]["branch"]]}


async def join(state: FanState) -> dict[str, int]:
    return {"seen": len(state["out"])}


async def ask1(state: HitlState) -> dict[str, list[str]]:
    return {"answers": [interrupt({"q": "first?"})]}


async def ask2(state: HitlState) -> dict[str, list[str]]:
    return {"answers": [interrupt({"q": "second?"})]}


def build_linear(n: int) -> StateGraph[Any, Any, Any, Any]:
    g = StateGraph(CounterState)
    prev = START
    for k in range(n):
        g.add_node(f"n{k}", step, metadata=dict(NODE_OPTIONS))
        g.add_edge(prev, f"n{k}")
        prev = f"n{k}"
    g.add_edge(prev, END)
    return g


def build_fanout(width: int) -> StateGraph[Any, Any, Any, Any]:
    g = StateGraph(FanState)
    g.add_node("join", join, metadata=dict(NODE_OPTIONS))
    for k in range(width):
        g.add_node(f"b{k}", branch, metadata={**NODE_OPTIONS, "branch": k})
        g.add_edge(START, f"b{k}")
        g.add_edge(f"b{k}", "join")
    g.add_edge("join", END)
    return g


def build_hitl() -> StateGraph[Any, Any, Any, Any]:
    g = StateGraph(HitlState)
    g.add_node("ask1", ask1, metadata=dict(NODE_OPTIONS))
    g.add_node("ask2", ask2, metadata=dict(NODE_OPTIONS))
    g.add_edge(START, "ask1")
    g.add_edge("ask1", "ask2")
    g.add_edge("ask2", END)
    return g


# --- workflows ----------------------------------------------------------------------------


@workflow.defn
class RunGraphWorkflow:
    """Run a registered graph to the end; with an InMemorySaver only if asked (no need here)."""

    @workflow.run
    async def run(self, name: str, state: dict[str, Any], saver: bool) -> dict[str, Any]:
        if not saver:
            return dict(await registered_graph(name).compile().ainvoke(state))
        app = registered_graph(name).compile(checkpointer=InMemorySaver())
        config: RunnableConfig = {"configurable": {"thread_id": workflow.info().workflow_id}}
        return dict(await app.ainvoke(state, config))


@workflow.defn
class HitlWorkflow:
    """The official sample's pattern: ainvoke -> interrupts -> wait for input -> resume.

    Input arrives through the `answer` update, which returns once the next `ainvoke` does: with
    the next interrupt's payload, or with the final state.
    """

    def __init__(self) -> None:
        self._rounds = 0  # completed ainvoke calls
        self._answer: str | None = None
        self._parked: list[Any] | None = None
        self._final: dict[str, Any] | None = None

    @workflow.run
    async def run(self, name: str) -> dict[str, Any]:
        app = registered_graph(name).compile(checkpointer=InMemorySaver())
        config: RunnableConfig = {"configurable": {"thread_id": workflow.info().workflow_id}}
        result = await app.ainvoke({"answers": []}, config, version="v2")
        while result.interrupts:
            self._parked = [i.value for i in result.interrupts]
            self._rounds += 1
            await workflow.wait_condition(lambda: self._answer is not None)
            answer, self._answer = self._answer, None
            result = await app.ainvoke(Command(resume=answer), config, version="v2")
        self._parked = None
        self._final = dict(result.value)
        self._rounds += 1
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._final

    @workflow.update
    async def parked(self) -> list[Any] | None:
        """Wait until the first ainvoke returns; its interrupt payloads (None if it finished)."""
        await workflow.wait_condition(lambda: self._rounds > 0)
        return self._parked

    @workflow.update
    async def answer(self, text: str) -> dict[str, Any]:
        rounds = self._rounds
        self._answer = text
        await workflow.wait_condition(lambda: self._rounds > rounds)
        if self._parked is not None:
            return {"interrupts": self._parked}
        return {"result": self._final}

    @answer.validator
    def _check_answer(self, text: str) -> None:
        if self._parked is None or self._answer is not None:
            raise ValueError("not parked at an interrupt")


# --- driver -------------------------------------------------------------------------------


def ms_since(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000.0


async def history_stats(client: Client, workflow_id: str) -> dict[str, Any]:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    events = history.events
    inputs = [
        sum(p.ByteSize() for p in e.activity_task_scheduled_event_attributes.input.payloads)
        for e in events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]
    results = [
        sum(p.ByteSize() for p in e.activity_task_completed_event_attributes.result.payloads)
        for e in events
        if e.HasField("activity_task_completed_event_attributes")
    ]
    by_type = Counter(EventType.Name(e.event_type).removeprefix("EVENT_TYPE_") for e in events)
    return {
        "events": len(events),
        "bytes": sum(e.ByteSize() for e in events),
        "activities": len(inputs),
        "activity_input_bytes": statistics.mean(inputs) if inputs else 0.0,
        "activity_result_bytes": statistics.mean(results) if results else 0.0,
        "by_type": dict(by_type),
    }


class Driver:
    def __init__(
        self, client: Client, task_queue: str, linear: set[int], fanout: set[int], saver: bool
    ) -> None:
        self.client = client
        self.task_queue = task_queue
        self.linear = linear
        self.fanout = fanout
        self.saver = saver

    async def _run_graph(self, name: str, state: dict[str, Any]) -> tuple[float, str, Any]:
        wf_id = f"peer-tl-{name}-{uuid.uuid4().hex[:12]}"
        t0 = time.perf_counter()
        result = await self.client.execute_workflow(
            RunGraphWorkflow.run,
            args=[name, state, self.saver],
            id=wf_id,
            task_queue=self.task_queue,
        )
        return ms_since(t0), wf_id, result

    async def linear_op(self, cmd: dict[str, Any]) -> dict[str, Any]:
        n = int(cmd["n"])
        if n not in self.linear:
            return {"error": f"unsupported: linear n={n} not registered (driver --linear)"}
        ms, wf_id, result = await self._run_graph(f"linear{n}", {"i": 0})
        if result["i"] != n:
            raise AssertionError(f"expected i={n}, got {result}")
        return {"ms": ms, "id": wf_id}

    async def fanout_op(self, cmd: dict[str, Any]) -> dict[str, Any]:
        width = int(cmd.get("width", 8))
        if width not in self.fanout:
            return {"error": f"unsupported: fanout width={width} not registered (driver --fanout)"}
        ms, wf_id, result = await self._run_graph(f"fanout{width}", {"out": [], "seen": 0})
        if result["seen"] != width or sorted(result["out"]) != list(range(width)):
            raise AssertionError(f"join saw {result}")
        return {"ms": ms, "id": wf_id}

    async def hitl_op(self, cmd: dict[str, Any]) -> dict[str, Any]:
        wf_id = f"peer-tl-hitl-{uuid.uuid4().hex[:12]}"
        handle: WorkflowHandle[Any, Any] = await self.client.start_workflow(
            HitlWorkflow.run, "hitl", id=wf_id, task_queue=self.task_queue
        )
        first = await handle.execute_update(HitlWorkflow.parked)
        if first != [{"q": "first?"}]:
            raise AssertionError(f"first interrupt: {first}")
        t0 = time.perf_counter()
        second = await handle.execute_update(HitlWorkflow.answer, "a1")
        ms1 = ms_since(t0)
        if second != {"interrupts": [{"q": "second?"}]}:
            raise AssertionError(f"second interrupt: {second}")
        t0 = time.perf_counter()
        final = await handle.execute_update(HitlWorkflow.answer, "a2")
        ms2 = ms_since(t0)
        if final != {"result": {"answers": ["a1", "a2"]}}:
            raise AssertionError(f"final: {final}")
        await handle.result()
        return {"resume_ms": [ms1, ms2], "id": wf_id}

    async def history_op(self, cmd: dict[str, Any]) -> dict[str, Any]:
        return await history_stats(self.client, str(cmd["id"]))


async def serve(
    out: TextIO, ops: dict[str, Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]]
) -> None:
    """Answer JSON-lines commands from stdin, one reply line each, until quit or EOF."""
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            return
        if not line.strip():
            continue
        try:
            cmd = json.loads(line)
            op = cmd.get("op")
            if op == "quit":
                return
            handler = ops.get(op)
            reply = await handler(cmd) if handler else {"error": f"unsupported: unknown op {op!r}"}
        except Exception as e:
            log.exception("command failed: %s", line.strip())
            reply = {"error": f"{type(e).__name__}: {e}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()


def protocol_stdout() -> TextIO:
    """Keep the real stdout for replies and point fd 1 at stderr, so no stray print (ours, a
    library's, or native code's) can corrupt the protocol."""
    sys.stdout.flush()
    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return out


def sizes(text: str) -> set[int]:
    return {int(s) for s in text.split(",") if s.strip()}


async def amain(args: argparse.Namespace) -> None:
    out = protocol_stdout()
    linear, fanout = sizes(args.linear), sizes(args.fanout)
    graphs = {f"linear{n}": build_linear(n) for n in sorted(linear)}
    graphs |= {f"fanout{w}": build_fanout(w) for w in sorted(fanout)}
    graphs["hitl"] = build_hitl()
    try:
        client = await Client.connect(args.address, namespace=args.namespace)
    except Exception as e:
        out.write(json.dumps({"ready": False, "error": f"{type(e).__name__}: {e}"}) + "\n")
        out.flush()
        raise
    worker = Worker(
        client,
        task_queue=args.task_queue,
        workflows=[RunGraphWorkflow, HitlWorkflow],
        plugins=[LangGraphPlugin(graphs=graphs)],
    )
    async with worker:
        driver = Driver(client, args.task_queue, linear, fanout, args.in_memory_saver)
        ready = {"ready": True, "versions": {p: version(p) for p in PACKAGES}}
        out.write(json.dumps(ready) + "\n")
        out.flush()
        await serve(
            out,
            {
                "linear": driver.linear_op,
                "fanout": driver.fanout_op,
                "hitl": driver.hitl_op,
                "history": driver.history_op,
            },
        )
    log.info("worker shut down")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", default="127.0.0.1:7233")
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--task-queue", default="peer-temporalio-langgraph")
    parser.add_argument("--linear", default="1,10,50", help="linear graph sizes to register")
    parser.add_argument("--fanout", default="8", help="fan-out widths to register")
    parser.add_argument(
        "--in-memory-saver",
        action="store_true",
        help="compile linear/fanout graphs with an InMemorySaver too (hitl always has one)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    asyncio.run(amain(args))


if __name__ == "__main__":
    # Re-enter through a named module: the plugin refuses node functions defined in __main__,
    # and the workflow sandbox re-imports workflow modules by name.
    from driver_temporalio_langgraph import main as named_main

    named_main()
