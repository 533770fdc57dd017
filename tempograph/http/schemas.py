"""Request bodies of the Agent Server HTTP API, with the keys langgraph-sdk 0.4.14 sends.

A field Tempograph does not honour is accepted at its default only (what the SDK sends when
the caller does not set it): any other value is refused with 422 "... is not supported yet"
(`unsupported_*` below), never silently ignored. Bodies ignore keys that change nothing here
(durability and checkpoint_during: every step is checkpointed in Temporal); `command` is
strict, because a misspelt key there would silently lose an answer.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tempograph.http.errors import HttpError, not_supported

MultitaskStrategy = Literal["reject", "interrupt", "rollback", "enqueue"]
Breakpoints = Literal["*"] | list[str] | None


class CommandBody(BaseModel):
    """`command` of a run: {"resume"?, "update"?, "goto"?}."""

    model_config = ConfigDict(extra="forbid")

    resume: Any = None
    # A dict, or a list of [key, value] pairs (both are sent by LangGraph clients).
    update: dict[str, Any] | list[tuple[str, Any]] | None = None
    # A node name, a Send {"node", "input"}, or a list of these (run_executor.to_command).
    goto: str | dict[str, Any] | list[str | dict[str, Any]] | None = None


class RunConfig(BaseModel):
    model_config = ConfigDict(extra="allow")

    tags: list[str] | None = None
    recursion_limit: int | None = Field(default=None, ge=1)
    configurable: dict[str, Any] | None = None
    # With tags and configurable, what reaches the run's nodes (RunExecutor.run_request).
    metadata: dict[str, Any] | None = None
    run_name: str | None = None

    @model_validator(mode="after")
    def _only_what_reaches_nodes(self) -> RunConfig:
        # Nodes run in a worker process: other keys (callbacks, max_concurrency, ...) could not
        # reach them, and a key accepted but ignored would mislead the caller.
        extra = sorted(self.model_extra or {})
        if extra:
            raise ValueError(
                f"config keys {extra} are not supported: a run's nodes get configurable, "
                "metadata, tags, run_name and recursion_limit"
            )
        return self


class CheckpointRef(BaseModel):
    model_config = ConfigDict(extra="allow")

    checkpoint_id: str | None = None
    thread_id: str | None = None
    checkpoint_ns: str | None = None


class RunBody(BaseModel):
    """POST /threads/{id}/runs[/wait] and POST /runs[/wait]. Other fields of the Agent Server
    (feedback_keys, durability, ...) are kept to be refused when set (unsupported_run_fields),
    never ignored."""

    model_config = ConfigDict(extra="allow")

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
    # Stateless runs only; on a thread run the Agent Server ignores it too (its temporary thread
    # is `thread_id is None and on_completion == "delete"`), so accepting it there is parity.
    on_completion: Literal["delete", "keep"] | None = None
    # A run goes on when its waiting or streaming request goes away ("continue").
    on_disconnect: Literal["cancel", "continue"] | None = None
    stream_mode: str | list[str] | None = None
    # Events carry `id:` lines; GET .../runs/{run_id}/stream with Last-Event-ID replays after one.
    stream_resumable: bool = False
    # The stream carries the subgraphs' events too (`mode|<node>:<task id>`).
    stream_subgraphs: bool = False
    # POSTed when the run pauses or ends (tempograph.notifications).
    webhook: str | None = None
    # A durable delay (Temporal's start_delay): a new thread's first run only.
    after_seconds: float | None = Field(default=None, ge=0, le=366 * 24 * 3600)
    # Accepted at their defaults only (unsupported_run_fields).
    # Resumes are always strict here: true (or unset) is honoured, false is refused.
    strict_resume: bool | None = None
    langsmith_tracer: Any = None
    # Honoured as they are: every step is checkpointed, durably (Temporal history).
    durability: Literal["sync", "async", "exit"] | None = None
    checkpoint_during: bool | None = None


class RunsCancelBody(BaseModel):
    """POST /runs/cancel: {"thread_id", "run_ids"} or {"status"}."""

    model_config = ConfigDict(extra="forbid")

    thread_id: str | None = None
    run_ids: list[str] | None = None
    status: Literal["pending", "running", "all"] | None = None


class ThreadCreateBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    thread_id: str | None = Field(default=None, min_length=1, max_length=800)
    metadata: dict[str, Any] | None = None
    if_exists: Literal["raise", "do_nothing"] | None = None
    supersteps: list[dict[str, Any]] | None = None
    ttl: Any = None


class ThreadPruneBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    thread_ids: list[str]
    strategy: Literal["delete", "keep_latest"] = "delete"


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
    # Accepted when unset only (unsupported_state_select).
    select: list[str] | None = None


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


# -------------------------------------------------------------------------------------------
# Fields accepted at their defaults only: a value Tempograph would ignore is refused.
# -------------------------------------------------------------------------------------------


def unsupported_run_fields(body: RunBody) -> None:
    if body.on_disconnect == "cancel":
        raise not_supported(
            'on_disconnect="cancel"', 'a run goes on when its request goes away ("continue")'
        )
    if body.strict_resume is False:
        raise not_supported(
            "strict_resume=false",
            "resumes are always strict (an answer naming no pending interrupt is refused)",
        )
    if body.langsmith_tracer is not None:
        raise not_supported("langsmith_tracer", "runs are not traced to LangSmith")
    # A client may send a field it leaves at its default (null, false, empty): that is honoured.
    for name, value in (body.model_extra or {}).items():
        if value not in (None, False, [], {}, ""):
            raise not_supported(name)


def unsupported_ttl(ttl: Any) -> None:
    if ttl is not None:
        raise not_supported("ttl", "threads are kept until deleted")


def unsupported_checkpoint_filter(field: str, checkpoint: CheckpointRef | None) -> None:
    """A checkpoint to read from (`checkpoint` of a history request): only an empty one."""
    if checkpoint is None:
        return
    given = {k: v for k, v in checkpoint.model_dump().items() if v not in (None, "")}
    given.pop("thread_id", None)
    if given:
        raise not_supported(field, "use `before` to page through the history")


def unsupported_checkpoint_ns(checkpoint: CheckpointRef) -> None:
    """A checkpoint to read state at: the root namespace only (no subgraph state)."""
    if checkpoint.checkpoint_ns:
        raise not_supported("checkpoint.checkpoint_ns", 'only the root namespace ("") is read')


def unsupported_state_select(select: list[str] | None) -> None:
    if select:
        raise not_supported("select", "a thread's state is returned whole")


def unsupported_subgraphs(subgraphs: bool) -> None:
    if subgraphs:
        raise not_supported("subgraphs", "subgraph state is not shown in a thread's state")


# The fields of a thread object (rendering.thread_json).
SELECTABLE_THREAD_FIELDS = frozenset(
    {
        "thread_id",
        "created_at",
        "updated_at",
        "state_updated_at",
        "metadata",
        "config",
        "status",
        "values",
        "interrupts",
        "error",
    }
)


def selected(select: list[str] | None, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`select` of a thread search: only these fields of each thread."""
    if select is None:
        return found
    unknown = sorted(set(select) - SELECTABLE_THREAD_FIELDS)
    if unknown:
        raise HttpError(
            422,
            f"select: unknown thread fields {unknown}; choose from "
            f"{sorted(SELECTABLE_THREAD_FIELDS)}",
        )
    return [{k: t[k] for k in select if k in t} for t in found]
