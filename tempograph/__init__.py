"""Tempograph: LangGraph-style graphs with human-in-the-loop pauses, as Temporal workflows.

Port LangGraph code by changing imports:
    from tempograph.graph import StateGraph, START, END
    from tempograph.types import interrupt, Command, Send, Interrupt

The names below are imported on first use (PEP 562): the GraphRun workflow lives in this
package, and Temporal's workflow sandbox imports the package for every sandboxed run and
replay; importing the client, the worker and their dependencies there would cost time and
touch what the sandbox forbids.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tempograph.client import GraphClient, connect
    from tempograph.errors import (
        GraphRecursionError,
        GraphRunError,
        InterruptTimeoutError,
        InvalidUpdateError,
        NoWorkerError,
        PayloadTooLargeError,
        ResumeError,
        RunNotReadyError,
        TempographError,
        TemporalUnavailableError,
        ThreadBusyError,
        ThreadIdConflictError,
        ThreadNotFoundError,
    )
    from tempograph.limits import LimitError
    from tempograph.messages import DEFAULT_TASK_QUEUE, StateSnapshot
    from tempograph.worker import TempographPlugin, create_worker, ensure_search_attributes

_WHERE = {
    "GraphClient": "tempograph.client",
    "connect": "tempograph.client",
    "GraphRecursionError": "tempograph.errors",
    "GraphRunError": "tempograph.errors",
    "InterruptTimeoutError": "tempograph.errors",
    "InvalidUpdateError": "tempograph.errors",
    "NoWorkerError": "tempograph.errors",
    "PayloadTooLargeError": "tempograph.errors",
    "ResumeError": "tempograph.errors",
    "RunNotReadyError": "tempograph.errors",
    "TempographError": "tempograph.errors",
    "TemporalUnavailableError": "tempograph.errors",
    "ThreadBusyError": "tempograph.errors",
    "ThreadIdConflictError": "tempograph.errors",
    "ThreadNotFoundError": "tempograph.errors",
    "LimitError": "tempograph.limits",
    "DEFAULT_TASK_QUEUE": "tempograph.messages",
    "StateSnapshot": "tempograph.messages",
    "TempographPlugin": "tempograph.worker",
    "create_worker": "tempograph.worker",
    "ensure_search_attributes": "tempograph.worker",
}

__all__ = [
    "DEFAULT_TASK_QUEUE",
    "GraphClient",
    "GraphRecursionError",
    "GraphRunError",
    "InterruptTimeoutError",
    "InvalidUpdateError",
    "LimitError",
    "NoWorkerError",
    "PayloadTooLargeError",
    "ResumeError",
    "RunNotReadyError",
    "StateSnapshot",
    "TempographError",
    "TempographPlugin",
    "TemporalUnavailableError",
    "ThreadBusyError",
    "ThreadIdConflictError",
    "ThreadNotFoundError",
    "connect",
    "create_worker",
    "ensure_search_attributes",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'tempograph' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # next time, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
