"""Activities that run user code: nodes, routers, custom reducers, and the graph description.

This is the only place where user graph modules are called. The workflow sends plain data
(NodeTask) and gets plain data back (NodeResult), so user code can change between deploys
without breaking the determinism of runs already in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import uuid
from collections.abc import AsyncIterator, Mapping
from typing import Any

import structlog
from pydantic import BaseModel
from pydantic_core import PydanticSerializationError
from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from tempograph._activities.notify import send_notification
from tempograph._activities.publisher import Publisher
from tempograph._activities.state_cache import StateCache
from tempograph._client.runs import thread_runs
from tempograph._engine.reducers import as_message_list, message_to_dict, needs_id
from tempograph.channels import apply_writes, fold
from tempograph.config import CustomEvents, node_context
from tempograph.errors import InvalidUpdateError
from tempograph.graph import CompiledGraph, call_args, route
from tempograph.limits import LimitError, check_depth
from tempograph.messages import (
    STATE_QUERY,
    ErrorKind,
    GraphSpec,
    InterruptRaised,
    LoadedThread,
    LoadThreadTask,
    NodeResult,
    NodeTask,
    ReduceResult,
    ReduceTask,
    RouteResult,
    RouteTask,
    SendSpec,
    StateSnapshot,
    StepRecord,
)
from tempograph.notifications import DEFAULT_INBOX_URL, INBOX_URL_ENV
from tempograph.payloads import check_size
from tempograph.runtime import Runtime, coerce_context
from tempograph.store import BaseStore, default_store
from tempograph.types import (
    NO_DEFAULT,
    Command,
    GraphInterrupt,
    Send,
    _enter_task,
    _exit_task,
)

log = structlog.get_logger("tempograph.activities")

# A node activity heartbeats this often while its body runs, from its first tick on (the SDK
# sends at most one heartbeat per 0.8 x the heartbeat timeout, so ticking often costs nothing).
# With the nodes' default heartbeat timeout (tempograph.graph.DEFAULT_HEARTBEAT_TIMEOUT), a
# worker that dies mid-node has the node retried on another worker within that timeout, not
# after the start-to-close timeout. Must stay well below the smallest sensible timeout.
HEARTBEAT_EVERY = 2.0


class GraphActivities:
    """Activities bound to the graphs one worker serves (by name)."""

    def __init__(self, graphs: Mapping[str, CompiledGraph], store: BaseStore | None = None) -> None:
        self.graphs = dict(graphs)
        # The nodes' store (runtime.store): the one given, else TEMPOGRAPH_STORE_URI's, looked
        # up at each call (opened once per URI). Looked up now too: a bad URI stops the worker
        # from starting instead of failing every node.
        self._given_store = store
        if store is None:
            default_store()
        self.states = StateCache()
        for name, graph in graphs.items():
            self.graphs.update(graph.subgraphs(name))

    def all(self) -> list[Any]:
        return [
            self.describe_graph,
            self.run_node,
            self.route,
            self.reduce,
            self.load_thread,
            send_notification,
        ]

    @activity.defn(name="tempograph.describe_graph")
    async def describe_graph(self, graph: str) -> GraphSpec:
        """The graph's topology as data; the workflow pins it in its history at start."""
        spec = self._graph(graph).spec(graph)
        # The worker's inbox base URL, pinned with the topology (current details, webhooks).
        inbox = os.environ.get(INBOX_URL_ENV, DEFAULT_INBOX_URL).strip()
        return spec.model_copy(update={"inbox_url": inbox or None})

    @activity.defn(name="tempograph.run_node")
    async def run_node(self, task: NodeTask) -> NodeResult:
        publisher = _publisher(task)
        try:
            return await self._run_node(task, publisher)
        finally:
            if publisher is not None:
                # Before the result: history must hold the node's live output first.
                await publisher.aclose()

    async def _run_node(self, task: NodeTask, publisher: Publisher | None) -> NodeResult:
        graph = self._graph(task.graph)
        try:
            fn = graph.node_fn(task.node)
        except KeyError:
            raise _fatal(
                f"Graph '{task.graph}' on this worker has no node '{task.node}'",
                ErrorKind.NODE_NOT_FOUND,
            ) from None
        logger = log.bind(
            thread_id=activity.info().workflow_id,
            node=task.node,
            attempt=activity.info().attempt,
        )
        state = await self.states.state_of(task)
        node_input = task.send_arg if task.is_send else graph.coerce_state(state)
        custom = CustomEvents(
            node=task.node,
            sink=None if publisher is None else (lambda value: publisher.add("custom", value)),
        )
        config = _config(task)
        if publisher is not None:
            _capture_tokens(config, publisher)
        injected = _injected(graph, config, task.context, custom.write, self.store)
        token = _enter_task(list(task.resume))
        try:
            async with _heartbeating():
                with _node_context(injected):
                    output = await _call(fn, node_input, injected)
        except GraphInterrupt as exc:
            logger.info("node interrupted", slot=exc.slot)
            raised = InterruptRaised(
                value=exc.value,
                slot=exc.slot,
                response_schema=exc.response_schema,
                validate_answer=exc.validate_answer,
                timeout_seconds=exc.timeout.total_seconds() if exc.timeout else None,
                has_default=exc.default is not NO_DEFAULT,
                default=None if exc.default is NO_DEFAULT else exc.default,
                rejected=exc.rejected,
                notify=exc.notify,
            )
            result = NodeResult(interrupt=raised, custom=custom.events)
            return _checked(_answering(result, task), task.node)
        finally:
            _exit_task(token)
        try:
            result = _normalize(output, graph)
            result.custom = custom.events
            if graph.branches(task.node):
                with _node_context(injected):
                    _route_after(graph, state, task.node, result, injected)
        except InvalidUpdateError as exc:
            raise _fatal(str(exc), ErrorKind.INVALID_UPDATE) from exc
        logger.debug("node finished", writes=len(result.writes))
        return _checked(_answering(result, task), task.node)

    @activity.defn(name="tempograph.route")
    async def route(self, task: RouteTask) -> RouteResult:
        """Conditional edges out of START (a node's own routers run in its activity)."""
        graph = self._graph(task.graph)
        result = NodeResult()
        state = graph.coerce_state(task.state)
        config = _base_config(task.config, task.source)
        injected = _injected(graph, config, task.context, _router_writer, self.store)
        for branch in graph.branches(task.source):
            with _node_context(injected):
                goto, sends = route(branch, state, injected)
            result.goto.extend(goto)
            result.sends.extend(SendSpec(node=s.node, arg=s.arg) for s in sends)
        _checked(result, task.source)
        return RouteResult(goto=result.goto, sends=result.sends)

    @activity.defn(name="tempograph.reduce")
    async def reduce(self, task: ReduceTask) -> ReduceResult:
        """Apply a custom reducer, which only the worker can import."""
        graph = self._graph(task.graph)
        reducer = graph.reducers[task.channel]
        value = fold(reducer, task.has_current, task.current, task.writes)
        if task.channel in graph.message_channels:
            value = messages_to_wire(value)
        return ReduceResult(value=value)

    @activity.defn(name="tempograph.load_thread")
    async def load_thread(self, task: LoadThreadTask) -> LoadedThread:
        """The state the thread's previous run left (its final values, or where it stopped)."""
        client = activity.client()
        run_id = task.previous_run_id
        if run_id is None:
            run_id = await _previous_run_id(client, task)
        if not run_id:
            return LoadedThread(found=False)
        handle = client.get_workflow_handle(task.thread_id, run_id=run_id)
        snapshot = await handle.query(STATE_QUERY, result_type=StateSnapshot)
        return LoadedThread(
            found=True,
            run_id=run_id,
            values=snapshot.values,
            step=snapshot.step,
            checkpoint_id=snapshot.checkpoint_id,
        )

    @property
    def store(self) -> BaseStore:
        return self._given_store if self._given_store is not None else default_store()

    def _graph(self, name: str) -> CompiledGraph:
        graph = self.graphs.get(name)
        if graph is None:
            raise _fatal(
                f"Unknown graph '{name}'. This worker serves: {sorted(self.graphs)}",
                ErrorKind.UNKNOWN_GRAPH,
            )
        return graph


async def _previous_run_id(client: Client, task: LoadThreadTask, wait: float = 10.0) -> str:
    """The thread's newest closed run, found through visibility (for runs started without a
    previous_run_id, e.g. from the CLI). Visibility is eventually consistent: wait until it
    lists the asking run itself, which started after the previous run closed."""
    deadline = asyncio.get_running_loop().time() + wait
    while True:
        try:
            runs = await thread_runs(client, task.thread_id)
        except RPCError as exc:
            if exc.status != RPCStatusCode.UNIMPLEMENTED:
                raise
            # Servers without visibility (the time-skipping test server): a fresh thread.
            log.warning("cannot look up the thread's previous run", error=exc.message)
            return ""
        if (
            any(r.run_id == task.run_id for r in runs)
            or asyncio.get_running_loop().time() > deadline
        ):
            break
        await asyncio.sleep(0.1)
    closed = [r for r in runs if r.run_id != task.run_id and r.close_time is not None]
    return max(closed, key=lambda r: r.close_time or r.start_time).run_id if closed else ""


@contextlib.asynccontextmanager
async def _heartbeating() -> AsyncIterator[None]:
    """Heartbeat in the background while the node's body runs (sync nodes run in a thread, so
    the event loop is free to do it; an async node that blocks the event loop for longer than
    its heartbeat timeout is retried, and should be made sync or given a longer timeout).
    Heartbeats only say "this worker is alive": a node that hangs is stopped by its
    start-to-close timeout. Local activities have no heartbeats."""
    timeout = activity.info().heartbeat_timeout
    if activity.info().is_local or not timeout:
        yield
        return
    every = min(HEARTBEAT_EVERY, timeout.total_seconds() / 4)

    async def beat() -> None:
        # The first beat only after a while: a quick node (most of them) sends none, and
        # costs no extra round trip to the server.
        while True:
            await asyncio.sleep(every)
            activity.heartbeat()

    beating = asyncio.create_task(beat())
    try:
        yield
    finally:
        beating.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beating


async def _call(fn: Any, node_input: Any, injected: dict[str, Any]) -> Any:
    config = injected["config"]
    if not inspect.isfunction(fn) and not inspect.ismethod(fn):
        # A LangChain Runnable (ToolNode, a chain, a chat model...): invoke(input, config).
        if callable(getattr(fn, "ainvoke", None)):
            return await fn.ainvoke(node_input, config)
        if callable(getattr(fn, "invoke", None)):
            return await asyncio.to_thread(fn.invoke, node_input, config)
    args, kwargs = call_args(fn, node_input, injected)
    if inspect.iscoroutinefunction(fn):
        return await fn(*args, **kwargs)
    # Sync nodes run in a thread so they never block the worker's event loop.
    # asyncio.to_thread copies context variables, so interrupt() and get_config() work there.
    output = await asyncio.to_thread(fn, *args, **kwargs)
    if inspect.isawaitable(output):
        output = await output
    return output


def _publisher(task: NodeTask) -> Publisher | None:
    """The node call's live output channel, when a client streams the run (see publisher)."""
    if not task.stream or activity.info().is_local:
        return None
    return Publisher(task)


def _capture_tokens(config: dict[str, Any], publisher: Publisher) -> None:
    """Chat models the node calls (with this config, or inheriting it) stream their tokens."""
    try:
        from tempograph._activities.token_capture import TokenCapture
    except ImportError:  # no langchain-core: no chat models to capture
        return
    config["callbacks"] = [*(config.get("callbacks") or []), TokenCapture(publisher)]


def _base_config(user: dict[str, Any] | None, node: str) -> dict[str, Any]:
    """A node's (or router's) config, LangGraph's shape: the invocation's keys, with
    `thread_id` in `configurable` and the task's keys in `metadata`."""
    user = user or {}
    thread_id = activity.info().workflow_id
    config: dict[str, Any] = {
        key: value for key, value in user.items() if key not in ("configurable", "metadata")
    }
    config["configurable"] = {**(user.get("configurable") or {}), "thread_id": thread_id}
    config["metadata"] = {
        **(user.get("metadata") or {}),
        "thread_id": thread_id,
        "langgraph_node": node,
    }
    return config


def _config(task: NodeTask) -> dict[str, Any]:
    config = _base_config(task.config, task.node)
    checkpoint_ns = f"{task.node}:{task.task_id}"
    config["configurable"]["checkpoint_ns"] = checkpoint_ns
    config["metadata"].update(
        # LangGraph numbers the first step of nodes 1 (its input checkpoint is step -1).
        langgraph_step=task.step + 1,
        langgraph_checkpoint_ns=checkpoint_ns,
        tempograph_task_id=task.task_id,
    )
    return config


def _injected(
    graph: CompiledGraph,
    config: dict[str, Any],
    context: dict[str, Any] | None,
    writer: Any,
    store: BaseStore,
) -> dict[str, Any]:
    """What a node may take besides its state, by kind (tempograph.graph.call_args)."""
    try:
        ctx = coerce_context(graph.context_schema, context)
    except (TypeError, ValueError) as exc:
        raise _fatal(
            f"The run's context does not fit the graph's context_schema: {exc}",
            ErrorKind.INVALID_INPUT,
        ) from exc
    runtime: Runtime[Any] = Runtime(context=ctx, store=store, stream_writer=writer)
    return {"config": config, "runtime": runtime, "writer": writer, "store": store}


def _node_context(injected: dict[str, Any]) -> contextlib.AbstractContextManager[None]:
    return node_context(injected["config"], injected["writer"], injected["runtime"])


def _router_writer(chunk: Any) -> None:
    raise NotImplementedError(
        "Custom stream events from a router of START are not recorded: write them from a node"
    )


def _normalize(output: Any, graph: CompiledGraph) -> NodeResult:
    """Turn what a node returned (dict, Command, list of Commands, None) into writes + goto."""
    result = NodeResult()
    commands = output if isinstance(output, list) and output else [output]
    for item in commands:
        if item is None:
            continue
        if isinstance(item, Command):
            _add_update(result, item.update, graph)
            gotos = item.goto if isinstance(item.goto, list | tuple) else [item.goto]
            for target in gotos:
                if isinstance(target, Send):
                    result.sends.append(SendSpec(node=target.node, arg=target.arg))
                else:
                    result.goto.append(str(target))
        elif isinstance(item, dict | BaseModel):
            _add_update(result, item, graph)
        else:
            raise InvalidUpdateError(f"Expected dict, got {item!r}")
    return result


def _add_update(result: NodeResult, update: Any, graph: CompiledGraph) -> None:
    if update is None:
        return
    if isinstance(update, BaseModel):
        update = update.model_dump(exclude_unset=True)
    items = update.items() if isinstance(update, dict) else update
    for key, value in items:
        if key in graph.message_channels:
            try:
                result.writes.append((key, messages_to_wire(value)))
            except (ValueError, TypeError, NotImplementedError) as exc:
                raise InvalidUpdateError(f"At key '{key}': {exc}") from exc
        elif key in graph.channels:
            result.writes.append((key, value))
        else:
            log.warning("ignoring write to a key that is not in the state schema", key=key)


def messages_to_wire(value: Any) -> list[dict[str, Any]]:
    """A write to a message channel as serialized messages, each with an id (random ids are
    fine here: the activity's result is recorded, the workflow only merges by id)."""
    messages = [message_to_dict(m) for m in as_message_list(value)]
    for m in messages:
        if needs_id(m):
            m["id"] = str(uuid.uuid4())
    return messages


def _answering(result: NodeResult, task: NodeTask) -> NodeResult:
    """Name the task in a local activity's result: its input is not in history (an activity's
    is, in the event that scheduled it)."""
    if not activity.info().is_local:
        return result
    result.node, result.step, result.task_id = task.node, task.step, task.task_id
    if task.step_nodes is not None and task.ref is not None:
        result.record = StepRecord(step=task.step, next=task.step_nodes, ref=task.ref)
    return result


def _route_after(
    graph: CompiledGraph,
    state: dict[str, Any],
    node: str,
    result: NodeResult,
    injected: dict[str, Any],
) -> None:
    """Run the node's routers on the state plus this node's own writes (LangGraph semantics)."""
    local = dict(state)

    def custom(key: str, has: bool, current: Any, updates: list[Any]) -> Any:
        return fold(graph.reducers[key], has, current, updates)

    apply_writes(local, result.writes, graph.channels, custom)
    state = graph.coerce_state(local)
    for branch in graph.branches(node):
        goto, sends = route(branch, state, injected)
        result.goto.extend(goto)
        result.sends.extend(SendSpec(node=s.node, arg=s.arg) for s in sends)


def _checked(result: NodeResult, node: str) -> NodeResult:
    try:
        for key, value in result.writes:
            check_depth(value, f"The value node '{node}' wrote to '{key}'")
        for send in result.sends:
            check_depth(send.arg, f"The argument of a Send from node '{node}' to '{send.node}'")
        if result.interrupt is not None:
            check_depth(result.interrupt.value, f"The interrupt value of node '{node}'")
            check_depth(result.interrupt.default, f"The interrupt default of node '{node}'")
    except LimitError as exc:
        raise _fatal(str(exc), ErrorKind.PAYLOAD_TOO_DEEP) from exc
    try:
        check_size(result, f"the output of node '{node}'")
    except PydanticSerializationError as exc:
        raise _fatal(
            f"Node '{node}' returned a value that is not JSON-serializable: {exc}",
            ErrorKind.INVALID_UPDATE,
        ) from exc
    except ValueError as exc:
        raise _fatal(str(exc), ErrorKind.PAYLOAD_TOO_LARGE) from exc
    return result


def _fatal(message: str, kind: str) -> ApplicationError:
    """An error that no retry can fix: fail the node at once with a clear message."""
    return ApplicationError(message, type=str(kind), non_retryable=True)
