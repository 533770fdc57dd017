"""Request bodies of the Agent Server HTTP API, with the keys langgraph-sdk 0.4.14 sends.

Run bodies ignore keys they do not use (webhook, durability, stream_* ...), so that every SDK call
is accepted; `command` is strict, because a misspelt key there would silently lose an answer.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MultitaskStrategy = Literal["reject", "interrupt", "rollback", "enqueue"]
Breakpoints = Literal["*"] | list[str] | None


class CommandBody(BaseModel):
    """`command` of a run: {"resume"?, "update"?, "goto"?}."""

    model_config = ConfigDict(extra="forbid")

    resume: Any = None
    # A dict, or a list of [key, value] pairs (both are sent by LangGraph clients).
    update: dict[str, Any] | list[tuple[str, Any]] | None = None
    # A node name, a Send {"node", "input"}, or a list of these (Send is refused later).
    goto: str | dict[str, Any] | list[str | dict[str, Any]] | None = None


class RunConfig(BaseModel):
    model_config = ConfigDict(extra="allow")

    tags: list[str] | None = None
    recursion_limit: int | None = Field(default=None, ge=1)
    configurable: dict[str, Any] | None = None


class CheckpointRef(BaseModel):
    model_config = ConfigDict(extra="allow")

    checkpoint_id: str | None = None
    thread_id: str | None = None
    checkpoint_ns: str | None = None


class RunBody(BaseModel):
    """POST /threads/{id}/runs[/wait] and POST /runs[/wait]."""

    model_config = ConfigDict(extra="ignore")

    assistant_id: str = Field(min_length=1)
    input: dict[str, Any] | None = None
    command: CommandBody | None = None
    config: RunConfig | None = None
    context: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    interrupt_before: Breakpoints = None
    interrupt_after: Breakpoints = None
    checkpoint_id: str | None = None
    checkpoint: CheckpointRef | None = None
    multitask_strategy: MultitaskStrategy = "enqueue"
    if_not_exists: Literal["create", "reject"] = "reject"
    on_completion: Literal["delete", "keep"] | None = None
    on_disconnect: Literal["cancel", "continue"] | None = None
    stream_mode: str | list[str] | None = None


class ThreadCreateBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    thread_id: str | None = Field(default=None, min_length=1, max_length=800)
    metadata: dict[str, Any] | None = None
    if_exists: Literal["raise", "do_nothing"] | None = None
    supersteps: list[dict[str, Any]] | None = None
    ttl: Any = None


class ThreadPatchBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    metadata: dict[str, Any] | None = None
    ttl: Any = None


ThreadStatus = Literal["idle", "busy", "interrupted", "error"]


class ThreadSearchBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    limit: int = Field(default=10, ge=0, le=1000)
    offset: int = Field(default=0, ge=0)
    metadata: dict[str, Any] | None = None
    values: dict[str, Any] | None = None
    ids: list[str] | None = None
    status: ThreadStatus | None = None
    sort_by: Literal["thread_id", "status", "created_at", "updated_at"] | None = None
    sort_order: Literal["asc", "desc"] | None = None
    select: list[str] | None = None


class ThreadCountBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    metadata: dict[str, Any] | None = None
    values: dict[str, Any] | None = None
    status: ThreadStatus | None = None


class StateUpdateBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    # LangGraph also takes a list of updates; Tempograph takes one dict (or null with as_node).
    values: dict[str, Any] | list[Any] | None = None
    as_node: str | None = None
    checkpoint_id: str | None = None
    checkpoint: CheckpointRef | None = None


class HistoryBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    # The real server's default is 1; the SDK always sends its own (10).
    limit: int = Field(default=1, ge=0, le=10000)
    before: str | CheckpointRef | dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    checkpoint: CheckpointRef | None = None


class StateCheckpointBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    checkpoint: CheckpointRef
    subgraphs: bool = False


class AssistantSearchBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    limit: int = Field(default=10, ge=0, le=1000)
    offset: int = Field(default=0, ge=0)
    metadata: dict[str, Any] | None = None
    graph_id: str | None = None
    name: str | None = None
    sort_by: Literal["assistant_id", "graph_id", "name", "created_at", "updated_at"] | None = None
    sort_order: Literal["asc", "desc"] | None = None


class AssistantCountBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    metadata: dict[str, Any] | None = None
    graph_id: str | None = None
    name: str | None = None
