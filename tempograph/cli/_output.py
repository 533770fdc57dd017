"""What the CLI prints: JSON for scripts (`--json`), short readable text for people."""

from __future__ import annotations

import json
import shlex
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tempograph.messages import Checkpoint, PendingRun, StateSnapshot
from tempograph.types import Interrupt


def to_json(value: Any) -> str:
    """`value` as indented JSON; Interrupts and pydantic models as their fields."""

    def default(obj: Any) -> Any:
        if isinstance(obj, Interrupt):
            return {"value": obj.value, "id": obj.id, "response_schema": obj.response_schema}
        if hasattr(obj, "model_dump"):
            return obj.model_dump(mode="json")
        return str(obj)

    return json.dumps(value, indent=2, default=default)


def shell_quote_json(text: str) -> str:
    """`text` as a JSON string, quoted for a POSIX shell: what to type to send it as text."""
    return shlex.quote(json.dumps(text))


def describe(state: StateSnapshot, prog: str = "tempograph") -> str:
    """A snapshot for people: where the run is, its values, what it waits for, and the command
    (`prog resume ...`) that answers it."""
    where = f"{state.status}" + (f" ({state.paused_at})" if state.paused_at else "")
    lines = [f"thread {state.thread_id} · graph {state.graph} · {where} · step {state.step}"]
    if state.next:
        lines.append(f"next: {', '.join(state.next)}")
    lines.append("values:")
    lines += [f"  {key}: {json.dumps(value, default=str)}" for key, value in state.values.items()]
    if state.interrupts:
        lines.append("waiting for a human:")
        for pending in state.interrupts:
            lines.append(f"  [{pending.id}] {pending.node} asks: {json.dumps(pending.value)}")
            if pending.deadline:
                lines.append(f"    deadline: {pending.deadline.isoformat()}")
        answer = "'<json answer>'" if len(state.interrupts) == 1 else "'{\"<id>\": <answer>, ...}'"
        lines.append(f"  answer: {prog} resume {state.thread_id} {answer}")
    elif state.status == "interrupted":
        lines.append(f"  continue: {prog} resume {state.thread_id}")
    if state.error:
        lines.append(f"error: {state.error}")
    if state.last_rejected_resume:
        lines.append(f"last rejected resume: {state.last_rejected_resume}")
    return "\n".join(lines)


def checkpoint_line(c: Checkpoint) -> str:
    return (
        f"{c.checkpoint_id}  step {c.step:<3} {c.source:<6} next={c.next}  "
        f"{c.created_at:%H:%M:%S}  {json.dumps(c.values, default=str)[:80]}"
    )


def pending_line(run: PendingRun) -> str:
    return f"{run.thread_id}  {run.graph}  started {run.started:%Y-%m-%d %H:%M:%S}"


def example_input(graph: Any) -> dict[str, Any]:
    """An input to show in a first command: the first text key of the graph's state schema set
    to "hello", else no key (the schema's types decide what a real input must be)."""
    schema = getattr(graph, "state_schema", None)
    try:
        hints = typing.get_type_hints(schema) if schema is not None else {}
    except Exception:  # a schema whose annotations do not resolve: show no key
        hints = {}
    for key, hint in hints.items():
        if hint is str and not key.startswith("_"):
            return {key: "hello"}
    return {}


@dataclass(frozen=True)
class Endpoints:
    """What `tempograph dev` / `serve` serve, as printed when they are ready."""

    api: str | None
    temporal: str
    ui: str | None
    graphs: Sequence[str]
    task_queue: str
    data_dir: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "api": self.api,
            "docs": f"{self.api}/docs" if self.api else None,
            "temporal": self.temporal,
            "ui": self.ui,
            "graphs": list(self.graphs),
            "task_queue": self.task_queue,
            "data_dir": self.data_dir,
        }


def banner(ep: Endpoints, first_graph_input: Mapping[str, Any] | None = None) -> str:
    """The lines `tempograph dev` prints once everything listens: URLs, then a first command."""
    rows = []
    if ep.api:
        rows += [("API", ep.api), ("API docs", f"{ep.api}/docs"), ("Inbox", f"{ep.api}/inbox")]
    rows.append(("Temporal UI", ep.ui or "(none started here)"))
    temporal = ep.temporal + (f" (embedded; data in {ep.data_dir})" if ep.data_dir else "")
    rows += [("Temporal", temporal), ("task queue", ep.task_queue)]
    rows.append(("graphs", ", ".join(ep.graphs)))
    width = max(len(name) for name, _ in rows) + 2
    lines = ["Tempograph is ready."]
    lines += [f"  {name + ':':<{width}}{value}" for name, value in rows]
    if ep.api and ep.graphs:
        graph = ep.graphs[0]
        body = json.dumps({"assistant_id": graph, "input": dict(first_graph_input or {})})
        address = "" if ep.temporal.endswith(":7233") else f"TEMPORAL_ADDRESS={ep.temporal} "
        queue = "" if ep.task_queue == "tempograph" else f"TEMPOGRAPH_TASK_QUEUE={ep.task_queue} "
        lines += [
            "",
            "Try it (a run of the first graph, over the LangGraph API):",
            f"  curl -s {ep.api}/runs/wait -H 'Content-Type: application/json' "
            f"-d {shlex.quote(body)}",
            "or from Python: langgraph_sdk.get_client(url="
            f"{ep.api!r}).runs.wait(None, {graph!r}, input=...)",
            "or the CLI:",
            f"  {address}{queue}tempograph run {graph} "
            f"{shlex.quote(json.dumps(dict(first_graph_input or {})))}",
        ]
    return "\n".join(lines)
