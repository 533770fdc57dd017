"""The parts of a streamed run, per stream mode, in the Agent Server's shapes and order.

Pure: fed the RunEvents of a run's history (tempograph._client.history: GraphClient.follow),
`StreamParts` says what each adds to a stream of the asked modes, as the Agent Server sends
it (../shared/research/agents.md §1.2-§1.5, §2.5; the SSE event name and its JSON data). The
HTTP API and GraphClient.stream share it.

Every part is numbered by the history event it came from (`source`) and its position among
that event's parts (`index`): the same history gives the same numbers, strictly increasing
along the stream, so a resumable stream's `id: {source}-{index}` needs no log (a join replays
the run's history and skips the ids already seen).

Where the parts come from:
* values: each checkpoint's state once (the state before the first step, then after each
  superstep; a revised older checkpoint is not sent again); at a dynamic interrupt the state
  with `__interrupt__`; the final values when the run ends with values not sent yet.
* updates: `{node: writes}` when a task finishes (`{node: null}` when it wrote nothing); at a
  pause `{"__interrupt__": [...]}` (`[]` at a static breakpoint).
* messages-tuple (event "messages"): each LLM token chunk a node activity streamed (rebuilt
  from its compact StreamItem: the full AIMessageChunk dict), with LangGraph's metadata; then,
  before a task's updates, each message the node returned whose id was not streamed (a tool
  message, a non-streaming model's answer), whole, once.
* messages (legacy): messages/metadata once per message id, messages/partial with the message
  accumulated so far, messages/complete for a whole returned message.
* custom: what get_stream_writer() got, live from the node's stream, or (a node that did not
  stream) from its result.
* tasks / debug / checkpoints: task start and result, checkpoints (debug wraps all three).
* events: astream_events v2 dicts: the root chain (start, end at the end or a pause), per
  node task on_chain_start / on_chain_stream / on_chain_end, per chat model call
  on_chat_model_start / on_chat_model_stream / on_chat_model_end.

Differences from the Agent Server: no checkpoint at step -1 (the input before __start__);
checkpoint configs hold thread_id, checkpoint_ns and checkpoint_id only; task ids are
Tempograph's (as get_state shows them); on_chat_model_start has no input (the prompt is not
recorded), and router chains have no events.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog

from tempograph._client.history import (
    Checkpointed,
    Ended,
    Paused,
    RunEvent,
    Streamed,
    TaskFinished,
    TaskStarted,
)
from tempograph.messages import STREAM_CHUNK_DEFAULTS, Checkpoint, StreamItem

STREAM_MODES: frozenset[str] = frozenset(
    {
        "values",
        "updates",
        "messages",
        "messages-tuple",
        "custom",
        "events",
        "debug",
        "tasks",
        "checkpoints",
    }
)
# Modes fed by node activities while they run (StreamBatch signals): a run streamed with one
# of these must publish (RunInput.stream).
LIVE_MODES: frozenset[str] = frozenset({"messages", "messages-tuple", "custom", "events", "debug"})

# Message dicts as LangChain serializes them (the `type` of a message in state).
log = structlog.get_logger("tempograph.client")

_MESSAGE_TYPES = frozenset({"human", "ai", "system", "tool", "function", "chat", "remove"})
_NAMESPACE = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")


@dataclass(frozen=True)
class Part:
    """One part of a stream: its SSE event name, its JSON data, and its stable number. A
    subgraph's part (tempograph._client.subgraph_stream) is numbered within its parent's:
    `sub` is its number in the child run's stream."""

    event: str
    data: Any
    source: int
    index: int
    sub: tuple[int, ...] = ()

    @property
    def key(self) -> tuple[int, ...]:
        """The part's number, for comparisons (a subgraph's parts sort after the parent part
        before them, before the next one)."""
        return (self.source, self.index, *self.sub)

    @property
    def id(self) -> str:
        """The resumable stream id of the part."""
        return "-".join(map(str, self.key))


@dataclass
class _Task:
    started: TaskStarted
    run_id: str  # its chain run id in "events"
    seen: set[str] = field(default_factory=set)  # message ids it got or streamed


@dataclass
class _Call:
    """A chat model call of a node task (a model_start item)."""

    task: _Task
    info: dict[str, Any]
    acc: Any = None  # the message so far (an AIMessageChunk, or a dict without langchain)


class StreamParts:
    """The parts of one streamed run (see the module docstring). `metadata`: the run's
    metadata as the Agent Server puts it in messages-tuple, tasks and events metadata
    (graph_id, assistant_id, run_attempt, ...)."""

    def __init__(
        self,
        modes: Iterable[str],
        *,
        thread_id: str,
        run_id: str,
        metadata: Mapping[str, Any] | None = None,
        namespace: str = "",
    ) -> None:
        self.modes = frozenset(modes)
        unknown = sorted(self.modes - STREAM_MODES)
        if unknown:
            raise ValueError(
                f"Unknown stream mode(s) {', '.join(map(repr, unknown))}: the modes are "
                f"{', '.join(sorted(STREAM_MODES))}"
            )
        self.thread_id = thread_id
        self.run_id = run_id
        # A subgraph's run: its checkpoint_ns in LangGraph ("child:<task id>", deeper levels
        # joined with "|"); "" for the root run.
        self.namespace = namespace
        self.metadata: dict[str, Any] = {
            **(metadata or {}),
            "run_id": run_id,
            "thread_id": thread_id,
        }
        self._source = 0
        self._index = 0
        self._values: dict[str, Any] | None = None  # the latest state
        self._sent: Any = None  # the latest state sent in "values"
        self._top = -1  # the latest step whose checkpoint was sent
        self._checkpoint_id: str | None = None
        self._tasks: dict[str, _Task] = {}
        self._calls: dict[tuple[str, int, int], _Call] = {}
        self._streamed: set[str] = set()  # message ids streamed as chunks
        self._described: set[str] = set()  # message ids given messages/metadata
        self._live_custom: set[str] = set()  # tasks whose custom events came live
        self._deferred: list[tuple[str, Any]] = []  # task results told after the pause
        self._root = False  # the root chain's on_chain_start was sent

    # -----------------------------------------------------------------------------------------

    def start(self, resumed_from: dict[str, Any] | None = None, *, input: Any = None) -> list[Part]:
        """The parts before any history event: a resume's stream first sends the state it
        resumes from (`resumed_from`) in "values"; `input`: the run's input (the root chain's
        input in "events")."""
        out: list[tuple[str, Any]] = []
        if "events" in self.modes:
            self._root = True
            out.append(self._root_event("on_chain_start", {"input": input}))
        if resumed_from is not None:
            self._values = resumed_from
            if "values" in self.modes:
                self._sent = resumed_from
                out.append(("values", resumed_from))
        return self._number(0, out)

    def feed(self, event: RunEvent) -> list[Part]:
        """The parts `event` adds, in the Agent Server's order."""
        out: list[tuple[str, Any]] = []
        if "events" in self.modes and not self._root:
            self._root = True
            first = event.checkpoint.values if isinstance(event, Checkpointed) else None
            out.append(self._root_event("on_chain_start", {"input": first}))
        if isinstance(event, Checkpointed):
            out += self._checkpointed(event)
        elif isinstance(event, TaskStarted):
            out += self._task_started(event)
        elif isinstance(event, Streamed):
            for item in event.batch.items:
                if well_formed(item):
                    out += self._streamed_item(event, item)
                else:
                    # Anyone may signal a run: a bad item is skipped, never a reader's crash.
                    log.warning("malformed live output skipped", kind=item.kind)
        elif isinstance(event, TaskFinished):
            out += self._task_finished(event)
        elif isinstance(event, Paused):
            out += self._paused(event)
        elif isinstance(event, Ended):
            out += self._ended(event)
        return self._number(event.event_id, out)

    def reserve(self, source: int) -> tuple[int, int]:
        """A number no part of this stream gets, after the parts of history event `source`
        told so far: a subgraph's parts are numbered from it."""
        if source > self._source:
            self._source, self._index = source, 0
        self._index += 1
        return self._source, self._index - 1

    # -----------------------------------------------------------------------------------------

    def _number(self, source: int, items: list[tuple[str, Any]]) -> list[Part]:
        if not items:
            return []
        if source > self._source:
            self._source, self._index = source, 0
        parts = []
        for event, data in items:
            parts.append(Part(event, data, self._source, self._index))
            self._index += 1
        return parts

    def _checkpointed(self, event: Checkpointed) -> list[tuple[str, Any]]:
        checkpoint = event.checkpoint
        if event.revised and checkpoint.step < self._top:
            return []  # an older checkpoint revised: the stream has moved on
        self._top = max(self._top, checkpoint.step)
        self._values = checkpoint.values
        out: list[tuple[str, Any]] = []
        if "values" in self.modes and checkpoint.values != self._sent:
            self._sent = checkpoint.values
            out.append(("values", checkpoint.values))
        parent = self._checkpoint_id if self._checkpoint_id != checkpoint.checkpoint_id else None
        self._checkpoint_id = checkpoint.checkpoint_id
        if self.modes & {"checkpoints", "debug"}:
            payload = self._checkpoint_payload(checkpoint, parent)
            if "checkpoints" in self.modes:
                out.append(("checkpoints", payload))
            if "debug" in self.modes:
                debug = {
                    **payload,
                    "checkpoint": self._checkpoint_ref(checkpoint.checkpoint_id),
                    "parent_checkpoint": self._checkpoint_ref(parent),
                }
                out.append(("debug", _debug(checkpoint.step, "checkpoint", debug)))
        return out

    def _task_started(self, event: TaskStarted) -> list[tuple[str, Any]]:
        task = _Task(event, str(uuid.uuid5(_NAMESPACE, f"{event.task_id}:{event.event_id}")))
        task.seen.update(_message_ids(event.input))
        self._tasks[event.task_id] = task
        if "__pregel_push" not in event.triggers and isinstance(event.input, dict):
            self._values = event.input  # the step's state (a resume's update may change it)
        out: list[tuple[str, Any]] = []
        if self.modes & {"tasks", "debug"}:
            payload = {
                "id": event.task_id,
                "name": event.node,
                "input": event.input,
                "triggers": list(event.triggers),
                "metadata": dict(self.metadata),
            }
            if "tasks" in self.modes:
                out.append(("tasks", payload))
            if "debug" in self.modes:
                out.append(("debug", _debug(event.step + 1, "task", payload)))
        if "events" in self.modes:
            out.append(self._node_event(task, "on_chain_start", {"input": event.input}))
        return out

    def _streamed_item(self, event: Streamed, item: StreamItem) -> list[tuple[str, Any]]:
        batch = event.batch
        task = self._tasks.get(batch.task_id)
        if task is None:
            # Its start was before this stream (a joined stream): known from the batch.
            started = TaskStarted(
                event.run_id, batch.node, batch.task_id, batch.step, None, (), event.event_id
            )
            task = _Task(started, str(uuid.uuid5(_NAMESPACE, f"{batch.task_id}:{batch.step}")))
            self._tasks[batch.task_id] = task
        key = (batch.task_id, batch.attempt, item.call)
        if item.kind == "custom":
            self._live_custom.add(batch.task_id)
            return [("custom", item.value)] if "custom" in self.modes else []
        if item.kind == "model_start":
            info = item.value if isinstance(item.value, dict) else {}
            self._calls[key] = _Call(task, info)
            if "events" in self.modes:
                return [self._model_event(self._calls[key], "on_chat_model_start", {})]
            return []
        call = self._calls.get(key)
        if call is None:
            return []  # a call whose start this stream did not see
        if item.kind == "model_end":
            if "events" in self.modes:
                output = _as_message(call.acc) if call.acc is not None else None
                return [self._model_event(call, "on_chat_model_end", {"output": output})]
            return []
        chunk = self._chunk(call, item.value if isinstance(item.value, dict) else {})
        self._streamed.add(chunk["id"])
        task.seen.add(chunk["id"])
        out: list[tuple[str, Any]] = []
        if "messages-tuple" in self.modes:
            out.append(("messages", [chunk, self._model_metadata(call)]))
        if self.modes & {"messages", "events"}:
            call.acc = _accumulate(call.acc, chunk)
        if "messages" in self.modes:
            if chunk["id"] not in self._described:
                self._described.add(chunk["id"])
                out.append(
                    ("messages/metadata", {chunk["id"]: {"metadata": self._model_metadata(call)}})
                )
            out.append(("messages/partial", [_as_message(call.acc)]))
        if "events" in self.modes:
            out.append(self._model_event(call, "on_chat_model_stream", {"chunk": chunk}))
        return out

    def _task_finished(self, event: TaskFinished) -> list[tuple[str, Any]]:
        task = self._tasks.get(event.task_id)
        out: list[tuple[str, Any]] = []
        if "custom" in self.modes and event.task_id not in self._live_custom:
            out += [("custom", value) for value in event.custom]
        self._live_custom.discard(event.task_id)
        if event.error is None and not event.interrupts:
            out += self._returned_messages(event, task)
            if "updates" in self.modes:
                out.append(("updates", {event.node: event.writes or None}))
        result = {
            "id": event.task_id,
            "name": event.node,
            "error": event.error,
            "result": event.writes if event.error is None else {},
            "interrupts": list(event.interrupts),
        }
        told: list[tuple[str, Any]] = []
        if "tasks" in self.modes:
            told.append(("tasks", result))
        if "debug" in self.modes:
            told.append(("debug", _debug(event.step + 1, "task_result", result)))
        if event.interrupts:
            # The Agent Server tells a paused task's result after the pause's values.
            self._deferred += told
        else:
            out += told
        finished = event.error is None and not event.interrupts
        if "events" in self.modes and task is not None and finished:
            if event.writes:
                out.append(self._node_event(task, "on_chain_stream", {"chunk": event.writes}))
            data = {"output": event.writes or None, "input": task.started.input}
            out.append(self._node_event(task, "on_chain_end", data))
        return out

    def _returned_messages(self, event: TaskFinished, task: _Task | None) -> list[tuple[str, Any]]:
        """The messages a node returned that were not streamed: whole, once."""
        if not self.modes & {"messages", "messages-tuple"}:
            return []
        seen = task.seen if task is not None else set()
        out: list[tuple[str, Any]] = []
        for message in _messages_in(event.writes):
            mid = message.get("id")
            if mid is not None and (mid in self._streamed or mid in seen):
                continue
            if mid is not None:
                seen.add(mid)
            metadata = self._task_metadata(task, event, "langgraph")
            if "messages-tuple" in self.modes:
                out.append(("messages", [message, metadata]))
            if "messages" in self.modes:
                if mid is not None and mid not in self._described:
                    self._described.add(mid)
                    out.append(("messages/metadata", {mid: {"metadata": metadata}}))
                out.append(("messages/complete", [message]))
        return out

    def _paused(self, event: Paused) -> list[tuple[str, Any]]:
        interrupts = list(event.interrupts)
        out: list[tuple[str, Any]] = []
        if "updates" in self.modes:
            out.append(("updates", {"__interrupt__": interrupts}))
        if "values" in self.modes and interrupts:
            out.append(("values", {**(self._values or {}), "__interrupt__": interrupts}))
        out += self._deferred
        self._deferred = []
        if "events" in self.modes:
            out.append(self._root_event("on_chain_end", {"output": self._values}))
        return out

    def _ended(self, event: Ended) -> list[tuple[str, Any]]:
        out = self._deferred
        self._deferred = []
        if event.status != "COMPLETED":
            return out
        final = event.output if event.output is not None else self._values
        if "values" in self.modes and final is not None and final != self._sent:
            self._sent = final
            out.append(("values", final))
        if "events" in self.modes:
            out.append(self._root_event("on_chain_end", {"output": final}))
        return out

    # -----------------------------------------------------------------------------------------
    # Shapes.
    # -----------------------------------------------------------------------------------------

    def _checkpoint_ref(self, checkpoint_id: str | None) -> dict[str, Any] | None:
        if checkpoint_id is None:
            return None
        return {
            "checkpoint_id": checkpoint_id,
            "thread_id": self.thread_id,
            "checkpoint_ns": self.namespace,
        }

    def _config(self, checkpoint_id: str | None) -> dict[str, Any] | None:
        if checkpoint_id is None:
            return None
        return {
            "configurable": {
                "thread_id": self.thread_id,
                "checkpoint_ns": self.namespace,
                "checkpoint_id": checkpoint_id,
            }
        }

    def _checkpoint_payload(self, checkpoint: Checkpoint, parent: str | None) -> dict[str, Any]:
        return {
            "config": self._config(checkpoint.checkpoint_id),
            "parent_config": self._config(parent),
            "values": checkpoint.values,
            "metadata": {"source": checkpoint.source, "step": checkpoint.step, "parents": {}},
            "next": list(checkpoint.next),
            "tasks": [
                {
                    "id": str(uuid.uuid5(_NAMESPACE, f"{checkpoint.checkpoint_id}:{i}:{node}")),
                    "name": node,
                    "interrupts": [],
                    "state": None,
                }
                for i, node in enumerate(checkpoint.next)
            ],
        }

    def _task_keys(self, started: TaskStarted) -> dict[str, Any]:
        kind = "__pregel_push" if "__pregel_push" in started.triggers else "__pregel_pull"
        return {
            "langgraph_step": started.step + 1,
            "langgraph_node": started.node,
            "langgraph_triggers": list(started.triggers),
            "langgraph_path": [kind, started.node],
            "langgraph_checkpoint_ns": "|".join(
                filter(None, (self.namespace, f"{started.node}:{started.task_id}"))
            ),
        }

    def _task_metadata(
        self, task: _Task | None, event: TaskFinished, integration: str
    ) -> dict[str, Any]:
        started = task.started if task is not None else None
        if started is None:
            started = TaskStarted(
                event.run_id,
                event.node,
                event.task_id,
                event.step,
                None,
                (f"branch:to:{event.node}",),
            )
        return {**self.metadata, "ls_integration": integration, **self._task_keys(started)}

    def _model_metadata(self, call: _Call) -> dict[str, Any]:
        keys = self._task_keys(call.task.started)
        model = call.info.get("metadata")
        return {
            **self.metadata,
            "ls_integration": "langchain_chat_model",
            **keys,
            "checkpoint_ns": keys["langgraph_checkpoint_ns"],
            **(model if isinstance(model, dict) else {}),
        }

    def _chunk(self, call: _Call, compact: dict[str, Any]) -> dict[str, Any]:
        """The full AIMessageChunk dict of a compact chunk (messages.StreamItem)."""
        chunk = dict(STREAM_CHUNK_DEFAULTS)
        chunk.update(compact)
        if chunk.get("id") is None:
            chunk["id"] = call.info.get("id")
        return chunk

    def _root_event(self, name: str, data: dict[str, Any]) -> tuple[str, Any]:
        return (
            "events",
            {
                "event": name,
                "data": data,
                "name": self.metadata.get("graph_id") or "LangGraph",
                "tags": [],
                "run_id": self.run_id,
                "metadata": {**self.metadata, "ls_integration": "langgraph"},
                "parent_ids": [],
            },
        )

    def _node_event(self, task: _Task, name: str, data: dict[str, Any]) -> tuple[str, Any]:
        started = task.started
        return (
            "events",
            {
                "event": name,
                "data": data,
                "name": started.node,
                "tags": [f"graph:step:{started.step + 1}"],
                "run_id": task.run_id,
                "metadata": {
                    **self.metadata,
                    "ls_integration": "langgraph",
                    **self._task_keys(started),
                },
                "parent_ids": [self.run_id],
            },
        )

    def _model_event(self, call: _Call, name: str, data: dict[str, Any]) -> tuple[str, Any]:
        info = call.info
        return (
            "events",
            {
                "event": name,
                "data": data,
                "name": info.get("name") or "chat_model",
                "tags": list(info.get("tags") or []),
                "run_id": info.get("run_id"),
                "metadata": self._model_metadata(call),
                "parent_ids": [self.run_id, call.task.run_id],
            },
        )


# ---------------------------------------------------------------------------------------------


def _debug(step: int, kind: str, payload: Any) -> dict[str, Any]:
    return {
        "step": step,
        "timestamp": datetime.now(UTC).isoformat(),
        "type": kind,
        "payload": payload,
    }


def _is_message(value: Any) -> bool:
    return isinstance(value, dict) and value.get("type") in _MESSAGE_TYPES and "content" in value


def _messages_in(writes: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The message dicts among a node's writes (a message channel's value, or one message)."""
    found: list[dict[str, Any]] = []
    for value in writes.values():
        items = value if isinstance(value, list) else [value]
        found += [item for item in items if _is_message(item) and item.get("type") != "remove"]
    return found


def _message_ids(state: Any) -> set[str]:
    """The ids of the messages a task was given (not sent again when it returns them)."""
    if not isinstance(state, dict):
        return set()
    return {m["id"] for m in _messages_in(state) if isinstance(m.get("id"), str)}


def _accumulate(acc: Any, chunk: dict[str, Any]) -> Any:
    """The message so far plus `chunk`: LangChain's own chunk addition when it is installed,
    else a plain merge (content joined, metadata merged, tool calls gathered)."""
    try:
        from langchain_core.messages import AIMessageChunk
    except ImportError:
        return _merge(acc, chunk)
    fields = {k: v for k, v in chunk.items() if k != "type"}
    try:
        new = AIMessageChunk(**fields)
    except Exception:  # noqa: BLE001 - a chunk LangChain refuses is merged plainly
        return _merge(acc if isinstance(acc, dict) else None, chunk)
    if acc is None or isinstance(acc, dict):
        return new
    return acc + new


def _merge(acc: dict[str, Any] | None, chunk: dict[str, Any]) -> dict[str, Any]:
    if acc is None:
        return dict(chunk)
    merged = dict(acc)
    content, more = merged.get("content"), chunk.get("content")
    if isinstance(content, str) and isinstance(more, str):
        merged["content"] = content + more
    elif more:
        merged["content"] = (content if isinstance(content, list) else [content]) + (
            more if isinstance(more, list) else [more]
        )
    for key in ("additional_kwargs", "response_metadata"):
        merged[key] = {**(merged.get(key) or {}), **(chunk.get(key) or {})}
    for key in ("tool_calls", "invalid_tool_calls", "tool_call_chunks"):
        merged[key] = list(merged.get(key) or []) + list(chunk.get(key) or [])
    for key in ("usage_metadata", "chunk_position", "name"):
        if chunk.get(key) is not None:
            merged[key] = chunk[key]
    return merged


_CHUNK_ONLY = ("tool_call_chunks", "chunk_position")


def _as_message(acc: Any) -> dict[str, Any]:
    """The accumulated chunk as the AIMessage dict the Agent Server sends (messages/partial,
    on_chat_model_end)."""
    if isinstance(acc, dict):
        message = {k: v for k, v in acc.items() if k not in _CHUNK_ONLY}
        message["type"] = "ai"
        return message
    from langchain_core.messages import message_chunk_to_message

    dumped: dict[str, Any] = message_chunk_to_message(acc).model_dump()
    return dumped


def _strs(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def well_formed(item: StreamItem) -> bool:
    """An item as a node activity publishes it (messages.StreamItem): a batch signalled by
    something else may hold anything."""
    value = item.value
    if item.kind == "custom":
        return True
    if item.kind == "model_end":
        return value is None
    if not isinstance(value, dict):
        return False
    if item.kind == "model_start":
        return (
            isinstance(value.get("id"), str)
            and isinstance(value.get("run_id", ""), str)
            and isinstance(value.get("name") or "", str)
            and _strs(value.get("tags", []))
            and isinstance(value.get("metadata", {}), dict)
        )
    # A chunk: the fields readers index or merge must have their types.
    content = value.get("content", "")
    return (
        isinstance(content, (str, list))
        and isinstance(value.get("id", ""), str)
        and all(
            isinstance(value.get(k, []), list)
            for k in ("tool_calls", "invalid_tool_calls", "tool_call_chunks")
        )
        and all(
            isinstance(value.get(k, {}), dict) for k in ("additional_kwargs", "response_metadata")
        )
        and isinstance(value.get("usage_metadata") or {}, dict)
    )
