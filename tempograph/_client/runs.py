"""A thread's runs: the GraphRun executions whose workflow id is the thread id. The client,
the load_thread activity and the HTTP layer list them the same way, through visibility
(eventually consistent: a run that has just started or closed may be missing or stale for a
moment; callers that need the latest run also describe the workflow id)."""

from __future__ import annotations

from temporalio.client import Client, WorkflowExecution

from tempograph.ownership import own_runs, quote


def thread_runs_query(thread_id: str) -> str:
    """The visibility query for a thread's runs (GraphRun executions only, the id quoted)."""
    return own_runs(f"WorkflowId = {quote(thread_id)}")


async def thread_runs(
    client: Client, thread_id: str, *, limit: int | None = None
) -> list[WorkflowExecution]:
    """The thread's runs as visibility lists them (any order; at most `limit`). Raises
    RPCError as list_workflows does (UNIMPLEMENTED on servers without visibility)."""
    return [
        execution
        async for execution in client.list_workflows(thread_runs_query(thread_id), limit=limit)
    ]
