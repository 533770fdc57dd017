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
    PayloadTooLargeError,
    ResumeError,
    TempographError,
    ThreadBusyError,
    ThreadNotFoundError,
)
from tempograph.messages import DEFAULT_TASK_QUEUE, StateSnapshot
from tempograph.worker import create_worker, ensure_search_attributes

__all__ = [
    "DEFAULT_TASK_QUEUE",
    "GraphClient",
    "GraphRecursionError",
    "GraphRunError",
    "InterruptTimeoutError",
    "InvalidUpdateError",
    "PayloadTooLargeError",
    "ResumeError",
    "StateSnapshot",
    "TempographError",
    "ThreadBusyError",
    "ThreadNotFoundError",
    "connect",
    "create_worker",
    "ensure_search_attributes",
]
