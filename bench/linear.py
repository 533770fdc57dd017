"""Linear-N: N no-op nodes in sequence; per-node overhead is the slope of latency over N.

Per-node overhead is `(T50 - T1) / 49` of the median end-to-end client latencies, which cancels
each system's fixed cost per run (start, graph load, result delivery).
"""

from __future__ import annotations

from collections.abc import Sequence

from bench.common import median
from bench.graphs import LINEAR_SIZES
from bench.systems import Run, System, interleave


def per_node(medians: dict[int, float]) -> float:
    lo, hi = LINEAR_SIZES[0], LINEAR_SIZES[-1]
    return (medians[hi] - medians[lo]) / (hi - lo)


async def run(
    systems: Sequence[System], *, warmup: int, runs: dict[int, int], errors: dict[str, str]
) -> dict[str, dict[int, list[float]]]:
    taking = [s for s in systems if "linear" in s.scenarios]
    out: dict[str, dict[int, list[float]]] = {s.key: {} for s in taking}
    for n in LINEAR_SIZES:
        live = [s for s in taking if s.key not in errors]

        async def op(system: System, n: int = n) -> Run:
            return await system.linear(n)

        samples = await interleave(live, op, warmup=warmup, runs=runs[n], errors=errors)
        for key, got in samples.items():
            out[key][n] = [r.ms for r in got]
        print(
            f"  N={n}: "
            + ", ".join(f"{s.key} {median(out[s.key][n]):.1f}" for s in live if s.key not in errors)
            + " ms (median)",
            flush=True,
        )
    return {key: got for key, got in out.items() if key not in errors}
