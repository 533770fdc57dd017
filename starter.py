"""Run the demo, and run, resume and inspect graph runs from the command line.

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

Every command but `demo` is the `tempograph` command's (`tempograph run ...` is the same;
`python starter.py COMMAND --help` shows its options). Add --json for machine-readable output
(run/resume print what GraphClient.invoke returns). Temporal: TEMPORAL_ADDRESS, else a dev server
on localhost:7233 (`demo` starts the embedded one, and its own worker, when none runs);
TEMPOGRAPH_TASK_QUEUE picks the task queue.
"""

from __future__ import annotations

import sys
import uuid
from contextlib import AsyncExitStack

import click

from graphs import GRAPHS
from tempograph import GraphClient, create_worker
from tempograph.cli import cli, describe, main, run_async, to_json
from tempograph.cli._options import task_queue_option
from tempograph.embedded import temporal_client
from tempograph.types import Command

PROG = "python starter.py"


async def demo(graphs: GraphClient) -> None:
    suffix = uuid.uuid4().hex[:6]

    thread = f"revise-{suffix}"
    print(f"\n== [revise] start thread {thread}: the node asks a human to revise a text")
    out = await graphs.invoke("revise", {"some_text": "original text"}, thread_id=thread)
    print(to_json(out))
    print(describe(await graphs.get_state(thread), PROG))
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
    print(describe(await graphs.get_state(thread), PROG))
    print("\n== [steps] resume with None: runs step_2, stops before step_3")
    print(to_json(await graphs.invoke("steps", None, thread_id=thread)))
    print("\n== [steps] resume with None: runs step_3, finished")
    print(to_json(await graphs.invoke("steps", None, thread_id=thread)))
    print(describe(await graphs.get_state(thread), PROG))

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


@click.command("demo")
@task_queue_option
def demo_command(task_queue: str) -> None:
    """Run both example graphs end to end (its own worker; the embedded dev server if none)."""

    async def go() -> None:
        async with AsyncExitStack() as stack:
            client = await stack.enter_async_context(temporal_client())
            # The demo brings its own worker so one command runs everything.
            await stack.enter_async_context(create_worker(client, GRAPHS, task_queue=task_queue))
            await demo(GraphClient(client, task_queue=task_queue))

    run_async(go(), log_level="WARNING")


if __name__ == "__main__":
    cli.add_command(demo_command)
    main(sys.argv[1:], prog=PROG)
