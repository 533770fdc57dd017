"""Long threads continue as new between supersteps, transparently for GraphClient."""

from __future__ import annotations

import asyncio

from temporalio.client import Client

from tempograph import GraphClient, GraphRecursionError
from tempograph.types import Command


async def runs_of(client: Client, thread: str) -> int:
    return len([r async for r in client.list_workflows(f"WorkflowId = '{thread}'")])


async def test_invoke_and_resume_follow_the_thread_across_runs(
    client: Client, graphs: GraphClient, thread: str
) -> None:
    # 5 counting steps, then a Send fan-out with interrupts: several runs of 2 steps each.
    out = await graphs.invoke(
        "count_then_ask", {"items": ["p", "q"]}, thread_id=thread, steps_per_run=2
    )
    assert out["out"] == ["n0", "n1", "n2", "n3", "n4"]
    answers = {i.id: i.value["review"].upper() for i in out["__interrupt__"]}
    assert len(answers) == 2
    out = await graphs.invoke("count_then_ask", Command(resume=answers), thread_id=thread)
    assert out["__interrupt__"][0].value == "done?"
    done = await graphs.resume(thread, "yes")
    assert done["out"][-1] == "final=yes"
    assert sorted(done["out"][5:7]) == ["p:P", "q:Q"]
    assert await runs_of(client, thread) >= 3
    # The history spans every run of the thread.
    history = await graphs.get_state_history(thread)
    assert len({c.run_id for c in history}) >= 3
    assert [c.step for c in history] == sorted((c.step for c in history), reverse=True)
    assert [c.source for c in history].count("input") == 1


async def test_recursion_limit_counts_across_runs(
    client: Client, graphs: GraphClient, thread: str
) -> None:
    try:
        await asyncio.wait_for(
            graphs.invoke("loop", {"n": 0}, thread_id=thread, recursion_limit=12, steps_per_run=3),
            timeout=30,
        )
        raise AssertionError("the loop must hit the recursion limit")
    except GraphRecursionError as exc:
        assert "Recursion limit of 12" in str(exc)
    state = await graphs.get_state(thread)
    assert (state.values["n"], state.step) == (12, 12)  # the count went on across runs
    assert await runs_of(client, thread) == 4
