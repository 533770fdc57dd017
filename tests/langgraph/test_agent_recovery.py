"""An unchanged create_agent + HumanInTheLoopMiddleware run paused for review survives its
worker being killed with kill -9: the pause is a GraphRun pause in Temporal, so a new worker
process takes the resume and the agent finishes."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command as LangGraphCommand
from temporalio.client import Client

from tempograph import GraphClient
from tempograph.devserver import DevServer
from tempograph.types import Command
from tests.integration.test_recovery import process, read_until_ready
from tests.langgraph.lg_graphs import build_hitl_agent
from tests.langgraph.test_create_agent import DECISIONS, QUESTION, _message

WORKER = ("-m", "tests.langgraph.agent_worker")


async def test_a_paused_agent_survives_kill_9_of_its_worker(
    server: DevServer, client: Client
) -> None:
    task_queue = f"lg-recover-{uuid.uuid4().hex[:8]}"
    env = {"TEMPORAL_ADDRESS": server.address, "TEMPOGRAPH_TASK_QUEUE": task_queue}
    graphs = GraphClient(client, task_queue=task_queue)
    thread = f"lg-{uuid.uuid4().hex[:12]}"
    async with process(*WORKER, env=env) as first:
        await read_until_ready(first)
        out = await graphs.invoke("hitl_agent", QUESTION, thread_id=thread)
        [pending] = out["__interrupt__"]
        assert pending.value["action_requests"][0]["args"] == {"city": "Paris"}
        first.kill()  # SIGKILL while paused: no graceful shutdown
        await first.wait()

    # Nobody serves the graph now; the pause is still listed, by Temporal's visibility alone
    # (which may lag a moment behind the pause).
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while thread not in [p.thread_id for p in await graphs.pending("hitl_agent")]:
        assert loop.time() < deadline, "the paused run is not listed as pending"
        await asyncio.sleep(0.2)

    async with process(*WORKER, env=env) as second:
        await read_until_ready(second)
        # The answer goes to the interrupt the killed worker's run asked, by its id. (Right
        # after a kill -9 a get_state may still say no worker answers: its query is offered
        # to the dead worker's sticky queue first, as any Temporal query is.)
        answer = Command(resume={pending.id: DECISIONS["edit"]})
        done = await asyncio.wait_for(
            graphs.invoke("hitl_agent", answer, thread_id=thread), timeout=60
        )
        state = await graphs.get_state(thread)
        assert state.next == [] and state.interrupts == []
    # The same messages as LangGraph's own runtime gives for the same edit.
    reference = build_hitl_agent(InMemorySaver())
    config: Any = {"configurable": {"thread_id": thread}}
    reference.invoke(QUESTION, config)
    expected = reference.invoke(LangGraphCommand(resume=DECISIONS["edit"]), config)
    assert [_message(m) for m in done["messages"]] == [_message(m) for m in expected["messages"]]
    assert done["messages"][2]["content"].endswith("sunny in Rome")
