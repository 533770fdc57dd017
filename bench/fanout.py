"""Fan-out: START -> 8 parallel no-op nodes -> join -> END, end-to-end latency per run."""

from __future__ import annotations

from collections.abc import Sequence

from bench.common import median
from bench.graphs import FANOUT_WIDTH
from bench.systems import Run, System, interleave


async def run(
    systems: Sequence[System], *, warmup: int, runs: int, errors: dict[str, str]
) -> dict[str, list[float]]:
    taking = [s for s in systems if "fanout" in s.scenarios]

    async def op(system: System) -> Run:
        return await system.fanout(FANOUT_WIDTH)

    samples = await interleave(taking, op, warmup=warmup, runs=runs, errors=errors)
    out = {key: [r.ms for r in got] for key, got in samples.items() if key not in errors}
    print("  " + ", ".join(f"{k} {median(v):.1f}" for k, v in out.items()) + " ms", flush=True)
    return out
