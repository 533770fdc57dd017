"""Per-node overhead of an unchanged LangGraph graph on Tempograph, side by side with the same
graph written with `tempograph.graph`, and with Temporal's LangGraph plugin (optional).

    .venv/bin/python -m bench.langgraph_unchanged            # ~3-5 min; writes LANGGRAPH.md
    .venv/bin/python -m bench.langgraph_unchanged --quick --skip-plugin

Graphs: linear-N (N = 1, 10, 50 no-op nodes, each returns {"i": i + 1}):
- `langgraph`: `bench/peers/peer_graphs.linear_graph(n)`, LangGraph's own StateGraph (the graph
  the peers run), compiled by LangGraph and served by create_worker as it is (translated by
  tempograph._langgraph: every node runs LangGraph's runnable and writers in its activity);
- `native`: `bench/graphs.linear(n)`, the same graph built with tempograph.graph;
- `temporalio-langgraph` (unless --skip-plugin): Temporal's plugin on the same LangGraph graph,
  nodes as activities, in its own process and venv (bench/peers; built on first use).

One headless dev server; Tempograph's worker (both graphs, one task queue) and client in this
process. Timed: GraphClient.invoke from the call to the final values (the plugin's driver
times the same span in its process). Rounds interleave the systems, the order rotating every
round; warm-up rounds are not kept. Per-node overhead = (median T50 - median T1) / 49, which
cancels the fixed cost per run. Also: history bytes and events per node (linear-10 minus
linear-1, over 9). Target (issue 13): the unchanged graph within 1.1x of the native graph's
per-node overhead, and faster than the plugin. Writes bench/results/LANGGRAPH.md and
langgraph.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import time
from contextlib import AsyncExitStack
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from typing import Any

from bench import graphs
from bench.common import RESULTS_DIR, HistoryStats, free_port, median, quiet_logs
from bench.linear import per_node
from bench.peers.client import PeerProcess
from bench.peers.peer_graphs import linear_graph
from bench.systems import Peer, Run, System, interleave
from bench.systems import Tempograph as NativeTempograph
from tempograph import GraphClient, connect, create_worker
from tempograph._langgraph._run import StateView
from tempograph.devserver import DevServer
from tempograph.worker import checked_graphs

TASK_QUEUE = "bench-langgraph"
PLUGIN = "temporalio-langgraph"
TARGET = 1.1


class UnchangedLangGraph(NativeTempograph):
    """The LangGraph graph served unchanged: graphs `lg_linear_<n>` on the same worker."""

    def __init__(self, graph_client: GraphClient) -> None:
        super().__init__(graph_client, local=False)
        self.key, self.label = "langgraph", "LangGraph graph, unchanged, on Tempograph"
        self.scenarios = frozenset({"linear", "history"})

    async def linear(self, n: int) -> Run:
        ms, thread, out = await self._invoke(f"lg_linear_{n}", {"i": 0})
        assert out == {"i": n}, out
        return Run(ms, thread)


class Native(NativeTempograph):
    def __init__(self, graph_client: GraphClient) -> None:
        super().__init__(graph_client, local=False)
        self.key, self.label = "native", "The same graph with tempograph.graph"
        self.scenarios = frozenset({"linear", "history"})


@dataclass
class Report:
    meta: dict[str, str]
    labels: dict[str, str]
    linear: dict[str, dict[int, list[float]]] = field(default_factory=dict)
    history: dict[str, dict[str, HistoryStats]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    node_call_us: dict[str, float] = field(default_factory=dict)  # in process, no Temporal


def served_graphs() -> dict[str, Any]:
    served: dict[str, Any] = {}
    for n in graphs.LINEAR_SIZES:
        served[f"linear_{n}"] = graphs.linear(n, local=False)
        served[f"lg_linear_{n}"] = linear_graph(n).compile()
    return served


async def node_call_us(calls: int = 2000) -> dict[str, float]:
    """CPU of one node call in this process, without Temporal: the native node function, and
    the adapter's node (LangGraph's runnable and writers with Pregel's config, writes turned
    into a Command): what the adapter adds per node on the worker."""
    served = served_graphs()
    native: Any = served["linear_10"].builder.nodes["n1"].fn
    adapted: Any = checked_graphs({"lg": served["lg_linear_10"]})["lg"].builder.nodes["n1"].fn
    config = {"configurable": {"thread_id": "t"}, "metadata": {"langgraph_step": 2}}

    def writer(chunk: Any) -> None:
        return None

    async def call_native() -> Any:
        return await native({"i": 1})

    async def call_adapted() -> Any:
        return await adapted(StateView({"i": 1}), config, None, writer)

    out: dict[str, float] = {}
    for key, call in (("native", call_native), ("langgraph", call_adapted)):
        for _ in range(calls // 10):
            await call()
        t0 = time.perf_counter()
        for _ in range(calls):
            await call()
        out[key] = (time.perf_counter() - t0) / calls * 1e6
    return out


async def measure(args: argparse.Namespace) -> Report:
    warmup = 1 if args.quick else 3
    # More runs than bench.run: the ratio of two close slopes needs tight medians.
    runs = {1: 5, 10: 5, 50: 3} if args.quick else {1: 30, 10: 30, 50: 20}
    report = Report(
        meta={
            "date": time.strftime("%Y-%m-%d %H:%M"),
            "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} CPUs",
            "python": platform.python_version(),
            "temporalio": version("temporalio"),
            "langgraph": version("langgraph"),
            "runs": f"{warmup} warm-up round(s), then N=1/10/50: "
            + "/".join(str(runs[n]) for n in graphs.LINEAR_SIZES)
            + " runs, interleaved",
        },
        labels={},
    )
    report.node_call_us = await node_call_us()
    server = DevServer(port=free_port(), ui_port=None)
    await server.start()
    try:
        client = await connect(server.address)
        gc = GraphClient(client, task_queue=TASK_QUEUE)
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(
                create_worker(client, served_graphs(), task_queue=TASK_QUEUE)
            )
            systems: list[System] = [UnchangedLangGraph(gc), Native(gc)]
            if not args.skip_plugin:
                process = PeerProcess()
                stack.push_async_callback(process.close)
                try:
                    await process.start(PLUGIN, server.address)
                    report.meta[f"peer {PLUGIN}"] = ", ".join(
                        f"{k} {v}" for k, v in process.versions.items()
                    )
                    systems.append(Peer(process, PLUGIN))
                except Exception as exc:  # the comparison is optional: say why it is missing
                    report.errors[PLUGIN] = f"{type(exc).__name__}: {exc}"
                    print(f"  {PLUGIN}: failed to start ({exc})", flush=True)
            report.labels = {s.key: s.label for s in systems}
            out: dict[str, dict[int, list[float]]] = {s.key: {} for s in systems}
            for n in graphs.LINEAR_SIZES:
                live = [s for s in systems if s.key not in report.errors]

                async def op(system: System, n: int = n) -> Run:
                    return await system.linear(n)

                samples = await interleave(
                    live, op, warmup=warmup, runs=runs[n], errors=report.errors
                )
                for key, got in samples.items():
                    out[key][n] = [r.ms for r in got]
                print(
                    f"  N={n}: "
                    + ", ".join(
                        f"{s.key} {median(out[s.key][n]):.1f}"
                        for s in live
                        if s.key not in report.errors
                    )
                    + " ms (median)",
                    flush=True,
                )
            report.linear = {k: v for k, v in out.items() if k not in report.errors}
            for system in systems:
                if system.key in report.errors or "history" not in system.scenarios:
                    continue
                stats = {}
                for n in (1, 10):
                    run = await system.linear(n)
                    stats[f"linear_{n}"] = await system.history(run.id)
                report.history[system.key] = stats
    finally:
        server.stop()
    return report


def render(report: Report) -> str:
    slopes = {
        key: per_node({n: median(samples) for n, samples in by_n.items()})
        for key, by_n in report.linear.items()
    }
    native, unchanged = slopes.get("native"), slopes.get("langgraph")
    lines = [
        "# Unchanged LangGraph graphs: per-node overhead",
        "",
        "`python -m bench.langgraph_unchanged` on "
        + ", ".join(f"{k} {v}" for k, v in report.meta.items())
        + ". One dev server (fast poll, in-memory); Tempograph's worker and client in one "
        "process. Latencies are client-side, in ms, end to end (start to final values).",
        "",
        "The LangGraph graph is `bench/peers/peer_graphs.linear_graph(n)` (what the peers run), "
        "compiled by LangGraph and served by `create_worker` as it is; the native graph is "
        "`bench/graphs.linear(n)`. Per node = (median T50 - median T1) / 49.",
        "",
    ]
    if native and unchanged:
        ratio = unchanged / native
        verdict = "PASS" if ratio <= TARGET else "MISS"
        lines += [
            f"**Target: unchanged LangGraph graph within {TARGET}x of the native graph per node: "
            f"{verdict}** ({unchanged:.2f} ms vs {native:.2f} ms, {ratio:.2f}x).",
            "",
        ]
        plugin = slopes.get(PLUGIN)
        if plugin:
            faster = "PASS" if unchanged < plugin else "MISS"
            lines += [
                f"**Faster than Temporal's LangGraph plugin per node: {faster}** "
                f"({unchanged:.2f} ms vs {plugin:.2f} ms, {plugin / unchanged:.2f}x).",
                "",
            ]
    lines += [
        "| system | N=1 | N=10 | N=50 | per node | vs native |",
        "|---|---|---|---|---|---|",
    ]
    for key, label in report.labels.items():
        if key not in report.linear:
            continue
        meds = [median(report.linear[key][n]) for n in graphs.LINEAR_SIZES]
        vs = f"{slopes[key] / native:.2f}x" if native else ""
        lines.append(
            f"| {label} | "
            + " | ".join(f"{m:.1f}" for m in meds)
            + f" | {slopes[key]:.2f} | {vs} |"
        )
    lines += ["", "min .. max per N:", ""]
    for key, label in report.labels.items():
        if key in report.linear:
            spans = ", ".join(
                f"N={n} {min(s):.1f}..{max(s):.1f}" for n, s in report.linear[key].items()
            )
            lines.append(f"- {label}: {spans}")
    if report.history:
        lines += [
            "",
            "Temporal history per node ((linear-10 - linear-1) / 9) and a node activity's "
            "payloads at linear-10:",
            "",
            "| system | events per node | bytes per node | activity in B | activity out B |",
            "|---|---|---|---|---|",
        ]
        for key, stats in report.history.items():
            one, ten = stats["linear_1"], stats["linear_10"]
            lines.append(
                f"| {report.labels[key]} | {(ten.events - one.events) / 9:.1f} | "
                f"{(ten.bytes - one.bytes) / 9:.0f} | {ten.activity_input_bytes:.0f} | "
                f"{ten.activity_result_bytes:.0f} |"
            )
    if report.node_call_us:
        us = report.node_call_us
        lines += [
            "",
            "CPU of one node call in process, without Temporal (what the adapter adds on the "
            f"worker): native {us['native']:.1f} us, LangGraph node through the adapter "
            f"{us['langgraph']:.1f} us (+{(us['langgraph'] - us['native']) / 1000:.2f} ms per "
            "node). Anything above that in the per-node difference is noise: absolute figures "
            "depend heavily on the load of the machine (2 CPUs shared with the server, the "
            "worker and the client); compare ratios and rerun.",
        ]
    if report.errors:
        lines += ["", "Left out:", ""]
        lines += [f"- {key}: {error}" for key, error in report.errors.items()]
    return "\n".join(lines) + "\n"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    parser.add_argument(
        "--skip-plugin", action="store_true", help=f"without {PLUGIN} (its venv is built once)"
    )
    args = parser.parse_args()
    quiet_logs()
    report = await measure(args)
    RESULTS_DIR.mkdir(exist_ok=True)
    text = render(report)
    (RESULTS_DIR / "LANGGRAPH.md").write_text(text)
    (RESULTS_DIR / "langgraph.json").write_text(json.dumps(asdict(report), indent=1, default=str))
    print(text)


if __name__ == "__main__":
    asyncio.run(main())
