"""Peer driver: the third-party `langgraph-temporal` package (`TemporalGraph`).

    <venv>/bin/python bench/peers/driver_langgraph_temporal.py --address HOST:PORT

Runs in its own venv (bench/peers/requirements-langgraph-temporal.txt) and imports nothing from
the repo. One process holds a Temporal client and the package's worker (its generic
`LangGraphWorkflow` plus the node activities, on the unsandboxed runner its README requires).
Graphs are plain compiled LangGraph graphs wrapped in `TemporalGraph`; the package runs every
node, `__start__` included, as an activity. After a `{"ready": true, ...}` line it serves
JSON-lines commands on stdin, one reply line per command (see bench/peers/README.md). All
logging goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
import uuid
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

from langgraph.pregel import Pregel
from langgraph.temporal import TemporalGraph
from peer_graphs import fanout_graph, hitl_graph, linear_graph
from peer_protocol import concurrent_runs, ms_since, protocol_stdout, reply, serve
from temporal_history import history_stats
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner

PACKAGES = ("langgraph-temporal", "temporalio", "langgraph", "langchain-core")

log = logging.getLogger("peer.langgraph-temporal")


def build_linear(n: int) -> Pregel:
    return linear_graph(n).compile(name=f"linear{n}")


def build_fanout(width: int) -> Pregel:
    return fanout_graph(width).compile(name=f"fanout{width}")


def build_hitl() -> Pregel:
    return hitl_graph().compile(name="hitl")


def build_hitl1() -> Pregel:
    return hitl_graph(asks=1).compile(name="hitl1")


THROUGHPUT_MAX_POLL_S = 0.25  # the get_state poll backs off up to this (see throughput_op)


class Driver:
    def __init__(self, client: Client, task_queue: str, poll_s: float) -> None:
        self.client = client
        self.task_queue = task_queue
        self.poll_s = poll_s
        self._graphs: dict[str, TemporalGraph] = {}

    def graph(self, name: str, build: Callable[[], Pregel]) -> TemporalGraph:
        """One TemporalGraph per graph, built on first use (it registers itself in-process)."""
        if name not in self._graphs:
            self._graphs[name] = TemporalGraph(build(), self.client, task_queue=self.task_queue)
        return self._graphs[name]

    @staticmethod
    def config(thread_id: str, steps: int = 25) -> dict[str, Any]:
        # The workflow stops after `recursion_limit` supersteps (default 25), `__start__` included.
        return {"configurable": {"thread_id": thread_id}, "recursion_limit": max(25, steps + 5)}

    async def linear_op(self, cmd: dict[str, Any]) -> dict[str, Any]:
        n = int(cmd["n"])
        tg = self.graph(f"linear{n}", lambda: build_linear(n))
        thread_id = f"peer-lt-linear{n}-{uuid.uuid4().hex[:12]}"
        t0 = time.perf_counter()
        result = await tg.ainvoke({"i": 0}, self.config(thread_id, n + 1))
        ms = ms_since(t0)
        if result.get("i") != n:
            raise AssertionError(f"expected i={n}, got {result}")
        return {"ms": ms, "id": thread_id}

    async def fanout_op(self, cmd: dict[str, Any]) -> dict[str, Any]:
        width = int(cmd.get("width", 8))
        tg = self.graph(f"fanout{width}", lambda: build_fanout(width))
        thread_id = f"peer-lt-fanout{width}-{uuid.uuid4().hex[:12]}"
        t0 = time.perf_counter()
        result = await tg.ainvoke({"out": [], "seen": 0}, self.config(thread_id))
        ms = ms_since(t0)
        if result.get("seen") != width or sorted(result.get("out", [])) != list(range(width)):
            raise AssertionError(f"join saw {result}")
        return {"ms": ms, "id": thread_id}

    async def wait_parked(
        self, tg: TemporalGraph, config: dict[str, Any], q: str, max_poll_s: float | None = None
    ) -> None:
        """Poll the package's get_state (a workflow query) until it reports the interrupt whose
        payload asks `q`. A fresh payload is required: right after a resume signal the query can
        still see the previous interrupt. With `max_poll_s`, the interval doubles up to it."""
        poll_s = self.poll_s
        while True:
            state = await tg.get_state(config)
            if state["status"] == "interrupted" and any(
                i.get("value") == {"q": q} for i in state["interrupts"]
            ):
                return
            if state["status"] == "done":
                raise AssertionError(f"run finished instead of parking at {q!r}: {state}")
            await asyncio.sleep(poll_s)
            if max_poll_s is not None:
                poll_s = min(poll_s * 2, max_poll_s)

    async def hitl_op(self, cmd: dict[str, Any]) -> dict[str, Any]:
        tg = self.graph("hitl", build_hitl)
        thread_id = f"peer-lt-hitl-{uuid.uuid4().hex[:12]}"
        config = self.config(thread_id)
        handle = await tg.astart({"answers": []}, config)
        await self.wait_parked(tg, config, "first?")
        t0 = time.perf_counter()
        await tg.resume(config, "a1")
        await self.wait_parked(tg, config, "second?")
        ms1 = ms_since(t0)
        t0 = time.perf_counter()
        await tg.resume(config, "a2")
        result = await handle.result()
        ms2 = ms_since(t0)
        if result.channel_values.get("answers") != ["a1", "a2"]:
            raise AssertionError(f"final: {result.channel_values}")
        return {"resume_ms": [ms1, ms2], "id": thread_id}

    async def history_op(self, cmd: dict[str, Any]) -> dict[str, Any]:
        return await history_stats(self.client, str(cmd["id"]))

    async def throughput_op(self, cmd: dict[str, Any]) -> dict[str, Any]:
        """n runs of START -> ask1 -> END at once: astart, poll get_state until the interrupt
        (backing off from --poll-ms to THROUGHPUT_MAX_POLL_S, so that hundreds of pollers do not
        flood the server with queries), resume (a signal), then the workflow's result."""
        tg = self.graph("hitl1", build_hitl1)

        async def one(thread_id: str) -> tuple[float, float]:
            config = self.config(thread_id)
            t0 = time.perf_counter()
            handle = await tg.astart({"answers": []}, config)
            await self.wait_parked(tg, config, "first?", THROUGHPUT_MAX_POLL_S)
            start_ms = ms_since(t0)
            t0 = time.perf_counter()
            await tg.resume(config, "a1")
            result = await handle.result()
            resume_ms = ms_since(t0)
            if result.channel_values.get("answers") != ["a1"]:
                raise AssertionError(f"final: {result.channel_values}")
            return start_ms, resume_ms

        return await concurrent_runs(int(cmd["n"]), "peer-lt-tp", one)


async def amain(args: argparse.Namespace) -> None:
    out = protocol_stdout()
    try:
        client = await Client.connect(args.address, namespace=args.namespace)
    except Exception as e:
        reply(out, {"ready": False, "error": f"{type(e).__name__}: {e}"})
        raise
    driver = Driver(client, args.task_queue, args.poll_ms / 1000.0)
    # Any graph works for create_worker: the workflow and activities are generic and look graphs
    # up in the process-wide registry that every TemporalGraph registers into.
    worker = driver.graph("hitl", build_hitl).create_worker(
        workflow_runner=UnsandboxedWorkflowRunner()
    )
    async with worker:
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
    parser.add_argument("--task-queue", default="peer-langgraph-temporal")
    parser.add_argument(
        "--poll-ms", type=float, default=2.0, help="get_state poll interval while awaiting a pause"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    asyncio.run(amain(args))


if __name__ == "__main__":
    main()
