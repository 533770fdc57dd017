"""What users see from the Temporal CLI: start, signal, update, query, list by search attribute,
current details. Runs the real `temporal` binary against the test dev server."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tempograph import GraphClient
from tempograph.devserver import DevServer, temporal_cli
from tests.conftest import TASK_QUEUE


async def run_cli(server: DevServer, command: str, *args: str) -> tuple[int, str, str]:
    """`temporal <command words> <args>`. Async on purpose: the worker that answers the CLI's
    queries and updates runs on this event loop."""
    proc = await asyncio.create_subprocess_exec(
        temporal_cli(),
        *command.split(),
        *args,
        "--address",
        server.address,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    return proc.returncode or 0, out.decode(), err.decode()


async def cli(server: DevServer, command: str, *args: str) -> str:
    code, out, err = await run_cli(server, command, *args)
    assert code == 0, err
    return out


async def cli_fails(server: DevServer, command: str, *args: str) -> str:
    code, out, err = await run_cli(server, command, *args)
    assert code != 0
    return out + err


UPDATE = "workflow update execute --name resume_update -w"


async def start_run(server: DevServer, thread: str, run_input: str) -> None:
    await cli(
        server,
        "workflow start --type GraphRun --task-queue",
        TASK_QUEUE,
        "--workflow-id",
        thread,
        "--input",
        run_input,
    )


async def wait_for(predicate: Any, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await predicate():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)


async def test_cli_start_list_details_update_and_result(
    server: DevServer, graphs: GraphClient, thread: str
) -> None:
    run_input = {"graph": "ask", "input": {"log": [], "x": 3}}
    await start_run(server, thread, json.dumps(run_input))

    async def paused() -> bool:
        return (await graphs.get_state(thread)).status == "interrupted"

    await wait_for(paused)

    # Waiting runs are found by search attribute (visibility is eventually consistent).
    query = f"TempographStatus='interrupted' AND WorkflowId='{thread}'"

    async def listed() -> bool:
        out = await cli(server, "workflow list --query", query, "-o", "json")
        return thread in out

    await wait_for(listed)
    graph_query = f"TempographGraph='ask' AND WorkflowId='{thread}'"
    assert thread in await cli(server, "workflow list --query", graph_query)

    # Current details show the pending payload and the command that resumes it.
    metadata = await cli(server, "workflow metadata -w", thread)
    assert '"question": "approve?"' in metadata
    assert "--name resume_update" in metadata

    state = json.loads(await cli(server, "workflow query --name get_state -o json -w", thread))
    assert state["queryResult"][0]["next"] == ["ask"]

    # A bad update is refused with a clear message and changes nothing.
    refused = await cli_fails(server, UPDATE, thread, "--input", '{"resume": null}')
    assert "needs a value" in refused

    reply = await cli(server, UPDATE, thread, "--input", '{"resume": "from-cli"}', "-o", "json")
    assert "ask=from-cli" in reply
    result = await cli(server, "workflow result -w", thread, "-o", "json")
    assert "ask=from-cli" in result

    async def done_listed() -> bool:
        out = await cli(
            server, "workflow list --query", f"TempographStatus='done' AND WorkflowId='{thread}'"
        )
        return thread in out

    await wait_for(done_listed)


async def test_cli_signal_resumes(server: DevServer, graphs: GraphClient, thread: str) -> None:
    await graphs.invoke("ask", {"log": [], "x": 1}, thread_id=thread)
    await cli(
        server, "workflow signal --name resume -w", thread, "--input", '{"resume": "signalled"}'
    )
    result = json.loads(await cli(server, "workflow result -w", thread, "-o", "json"))
    assert "ask=signalled" in json.dumps(result)


async def test_cli_continue_past_breakpoint_with_empty_resume(
    server: DevServer, graphs: GraphClient, thread: str
) -> None:
    await graphs.invoke("chain_before_b", {"log": []}, thread_id=thread)
    reply = await cli(server, UPDATE, thread, "--input", "{}", "-o", "json")
    assert '"c"' in reply
    assert (await graphs.get_state(thread)).values == {"log": ["a", "b", "c"]}


async def test_unknown_graph_fails_clearly(server: DevServer, thread: str) -> None:
    await start_run(server, thread, '{"graph": "nope"}')
    out = await cli_fails(server, "workflow result -w", thread)
    assert "Unknown graph 'nope'" in out
