"""Which executions are Tempograph's own. The client and the HTTP API share a namespace with
other teams' workflows; they read, signal, cancel, terminate and delete only executions of
these types, and treat any other id as not found (revealing nothing about it)."""

from __future__ import annotations

from temporalio.client import WorkflowExecution

from tempograph.messages import THREAD_RECORD_WORKFLOW, WORKFLOW_TYPE

RUN_TYPES = frozenset({WORKFLOW_TYPE})
OWN_TYPES = frozenset({WORKFLOW_TYPE, THREAD_RECORD_WORKFLOW})


def quote(value: str) -> str:
    """A string literal for a Temporal visibility query (backslashes and quotes escaped)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def own_runs(clause: str | None = None) -> str:
    """A visibility query for GraphRun executions, narrowed by `clause`."""
    base = f"WorkflowType = {quote(WORKFLOW_TYPE)}"
    return f"{base} AND ({clause})" if clause else base


def own_executions(clause: str | None = None) -> str:
    """A visibility query for GraphRun and TempographThread executions, narrowed by `clause`."""
    types = ", ".join(quote(t) for t in sorted(OWN_TYPES))
    base = f"WorkflowType IN ({types})"
    return f"{base} AND ({clause})" if clause else base


def is_run(execution: WorkflowExecution) -> bool:
    return execution.workflow_type in RUN_TYPES


def is_own(execution: WorkflowExecution) -> bool:
    return execution.workflow_type in OWN_TYPES
