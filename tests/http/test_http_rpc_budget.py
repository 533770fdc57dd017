"""The HTTP API's Temporal calls per run (issue 16, finding 3): a `runs.wait` that creates the
thread and pauses, then one that resumes it to the end, made 20 Temporal calls (16 describes, 2
queries) where GraphClient makes 2. Counted on the app's own connection to the real dev server
(every call passes through to it); the budget keeps the redundant describes from coming back."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from temporalio.client import Client
from temporalio.worker import Worker

from tempograph import GraphClient, connect
from tempograph.http import create_app
from tempograph.http.testing import serve
from tests.conftest import TASK_QUEUE, SessionServer
from tests.sample_graphs import all_graphs

# Per run (create + pause, then resume to the end): the update-with-start and the resume
# update, the thread's record and its execution looked up once per request (4), the resume's
# "is it busy?" query, the finished run's "was it cancelled?" describe: 8. A start slower than
# run_executor.WATCH_FIRST_POLL (a loaded machine) adds a describe or two looking for its run
# id (LOADED_BUDGET).
RPC_BUDGET_PER_RUN = 8
LOADED_BUDGET = 12


class Calls:
    """Counts the RPCs one Temporal connection sends (the calls go through unchanged)."""

    def __init__(self, client: Client) -> None:
        self.counts: Counter[str] = Counter()
        service = client.service_client
        real = service._rpc_call

        async def counted(rpc: str, *args: Any, **kwargs: Any) -> Any:
            self.counts[rpc] += 1
            return await real(rpc, *args, **kwargs)

        service._rpc_call = counted  # type: ignore[method-assign]

    def take(self) -> Counter[str]:
        counts, self.counts = self.counts, Counter()
        return counts


@pytest_asyncio.fixture(scope="module")
async def counted(server: SessionServer, worker: Worker) -> AsyncIterator[tuple[str, Calls]]:
    client = await connect(server.address)
    calls = Calls(client)
    app = create_app(GraphClient(client, task_queue=TASK_QUEUE), sorted(all_graphs()))
    async with serve(app) as base:
        yield base, calls


@pytest_asyncio.fixture
async def sdk(counted: tuple[str, Calls]) -> AsyncIterator[LangGraphClient]:
    async with httpx.AsyncClient(base_url=counted[0], timeout=60) as http:
        yield get_client(url=counted[0], api_key=None, headers={}, timeout=60)
        del http


async def test_a_run_makes_at_most_the_budget_of_temporal_calls(
    sdk: LangGraphClient, counted: tuple[str, Calls]
) -> None:
    calls = counted[1]
    runs = 3
    per_run: list[Counter[str]] = []
    for _ in range(runs):
        tid = str(uuid.uuid4())
        calls.take()
        out = await sdk.runs.wait(tid, "ask", input={"log": [], "x": 1}, if_not_exists="create")
        assert out["__interrupt__"][0]["value"] == {"question": "approve?", "x": 1}
        done = await sdk.runs.wait(tid, "ask", command={"resume": "yes"})
        assert done == {"log": ["a", "ask=yes", "b"], "x": 1, "human": "yes"}
        await asyncio.sleep(0.5)  # what the runs' background tasks still send
        per_run.append(calls.take())
    totals = [sum(counts.values()) for counts in per_run]
    assert min(totals) <= RPC_BUDGET_PER_RUN, per_run
    for counts in per_run:
        assert sum(counts.values()) <= LOADED_BUDGET, dict(counts)
        assert counts["query_workflow"] <= 1, dict(counts)
        # The two updates GraphClient makes are there, once each.
        assert counts["execute_multi_operation"] == 1, dict(counts)
        assert counts["update_workflow_execution"] == 1, dict(counts)
