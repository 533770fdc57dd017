"""Start, resume and inspect graph runs from the command line.

    python starter.py demo                                  # the whole demo, end to end
    python starter.py start revise '{"some_text": "draft"}' --thread t1
    python starter.py start steps '{"input": "x"}' --thread t2 --after step_1
    python starter.py resume t1 '"final text"'              # answer a dynamic interrupt
    python starter.py resume t2                             # continue past a static breakpoint
    python starter.py state t1

Without TEMPORAL_ADDRESS it uses a dev server on localhost:7233, starting the embedded one (and,
for `demo`, an in-process worker) when none runs. The same runs can be driven from the Temporal
CLI: see the README.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import uuid
from contextlib import AsyncExitStack
from typing import Any

from graphs import GRAPHS
from tempograph import DEFAULT_TASK_QUEUE, GraphClient, TempographError, create_worker
from tempograph.embedded import temporal_client
from tempograph.logs import configure_logging
from tempograph.types import Command, Interrupt


def show(title: str, value: Any) -> None:
    def default(obj: Any) -> Any:
        if isinstance(obj, Interrupt):
            return {"value": obj.value, "id": obj.id}
        return str(obj)

    print(f"\n== {title}\n{json.dumps(value, indent=2, default=default)}", flush=True)


async def demo(graphs: GraphClient) -> None:
    suffix = uuid.uuid4().hex[:6]

    thread = f"revise-{suffix}"
    out = await graphs.invoke("revise", {"some_text": "original text"}, thread_id=thread)
    show(f"[revise] started thread {thread}; paused at a dynamic interrupt", out)
    show("[revise] get_state while paused", (await graphs.get_state(thread)).model_dump())
    pending = out["__interrupt__"][0]
    print(
        "\nA human could answer from the CLI instead:\n"
        f"  temporal workflow update execute -w {thread} --name resume_update "
        '--input \'{"resume": "revised text"}\''
    )
    out = await graphs.invoke(
        "revise", Command(resume=f"revised ({pending.id[:6]})"), thread_id=thread
    )
    show("[revise] resumed with the human's revision; finished", out)

    thread = f"steps-{suffix}"
    out = await graphs.invoke(
        "steps", {"input": "hi"}, thread_id=thread, interrupt_after=["step_1"]
    )
    state = await graphs.get_state(thread)
    show(f"[steps] started {thread} with interrupt_after=['step_1']; next={state.next}", out)
    out = await graphs.invoke("steps", None, thread_id=thread)
    state = await graphs.get_state(thread)
    show(f"[steps] resumed with None; paused before step_3 (compiled); next={state.next}", out)
    out = await graphs.invoke("steps", None, thread_id=thread)
    show("[steps] resumed with None; finished", out)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="run both example graphs end to end")
    start = sub.add_parser("start", help="start a run; waits until it pauses or ends")
    start.add_argument("graph", choices=sorted(GRAPHS))
    start.add_argument("input", help="JSON object")
    start.add_argument("--thread", default=None, help="thread id (default: random)")
    start.add_argument("--before", nargs="*", default=None, help="interrupt_before nodes or *")
    start.add_argument("--after", nargs="*", default=None, help="interrupt_after nodes or *")
    resume = sub.add_parser("resume", help="resume a paused run; waits for the next pause or end")
    resume.add_argument("thread")
    resume.add_argument("value", nargs="?", default=None, help="JSON answer (omit at a breakpoint)")
    state = sub.add_parser("state", help="show a run's state")
    state.add_argument("thread")
    args = parser.parse_args()

    configure_logging(os.environ.get("TEMPOGRAPH_LOG_LEVEL", "WARNING"))
    task_queue = os.environ.get("TEMPOGRAPH_TASK_QUEUE", DEFAULT_TASK_QUEUE)
    async with AsyncExitStack() as stack:
        client = await stack.enter_async_context(temporal_client())
        if args.command == "demo":
            # The demo brings its own worker so one command runs everything.
            await stack.enter_async_context(create_worker(client, GRAPHS, task_queue=task_queue))
        graphs = GraphClient(client, task_queue=task_queue)
        try:
            if args.command == "demo":
                await demo(graphs)
            elif args.command == "start":
                thread = args.thread or f"{args.graph}-{uuid.uuid4().hex[:8]}"
                out = await graphs.invoke(
                    args.graph,
                    json.loads(args.input),
                    thread_id=thread,
                    interrupt_before=_breakpoints(args.before),
                    interrupt_after=_breakpoints(args.after),
                )
                show(f"thread {thread}", out)
            elif args.command == "resume":
                command = None if args.value is None else Command(resume=json.loads(args.value))
                show(
                    f"thread {args.thread}", await graphs.invoke("", command, thread_id=args.thread)
                )
            else:
                show(f"thread {args.thread}", (await graphs.get_state(args.thread)).model_dump())
        except TempographError as exc:
            raise SystemExit(f"error: {type(exc).__name__}: {exc}") from None


def _breakpoints(values: list[str] | None) -> list[str] | Any:
    if values is None:
        return None
    return "*" if values == ["*"] else values


if __name__ == "__main__":
    asyncio.run(main())
