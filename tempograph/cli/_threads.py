"""run | resume | state | update-state | history | pending | cancel: act on the runs of any
served graph through GraphClient. Nothing is started here: Temporal is TEMPORAL_ADDRESS (and the
other TEMPORAL_* variables), else a server on localhost:7233 (`tempograph dev`, `make worker`).
The graph name is not checked here: a graph no worker serves fails with the worker's error."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import click

from tempograph.cli._options import (
    breakpoints,
    cli_context,
    json_option,
    node_list,
    parse_json,
    task_queue_option,
)
from tempograph.cli._output import checkpoint_line, describe, pending_line, to_json
from tempograph.cli._runner import run_async
from tempograph.client import GraphClient
from tempograph.embedded import temporal_connection

BEFORE_HELP = "interrupt_before: stop before these nodes (repeat, or a,b; * = all)."
AFTER_HELP = "interrupt_after: stop after these nodes (repeat, or a,b; * = all)."


@asynccontextmanager
async def graph_client(task_queue: str) -> AsyncIterator[GraphClient]:
    async with temporal_connection(start_embedded=False, register_search_attributes=False) as t:
        yield GraphClient(t.client, task_queue=task_queue)


def with_graphs(task_queue: str, action: Callable[[GraphClient], Awaitable[None]]) -> None:
    async def go() -> None:
        async with graph_client(task_queue) as graphs:
            await action(graphs)

    run_async(go(), log_level="WARNING")


async def show_result(graphs: GraphClient, thread: str, out: dict[str, Any], as_json: bool) -> None:
    """What run/resume print: the reply as GraphClient returns it (--json), else the state."""
    if as_json:
        click.echo(to_json(out))
    else:
        click.echo(describe(await graphs.get_state(thread), cli_context().prog))


@click.command("run", short_help="Start a run; wait until it pauses or ends.")
@click.argument("graph")
@click.argument("input", metavar="INPUT_JSON")  # or @file.json, or - for stdin
@click.option("--thread", default=None, help="Thread id (default: GRAPH-<random>).")
@click.option("--before", multiple=True, help=BEFORE_HELP)
@click.option("--after", multiple=True, help=AFTER_HELP)
@task_queue_option
@json_option
def run_command(
    graph: str,
    input: str,
    thread: str | None,
    before: tuple[str, ...],
    after: tuple[str, ...],
    task_queue: str,
    as_json: bool,
) -> None:
    """Start a run of GRAPH with INPUT_JSON; wait until it pauses or ends.

    \b
    tempograph run revise '{"some_text": "draft"}' --thread t1
    tempograph run steps '{"input": "x"}' --after step_1
    tempograph run revise @input.json      (or - to read stdin)
    """
    values = parse_json(input, "The input", want_object=True)
    thread_id = thread or f"{graph}-{uuid.uuid4().hex[:8]}"

    async def action(graphs: GraphClient) -> None:
        out = await graphs.invoke(
            graph,
            values,
            thread_id=thread_id,
            interrupt_before=breakpoints(before),
            interrupt_after=breakpoints(after),
        )
        await show_result(graphs, thread_id, out, as_json)

    with_graphs(task_queue, action)


@click.command("resume")
@click.argument("thread")
@click.argument("value", metavar="[ANSWER_JSON]", required=False)
@click.option("--update", default=None, help="JSON object of state updates to apply as well.")
@click.option("--goto", multiple=True, help="Nodes to run as well (repeat, or a,b).")
@click.option("--before", multiple=True, help=BEFORE_HELP + " This time only.")
@click.option("--after", multiple=True, help=AFTER_HELP + " This time only.")
@task_queue_option
@json_option
def resume_command(
    thread: str,
    value: str | None,
    update: str | None,
    goto: tuple[str, ...],
    before: tuple[str, ...],
    after: tuple[str, ...],
    task_queue: str,
    as_json: bool,
) -> None:
    """Answer a paused run; wait for its next pause or end.

    ANSWER_JSON is the answer to the one pending interrupt, or {"<interrupt id>": answer, ...};
    omit it to continue past a static breakpoint. A text is a JSON string: '"final text"'.
    """
    answer = None
    if value is not None:
        quoted = "'" + json.dumps(value).replace("'", "'\\''") + "'"
        example = f"{cli_context().prog} resume {thread} {quoted}"
        answer = parse_json(value, "The answer", example=example)
    updates = parse_json(update, "--update", want_object=True) if update else None

    async def action(graphs: GraphClient) -> None:
        out = await graphs.resume(
            thread,
            answer,
            update=updates,
            goto=node_list(goto) or [],
            interrupt_before=breakpoints(before),
            interrupt_after=breakpoints(after),
        )
        await show_result(graphs, thread, out, as_json)

    with_graphs(task_queue, action)


@click.command("state", short_help="Show a thread's state and what it waits for.")
@click.argument("thread")
@task_queue_option
@json_option
def state_command(thread: str, task_queue: str, as_json: bool) -> None:
    """Show a thread's state: values, next nodes, what it waits for."""

    async def action(graphs: GraphClient) -> None:
        state = await graphs.get_state(thread)
        click.echo(to_json(state) if as_json else describe(state, cli_context().prog))

    with_graphs(task_queue, action)


@click.command("update-state", short_help="Edit a thread's state.")
@click.argument("thread")
@click.argument("values", metavar="VALUES_JSON")
@click.option("--as-node", default=None, help="Write as this node (it counts as done).")
@task_queue_option
@json_option
def update_state_command(
    thread: str, values: str, as_node: str | None, task_queue: str, as_json: bool
) -> None:
    """Edit a thread's state (a paused run, or a finished thread: a new run from its end)."""
    edit = parse_json(values, "The values", want_object=True)

    async def action(graphs: GraphClient) -> None:
        state = await graphs.update_state(thread, edit, as_node)
        click.echo(to_json(state) if as_json else describe(state, cli_context().prog))

    with_graphs(task_queue, action)


@click.command("history", short_help="A thread's checkpoints, newest first.")
@click.argument("thread")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many.")
@task_queue_option
@json_option
def history_command(thread: str, limit: int | None, task_queue: str, as_json: bool) -> None:
    """A thread's checkpoints, newest first (read from Temporal history; no worker needed)."""

    async def action(graphs: GraphClient) -> None:
        checkpoints = await graphs.get_state_history(thread, limit=limit)
        if as_json:
            click.echo(to_json([c.model_dump(mode="json") for c in checkpoints]))
        else:
            for c in checkpoints:
                click.echo(checkpoint_line(c))

    with_graphs(task_queue, action)


@click.command("pending")
@click.option("--graph", default=None, help="Only runs of this graph.")
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=100,
    show_default=True,
    help="At most this many runs (0: all of them).",
)
@task_queue_option
@json_option
def pending_command(graph: str | None, limit: int, task_queue: str, as_json: bool) -> None:
    """List runs waiting for a human, newest first."""

    def progress(n: int) -> None:
        click.echo(f"... {n} runs read", err=True)

    async def action(graphs: GraphClient) -> None:
        runs = await graphs.pending(graph=graph, limit=limit or None, progress=progress)
        if limit and len(runs) == limit:
            # Never a silent cut: say there may be more.
            click.echo(f"(the newest {limit}; --limit 0 lists all)", err=True)
        if as_json:
            click.echo(to_json([r.model_dump(mode="json") for r in runs]))
        else:
            for run in runs:
                click.echo(pending_line(run))

    with_graphs(task_queue, action)


@click.command("cancel")
@click.argument("thread")
@task_queue_option
@json_option
def cancel_command(thread: str, task_queue: str, as_json: bool) -> None:
    """Cancel a thread's active run (its state stays readable)."""

    async def action(graphs: GraphClient) -> None:
        status = await graphs.cancel(thread)
        if status == "RUNNING":
            click.echo(to_json({"cancelled": thread}) if as_json else f"cancelled {thread}")
        elif as_json:
            click.echo(to_json({"already_finished": thread, "status": status}))
        else:
            click.echo(f"{thread} already finished ({status}): nothing to cancel")

    with_graphs(task_queue, action)


THREAD_COMMANDS = [
    run_command,
    resume_command,
    state_command,
    update_state_command,
    history_command,
    pending_command,
    cancel_command,
]
