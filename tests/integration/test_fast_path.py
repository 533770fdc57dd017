"""The fast path: local-activity nodes, and node inputs that carry state deltas (flat history)."""

from __future__ import annotations

import uuid

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer, Worker

from tempograph import GraphClient, GraphRunError, ThreadBusyError
from tempograph._activities.nodes import GraphActivities
from tempograph._workflows.graph_run import GraphRun
from tempograph.messages import NodeTask
from tempograph.payloads import INLINE_STATE_BYTES
from tempograph.types import Command
from tests.sample_graphs import ENTRIES, FLAKY_ATTEMPTS, all_graphs


def event_names(history: WorkflowHistory) -> list[str]:
    return [EventType.Name(e.event_type) for e in history.events]


async def node_inputs(client: Client, thread: str) -> list[tuple[NodeTask, int]]:
    """Each node activity's input as recorded in history, with its size in bytes."""
    history = await client.get_workflow_handle(thread).fetch_history()
    out = []
    for e in history.events:
        if e.HasField("activity_task_scheduled_event_attributes"):
            attrs = e.activity_task_scheduled_event_attributes
            if attrs.activity_type.name == "tempograph.run_node":
                payloads = list(attrs.input.payloads)
                [task] = await pydantic_data_converter.decode(payloads, [NodeTask])
                out.append((task, sum(p.ByteSize() for p in payloads)))
    return out


async def test_local_activity_nodes_pause_resume_and_leave_checkpoints(
    graphs: GraphClient, client: Client, thread: str
) -> None:
    out = await graphs.invoke("ask_local", {"log": [], "x": 1}, thread_id=thread)
    assert out["log"] == ["a"] and out["__interrupt__"][0].value == {"question": "approve?", "x": 1}
    out = await graphs.invoke("ask_local", Command(resume="ok"), thread_id=thread)
    assert out == {"log": ["a", "ask=ok", "b"], "x": 1, "human": "ok"}
    assert ENTRIES[(thread, "ask")] == 2  # the node re-ran from its start, as with activities

    history = await client.get_workflow_handle(thread).fetch_history()
    names = event_names(history)
    assert "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED" not in names  # no server round trip per node
    assert names.count("EVENT_TYPE_MARKER_RECORDED") >= 4  # describe_graph + a, ask x2, b

    # Checkpoints of local steps come from the step records (their inputs are not in history).
    checkpoints = await graphs.get_state_history(thread)
    assert [(c.step, c.next, c.values.get("log")) for c in reversed(checkpoints)] == [
        (0, ["a"], []),
        (1, ["ask"], ["a"]),
        (2, ["b"], ["a", "ask=ok"]),
        (3, [], ["a", "ask=ok", "b"]),
    ]
    updates = await graphs.node_updates(thread)
    assert [(u.node, u.values) for u in updates] == [
        ("a", {"log": ["a"]}),
        ("ask", {"log": ["ask=ok"], "human": "ok"}),
        ("b", {"log": ["b"]}),
    ]
    replayed = await Replayer(
        workflows=[GraphRun], data_converter=pydantic_data_converter
    ).replay_workflow(history, raise_on_replay_failure=False)
    assert replayed.replay_failure is None


async def test_local_activity_retries_apply(graphs: GraphClient, thread: str) -> None:
    out = await graphs.invoke("flaky_local", {"log": []}, thread_id=thread)
    assert out == {"log": ["flaky@2", "b"]}
    assert FLAKY_ATTEMPTS[thread] == 2


async def test_node_inputs_carry_deltas_and_stay_flat(
    graphs: GraphClient, client: Client, thread: str
) -> None:
    turns = 30
    out = await graphs.invoke("chat", {"messages": [], "turns": turns}, thread_id=thread)
    assert [m["n"] for m in out["messages"]] == list(range(turns))
    assert out["seen"] == list(range(turns))  # every node read the whole state

    inputs = await node_inputs(client, thread)
    assert len(inputs) == turns
    sizes = [size for _, size in inputs]
    # Whole states while small, then deltas: the last input is no bigger than an early one,
    # though the state it stands for is ~12 KB.
    assert any(t.ref is not None and t.ref.state is not None for t, _ in inputs[:3])
    late = [t for t, _ in inputs[10:]]
    assert all(t.ref is not None and t.ref.delta is not None for t in late)
    assert max(sizes[10:]) <= INLINE_STATE_BYTES
    assert max(sizes[10:]) - min(sizes[10:]) < 50  # flat: only the step number's digits vary

    # Checkpoints are rebuilt from the deltas, exactly.
    checkpoints = list(reversed(await graphs.get_state_history(thread)))
    assert [len(c.values["messages"]) for c in checkpoints] == list(range(turns + 1))
    assert checkpoints[-1].values == out


async def test_local_nodes_with_a_growing_state(graphs: GraphClient, thread: str) -> None:
    out = await graphs.invoke("chat_local", {"messages": [], "turns": 12}, thread_id=thread)
    assert out["seen"] == list(range(12))
    checkpoints = list(reversed(await graphs.get_state_history(thread)))
    assert [len(c.values["messages"]) for c in checkpoints] == list(range(13))


async def test_a_fresh_worker_fetches_the_state_it_does_not_hold(client: Client) -> None:
    # The previous step ran on a worker that is gone: the new worker's cache lacks the base
    # version of the delta, so it asks the run for its state (a query), then goes on.
    queue = f"fresh-{uuid.uuid4().hex[:6]}"
    thread = f"t-{uuid.uuid4().hex[:8]}"
    graphs = GraphClient(client, task_queue=queue)
    big = [{"role": "user", "n": -1, "content": "y" * 3000}]

    def worker() -> tuple[Worker, GraphActivities]:
        activities = GraphActivities(all_graphs())
        return (
            Worker(client, task_queue=queue, workflows=[GraphRun], activities=activities.all()),
            activities,
        )

    first, first_activities = worker()
    async with first:
        out = await graphs.invoke(
            "chat", {"messages": big, "turns": 4}, thread_id=thread, interrupt_after=["talk"]
        )
        assert [m["n"] for m in out["messages"]] == [-1, 1]
    second, second_activities = worker()
    async with second:
        out = await graphs.invoke("chat", None, thread_id=thread)
    assert [m["n"] for m in out["messages"]] == [-1, 1, 2, 3]
    assert out["seen"] == [1, 2, 3]
    assert second_activities.states.queries == 1  # once; the next steps used its cache
    assert first_activities.states.queries == 0


async def test_eager_start_behaves_like_update_with_start(client: Client, worker: Worker) -> None:
    # The session worker runs in this process on this client: starts are eager by default.
    assert GraphClient(client, task_queue=worker.task_queue).eager_start
    assert not GraphClient(client, task_queue="no-worker-here").eager_start
    eager = GraphClient(client, task_queue=worker.task_queue, eager_start=True)
    thread = f"t-{uuid.uuid4().hex[:8]}"
    out = await eager.invoke("ask_local", {"log": [], "x": 3}, thread_id=thread)
    assert out["__interrupt__"][0].value == {"question": "approve?", "x": 3}
    assert (await eager.invoke("ask_local", Command(resume="y"), thread_id=thread))["human"] == "y"
    # A run that ends within its first workflow task, before the update reaches it.
    assert await eager.invoke("chain", {"log": []}, thread_id=f"t-{uuid.uuid4().hex[:8]}") == {
        "log": ["a", "b", "c"]
    }
    with pytest.raises(GraphRunError, match="kaboom"):
        await eager.invoke("failing", {}, thread_id=f"t-{uuid.uuid4().hex[:8]}")
    await eager.invoke("ask_local", {"log": []}, thread_id=thread + "-busy")
    with pytest.raises(ThreadBusyError):
        await eager.invoke("ask_local", {"log": []}, thread_id=thread + "-busy")


@pytest.mark.parametrize("eager", [False, True])
async def test_new_thread_first_then_existing_threads(
    client: Client, worker: Worker, eager: bool
) -> None:
    # A start tries "new thread" first (no look-up); a thread with runs is found on the way.
    graphs = GraphClient(client, task_queue=worker.task_queue, eager_start=eager)
    thread = f"t-{uuid.uuid4().hex[:8]}"
    assert await graphs.invoke("chain", {"log": ["x"]}, thread_id=thread) == {
        "log": ["x", "a", "b", "c"]
    }
    # Same thread again: the new run carries the previous run's state.
    out = await graphs.invoke("chain", {"log": ["y"]}, thread_id=thread)
    assert out == {"log": ["x", "a", "b", "c", "y", "a", "b", "c"]}
    paused = f"t-{uuid.uuid4().hex[:8]}"
    await graphs.invoke("ask", {"log": []}, thread_id=paused)
    with pytest.raises(ThreadBusyError):
        await graphs.invoke("ask", {"log": []}, thread_id=paused)
