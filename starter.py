"""Run, resume and inspect graph runs from the command line.

    python starter.py demo                                   # the whole demo, end to end
    python starter.py run revise '{"some_text": "draft"}' --thread t1
    python starter.py run steps '{"input": "x"}' --thread t2 --after step_1
    python starter.py resume t1 '"final text"'               # answer a dynamic interrupt
    python starter.py resume t2                              # continue past a static breakpoint
    python starter.py resume t3 '{"<interrupt id>": "yes", "<other id>": "no"}'
    python starter.py state t1
    python starter.py update-state t2 '{"input": "edited"}' --as-node step_2
    python starter.py history t1 [--limit 5]                 # checkpoints, newest first
    python starter.py pending [--graph revise]               # runs waiting for a human
    python starter.py cancel t1

Add --json for machine-readable output (run/resume print what GraphClient.invoke returns).
Without TEMPORAL_ADDRESS it uses a dev server on localhost:7233, starting the embedded one (and,
for `demo`, an in-process worker) when none runs; TEMPOGRAPH_TASK_QUEUE picks the task queue.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import uuid
from contextlib import AsyncExitStack
from typing import Any

from temporalio.service import RPCError

from graphs import GRAPHS
from tempograph import (
    DEFAULT_TASK_QUEUE,
    GraphClient,
    StateSnapshot,
    TempographError,
    create_worker,
)
from tempograph.embedded import temporal_client
from tempograph.limits import LimitError
from tempograph.logs import configure_logging
from tempograph.types import Command, Interrupt


class UsageError(Exception):
    """A command line that cannot be run as given (exit code 2); the message says how to fix it."""


def parse_json(text: str, what: str, *, example: str | None = None) -> Any:
    """`text` as JSON, or a UsageError saying what was expected. `example`: the command line
    that quotes `text` as a JSON string, shown when the text looks like a bare word."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        message = f"{what} is not valid JSON ({exc.msg}: {text!r})"
        if example is not None:
            message += (
                f". To send the text {text!r}, quote it as a JSON string "
                f"(the shell needs both quotes): {example}"
            )
        raise UsageError(message) from None


def to_json(value: Any) -> str:
    def default(obj: Any) -> Any:
        if isinstance(obj, Interrupt):
            return {"value": obj.value, "id": obj.id, "response_schema": obj.response_schema}
        if hasattr(obj, "model_dump"):
            return obj.model_dump(mode="json")
        return str(obj)

    return json.dumps(value, indent=2, default=default)


def describe(state: StateSnapshot) -> str:
    """A snapshot for people: where the run is, its values, what it waits for."""
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
        lines.append(f"  answer: python starter.py resume {state.thread_id} {answer}")
    elif state.status == "interrupted":
        lines.append(f"  continue: python starter.py resume {state.thread_id}")
    if state.error:
        lines.append(f"error: {state.error}")
    if state.last_rejected_resume:
        lines.append(f"last rejected resume: {state.last_rejected_resume}")
    return "\n".join(lines)


async def demo(graphs: GraphClient) -> None:
    suffix = uuid.uuid4().hex[:6]

    thread = f"revise-{suffix}"
    print(f"\n== [revise] start thread {thread}: the node asks a human to revise a text")
    out = await graphs.invoke("revise", {"some_text": "original text"}, thread_id=thread)
    print(to_json(out))
    print(describe(await graphs.get_state(thread)))
    print(
        "\nA human could answer from the CLI instead:\n"
        f"  temporal workflow update execute -w {thread} --name resume_update "
        '--input \'{"resume": "revised text"}\''
    )
    print("\n== [revise] resume with the human's revision")
    print(to_json(await graphs.invoke("revise", Command(resume="revised text"), thread_id=thread)))

    thread = f"steps-{suffix}"
    print(
        f"\n== [steps] start {thread} with interrupt_after=['step_1'] (step_3 has a compiled"
        " interrupt_before)"
    )
    out = await graphs.invoke(
        "steps", {"input": "hi"}, thread_id=thread, interrupt_after=["step_1"]
    )
    print(to_json(out))
    print(describe(await graphs.get_state(thread)))
    print("\n== [steps] resume with None: runs step_2, stops before step_3")
    print(to_json(await graphs.invoke("steps", None, thread_id=thread)))
    print("\n== [steps] resume with None: runs step_3, finished")
    print(to_json(await graphs.invoke("steps", None, thread_id=thread)))
    print(describe(await graphs.get_state(thread)))

    await demo_http(graphs, suffix)


async def demo_http(graphs: GraphClient, suffix: str) -> None:
    """The same human-in-the-loop through the LangGraph Agent Server HTTP API, driven by the
    real langgraph-sdk client: what `make serve` offers existing LangGraph clients."""
    from langgraph_sdk import get_client  # installed with the dev extras (`make demo`)

    from tempograph.http import create_app
    from tempograph.http.testing import serve

    app = create_app(graphs, sorted(GRAPHS))
    async with serve(app) as url:
        print(f"\n== [http] Agent Server API at {url}; langgraph_sdk.get_client(url={url!r})")
        sdk = get_client(url=url)
        thread = await sdk.threads.create(metadata={"demo": suffix})
        tid = thread["thread_id"]
        print(f"threads.create -> {tid}")
        out = await sdk.runs.wait(tid, "revise", input={"some_text": "original text"})
        print("runs.wait(input=...) ->", to_json(out))
        state = await sdk.threads.get(tid)
        print(f"threads.get -> status {state['status']}")
        print(
            "\nThe same resume with cURL:\n"
            f"  curl -s {url}/threads/{tid}/runs/wait -H 'Content-Type: application/json' "
            '-d \'{"assistant_id": "revise", "command": {"resume": "revised text"}}\''
        )
        out = await sdk.runs.wait(tid, "revise", command={"resume": "revised text"})
        print("runs.wait(command={'resume': ...}) ->", to_json(out))
        print(f"threads.get -> status {(await sdk.threads.get(tid))['status']}")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = top.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="run both example graphs end to end")
    for name in ("run", "start"):
        run = sub.add_parser(name, help="start a run; waits until it pauses or ends")
        run.add_argument("graph", choices=sorted(GRAPHS))
        run.add_argument("input", help="JSON object")
        run.add_argument("--thread", default=None, help="thread id (default: random)")
        run.add_argument("--before", nargs="*", default=None, help="interrupt_before nodes, or *")
        run.add_argument("--after", nargs="*", default=None, help="interrupt_after nodes, or *")
    resume = sub.add_parser("resume", help="answer a paused run; waits for its next pause or end")
    resume.add_argument("thread")
    resume.add_argument(
        "value",
        nargs="?",
        default=None,
        help="JSON answer, or {interrupt id: answer}; omit at a breakpoint",
    )
    resume.add_argument("--update", default=None, help="JSON object of state updates")
    resume.add_argument("--goto", nargs="*", default=[], help="nodes to run as well")
    resume.add_argument("--before", nargs="*", default=None, help="interrupt_before, this time")
    resume.add_argument("--after", nargs="*", default=None, help="interrupt_after, this time")
    state = sub.add_parser("state", help="show a thread's state")
    state.add_argument("thread")
    update = sub.add_parser("update-state", help="edit a paused run's state")
    update.add_argument("thread")
    update.add_argument("values", help="JSON object")
    update.add_argument("--as-node", default=None, help="write as this node (it counts as done)")
    history = sub.add_parser("history", help="a thread's checkpoints, newest first")
    history.add_argument("thread")
    history.add_argument("--limit", type=int, default=None)
    pending = sub.add_parser("pending", help="list runs waiting for a human")
    pending.add_argument("--graph", default=None)
    cancel = sub.add_parser("cancel", help="cancel a thread's active run")
    cancel.add_argument("thread")
    for command in sub.choices.values():
        command.add_argument("--json", action="store_true", help="machine-readable output")
    return top


async def main(args: argparse.Namespace) -> None:
    configure_logging(os.environ.get("TEMPOGRAPH_LOG_LEVEL", "WARNING"))
    task_queue = os.environ.get("TEMPOGRAPH_TASK_QUEUE", DEFAULT_TASK_QUEUE)
    async with AsyncExitStack() as stack:
        client = await stack.enter_async_context(temporal_client())
        if args.command == "demo":
            # The demo brings its own worker so one command runs everything.
            await stack.enter_async_context(create_worker(client, GRAPHS, task_queue=task_queue))
        graphs = GraphClient(client, task_queue=task_queue)
        if args.command == "demo":
            await demo(graphs)
            return
        if args.command in ("run", "start"):
            thread = args.thread or f"{args.graph}-{uuid.uuid4().hex[:8]}"
            out = await graphs.invoke(
                args.graph,
                parse_json(args.input, "The input"),
                thread_id=thread,
                interrupt_before=_breakpoints(args.before),
                interrupt_after=_breakpoints(args.after),
            )
            await show(graphs, thread, out, args.json)
        elif args.command == "resume":
            value = None
            if args.value is not None:
                quoted = "'" + json.dumps(args.value).replace("'", "'\\''") + "'"
                value = parse_json(
                    args.value,
                    "The answer",
                    example=f"python starter.py resume {args.thread} {quoted}",
                )
            out = await graphs.resume(
                args.thread,
                value,
                update=parse_json(args.update, "--update") if args.update else None,
                goto=args.goto,
                interrupt_before=_breakpoints(args.before),
                interrupt_after=_breakpoints(args.after),
            )
            await show(graphs, args.thread, out, args.json)
        elif args.command == "state":
            state = await graphs.get_state(args.thread)
            print(to_json(state) if args.json else describe(state))
        elif args.command == "update-state":
            values = parse_json(args.values, "The values")
            state = await graphs.update_state(args.thread, values, args.as_node)
            print(to_json(state) if args.json else describe(state))
        elif args.command == "history":
            checkpoints = await graphs.get_state_history(args.thread, limit=args.limit)
            if args.json:
                print(to_json([c.model_dump(mode="json") for c in checkpoints]))
            for c in [] if args.json else checkpoints:
                print(
                    f"{c.checkpoint_id}  step {c.step:<3} {c.source:<6} next={c.next}  "
                    f"{c.created_at:%H:%M:%S}  {json.dumps(c.values, default=str)[:80]}"
                )
        elif args.command == "pending":
            runs = await graphs.pending(graph=args.graph)
            if args.json:
                print(to_json([r.model_dump(mode="json") for r in runs]))
            for run in [] if args.json else runs:
                print(f"{run.thread_id}  {run.graph}  started {run.started:%Y-%m-%d %H:%M:%S}")
        elif args.command == "cancel":
            status = await graphs.cancel(args.thread)
            if status == "RUNNING":
                cancelled = {"cancelled": args.thread}
                print(to_json(cancelled) if args.json else f"cancelled {args.thread}")
            elif args.json:
                print(to_json({"already_finished": args.thread, "status": status}))
            else:
                print(f"{args.thread} already finished ({status}): nothing to cancel")


async def show(graphs: GraphClient, thread: str, out: dict[str, Any], as_json: bool) -> None:
    print(to_json(out) if as_json else describe(await graphs.get_state(thread)))


def _breakpoints(values: list[str] | None) -> list[str] | Any:
    if values is None:
        return None
    return "*" if values == ["*"] else values


def run() -> None:
    args = parser().parse_args()
    code = 0
    try:
        asyncio.run(main(args))
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = 2
    except (TempographError, LimitError) as exc:
        # One line, no traceback: the message says what happened and what to do.
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        code = 1
    except RPCError as exc:
        status = exc.status.name if exc.status is not None else "error"
        print(f"error: Temporal refused the request ({status}): {exc.message}", file=sys.stderr)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    # os._exit: the Temporal SDK's runtime threads can abort an ordinary interpreter shutdown
    # (temporalio/sdk-python#300); everything has been printed and closed by now.
    os._exit(code)


if __name__ == "__main__":
    run()
