"""HITL round trip: start -> interrupt -> resume -> next interrupt -> resume -> end.

Timed: each resume call until its reply (the next interrupt, then the end). For the floor that
is the raw update round trip: `execute_update` until the workflow has parked again or ended.
"""

from __future__ import annotations

from collections.abc import Sequence

from bench.common import median
from bench.systems import HitlRun, System, interleave


async def run(
    systems: Sequence[System], *, warmup: int, runs: int, errors: dict[str, str]
) -> dict[str, list[list[float]]]:
    taking = [s for s in systems if "hitl" in s.scenarios]

    async def op(system: System) -> HitlRun:
        return await system.hitl()

    samples = await interleave(taking, op, warmup=warmup, runs=runs, errors=errors)
    out = {key: [r.resume_ms for r in got] for key, got in samples.items() if key not in errors}
    print(
        "  "
        + ", ".join(f"{k} {median([ms for run in v for ms in run]):.1f}" for k, v in out.items())
        + " ms per resume",
        flush=True,
    )
    return out
