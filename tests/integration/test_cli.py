"""starter.py and the `tempograph` console script as users run them: separate processes
talking to the test dev server."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from temporalio.client import Client

from graphs import GRAPHS
from tempograph import create_worker
from tempograph.devserver import DevServer

ROOT = Path(__file__).resolve().parents[2]
TASK_QUEUE = "cli"


@pytest_asyncio.fixture(scope="module")
async def cli_worker(client: Client) -> AsyncIterator[None]:
    async with create_worker(client, GRAPHS, task_queue=TASK_QUEUE):
        yield


async def starter(server: DevServer, *args: str) -> tuple[int, str, str]:
    return await command(server, sys.executable, str(ROOT / "starter.py"), *args)


async def tempograph(server: DevServer, *args: str) -> tuple[int, str, str]:
    """The console script installed with the package (`pip install -e .`)."""
    script = Path(sys.executable).parent / "tempograph"
    return await command(server, str(script), *args)


async def command(server: DevServer, *args: str) -> tuple[int, str, str]:
    env = dict(os.environ, TEMPORAL_ADDRESS=server.address, TEMPOGRAPH_TASK_QUEUE=TASK_QUEUE)
    proc = await asyncio.create_subprocess_exec(
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_run_state_resume_readable_and_json(server: DevServer, cli_worker: None) -> None:
    thread = f"cli-{uuid.uuid4().hex[:8]}"
    code, out, _ = await starter(
        server, "run", "revise", '{"some_text": "draft"}', "--thread", thread
    )
    assert code == 0
    assert "interrupted (interrupt)" in out and "human_node asks" in out
    assert f"python starter.py resume {thread}" in out

    code, out, _ = await starter(server, "state", thread, "--json")
    state = json.loads(out)
    assert (state["status"], state["next"]) == ("interrupted", ["human_node"])

    code, out, _ = await starter(server, "pending", "--graph", "revise", "--json")
    assert thread in [p["thread_id"] for p in json.loads(out)]

    code, out, _ = await starter(server, "resume", thread, '"final"', "--json")
    assert code == 0 and json.loads(out) == {"some_text": "final"}

    code, out, _ = await starter(server, "history", thread, "--json")
    assert [c["source"] for c in json.loads(out)] == ["loop", "input"]
    code, out, _ = await starter(server, "history", thread)
    assert code == 0 and "step 1   loop" in out

    # A second resume is refused clearly, with a non-zero exit.
    code, _, err = await starter(server, "resume", thread, '"again"')
    assert code == 1 and "not paused" in err


async def test_breakpoints_update_state_and_cancel(server: DevServer, cli_worker: None) -> None:
    thread = f"cli-{uuid.uuid4().hex[:8]}"
    code, out, _ = await starter(
        server, "run", "steps", '{"input": "x"}', "--thread", thread, "--after", "step_1", "--json"
    )
    assert json.loads(out) == {"input": "x", "log": ["step_1"]}
    code, out, _ = await starter(server, "update-state", thread, '{"input": "edited"}', "--json")
    assert json.loads(out)["values"]["input"] == "edited"
    code, out, _ = await starter(server, "resume", thread)
    assert "next: step_3" in out  # stopped at the compiled breakpoint before step_3
    code, out, _ = await starter(server, "cancel", thread)
    assert code == 0 and f"cancelled {thread}" in out
    code, _, err = await starter(server, "resume", "no-such-thread")
    assert code == 1 and "ThreadNotFoundError" in err
    code, _, err = await starter(server, "resume", thread, "{not json")
    assert code == 2 and "not valid JSON" in err


async def test_demo_runs_end_to_end(server: DevServer) -> None:
    # `make demo` as a user runs it: its own worker, then the CLI-level and HTTP walkthroughs.
    code, out, err = await starter(server, "demo")
    assert code == 0, err
    assert out.count('"__interrupt__"') == 2  # revise, then revise over HTTP
    assert "steps · done · step 3" in out
    assert "Agent Server API at http://127.0.0.1:" in out
    http = out[out.index("== [http]") :]
    assert "threads.get -> status interrupted" in http
    assert '"some_text": "revised text"' in http and http.endswith("status idle\n")


async def test_tempograph_console_script(server: DevServer, cli_worker: None) -> None:
    thread = f"tg-{uuid.uuid4().hex[:8]}"
    code, out, err = await tempograph(
        server, "run", "steps", '{"input": "x"}', "--thread", thread, "--after", "step_1"
    )
    assert code == 0, err
    assert "interrupted (after)" in out and f"continue: tempograph resume {thread}" in out
    code, out, _ = await tempograph(server, "pending", "--graph", "steps")
    assert thread in out
    # A listing cut at --limit says so (on stderr), never silently.
    code, out, err = await tempograph(server, "pending", "--graph", "steps", "--limit", "1")
    assert code == 0 and len(out.splitlines()) == 1
    assert "(the newest 1; --limit 0 lists all)" in err
    code, out, _ = await tempograph(
        server, "update-state", thread, '{"input": "edited"}', "--as-node", "step_1", "--json"
    )
    assert code == 0 and json.loads(out)["values"]["input"] == "edited"
    code, out, _ = await tempograph(server, "resume", thread, "--json")
    assert code == 0 and json.loads(out)["log"] == ["step_1", "step_2"]  # before step_3
    code, out, _ = await tempograph(server, "history", thread, "--limit", "2", "--json")
    assert code == 0 and len(json.loads(out)) == 2
    code, out, _ = await tempograph(server, "cancel", thread, "--json")
    assert code == 0 and json.loads(out) == {"cancelled": thread}
    # Cancelling it again: already finished, not an error.
    code, out, _ = await tempograph(server, "cancel", thread)
    assert code == 0 and f"{thread} already finished (CANCELED): nothing to cancel" in out

    # Errors: one line on stderr, exit 1 (Tempograph/Temporal) or 2 (the command line).
    code, out, err = await tempograph(server, "state", "no-such-thread")
    assert code == 1 and out == "" and err.count("\n") == 1
    assert err.startswith("error: ThreadNotFoundError:")
    code, _, err = await tempograph(server, "resume", thread, "final")
    assert code == 2 and f"""tempograph resume {thread} '"final"'""" in err
    code, _, err = await tempograph(server, "run", "steps", "{}", "--bogus")
    assert code == 2 and "No such option" in err
