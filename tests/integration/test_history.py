"""get_state_history: checkpoints newest first, across runs, read from Temporal history."""

from __future__ import annotations

import uuid

from temporalio.client import Client

from tempograph import GraphClient, create_worker
from tests.sample_graphs import ENTRIES, build_chain


async def test_25_history_sources_order_and_filters(client: Client) -> None:
    task_queue = f"history-{uuid.uuid4().hex[:8]}"
    thread = f"t-{uuid.uuid4().hex[:12]}"
    graphs = GraphClient(client, task_queue=task_queue)
    async with create_worker(
        client, {"chain": build_chain(interrupt_before=["b"])}, task_queue=task_queue
    ):
        await graphs.invoke("chain", {"log": []}, thread_id=thread)
        await graphs.update_state(thread, {"log": ["human"]})
        await graphs.invoke("chain", None, thread_id=thread)
        await graphs.invoke("chain", {"log": ["second run"]}, thread_id=thread)
    # The worker is gone: the history is read from Temporal alone.
    history = await graphs.get_state_history(thread)
    assert [(c.source, c.step, c.next) for c in history] == [
        ("loop", 4, ["b"]),  # the second run stopped at the compiled breakpoint before b
        ("input", 3, ["a"]),  # the second run's input, merged into the first run's state
        ("loop", 3, []),
        ("loop", 2, ["c"]),
        ("update", 1, ["b"]),
        ("loop", 1, ["b"]),
        ("input", 0, ["a"]),
    ]
    newest, oldest = history[0], history[-1]
    assert oldest.source == "input" and oldest.values == {"log": []}
    update = [c for c in history if c.source == "update"]
    assert len(update) == 1 and update[0].values == {"log": ["a", "human"]}
    assert update[0].next == ["b"]
    # Every checkpoint but the first has a parent, across runs too.
    ids = {c.checkpoint_id for c in history}
    assert all(c.parent_checkpoint_id in ids for c in history if c is not oldest)
    assert oldest.parent_checkpoint_id is None
    assert len({c.run_id for c in history}) == 2
    assert newest.values["log"][-1] == "a"  # the second run stopped before b again

    assert await graphs.get_state_history(thread, limit=2) == history[:2]
    assert await graphs.get_state_history(thread, before=history[1].checkpoint_id) == history[2:]
    assert await graphs.get_state_history(thread, source="update") == update


async def test_26_replay_from_a_checkpoint_fires_the_interrupt_again(
    graphs: GraphClient, thread: str
) -> None:
    await graphs.invoke("ask", {"log": [], "x": 1}, thread_id=thread)
    first = await graphs.resume(thread, "first")
    assert first["log"] == ["a", "ask=first", "b"]
    [before_ask] = [c for c in await graphs.get_state_history(thread) if c.next == ["ask"]]
    replay = await graphs.invoke(
        "ask", None, thread_id=thread, checkpoint_id=before_ask.checkpoint_id
    )
    assert replay["__interrupt__"][0].value == {"question": "approve?", "x": 1}
    assert ENTRIES[(thread, "a")] == 1  # nodes before the checkpoint do not run again
    done = await graphs.resume(thread, "second")
    assert done["log"] == ["a", "ask=second", "b"]
    history = await graphs.get_state_history(thread)
    assert [c.source for c in history].count("fork") == 1
    # The original branch is kept.
    assert any(c.values.get("human") == "first" for c in history)


async def test_27_fork_by_updating_an_old_checkpoint(graphs: GraphClient, thread: str) -> None:
    await graphs.invoke("ask", {"log": [], "x": 1}, thread_id=thread)
    await graphs.resume(thread, "yes")
    [before_b] = [c for c in await graphs.get_state_history(thread) if c.next == ["b"]]
    forked = await graphs.update_state(thread, {"x": 99}, checkpoint_id=before_b.checkpoint_id)
    assert (forked.status, forked.next, forked.values["x"]) == ("interrupted", ["b"], 99)
    done = await graphs.invoke("ask", None, thread_id=thread)
    assert done["x"] == 99 and done["log"] == ["a", "ask=yes", "b"]
    assert (ENTRIES[(thread, "ask")], ENTRIES[(thread, "b")]) == (2, 2)  # only b ran again
    sources = [c.source for c in await graphs.get_state_history(thread)]
    assert "fork" in sources and "update" in sources
