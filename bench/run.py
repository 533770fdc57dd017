"""Linear-graph benchmark: Tempograph's per-node overhead against a hand-written floor.

    .venv/bin/python -m bench.run [--sync-nodes]

One dev server, one client, one worker process serving both systems (on two task queues, so
neither worker ever receives the other's workflow tasks):
  (a) Tempograph: START -> n0 -> ... -> n{N-1} -> END, each node returns {"i": i + 1},
      run with GraphClient.invoke (update-with-start, returns when the run ends);
  (b) the floor (bench/floor.py): one workflow awaiting N no-op activities in sequence,
      run with client.execute_workflow.
Per-node overhead is the slope (T50 - T1) / 49 of the median end-to-end client latencies; the
fixed cost of a run (start, graph load, search attributes, update) cancels out of the slope.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import socket
import statistics
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TypedDict

import structlog
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.worker import Worker

from bench.floor import FloorWorkflow, noop
from tempograph import GraphClient, connect, create_worker
from tempograph.devserver import DevServer
from tempograph.graph import END, START, CompiledGraph, StateGraph

SIZES = (1, 10, 50)
WARMUP = 3
# Fewer samples at N=50: each run is ~50 sequential round trips, and its median is stable.
RUNS = {1: 15, 10: 15, 50: 7}
TARGET_RATIO = 1.2
GRAPH_QUEUE = "bench-graph"
FLOOR_QUEUE = "bench-floor"
RESULTS = Path(__file__).parent / "results" / "linear.md"


class CounterState(TypedDict):
    i: int


def build_linear(n: int, sync_nodes: bool) -> CompiledGraph:
    """START -> n0 -> n1 -> ... -> END, every node a no-op that bumps the counter."""

    async def step(state: CounterState) -> dict[str, int]:
        return {"i": state["i"] + 1}

    def sync_step(state: CounterState) -> dict[str, int]:
        return {"i": state["i"] + 1}

    g = StateGraph(CounterState)
    names = [f"n{k}" for k in range(n)]
    for name in names:
        g.add_node(name, sync_step if sync_nodes else step)
    for a, b in zip([START, *names], [*names, END], strict=True):
        g.add_edge(a, b)
    return g.compile()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@dataclass
class Systems:
    """The two ways to run N steps, each as `run(n) -> workflow id`, checked for correctness."""

    client: Client
    graphs: GraphClient

    async def tempograph(self, n: int) -> str:
        thread = new_id(f"tg{n}")
        out = await self.graphs.invoke(f"linear_{n}", {"i": 0}, thread_id=thread)
        assert out["i"] == n, out
        return thread

    async def floor(self, n: int) -> str:
        wid = new_id(f"fl{n}")
        out = await self.client.execute_workflow(
            FloorWorkflow.run, n, id=wid, task_queue=FLOOR_QUEUE
        )
        assert out == n, out
        return wid


async def timed(run: Callable[[int], Awaitable[str]], n: int) -> float:
    start = time.perf_counter()
    await run(n)
    return (time.perf_counter() - start) * 1000


async def measure(systems: Systems, n: int) -> tuple[list[float], list[float]]:
    """Interleave the two systems run by run (alternating who goes first), so drift in the
    machine or server (compaction, GC, a noisy neighbour) hits both alike."""
    tg: list[float] = []
    fl: list[float] = []
    for k in range(WARMUP + RUNS[n]):
        order = [(systems.tempograph, tg), (systems.floor, fl)]
        if k % 2:
            order.reverse()
        for run, samples in order:
            ms = await timed(run, n)
            if k >= WARMUP:
                samples.append(ms)
    return tg, fl


@dataclass
class HistoryStats:
    events: int
    bytes: int
    by_type: Counter[str]
    activity_input_bytes: float  # mean payload bytes per activity, as stored in history
    activity_result_bytes: float


async def history_stats(client: Client, workflow_id: str) -> HistoryStats:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    by_type: Counter[str] = Counter(
        EventType.Name(e.event_type).removeprefix("EVENT_TYPE_") for e in history.events
    )
    # Serialized protobuf size: payloads plus all the metadata Temporal stores per event.
    size = sum(e.ByteSize() for e in history.events)
    inputs = [
        sum(p.ByteSize() for p in e.activity_task_scheduled_event_attributes.input.payloads)
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]
    results = [
        sum(p.ByteSize() for p in e.activity_task_completed_event_attributes.result.payloads)
        for e in history.events
        if e.HasField("activity_task_completed_event_attributes")
    ]
    return HistoryStats(
        events=len(history.events),
        bytes=size,
        by_type=by_type,
        activity_input_bytes=statistics.mean(inputs),
        activity_result_bytes=statistics.mean(results),
    )


def fmt(ms: float) -> str:
    return f"{ms:.1f}"


def report(
    medians: dict[str, dict[int, float]],
    spread: dict[str, dict[int, tuple[float, float]]],
    hist: dict[str, dict[int, HistoryStats]],
    sync_nodes: bool,
) -> str:
    tg, fl = medians["tempograph"], medians["floor"]
    lo, hi = SIZES[0], SIZES[-1]
    slope = {k: (v[hi] - v[lo]) / (hi - lo) for k, v in medians.items()}
    ratio = slope["tempograph"] / slope["floor"]
    verdict = "PASS" if ratio <= TARGET_RATIO else "MISS"
    lines = [
        "# Linear graph: Tempograph vs hand-written Temporal workflow",
        "",
        f"- {time.strftime('%Y-%m-%d %H:%M')}, {platform.machine()}, "
        f"{len(os.sched_getaffinity(0))} CPUs, Python {platform.python_version()}, "
        f"temporalio {version('temporalio')}",
        f"- one dev server (fast poll), one worker process; nodes are "
        f"{'sync (run via asyncio.to_thread)' if sync_nodes else 'async'} no-ops",
        f"- median end-to-end client latency over "
        f"{'/'.join(str(RUNS[n]) for n in SIZES)} runs for N={'/'.join(map(str, SIZES))}, "
        f"after {WARMUP} warm-up runs; the two systems interleaved run by run",
        "",
        "| N | Tempograph median ms | Floor median ms | Ratio |",
        "|---|---:|---:|---:|",
    ]
    for n in SIZES:
        lines.append(f"| {n} | {fmt(tg[n])} | {fmt(fl[n])} | {tg[n] / fl[n]:.2f} |")
    lines += [
        f"| per node, (T{hi} - T{lo}) / {hi - lo} | {slope['tempograph']:.2f} | "
        f"{slope['floor']:.2f} | **{ratio:.2f}** |",
        f"| target per-node ratio <= {TARGET_RATIO} | | | **{verdict}** |",
        "",
        "Min .. max latency (ms), for judging noise:",
        "",
        "| N | Tempograph | Floor |",
        "|---|---:|---:|",
    ]
    for n in SIZES:
        (ta, tb), (fa, fb) = spread["tempograph"][n], spread["floor"][n]
        lines.append(f"| {n} | {fmt(ta)} .. {fmt(tb)} | {fmt(fa)} .. {fmt(fb)} |")

    # History: totals at N=10, and the per-node increment from N=1 to N=10.
    th, fh = hist["tempograph"], hist["floor"]

    def per_node(h: dict[int, HistoryStats], attr: str) -> float:
        return float(getattr(h[10], attr) - getattr(h[1], attr)) / 9

    lines += [
        "",
        "Temporal history of one run:",
        "",
        "| | Tempograph | Floor |",
        "|---|---:|---:|",
        f"| events at N=10 | {th[10].events} | {fh[10].events} |",
        f"| events per extra node, (E10 - E1) / 9 | {per_node(th, 'events'):.1f} | "
        f"{per_node(fh, 'events'):.1f} |",
        f"| history bytes at N=10 | {th[10].bytes} | {fh[10].bytes} |",
        f"| history bytes per extra node | {per_node(th, 'bytes'):.0f} | "
        f"{per_node(fh, 'bytes'):.0f} |",
        f"| activity input payload bytes (mean) | {th[10].activity_input_bytes:.0f} | "
        f"{fh[10].activity_input_bytes:.0f} |",
        f"| activity result payload bytes (mean) | {th[10].activity_result_bytes:.0f} | "
        f"{fh[10].activity_result_bytes:.0f} |",
        "",
        "Events by type at N=10:",
        "",
        "| event type | Tempograph | Floor |",
        "|---|---:|---:|",
    ]
    for name in sorted(set(th[10].by_type) | set(fh[10].by_type)):
        lines.append(f"| {name} | {th[10].by_type[name]} | {fh[10].by_type[name]} |")
    return "\n".join(lines) + "\n"


async def main(sync_nodes: bool) -> None:
    # structlog's default config renders every node's debug line to stdout; that is a dev
    # setting, not something a deployed worker pays, and it would drown the table.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    srv = DevServer(port=free_port(), ui_port=None)
    await srv.start()
    try:
        client = await connect(srv.address)
        graphs = {f"linear_{n}": build_linear(n, sync_nodes) for n in SIZES}
        graph_worker = create_worker(client, graphs, task_queue=GRAPH_QUEUE)
        floor_worker = Worker(
            client, task_queue=FLOOR_QUEUE, workflows=[FloorWorkflow], activities=[noop]
        )
        systems = Systems(client=client, graphs=GraphClient(client, task_queue=GRAPH_QUEUE))
        medians: dict[str, dict[int, float]] = {"tempograph": {}, "floor": {}}
        spread: dict[str, dict[int, tuple[float, float]]] = {"tempograph": {}, "floor": {}}
        hist: dict[str, dict[int, HistoryStats]] = {"tempograph": {}, "floor": {}}
        async with graph_worker, floor_worker:
            for n in SIZES:
                t0 = time.perf_counter()
                tg, fl = await measure(systems, n)
                for name, samples in (("tempograph", tg), ("floor", fl)):
                    medians[name][n] = statistics.median(samples)
                    spread[name][n] = (min(samples), max(samples))
                print(
                    f"N={n}: tempograph {fmt(medians['tempograph'][n])} ms, "
                    f"floor {fmt(medians['floor'][n])} ms "
                    f"({time.perf_counter() - t0:.1f}s)",
                    flush=True,
                )
            # Untimed runs, only to read their histories.
            for n in (1, 10):
                hist["tempograph"][n] = await history_stats(client, await systems.tempograph(n))
                hist["floor"][n] = await history_stats(client, await systems.floor(n))
    finally:
        srv.stop()
    table = report(medians, spread, hist, sync_nodes)
    print()
    print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    out = RESULTS.with_name("linear-sync.md") if sync_nodes else RESULTS
    out.write_text(table)
    print(f"written to {out}")


def cli(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument(
        "--sync-nodes",
        action="store_true",
        help="use plain `def` nodes (Tempograph runs them in a thread) instead of `async def`",
    )
    args = parser.parse_args(argv)
    asyncio.run(main(args.sync_nodes))


if __name__ == "__main__":
    cli()
