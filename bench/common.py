"""Shared pieces of the benchmark: ids, timing, statistics, history sizes, the results model."""

from __future__ import annotations

import logging
import math
import socket
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
from temporalio.client import Client

from bench.peers import temporal_history

RESULTS_DIR = Path(__file__).parent / "results"


def quiet_logs() -> None:
    """Warnings and errors only, on stderr. structlog's default renders every node's debug and
    info lines to stdout: a dev setting that a deployed worker does not pay, that would drown
    the output, and that would fill the pipe of a worker process nobody reads."""
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def ms_since(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000.0


def median(samples: list[float]) -> float:
    return statistics.median(samples) if samples else math.nan


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): an actual sample, no interpolation."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


@dataclass
class HistoryStats:
    """One workflow history: serialized protobuf size of all events (payloads plus the metadata
    Temporal stores per event) and the mean activity payload sizes."""

    events: int
    bytes: int
    activities: int
    activity_input_bytes: float
    activity_result_bytes: float
    by_type: dict[str, int]
    last_activity_input_bytes: float = 0.0  # the last node's input: flat, or growing with state

    @classmethod
    def from_reply(cls, reply: dict[str, Any]) -> HistoryStats:
        """From a peer driver's `history` reply (the same fields, computed the same way)."""
        return cls(
            events=int(reply["events"]),
            bytes=int(reply["bytes"]),
            activities=int(reply.get("activities", 0)),
            activity_input_bytes=float(reply["activity_input_bytes"]),
            activity_result_bytes=float(reply["activity_result_bytes"]),
            by_type=dict(reply.get("by_type", {})),
            last_activity_input_bytes=float(reply.get("last_activity_input_bytes", 0.0)),
        )


async def history_stats(client: Client, workflow_id: str) -> HistoryStats:
    return HistoryStats.from_reply(await temporal_history.history_stats(client, workflow_id))


@dataclass
class ScaleLevel:
    """One step of the paused-scale scenario: fill to `parked` runs, then sample."""

    parked: int  # runs parked at the interrupt when memory was sampled
    started: int  # runs started to reach that level
    fill_s: float  # wall time of those starts
    worker_rss_mb: float
    server_rss_mb: float
    resume_ms: list[float]  # sequential resumes of runs picked at random from the parked ones

    @property
    def starts_per_s(self) -> float:
        return self.started / self.fill_s if self.fill_s else math.nan


@dataclass
class ScaleResult:
    max_cached: int
    concurrency: int
    idle_rss_mb: float
    levels: list[ScaleLevel] = field(default_factory=list)


@dataclass
class ThroughputBatch:
    """N runs launched at once, each start -> pause -> resume -> end (bench/throughput.py)."""

    n: int
    wall_s: float  # first start call -> last run's end
    start_ms: list[float]  # per run: start call -> paused
    resume_ms: list[float]  # per run: resume call -> final values
    cpu_s: dict[str, float] = field(default_factory=dict)  # process -> CPU seconds in the batch

    @property
    def runs_per_s(self) -> float:
        return self.n / self.wall_s if self.wall_s else math.nan

    @property
    def run_ms(self) -> list[float]:
        return [a + b for a, b in zip(self.start_ms, self.resume_ms, strict=True)]


@dataclass
class Results:
    """Everything one `python -m bench.run` measured; report.py and chart.py render it."""

    meta: dict[str, str]
    labels: dict[str, str]  # system key -> display name, in display order
    linear: dict[str, dict[int, list[float]]] = field(default_factory=dict)
    fanout: dict[str, list[float]] = field(default_factory=dict)
    hitl: dict[str, list[list[float]]] = field(default_factory=dict)  # per run: resume ms
    history: dict[str, dict[str, HistoryStats]] = field(default_factory=dict)
    scale: dict[str, ScaleResult] = field(default_factory=dict)
    throughput: dict[str, list[ThroughputBatch]] = field(default_factory=dict)
    errors: dict[str, dict[str, str]] = field(default_factory=dict)  # scenario -> key -> error
