"""get_state_history: checkpoints newest first, across runs, read from Temporal history."""

from __future__ import annotations

import uuid

from temporalio.client import Client

from tempograph import GraphClient, create_worker
from tests.sample_graphs import build_chain


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
