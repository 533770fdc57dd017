"""GET /metrics: Prometheus metrics of the HTTP API (behind the API token, like the rest).

- ``tempograph_waiting_runs{graph}``: runs of this server's task queue paused for an answer,
  counted by Temporal's visibility (TempographStatus="interrupted"): the same number whichever
  replica is scraped, across worker restarts and continue-as-new. Counted at most every
  WAITING_TTL seconds (a scrape costs one count query per graph).
- the Python process's own (``process_*``, ``python_gc_*``, ``python_info``).

Run events (started, paused, resumed, failed, pause durations, refused resumes) are counted by
the workers that run the workflows, on their Prometheus endpoint (TEMPOGRAPH_METRICS_ADDRESS,
tempograph.observability), with the Temporal SDK's metrics.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Gauge,
    generate_latest,
)

from tempograph.http.backend import Backend
from tempograph.messages import GRAPH_ATTRIBUTE_NAME, STATUS_ATTRIBUTE_NAME, WORKFLOW_TYPE

WAITING_TTL = 5.0


def waiting_query(graph: str, task_queue: str) -> str:
    """The visibility query for `graph`'s paused runs on `task_queue`."""
    return (
        f'WorkflowType="{WORKFLOW_TYPE}" AND ExecutionStatus="Running" AND '
        f'{STATUS_ATTRIBUTE_NAME}="interrupted" AND {GRAPH_ATTRIBUTE_NAME}="{graph}" AND '
        f'TaskQueue="{task_queue}"'
    )


class ApiMetrics:
    """The registry of one app (not the process-global one: several apps may share a process)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.registry = CollectorRegistry(auto_describe=True)
        for collector in (PROCESS_COLLECTOR, GC_COLLECTOR, PLATFORM_COLLECTOR):
            self.registry.register(collector)
        self.waiting = Gauge(
            "tempograph_waiting_runs",
            "Runs paused for an answer (Temporal visibility), by graph",
            ["graph"],
            registry=self.registry,
        )
        self.counted_at = float("-inf")

    async def refresh(self) -> None:
        if time.monotonic() - self.counted_at < WAITING_TTL:
            return
        gc = self.backend.gc
        for graph in self.backend.catalog.graphs:
            counted = await gc.client.count_workflows(waiting_query(graph, gc.task_queue))
            self.waiting.labels(graph=graph).set(counted.count)
        self.counted_at = time.monotonic()

    async def exposition(self) -> bytes:
        await self.refresh()
        return generate_latest(self.registry)


def router(backend: Backend) -> APIRouter:
    api = APIRouter()
    metrics = ApiMetrics(backend)

    @api.get("/metrics", include_in_schema=False)
    async def scrape() -> Response:
        return Response(await metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return api
