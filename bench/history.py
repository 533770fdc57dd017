"""Temporal history per run: events and bytes per node, and how they grow with the state.

Untimed runs of linear-1 and linear-10 (bytes per node = (B10 - B1) / 9), fan-out and the HITL
round trip; for Tempograph and the floor also `grow`, whose nodes each add GROW_BYTES to the
state that every later node receives (the peers' drivers have no such graph).
"""

from __future__ import annotations

from collections.abc import Sequence

from bench.common import HistoryStats
from bench.graphs import FANOUT_WIDTH, GROW_SIZES
from bench.systems import System


def per_node(stats: dict[str, HistoryStats], base: str, attr: str) -> float:
    """Increment per extra node between the smallest and the largest run of `base`."""
    sizes = sorted(int(k.rsplit("_", 1)[1]) for k in stats if k.startswith(f"{base}_"))
    lo, hi = sizes[0], sizes[-1]
    grown = getattr(stats[f"{base}_{hi}"], attr) - getattr(stats[f"{base}_{lo}"], attr)
    return float(grown) / (hi - lo)


async def collect(system: System) -> dict[str, HistoryStats]:
    ids = {f"linear_{n}": (await system.linear(n)).id for n in (1, 10)}
    ids[f"fanout_{FANOUT_WIDTH}"] = (await system.fanout(FANOUT_WIDTH)).id
    ids["hitl"] = (await system.hitl()).id
    if not system.peer:
        ids |= {f"grow_{n}": await system.grow(n) for n in GROW_SIZES}
    return {what: await system.history(run_id) for what, run_id in ids.items()}


async def run(
    systems: Sequence[System], errors: dict[str, str]
) -> dict[str, dict[str, HistoryStats]]:
    out: dict[str, dict[str, HistoryStats]] = {}
    for system in systems:
        if "history" not in system.scenarios:
            continue
        try:
            out[system.key] = await collect(system)
        except Exception as e:
            if not system.peer:
                raise
            errors[system.key] = f"{type(e).__name__}: {e}"
            continue
        stats = out[system.key]
        print(
            f"  {system.key}: {per_node(stats, 'linear', 'events'):.1f} events, "
            f"{per_node(stats, 'linear', 'bytes'):.0f} bytes per node",
            flush=True,
        )
    return out
