"""Tempograph: LangGraph-style graphs with human-in-the-loop pauses, as Temporal workflows.

Port LangGraph code by changing imports:
    from tempograph.graph import StateGraph, START, END
    from tempograph.types import interrupt, Command, Send, Interrupt
"""

from tempograph.client import GraphClient, connect
from tempograph.errors import (
    GraphRecursionError,
    GraphRunError,
    InterruptTimeoutError,
    InvalidUpdateError,
    NoWorkerError,
    PayloadTooLargeError,
    ResumeError,
    TempographError,
    TemporalUnavailableError,
    ThreadBusyError,
    ThreadIdConflictError,
    ThreadNotFoundError,
)
from tempograph.limits import LimitError
from tempograph.messages import DEFAULT_TASK_QUEUE, StateSnapshot
from tempograph.worker import create_worker, ensure_search_attributes

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
    "StateSnapshot",
    "TempographError",
    "TemporalUnavailableError",
    "ThreadBusyError",
    "ThreadIdConflictError",
    "ThreadNotFoundError",
    "connect",
    "create_worker",
    "ensure_search_attributes",
]
