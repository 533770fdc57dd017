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
import logging
import sys
import time
import uuid
from datetime import timedelta
from importlib.metadata import version
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from peer_graphs import fanout_graph, hitl_graph, linear_graph
from peer_protocol import concurrent_runs, ms_since, protocol_stdout, reply, serve
from temporal_history import history_stats
from temporalio import workflow
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.langgraph import LangGraphPlugin
from temporalio.langgraph import graph as registered_graph
from temporalio.worker import Worker

PACKAGES = ("temporalio-langgraph", "temporalio", "langgraph", "langchain-core")
NODE_OPTIONS: dict[str, Any] = {
    "execute_in": "activity",
    "start_to_close_timeout": timedelta(seconds=30),
}

log = logging.getLogger("peer.temporalio-langgraph")

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

    async def throughput_op(self, cmd: dict[str, Any]) -> dict[str, Any]:
        """n runs of START -> ask1 -> END at once: update-with-start until the first interrupt
        (the quickest start that knows the run is parked), then the `answer` update until the
        final state."""

        async def one(wf_id: str) -> tuple[float, float]:
            t0 = time.perf_counter()
            start = WithStartWorkflowOperation(
                HitlWorkflow.run,
                "hitl1",
                id=wf_id,
                task_queue=self.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            )
            first = await self.client.execute_update_with_start_workflow(
                HitlWorkflow.parked, start_workflow_operation=start
            )
            start_ms = ms_since(t0)
            if first != [{"q": "first?"}]:
                raise AssertionError(f"first interrupt: {first}")
            handle: WorkflowHandle[Any, Any] = self.client.get_workflow_handle(wf_id)
            t0 = time.perf_counter()
            final = await handle.execute_update(HitlWorkflow.answer, "a1")
            resume_ms = ms_since(t0)
            if final != {"result": {"answers": ["a1"]}}:
                raise AssertionError(f"final: {final}")
            return start_ms, resume_ms

        return await concurrent_runs(int(cmd["n"]), "peer-tl-tp", one)


def sizes(text: str) -> set[int]:
    return {int(s) for s in text.split(",") if s.strip()}


async def amain(args: argparse.Namespace) -> None:
    out = protocol_stdout()
    linear, fanout = sizes(args.linear), sizes(args.fanout)
    # Every node an activity; peer_graphs' node functions are module-level, as the plugin needs.
    graphs = {f"linear{n}": linear_graph(n, NODE_OPTIONS) for n in sorted(linear)}
    graphs |= {f"fanout{w}": fanout_graph(w, NODE_OPTIONS) for w in sorted(fanout)}
    graphs["hitl"] = hitl_graph(NODE_OPTIONS)
    graphs["hitl1"] = hitl_graph(NODE_OPTIONS, asks=1)
    try:
        client = await Client.connect(args.address, namespace=args.namespace)
    except Exception as e:
        reply(out, {"ready": False, "error": f"{type(e).__name__}: {e}"})
        raise
    worker = Worker(
        client,
        task_queue=args.task_queue,
        workflows=[RunGraphWorkflow, HitlWorkflow],
        plugins=[LangGraphPlugin(graphs=graphs)],
    )
    async with worker:
        driver = Driver(client, args.task_queue, linear, fanout, args.in_memory_saver)
        reply(out, {"ready": True, "versions": {p: version(p) for p in PACKAGES}})
        await serve(
            out,
            {
                "linear": driver.linear_op,
                "fanout": driver.fanout_op,
                "hitl": driver.hitl_op,
                "history": driver.history_op,
                "throughput": driver.throughput_op,
            },
            log,
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
