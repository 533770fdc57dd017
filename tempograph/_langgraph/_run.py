"""Calling a LangGraph node (and its conditional edges) inside a Tempograph node activity.

A compiled LangGraph node is `bound` (the user's function, as a Runnable) followed by writers
that turn its return value into channel writes: state keys, `branch:to:<node>` (static edges and
Command.goto), `join:...` (join barriers), `__pregel_tasks` (Send). The adapter runs the node's
own runnable and writers with the config Pregel would give it, collects the writes, and returns
them to Tempograph as a Command (state updates as (key, value) pairs, goto names and Sends).

Conditional edges are writers too, but they read the state (plus the node's own writes); they
run as the Tempograph node's router instead, where the activity has the state at hand, also for
tasks started by a Send (whose input is the Send's argument, not the state).
"""

from __future__ import annotations

import contextvars
import functools
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from langgraph.errors import GraphInterrupt as LangGraphInterrupt
from langgraph.errors import ParentCommand
from langgraph.types import Send as LangGraphSend
from temporalio import activity
from temporalio.exceptions import ApplicationError

from tempograph._engine.reducers import to_message_objects
from tempograph._langgraph._internals import (
    BRANCH_PREFIX,
    JOIN_PREFIX,
    OVERWRITE_TYPES,
    PULL,
    PUSH,
    RESUME,
    TASKS,
    interrupt_calls,
    is_branch_writer,
    make_runtime,
    node_runnable,
    pregel_configurable,
    state_reader,
)
from tempograph.messages import NODE_STATE_QUERY, ErrorKind, NodeState
from tempograph.store.langgraph import as_langgraph_store
from tempograph.types import Command, GraphInterrupt, Send, _scratchpad


class StateView(dict[str, Any]):
    """The state as Tempograph hands it to a LangGraph node (a task started by a Send gets the
    Send's argument instead, which is never a StateView)."""


@dataclass
class _TaskOutput:
    """What the node call leaves for its routers, in the same activity: LangGraph's routers
    see the node's return value (dict keys pass through) and its writes to ephemeral keys."""

    task_id: str
    output: Any
    ephemeral: dict[str, Any] = field(default_factory=dict)


_last_output: contextvars.ContextVar[_TaskOutput | None] = contextvars.ContextVar(
    "tempograph_langgraph_output", default=None
)


@dataclass
class Translated:
    updates: list[tuple[str, Any]] = field(default_factory=list)
    goto: list[str] = field(default_factory=list)
    sends: list[Send] = field(default_factory=list)
    ephemeral: dict[str, Any] = field(default_factory=dict)


def translate(
    writes: Iterable[tuple[str, Any]], state_keys: frozenset[str], ephemeral_keys: frozenset[str]
) -> Translated:
    """LangGraph channel writes → Tempograph updates, goto targets and Sends."""
    out = Translated()
    for channel, value in writes:
        if channel in state_keys:
            if OVERWRITE_TYPES and isinstance(value, OVERWRITE_TYPES):
                raise _fatal(
                    f"At key '{channel}': Overwrite(...) is not supported by Tempograph yet "
                    "(reducers always apply)",
                    ErrorKind.INVALID_UPDATE,
                )
            out.updates.append((channel, value))
        elif channel in ephemeral_keys:
            out.ephemeral[channel] = value
        elif channel.startswith(BRANCH_PREFIX):
            out.goto.append(channel[len(BRANCH_PREFIX) :])
        elif channel == TASKS and isinstance(value, LangGraphSend):
            out.sends.append(Send(node=value.node, arg=value.arg))
        elif channel.startswith(JOIN_PREFIX) or channel == RESUME:
            # Joins are edges of the Tempograph graph (the workflow counts finished sources);
            # answers already given live in the task's resume list.
            continue
        else:
            raise _fatal(f"Write to unknown channel '{channel}'", ErrorKind.INVALID_UPDATE)
    return out


def hitl_answer_schema(value: Any) -> dict[str, Any] | None:
    """For LangChain's HumanInTheLoopMiddleware request ({"action_requests", "review_configs"}):
    the JSON Schema of its answer, so that the run refuses at resume time a decision the
    review config does not allow, or a wrong number of decisions (LangGraph would store the
    answer and fail inside the node). None for any other interrupt value."""
    if not isinstance(value, dict) or set(value) != {"action_requests", "review_configs"}:
        return None
    requests, configs = value["action_requests"], value["review_configs"]
    if not isinstance(requests, list) or not isinstance(configs, list):
        return None
    allowed_by_tool = {
        c.get("action_name"): list(c.get("allowed_decisions") or [])
        for c in configs
        if isinstance(c, dict)
    }
    allowed: list[str] = []
    for request in requests:
        for decision in allowed_by_tool.get(
            request.get("name") if isinstance(request, dict) else None, []
        ):
            if decision not in allowed:
                allowed.append(decision)
    if not allowed:
        return None
    # One list for every position (this checker has no per-position items): exact when the
    # gated tools allow the same decisions, the union otherwise (the node still checks).
    decision = {"type": "object", "required": ["type"], "properties": {"type": {"enum": allowed}}}
    count = len(requests)
    return {
        "type": "object",
        "required": ["decisions"],
        "properties": {
            "decisions": {"type": "array", "minItems": count, "maxItems": count, "items": decision}
        },
    }


async def _step_state(message_keys: frozenset[str]) -> dict[str, Any]:
    """The state of the step this task belongs to, asked of the run (the state every task of
    the step reads; the run does not move on while this task runs)."""
    info = activity.info()
    handle = activity.client().get_workflow_handle(
        info.workflow_id or "", run_id=info.workflow_run_id
    )
    sent = await handle.query(NODE_STATE_QUERY, result_type=NodeState)
    values = dict(sent.values) if sent is not None else {}
    for key in message_keys:
        if isinstance(values.get(key), list):
            values[key] = to_message_objects(values[key])
    return values


def _heartbeat() -> None:
    if activity.in_activity():
        activity.heartbeat()


def _pregel_config(
    config: dict[str, Any],
    *,
    node: str,
    tags: Sequence[str],
    triggers: Sequence[str],
    path: tuple[Any, ...],
    send: Callable[[Any], None],
    read: Callable[..., Any],
    resume: list[Any],
    runtime: Any,
    writer: Any,
    read_state: Callable[[], Any] | None = None,
    store: Any = None,
) -> dict[str, Any]:
    """The config LangGraph's prepare_single_task builds, on top of Tempograph's node config
    (the invocation's keys, thread_id, callbacks for token capture, langgraph_* metadata)."""
    conf = dict(config.get("configurable") or {})
    meta = dict(config.get("metadata") or {})
    step = int(meta.get("langgraph_step", 1))
    task_id = str(meta.get("tempograph_task_id", ""))
    checkpoint_ns = str(conf.get("checkpoint_ns") or node)
    limit = int(config.get("recursion_limit", 25))
    info = activity.info() if activity.in_activity() else None
    lg_runtime = make_runtime(
        context=getattr(runtime, "context", None),
        store=store,
        stream_writer=writer,
        heartbeat=_heartbeat,
        checkpoint_ns=checkpoint_ns,
        task_id=task_id,
        thread_id=conf.get("thread_id"),
        run_id=info.workflow_run_id if info else None,
        node_attempt=info.attempt if info else 1,
    )
    out = {k: v for k, v in config.items() if k not in ("configurable", "metadata", "tags")}
    out["run_name"] = node
    out["tags"] = [*(config.get("tags") or []), *tags]
    out["metadata"] = {
        **meta,
        "langgraph_node": node,
        "langgraph_triggers": tuple(triggers),
        "langgraph_path": path,
        "langgraph_checkpoint_ns": checkpoint_ns,
    }
    out["configurable"] = {
        **conf,
        **pregel_configurable(
            send=send,
            read=read,
            read_state=read_state,
            resume=resume,
            step=step,
            stop=step + limit,
            checkpoint_ns=checkpoint_ns,
            task_id=task_id,
            runtime=lg_runtime,
        ),
    }
    return out


NodeCallable = Callable[..., Awaitable[Any]]


def make_node(
    graph: Any,
    name: str,
    state_keys: frozenset[str],
    ephemeral_keys: frozenset[str],
    message_keys: frozenset[str],
    *,
    store: Any = None,
) -> NodeCallable:
    """The Tempograph node that runs LangGraph node `name` of `graph` (with the store given to
    compile(), as LangGraph passes it: runtime.store and a `store` parameter)."""
    proc = graph.nodes[name]
    runnable = node_runnable(proc)
    reads: list[str] = list(proc.channels)
    mapper = proc.mapper
    tags = list(proc.tags or [])
    triggers = list(proc.triggers)

    def node_input(state: dict[str, Any]) -> Any:
        value = {key: state[key] for key in reads if key in state}
        return mapper(value) if mapper is not None else value

    async def node(state: Any, config: Any, runtime: Any, writer: Any) -> Any:
        read: Callable[..., Any]
        read_state: Callable[[], Any] | None = None
        if isinstance(state, StateView):
            value, read, path = node_input(state), state_reader(state), (PULL, name)
            is_send = False
        else:
            # A Send task gets the Send's argument; LangGraph nodes may still read the state
            # (ToolNode does, under create_agent), which this activity was not given.
            values = await _step_state(message_keys)
            value, read, path = state, state_reader(values), (PUSH, name)
            read_state = functools.partial(node_input, values)
            is_send = True
        pad = _scratchpad.get()
        resume = list(pad.resume) if pad is not None else []
        # The Agent Server gives every graph the server's store: a graph compiled without one
        # gets the worker's (tempograph.store), seen through LangGraph's BaseStore API.
        lg_store = store
        if lg_store is None and getattr(runtime, "store", None) is not None:
            lg_store = as_langgraph_store(runtime.store)
        writes: deque[tuple[str, Any]] = deque()
        lg_config = _pregel_config(
            config,
            node=name,
            tags=tags,
            triggers=[PUSH] if is_send else triggers,
            path=path,
            send=writes.extend,
            read=read,
            read_state=read_state,
            resume=resume,
            runtime=runtime,
            writer=writer,
            store=lg_store,
        )
        try:
            output = await runnable.ainvoke(value, lg_config)
        except LangGraphInterrupt as exc:
            raised = exc.args[0] if exc.args else ()
            if not raised:
                raise
            # The node's own interrupt() raises at the first call with no answer yet; a graph
            # it invokes raises with the node's own calls all answered.
            if interrupt_calls(lg_config["configurable"]) <= len(resume):
                raise _fatal(
                    f"Node '{name}' invokes a LangGraph graph that called interrupt() "
                    "(subgraph.invoke(...) inside a node function): not supported on "
                    "Tempograph, which cannot keep that graph's checkpoint between the pause "
                    "and the answer. Add the compiled graph as a node instead "
                    "(builder.add_node(name, subgraph)): it then runs as a Tempograph subgraph",
                    ErrorKind.NODE_ERROR,
                ) from None
            first = raised[0]
            # LangGraph numbers a node's interrupt() calls as Tempograph does: the k-th call
            # waits on the k-th answer, so the slot is the number of answers given so far.
            schema = getattr(first, "response_schema", None)
            checked = schema is None and (schema := hitl_answer_schema(first.value)) is not None
            raise GraphInterrupt(
                first.value, len(resume), schema, validate_answer=checked
            ) from None
        except ParentCommand:
            raise _fatal(
                f"Node '{name}' returned Command(graph=Command.PARENT): not supported yet "
                "on Tempograph",
                ErrorKind.INVALID_UPDATE,
            ) from None
        done = translate(writes, state_keys, ephemeral_keys)
        _last_output.set(
            _TaskOutput(task_id=_task_id(config), output=output, ephemeral=done.ephemeral)
        )
        # Tempograph's _normalize takes (key, value) pairs as well as a dict: a node may write
        # one key several times (a list of Commands), each write goes through the reducer.
        update = cast(dict[str, Any], done.updates)
        return Command(update=update, goto=[*done.goto, *done.sends])

    node.__name__ = node.__qualname__ = _identifier(name)
    return node


def make_router(graph: Any, source: str) -> Callable[[Any, Any], list[str | Send]] | None:
    """The Tempograph router running the conditional edges of `source` (None: it has none)."""
    writers = [w for w in graph.nodes[source].writers if is_branch_writer(w)]
    if not writers:
        return None

    def router(state: Any, config: Any) -> list[str | Send]:
        left = _last_output.get()
        if left is not None and left.task_id != _task_id(config):
            left = None
        values = dict(state)
        if left is not None:
            values.update(left.ephemeral)
        writes: deque[tuple[str, Any]] = deque()
        lg_config = _pregel_config(
            config,
            node=source,
            tags=[],
            triggers=[],
            path=(PULL, source),
            send=writes.extend,
            read=state_reader(values),
            resume=[],
            runtime=None,
            writer=_router_writer,
        )
        value = left.output if left is not None else None
        for w in writers:
            w.invoke(value, lg_config)
        done = translate(writes, frozenset(), frozenset())
        return [*done.goto, *done.sends]

    router.__name__ = router.__qualname__ = _identifier(f"route_{source}")
    return router


def _router_writer(chunk: Any) -> None:
    raise RuntimeError("Custom stream events are not recorded from a conditional edge")


def _task_id(config: Any) -> str:
    return str(((config or {}).get("metadata") or {}).get("tempograph_task_id", ""))


def _identifier(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name) or "node"


def _fatal(message: str, kind: str) -> ApplicationError:
    return ApplicationError(message, type=str(kind), non_retryable=True)
