"""JSON bodies of the Agent Server API, as pure functions of what Temporal told us.

Every interrupt in every response goes through `interrupt_json`, in one of the two places the
Agent Server renders them (../shared/research/langgraph-hitl.md §1.4, §5.2-§5.5):

* run output (wait and join bodies, `values` / `updates` stream chunks): the Interrupt's wire
  JSON, `{"value", "id", "response_schema"}` with `response_schema` always present;
* thread record (`thread.interrupts`, `state.tasks[].interrupts`, `state.interrupts`):
  `{"id", "value"}`, plus `response_schema` only when the interrupt has one.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from tempograph.errors import ResumeError, TempographError
from tempograph.messages import Checkpoint, PendingInterrupt, StateSnapshot
from tempograph.types import Interrupt

# langgraph-api's namespace for system assistants: uuid5(NAMESPACE_GRAPH, graph_id).
NAMESPACE_GRAPH = uuid.UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8")

InterruptLike = Interrupt | PendingInterrupt | dict[str, Any]
Placement = Literal["output", "thread"]


def now() -> datetime:
    return datetime.now(UTC)


def iso(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


def assistant_id_of(graph: str) -> str:
    return str(uuid.uuid5(NAMESPACE_GRAPH, graph))


# ---------------------------------------------------------------------------------------------
# Interrupts: the one renderer.
# ---------------------------------------------------------------------------------------------


def interrupt_json(i: InterruptLike, where: Placement = "output") -> dict[str, Any]:
    """One interrupt as the Agent Server renders it `where` (see the module docstring)."""
    if isinstance(i, dict):
        value, iid, schema = i.get("value"), i.get("id"), i.get("response_schema")
    else:
        value, iid, schema = i.value, i.id, i.response_schema
    if where == "output":
        return {"value": value, "id": iid, "response_schema": schema}
    shown: dict[str, Any] = {"id": iid, "value": value}
    if schema is not None:
        shown["response_schema"] = schema
    return shown


def pending_by_task(snap: StateSnapshot | None) -> dict[str, tuple[str, list[dict[str, Any]]]]:
    """The interrupts a paused run waits on, by task id: (node, [interrupt as on the thread]).
    Empty unless paused at a dynamic interrupt (a static breakpoint has none)."""
    groups: dict[str, tuple[str, list[dict[str, Any]]]] = {}
    if snap is not None and snap.paused_at == "interrupt":
        for p in snap.interrupts:
            groups.setdefault(p.task_id, (p.node, []))[1].append(interrupt_json(p, "thread"))
    return groups


# ---------------------------------------------------------------------------------------------
# Run output.
# ---------------------------------------------------------------------------------------------


def wait_body(output: dict[str, Any]) -> dict[str, Any]:
    """What GraphClient.invoke returned, as the server's wait body: values plus
    `__interrupt__` at a dynamic interrupt; only `__interrupt__` when several are pending."""
    if "__interrupt__" not in output:
        return dict(output)
    interrupts = [interrupt_json(i) for i in output["__interrupt__"]]
    if len(interrupts) > 1:
        return {"__interrupt__": interrupts}
    body = {k: v for k, v in output.items() if k != "__interrupt__"}
    body["__interrupt__"] = interrupts
    return body


def output_of(snap: StateSnapshot) -> dict[str, Any]:
    """A paused run's output, as GraphClient.invoke would have returned it."""
    out: dict[str, Any] = dict(snap.values)
    if snap.paused_at == "interrupt":
        out["__interrupt__"] = [interrupt_json(p) for p in snap.interrupts]
    return out


def error_body(error: str, message: str) -> dict[str, Any]:
    """The `__error__` envelope (HTTP 200) of a graph error or a refused resume."""
    return {"__error__": {"error": error, "message": message}}


def exception_body(exc: TempographError) -> dict[str, Any]:
    """The `__error__` envelope of an error GraphClient raised: a refused resume by its kind
    (the ErrorKind the run refused it with), any other by its class name."""
    return error_body(exc.kind if isinstance(exc, ResumeError) else type(exc).__name__, str(exc))


# ---------------------------------------------------------------------------------------------
# Assistants, threads, runs.
# ---------------------------------------------------------------------------------------------


def assistant_json(graph: str, created_at: datetime) -> dict[str, Any]:
    return {
        "assistant_id": assistant_id_of(graph),
        "graph_id": graph,
        "config": {},
        "context": {},
        "created_at": iso(created_at),
        "updated_at": iso(created_at),
        "metadata": {"created_by": "system"},
        "version": 1,
        "name": graph,
        "description": None,
    }


def thread_json(
    thread_id: str,
    *,
    metadata: dict[str, Any],
    created_at: datetime,
    updated_at: datetime | None,
    status: str,
    values: dict[str, Any] | None,
    error: dict[str, str] | None,
    snap: StateSnapshot | None,
) -> dict[str, Any]:
    interrupts = {task: items for task, (_, items) in pending_by_task(snap).items()}
    return {
        "thread_id": thread_id,
        "created_at": iso(created_at),
        "updated_at": iso(updated_at or created_at),
        "state_updated_at": iso(updated_at or created_at),
        "metadata": metadata,
        "status": status,
        "config": {},
        "values": values,
        "error": error,
        "interrupts": interrupts,
    }


def run_json(
    *,
    run_id: str,
    thread_id: str,
    assistant_id: str,
    created_at: datetime,
    updated_at: datetime,
    status: str,
    metadata: dict[str, Any],
    kwargs: dict[str, Any],
    multitask_strategy: str,
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "thread_id": thread_id,
        "assistant_id": assistant_id,
        "created_at": iso(created_at),
        "updated_at": iso(updated_at),
        "status": status,
        "metadata": metadata,
        "kwargs": kwargs,
        "multitask_strategy": multitask_strategy,
    }


# ---------------------------------------------------------------------------------------------
# Thread state (ThreadState).
# ---------------------------------------------------------------------------------------------


def empty_state() -> dict[str, Any]:
    return {
        "values": {},
        "next": [],
        "tasks": [],
        "metadata": None,
        "created_at": None,
        "checkpoint": None,
        "parent_checkpoint": None,
        "interrupts": [],
        "checkpoint_id": None,
        "parent_checkpoint_id": None,
    }


def _checkpoint_ref(thread_id: str, checkpoint_id: str | None) -> dict[str, Any] | None:
    if checkpoint_id is None:
        return None
    return {"thread_id": thread_id, "checkpoint_ns": "", "checkpoint_id": checkpoint_id}


def _task(task_id: str, node: str, interrupts: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": task_id,
        "name": node,
        "path": ["__pregel_pull", node],
        "error": None,
        "interrupts": interrupts,
        "checkpoint": None,
        "state": None,
        "result": None,
    }


def _metadata(graph: str, checkpoint: Checkpoint | None, step: int) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "source": checkpoint.source if checkpoint else "loop",
        "step": checkpoint.step if checkpoint else step,
        "parents": {},
        "graph_id": graph,
        "assistant_id": assistant_id_of(graph),
    }
    if checkpoint is not None:
        meta["run_id"] = checkpoint.run_id
    return meta


def _synthetic_task_id(checkpoint_id: str | None, index: int, node: str) -> str:
    return str(uuid.uuid5(NAMESPACE_GRAPH, f"{checkpoint_id}:{index}:{node}"))


def state_json(
    thread_id: str, graph: str, snap: StateSnapshot, checkpoint: Checkpoint | None
) -> dict[str, Any]:
    """The thread's current state (GET /threads/{id}/state)."""
    unused = pending_by_task(snap)
    tasks: list[dict[str, Any]] = []
    for index, node in enumerate(snap.next):
        match = next((tid for tid, (n, _) in unused.items() if n == node), None)
        if match is not None:
            tasks.append(_task(match, node, unused.pop(match)[1]))
        else:
            tasks.append(_task(_synthetic_task_id(snap.checkpoint_id, index, node), node, []))
    for tid, (node, items) in unused.items():
        tasks.append(_task(tid, node, items))
    parent_id = checkpoint.parent_checkpoint_id if checkpoint else None
    return {
        "values": snap.values,
        "next": list(snap.next),
        "tasks": tasks,
        "metadata": _metadata(graph, checkpoint, snap.step),
        "created_at": iso(checkpoint.created_at) if checkpoint else None,
        "checkpoint": _checkpoint_ref(thread_id, snap.checkpoint_id),
        "parent_checkpoint": _checkpoint_ref(thread_id, parent_id),
        "interrupts": [i for t in tasks for i in t["interrupts"]],
        "checkpoint_id": snap.checkpoint_id,
        "parent_checkpoint_id": parent_id,
    }


def checkpoint_state_json(thread_id: str, graph: str, checkpoint: Checkpoint) -> dict[str, Any]:
    """A checkpoint of the thread's history, as a ThreadState."""
    return {
        "values": checkpoint.values,
        "next": list(checkpoint.next),
        "tasks": [
            _task(_synthetic_task_id(checkpoint.checkpoint_id, i, node), node, [])
            for i, node in enumerate(checkpoint.next)
        ],
        "metadata": _metadata(graph, checkpoint, checkpoint.step),
        "created_at": iso(checkpoint.created_at),
        "checkpoint": _checkpoint_ref(thread_id, checkpoint.checkpoint_id),
        "parent_checkpoint": _checkpoint_ref(thread_id, checkpoint.parent_checkpoint_id),
        "interrupts": [],
        "checkpoint_id": checkpoint.checkpoint_id,
        "parent_checkpoint_id": checkpoint.parent_checkpoint_id,
    }


def update_state_json(thread_id: str, checkpoint_id: str | None) -> dict[str, Any]:
    """The answer of POST /threads/{id}/state: the new checkpoint."""
    config = {"thread_id": thread_id, "checkpoint_ns": "", "checkpoint_id": checkpoint_id}
    return {
        "checkpoint": {**config, "checkpoint_map": {}},
        "configurable": config,
        "checkpoint_id": checkpoint_id,
    }
