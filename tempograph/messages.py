"""Messages that cross the Temporal boundary: workflow input, signals, updates, queries, activities.

Everything here is plain data (pydantic models), because it is written to Temporal history and
read back on replay. This module is imported by the sandboxed workflow, so it must not import
user code or anything with side effects.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

if TYPE_CHECKING:
    from temporalio.common import RetryPolicy, SearchAttributeKey

# Public names: users query these from the CLI and UI, e.g.
#   temporal workflow list --query "TempographStatus='interrupted'"
WORKFLOW_TYPE = "GraphRun"
DEFAULT_TASK_QUEUE = "tempograph"
RESUME_SIGNAL = "resume"
RESUME_UPDATE = "resume_update"
WAIT_UPDATE = "wait_for_pause"
STATE_QUERY = "get_state"
STATE_UPDATE = "update_state"
CHILD_PAUSED_SIGNAL = "tempograph_child_paused"
# A node activity -> its own run: live output of the node call (tokens, custom events). The
# workflow ignores it; it is in history for readers (GraphClient.stream, the HTTP API).
STREAM_SIGNAL = "tempograph_stream"
# A client -> a run: publish live output from now on (a stream joined after the run started).
STREAM_WANTED_SIGNAL = "tempograph_stream_wanted"
# The activity that POSTs a webhook notification (a run paused, was answered, a deadline
# passed, an invocation ended): tempograph._activities.notify.
NOTIFY_ACTIVITY = "tempograph.notify"
STATUS_ATTRIBUTE_NAME = "TempographStatus"
GRAPH_ATTRIBUTE_NAME = "TempographGraph"
# STATUS_ATTRIBUTE, GRAPH_ATTRIBUTE and SEARCH_ATTRIBUTES (temporalio SearchAttributeKeys) are
# built on first use (module __getattr__ at the end): this module imports no temporalio, so the
# pure engine (tempograph._engine) that uses its models stays free of it.

START = "__start__"
END = "__end__"

RunStatus = Literal["running", "interrupted", "done", "error", "cancelled"]
Breakpoints = list[str] | Literal["*"] | None


Model = TypeVar("Model", bound=BaseModel)


class ErrorKind(StrEnum):
    """Every error kind a run reports: the `type` of the ApplicationError that a refused message
    or a failed run carries. The values are in recorded histories and clients match on them:
    never change one. (A node's own ApplicationError type, or an exception's class name, can
    also reach the caller as a kind: those are the user's, not listed here.)"""

    # Messages refused (update validators, or signals dropped): the run is left as it was.
    INVALID_INPUT = "InvalidInput"  # a start input, wait_for_pause or thread record message
    NOT_PAUSED = "NotPaused"  # a resume or update_state for a run that is not paused
    INVALID_RESUME = "InvalidResume"  # a resume that does not parse, or names unknown keys
    UNKNOWN_INTERRUPT = "UnknownInterrupt"  # a resume map with ids that are not pending
    MISSING_RESUME_VALUE = "MissingResumeValue"  # no answer for a dynamic interrupt
    AMBIGUOUS_RESUME = "AmbiguousResume"  # one bare answer for several pending interrupts
    INVALID_ANSWER = "InvalidAnswer"  # an answer that does not fit its response_schema
    INVALID_STATE_UPDATE = "InvalidStateUpdate"  # an update_state that cannot apply
    PAYLOAD_TOO_LARGE = "PayloadTooLarge"  # a message, reply, node input or output too big
    # Runs failed.
    INVALID_UPDATE = "InvalidUpdateError"  # writes that cannot be applied; bad edge targets
    GRAPH_RECURSION = "GraphRecursionError"  # recursion_limit reached
    INTERRUPT_TIMEOUT = "InterruptTimeout"  # a deadline passed on an interrupt with no default
    NODE_ERROR = "NodeError"  # a node (or a subgraph) failed
    PAYLOAD_TOO_DEEP = "PayloadTooDeep"  # a node's output nested past limits.MAX_JSON_DEPTH
    NODE_NOT_FOUND = "NodeNotFound"  # the worker's graph has no such node
    UNKNOWN_GRAPH = "UnknownGraph"  # the worker serves no graph of that name


def stable_id(*parts: object) -> str:
    """32 hex characters, deterministic for the given parts (safe in the workflow sandbox).
    Used for task, interrupt and checkpoint ids."""
    return hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=16).hexdigest()


def checkpoint_id(thread_id: str, run_id: str, step: int, update: int = 0) -> str:
    """The id of the checkpoint before `step` of a run (or of its `update`-th state edit)."""
    return (
        stable_id(thread_id, run_id, step, update) if update else stable_id(thread_id, run_id, step)
    )


class InvalidMessageError(ValueError):
    """A message from a client did not match its schema."""


def parse_message(model: type[Model], raw: Any) -> Model:
    """Validate a raw JSON message. The workflow's handlers take raw JSON and call this, because
    a payload the SDK cannot decode would fail the workflow task again and again (the run hangs)
    instead of giving the sender a clear error."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'input'}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidMessageError(f"Invalid {model.__name__}: {problems}") from None


# ---------------------------------------------------------------------------------------------
# Graph topology, as data. Pinned in the run's history at start (see
# tempograph/_workflows/graph_run.py).
# ---------------------------------------------------------------------------------------------


class RetrySpec(BaseModel):
    """Serializable form of temporalio.common.RetryPolicy: both directions are here
    (`from_policy` when a graph is compiled, `to_policy` when the workflow runs a node)."""

    initial_interval_seconds: float = 1.0
    backoff_coefficient: float = 2.0
    maximum_interval_seconds: float | None = None
    maximum_attempts: int = 3
    non_retryable_error_types: list[str] = Field(default_factory=list)

    @classmethod
    def from_policy(cls, policy: RetryPolicy) -> RetrySpec:
        return cls(
            initial_interval_seconds=policy.initial_interval.total_seconds(),
            backoff_coefficient=policy.backoff_coefficient,
            maximum_interval_seconds=(
                policy.maximum_interval.total_seconds() if policy.maximum_interval else None
            ),
            maximum_attempts=policy.maximum_attempts,
            non_retryable_error_types=list(policy.non_retryable_error_types or []),
        )

    def to_policy(self) -> RetryPolicy:
        from temporalio.common import RetryPolicy  # (imported here: see the module's top)

        return RetryPolicy(
            initial_interval=timedelta(seconds=self.initial_interval_seconds),
            backoff_coefficient=self.backoff_coefficient,
            maximum_interval=(
                timedelta(seconds=self.maximum_interval_seconds)
                if self.maximum_interval_seconds
                else None
            ),
            maximum_attempts=self.maximum_attempts,
            non_retryable_error_types=self.non_retryable_error_types,
        )


class NodeSpec(BaseModel):
    name: str
    start_to_close_timeout_seconds: float = 600.0
    heartbeat_timeout_seconds: float | None = None
    retry: RetrySpec = Field(default_factory=RetrySpec)
    # True when the node has conditional edges: its activity runs the router and returns targets.
    has_router: bool = False
    # A compiled graph used as a node runs as a child GraphRun of this registered graph name.
    subgraph: str | None = None
    # Run as a local activity: same worker as the workflow task, no server round trip.
    local_activity: bool = False


class ChannelSpec(BaseModel):
    """One state key. `reducer` is "last" (last write wins), a built-in name, or "custom"."""

    name: str
    reducer: str = "last"
    # Initial value for reducer channels (LangGraph starts `Annotated[list, add]` at []).
    has_initial: bool = False
    initial: Any = None


class EdgeSpec(BaseModel):
    """`sources` -> `target`. Several sources make a join: the target waits for all of them."""

    sources: list[str]
    target: str


class GraphSpec(BaseModel):
    name: str
    nodes: list[NodeSpec]
    channels: list[ChannelSpec]
    edges: list[EdgeSpec]
    start_has_router: bool = False
    interrupt_before: Breakpoints = None
    interrupt_after: Breakpoints = None
    # compile(notify=URL): webhook for this graph's pauses, answers and passed deadlines.
    notify: str | None = None
    # The worker's TEMPOGRAPH_INBOX_URL (None: not set): inbox links in current details and
    # notifications. Recorded with the topology, so a replay reads the same one.
    inbox_url: str | None = None


# ---------------------------------------------------------------------------------------------
# Workflow input, resume messages and state snapshots.
# ---------------------------------------------------------------------------------------------


class SendSpec(BaseModel):
    node: str
    arg: Any = None


class CarriedTask(BaseModel):
    """A task of a step paused at interrupts, carried by continue-as-new: its answers so far
    and, when it finished, its result (it does not run again)."""

    node: str
    send: SendSpec | None = None
    answers: list[Any] = Field(default_factory=list)
    result: NodeResult | None = None


class StartFrom(BaseModel):
    """Time travel: start a run from an earlier checkpoint of the thread instead of its input."""

    checkpoint_id: str
    values: dict[str, Any]
    next: list[str]
    step: int
    pause: bool = False  # pause before the first step (a fork edited with update_state)
    # Continue-as-new carries the whole run position, not only the state.
    continued: bool = False
    sends: list[SendSpec] = Field(default_factory=list)
    join_seen: dict[int, list[str]] = Field(default_factory=dict)
    steps_since_resume: int = 0
    # update_state of a finished thread: the edit to apply at the checkpoint before anything
    # runs (LangGraph: a new checkpoint whose `next` follows as_node's edges). The run then
    # pauses before `next`, or ends at once when there is nothing next.
    update: StateUpdate | None = None
    # A run continued as new while paused at interrupts: the paused step, whole (its tasks in
    # order, so their interrupt ids stay the same), the deadlines already set, and the last
    # rejected resume (still shown).
    tasks: list[CarriedTask] | None = None
    deadlines: dict[str, datetime] = Field(default_factory=dict)
    last_rejected_resume: str | None = None
    # Pauses already notified (GraphRun._notify_pause): a pause carried into a new run is not
    # announced twice.
    notified: list[str] = Field(default_factory=list)


class RunInput(BaseModel):
    """Input of the GraphRun workflow: one JSON object so the CLI can start a run.

    temporal workflow start --type GraphRun --task-queue tempograph --workflow-id t1 \\
        --input '{"graph": "revise", "input": {"text": "hello"}}'
    """

    # A misspelt key ("interupt_before") is an error, not a silently ignored option.
    model_config = ConfigDict(extra="forbid")

    graph: str
    input: dict[str, Any] | None = None
    thread_id: str | None = None  # defaults to the workflow id
    interrupt_before: Breakpoints = None  # per run; replaces the compiled list when given
    interrupt_after: Breakpoints = None
    recursion_limit: int = 100
    # Threads: a new run on a thread starts from the state its previous run left. The run id of
    # that previous run (GraphClient sets it); "" for a new thread; None to look it up.
    previous_run_id: str | None = None
    start_from: StartFrom | None = None
    # Long threads continue as new (a fresh history) between supersteps: when Temporal
    # suggests it, or after this many steps in one run.
    steps_per_run: int | None = Field(default=None, ge=1)
    # A paused run continues as new (carrying its pause) once its history passes this many
    # bytes (by default when Temporal suggests it): rejected signals land in history too, and
    # Temporal terminates a run whose history passes 50 MB.
    history_bytes_limit: int | None = Field(default=None, ge=1)
    # The invocation's RunnableConfig (its JSON keys: configurable, metadata, tags, run_name)
    # and runtime context, passed to every node (tempograph.config, tempograph.runtime). They
    # belong to one invocation: a resume brings its own.
    config: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    # A client streams this invocation's live output (LLM tokens, custom events): node
    # activities publish it (STREAM_SIGNAL). Off, tokens cost nothing.
    stream: bool = False
    # The invocation's webhook (the Agent Server's `webhook` run field): POSTed when this
    # invocation ends (the run pauses or ends), and told of the pause's answer and deadline.
    webhook: str | None = None


class GotoSend(BaseModel):
    """A Send in a resume's goto (LangGraph's Command(goto=Send(node, arg))): one more task of
    `node` with `arg` as its input instead of the state."""

    # {"node": ..., "input": ...} (the Agent Server's spelling) is refused, not run without arg.
    model_config = ConfigDict(extra="forbid")

    node: str
    arg: Any = None


class ResumeInput(BaseModel):
    """A human's answer: the shape of LangGraph's Command(resume=..., update=..., goto=...).

    `resume` is one value, or a map {interrupt id: value} when several interrupts are pending.
    At a static breakpoint, `resume` may be omitted (null): the run continues to the next one.
    `goto`: node names and Sends ({"node": ..., "arg": ...}), in order: each one a task.
    """

    # A misspelt key ({"answer": ...}) is an error, not a silently missing answer.
    model_config = ConfigDict(extra="forbid")

    resume: Any = None
    update: dict[str, Any] | None = None
    goto: list[str | GotoSend] = Field(default_factory=list)
    # Breakpoints for the rest of this invocation (LangGraph: per invocation); when omitted,
    # the graph's compiled ones.
    interrupt_before: Breakpoints = None
    interrupt_after: Breakpoints = None
    # The resuming invocation's config and context (LangGraph: each invoke passes its own);
    # they replace the run's for the rest of this invocation.
    config: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    stream: bool = False  # as RunInput.stream, for the rest of this invocation
    webhook: str | None = None  # as RunInput.webhook, for the resuming invocation


class StateUpdate(BaseModel):
    """update_state on a paused run: write `values` as if node `as_node` had returned them.

    With `as_node`, that node counts as done: a pending task or interrupt of it is skipped and
    its successors (its router evaluated again) become next. Without, the values are applied
    and the run waits where it was.
    """

    model_config = ConfigDict(extra="forbid")

    values: dict[str, Any] | None = None
    as_node: str | None = None


class WaitInput(BaseModel):
    """Argument of the wait_for_pause update (used by GraphClient.invoke to start and wait)."""


class PendingInterrupt(BaseModel):
    id: str
    value: Any
    node: str
    task_id: str
    response_schema: dict[str, Any] | None = None
    validate_answer: bool = False
    # Deadline (interrupt(..., timeout=)): resume with `default` then, or fail without one.
    deadline: datetime | None = None
    has_default: bool = False
    default: Any = None
    # interrupt(..., notify=URL): this question's webhook (instead of the graph's).
    notify: str | None = None

    def view(self) -> dict[str, Any]:
        """The interrupt as run output shows it (the items of `__interrupt__`, LangGraph's
        Interrupt fields): the one shape of the workflow's replies, the client and the API."""
        return {"value": self.value, "id": self.id, "response_schema": self.response_schema}


class StateSnapshot(BaseModel):
    """What get_state returns (LangGraph's StateSnapshot, reduced to what a run knows)."""

    thread_id: str
    graph: str
    status: RunStatus
    values: dict[str, Any]
    next: list[str]
    interrupts: list[PendingInterrupt]
    step: int
    # "interrupt" (dynamic), "before" or "after" (static breakpoint), or None when not paused.
    paused_at: Literal["interrupt", "before", "after"] | None = None
    error: str | None = None
    last_rejected_resume: str | None = None
    checkpoint_id: str | None = None  # the latest checkpoint (see get_state_history)


CHECKPOINT_MEMO = "tempograph_checkpoint"


class Checkpoint(BaseModel):
    """The state between two supersteps, as LangGraph's checkpoints, read from the run's own
    history with no worker: the state before each step is the input of that step's node
    activities; pauses, state edits and the end of a run add a memo upsert."""

    checkpoint_id: str
    thread_id: str
    run_id: str
    step: int
    source: Literal["input", "loop", "update", "fork"]
    values: dict[str, Any]
    next: list[str]
    created_at: datetime
    parent_checkpoint_id: str | None = None


class NodeUpdate(BaseModel):
    """What one node task wrote in one superstep (LangGraph's "updates" stream mode), read
    from the run's history."""

    step: int
    node: str
    task_id: str
    values: dict[str, Any]
    finished_at: datetime


class PendingRun(BaseModel):
    """A run waiting for a human, as listed by GraphClient.pending."""

    thread_id: str
    graph: str
    started: datetime


# ---------------------------------------------------------------------------------------------
# Activity messages.
# ---------------------------------------------------------------------------------------------


class StateDelta(BaseModel):
    """How the state changed between two versions: keys set to a new value, and list keys
    that only grew (their new items). For an append-only channel such as a message list, the
    delta is the new messages, whatever the length of the thread."""

    set: dict[str, Any] = Field(default_factory=dict)
    extend: dict[str, list[Any]] = Field(default_factory=dict)


class StateRef(BaseModel):
    """The state a node task reads, version `version` of this run's state, as sent in the
    task: the whole state (small states, and the first task of a run), or the delta from
    version `base_version`, which the worker usually holds already
    (tempograph._activities.state_cache)."""

    version: int = 0
    state: dict[str, Any] | None = None
    base_version: int | None = None
    delta: StateDelta | None = None


# Query a worker makes when it cannot rebuild a node's state from its cache: the run's state
# at the version its tasks were sent.
NODE_STATE_QUERY = "tempograph_node_state"


class NodeState(BaseModel):
    version: int
    values: dict[str, Any]


class StepRecord(BaseModel):
    """A step's checkpoint where history does not record the node inputs (local activities):
    the first local task of a step echoes it back in its result, which history does record."""

    step: int
    next: list[str]
    ref: StateRef


class NodeTask(BaseModel):
    graph: str
    node: str
    task_id: str
    step: int = 0
    # Histories before StateRef carry the whole state here; now it is `ref.state`.
    state: dict[str, Any] | None = None
    ref: StateRef | None = None
    # Set on a step's first local-activity task: the step's nodes, echoed back with the ref.
    step_nodes: list[str] | None = None
    # Set for tasks created by Send: the node receives `arg` instead of the state.
    send_arg: Any = None
    is_send: bool = False
    # Answers for this task's interrupt() calls, matched by order.
    resume: list[Any] = Field(default_factory=list)
    # The invocation's config and context (RunInput.config / .context).
    config: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    # Publish live output (StreamBatch signals) while the node runs.
    stream: bool = False


class InterruptRaised(BaseModel):
    value: Any
    slot: int  # index of the interrupt() call inside the node (0-based)
    response_schema: dict[str, Any] | None = None
    validate_answer: bool = False  # check answers against response_schema at resume time
    timeout_seconds: float | None = None
    has_default: bool = False
    default: Any = None
    rejected: str | None = None  # the node refused the answer given for this slot
    notify: str | None = None  # interrupt(..., notify=URL)


NotifyEvent = Literal["interrupted", "answered", "expired", "ended"]


class Notification(BaseModel):
    """Input of the notify activity: one webhook POST of `body` (JSON) to `url`. `event_id` is
    the same on every retry of one delivery (receivers drop duplicates by it)."""

    url: str
    event: NotifyEvent
    event_id: str
    body: dict[str, Any]


class ChildPaused(BaseModel):
    """Sent by a subgraph's run to its parent each time it pauses."""

    child_id: str
    seq: int
    paused_at: str
    pending: list[PendingInterrupt] = Field(default_factory=list)


class NodeResult(BaseModel):
    # Writes in the order the node produced them: [(key, value)].
    writes: list[tuple[str, Any]] = Field(default_factory=list)
    # Which task this answers: a local activity's input is not in history, its result is.
    node: str = ""
    step: int | None = None
    task_id: str = ""
    record: StepRecord | None = None
    # Targets from Command(goto=...) and from the node's conditional edges.
    goto: list[str] = Field(default_factory=list)
    sends: list[SendSpec] = Field(default_factory=list)
    interrupt: InterruptRaised | None = None
    # A subgraph task that is paused: its own pending interrupts (none at a breakpoint).
    child_pending: list[PendingInterrupt] | None = None
    # Custom stream events the node wrote with get_stream_writer() / runtime.stream_writer,
    # in order (bounded: tempograph.config.MAX_CUSTOM_EVENTS / MAX_CUSTOM_BYTES per node).
    custom: list[Any] = Field(default_factory=list)


class RouteTask(BaseModel):
    """Run the conditional edges of `source` (only START needs this outside a node activity)."""

    graph: str
    source: str
    state: dict[str, Any]
    config: dict[str, Any] | None = None
    context: dict[str, Any] | None = None


class RouteResult(BaseModel):
    goto: list[str] = Field(default_factory=list)
    sends: list[SendSpec] = Field(default_factory=list)


class LoadThreadTask(BaseModel):
    thread_id: str
    run_id: str  # the run asking (excluded from the look-up)
    previous_run_id: str | None = None


class LoadedThread(BaseModel):
    found: bool
    run_id: str = ""
    values: dict[str, Any] = Field(default_factory=dict)
    step: int = 0
    checkpoint_id: str | None = None


class ReduceTask(BaseModel):
    """Apply a user-defined reducer (a Python callable the workflow cannot import)."""

    graph: str
    channel: str
    has_current: bool
    current: Any = None
    writes: list[Any]


class ReduceResult(BaseModel):
    value: Any


# A thread's own record (its metadata), kept by a small long-lived workflow so that a thread
# created over HTTP and never run, and the metadata of any thread, live in Temporal too.
THREAD_RECORD_WORKFLOW = "TempographThread"
THREAD_PATCH_UPDATE = "patch_metadata"
THREAD_CLOSE_SIGNAL = "close"
THREAD_MEMO = "tempograph_thread"


def thread_record_id(thread_id: str) -> str:
    """The workflow id of a thread's record; distinct from the thread's GraphRun id."""
    return f"{thread_id}/thread"


class ThreadMetadata(BaseModel):
    """Start input, update input and update result of TempographThread; also its memo."""

    model_config = ConfigDict(extra="forbid")

    metadata: dict[str, Any] = Field(default_factory=dict)
    updated_at: datetime | None = None


def thread_memo(record: ThreadMetadata) -> dict[str, Any]:
    return {THREAD_MEMO: record.model_dump(mode="json")}


def __getattr__(name: str) -> Any:
    """The search attribute keys, built on first use (PEP 562; see STATUS_ATTRIBUTE_NAME)."""
    if name not in ("STATUS_ATTRIBUTE", "GRAPH_ATTRIBUTE", "SEARCH_ATTRIBUTES"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from temporalio.common import SearchAttributeKey

    status = SearchAttributeKey.for_keyword(STATUS_ATTRIBUTE_NAME)
    graph = SearchAttributeKey.for_keyword(GRAPH_ATTRIBUTE_NAME)
    globals().update(
        STATUS_ATTRIBUTE=status, GRAPH_ATTRIBUTE=graph, SEARCH_ATTRIBUTES=(status, graph)
    )
    return globals()[name]


if TYPE_CHECKING:
    STATUS_ATTRIBUTE: SearchAttributeKey[str]
    GRAPH_ATTRIBUTE: SearchAttributeKey[str]
    SEARCH_ATTRIBUTES: tuple[SearchAttributeKey[str], SearchAttributeKey[str]]


class StreamItem(BaseModel):
    """One piece of a node call's live output, in the order the node produced them.

    kind "custom": `value` is what get_stream_writer() got.
    kind "model_start": a chat model call (the `call`-th of this node call) began; `value` =
      {"run_id": LangChain run id, "id": the id its chunks carry ("lc_run--<run_id>"),
       "name": model class, "tags": [...], "metadata": {"ls_provider", "ls_model_type", ...}}.
    kind "chunk": a token chunk of call `call`: the AIMessageChunk's model_dump() without the
      fields equal to their defaults (STREAM_CHUNK_DEFAULTS) and without `id` when it is the
      call's id; readers rebuild the full dict (defaults first, in model_dump's key order).
    kind "model_end": call `call` finished (value None).
    """

    kind: Literal["custom", "model_start", "chunk", "model_end"]
    call: int = 0
    value: Any = None


# AIMessageChunk.model_dump() of an empty chunk, in its key order (langchain-core 1.x); `id`
# and `content` always set by readers.
STREAM_CHUNK_DEFAULTS: dict[str, Any] = {
    "content": "",
    "additional_kwargs": {},
    "response_metadata": {},
    "type": "AIMessageChunk",
    "name": None,
    "id": None,
    "tool_calls": [],
    "invalid_tool_calls": [],
    "usage_metadata": None,
    "tool_call_chunks": [],
    "chunk_position": None,
}


class StreamBatch(BaseModel):
    """Input of STREAM_SIGNAL: live output of one node call (task `task_id` of `step`),
    batched (tempograph._activities.publisher says when a batch is sent). `seq` counts the
    batches of one activity attempt from 0; a retried node call publishes again with its
    own `attempt`."""

    node: str
    task_id: str
    step: int
    attempt: int = 1
    seq: int = 0
    items: list[StreamItem] = Field(default_factory=list)
