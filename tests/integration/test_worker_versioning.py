"""Deploying new graph code under paused runs (Temporal Worker Versioning, tempograph.versioning):
v1 runs paused, v2 deployed and made current; a new run runs v2's node, the paused v1 runs
finish with v1's node on v1's worker; with v1's workers gone a resumed v1 run waits (DRAINING)
until a v1 worker polls again; histories recorded pinned replay unversioned and pinned."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypedDict

import pytest
from temporalio.api.enums.v1 import EventType, VersioningBehavior
from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker, WorkerDeploymentConfig

from tempograph import GraphClient, TempographPlugin, connect, create_worker
from tempograph._workflows.assistant_record import AssistantRecord
from tempograph._workflows.cron_thread import CronThread, UpgradingCronThread
from tempograph._workflows.graph_run import GraphRun
from tempograph._workflows.thread_record import ThreadRecord
from tempograph._workflows.versioned import (
    PinnedGraphRun,
    UpgradingAssistantRecord,
    UpgradingThreadRecord,
)
from tempograph.devserver import FAST_POLL, temporal_cli
from tempograph.graph import END, START, CompiledGraph, StateGraph
from tempograph.messages import SEARCH_ATTRIBUTES
from tempograph.types import Command, interrupt
from tempograph.versioning import (
    VersioningConfigError,
    deployment_config,
    describe_version,
    set_current_version,
)
from tests.conftest import SessionServer


class State(TypedDict, total=False):
    answer: str
    done_by: str


def build(version: str) -> CompiledGraph:
    """ask (interrupt) -> work; `work` is the node whose code changes between versions."""

    def ask(state: State) -> dict[str, Any]:
        return {"answer": str(interrupt("approve?"))}

    def work_v1(state: State) -> dict[str, Any]:
        return {"done_by": f"v1 code, answer {state['answer']}"}

    def work_v2(state: State) -> dict[str, Any]:  # v2 changes the node
        return {"done_by": f"v2 code, ANSWER {state['answer'].upper()}"}

    g = StateGraph(State)
    g.add_node("ask", ask)
    g.add_node("work", work_v1 if version == "v1" else work_v2)
    g.add_edge(START, "ask")
    g.add_edge("ask", "work")
    g.add_edge("work", END)
    return g.compile()


@asynccontextmanager
async def versioned_worker(
    address: str, task_queue: str, deployment: str, build_id: str, identity: str
) -> AsyncIterator[GraphClient]:
    """A worker of version (deployment, build_id) on its own client, and a GraphClient on that
    same client (which would start runs eagerly on an unversioned worker)."""
    client = await connect(address)
    worker = create_worker(
        client,
        {"deployed": build(build_id)},
        task_queue=task_queue,
        deployment=deployment,
        build_id=build_id,
        identity=identity,
    )
    async with worker:
        yield GraphClient(client, task_queue=task_queue)


async def make_current(client: Client, deployment: str, build_id: str) -> None:
    # Temporal knows a version once one of its workers has polled: retry briefly until then.
    deadline = time.monotonic() + 15
    while True:
        try:
            await set_current_version(client, deployment, build_id)
            return
        except RPCError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def workers_of(client: Client, thread: str) -> set[str]:
    """Identities of the workers that ran the run's nodes (ActivityTaskStarted events)."""
    history = await client.get_workflow_handle(thread).fetch_history()
    return {
        e.activity_task_started_event_attributes.identity
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
    }


async def pinned_to(client: Client, thread: str) -> set[tuple[str, int]]:
    """(build id, behaviour) the run's workflow tasks were completed with."""
    history = await client.get_workflow_handle(thread).fetch_history()
    return {
        (
            e.workflow_task_completed_event_attributes.deployment_version.build_id,
            e.workflow_task_completed_event_attributes.versioning_behavior,
        )
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    }


async def test_paused_v1_runs_finish_on_v1_while_new_runs_use_v2(
    server: SessionServer, client: Client
) -> None:
    queue = f"deploy-{uuid.uuid4().hex[:8]}"
    deployment = f"approvals-{uuid.uuid4().hex[:8]}"
    paused = [f"t-v1-{i}-{uuid.uuid4().hex[:6]}" for i in range(3)]
    fresh = f"t-v2-{uuid.uuid4().hex[:6]}"

    async with versioned_worker(server.address, queue, deployment, "v1", "worker-A-v1") as on_a:
        await make_current(client, deployment, "v1")
        for i, thread in enumerate(paused):
            # The last one continues as new at each step: its next run keeps its version.
            steps = 1 if i == len(paused) - 1 else None
            out = await on_a.invoke("deployed", {}, thread_id=thread, steps_per_run=steps)
            assert out["__interrupt__"][0].value == "approve?"

        # Deploy v2 while the v1 runs wait, then route new runs to it.
        async with versioned_worker(server.address, queue, deployment, "v2", "worker-B-v2"):
            await make_current(client, deployment, "v2")

            # A new run (started from worker A's process, so not eagerly onto A) runs v2's node.
            await on_a.invoke("deployed", {}, thread_id=fresh)
            out = await on_a.invoke("deployed", Command(resume="yes"), thread_id=fresh)
            assert out["done_by"] == "v2 code, ANSWER YES"
            assert await workers_of(client, fresh) == {"worker-B-v2"}
            behaviour = VersioningBehavior.VERSIONING_BEHAVIOR_PINNED
            assert await pinned_to(client, fresh) == {("v2", behaviour)}

            # The paused v1 run resumes on v1's worker with v1's node code.
            out = await on_a.invoke("deployed", Command(resume="ok"), thread_id=paused[0])
            assert out["done_by"] == "v1 code, answer ok"
            assert await workers_of(client, paused[0]) == {"worker-A-v1"}
            assert await pinned_to(client, paused[0]) == {("v1", behaviour)}

            state = await describe_version(client, deployment, "v1")
            assert (state.status, state.drainage) == ("DRAINING", "DRAINING")
            assert (await describe_version(client, deployment, "v2")).status == "CURRENT"

    # Workers A and B have stopped. A resumed v1 run waits for a v1 worker (GraphClient keeps
    # waiting: the server still lists the queue's recent pollers).
    graphs = GraphClient(client, task_queue=queue)
    resuming = asyncio.ensure_future(
        graphs.invoke("deployed", Command(resume="later"), thread_id=paused[1])
    )
    done, _ = await asyncio.wait({resuming}, timeout=3)
    assert not done, "a v1 run resumed without a v1 worker"
    # A v1 worker comes back (e.g. the old deployment scaled up again): the run finishes on it.
    async with versioned_worker(server.address, queue, deployment, "v1", "worker-A2-v1"):
        out = await asyncio.wait_for(resuming, timeout=30)
        assert out["done_by"] == "v1 code, answer later"
        # paused before on A, resumed on A2: no v2 worker touched it
        assert await workers_of(client, paused[1]) == {"worker-A-v1", "worker-A2-v1"}
        out = await graphs.invoke("deployed", Command(resume="last"), thread_id=paused[2])
        assert out["done_by"] == "v1 code, answer last"
        last = await client.get_workflow_handle(paused[2]).fetch_history()
        started = last.events[0].workflow_execution_started_event_attributes
        assert started.continued_execution_run_id  # a run continued as new, still on v1
        assert await pinned_to(client, paused[2]) == {("v1", behaviour)}

    # Histories recorded under versioning replay with the unversioned and the pinned definition.
    histories = [await client.get_workflow_handle(t).fetch_history() for t in [*paused, fresh]]
    definitions: list[list[type]] = [[GraphRun], [PinnedGraphRun]]
    for workflows in definitions:
        assert await replay_failures(workflows, histories) == {}


async def replay_failures(
    workflows: list[type], histories: list[WorkflowHistory]
) -> dict[str, str]:
    async def each() -> AsyncIterator[WorkflowHistory]:
        for history in histories:
            yield history

    results = await Replayer(
        workflows=workflows, data_converter=pydantic_data_converter
    ).replay_workflows(each(), raise_on_replay_failure=False)
    return {wid: str(err) for wid, err in results.replay_failures.items()}


async def test_plugin_worker_is_versioned(server: SessionServer, client: Client) -> None:
    """TempographPlugin(deployment=, build_id=) and a Worker's own deployment_config both
    register the pinned GraphRun (the SDK refuses a versioned worker's workflow without a
    behaviour)."""
    queue = f"deploy-plugin-{uuid.uuid4().hex[:8]}"
    deployment = f"plugin-{uuid.uuid4().hex[:8]}"
    plugin = TempographPlugin({"deployed": build("v1")}, deployment=deployment, build_id="p1")
    worker = Worker(client, task_queue=queue, plugins=[plugin], identity="plugin-p1")
    assert set(worker.config(active_config=True)["workflows"]) == {
        PinnedGraphRun,
        UpgradingThreadRecord,
        UpgradingAssistantRecord,
        UpgradingCronThread,
    }
    own = Worker(
        client,
        task_queue=f"{queue}-own",  # one worker per (client, queue, build id) in a process
        plugins=[TempographPlugin({"deployed": build("v1")})],
        deployment_config=deployment_config(deployment, "p1"),
    )
    assert set(own.config(active_config=True)["workflows"]) == {
        PinnedGraphRun,
        UpgradingThreadRecord,
        UpgradingAssistantRecord,
        UpgradingCronThread,
    }
    async with worker:
        await make_current(client, deployment, "p1")
        graphs = GraphClient(client, task_queue=queue)
        thread = f"t-{uuid.uuid4().hex[:8]}"
        await graphs.invoke("deployed", {}, thread_id=thread)
        out = await graphs.invoke("deployed", Command(resume="y"), thread_id=thread)
        assert out["done_by"] == "v1 code, answer y"
        behaviour = VersioningBehavior.VERSIONING_BEHAVIOR_PINNED
        assert await pinned_to(client, thread) == {("p1", behaviour)}


async def test_half_or_double_configuration_is_refused(client: Client) -> None:
    graphs = {"deployed": build("v1")}
    with pytest.raises(VersioningConfigError, match="build_id is not") as exc:
        create_worker(client, graphs, deployment="approvals")
    assert "--build-id" in str(exc.value) and "TEMPORAL_WORKER_BUILD_ID" in str(exc.value)
    with pytest.raises(VersioningConfigError, match="deployment is not"):
        TempographPlugin(graphs, build_id="v2")
    with pytest.raises(VersioningConfigError, match="configured twice"):
        create_worker(
            client,
            graphs,
            deployment="approvals",
            build_id="v2",
            deployment_config=deployment_config("other", "v9"),
        )
    with pytest.raises(VersioningConfigError, match="no '/'"):
        deployment_config("approvals", "v/2")
    assert deployment_config(None, None) is None
    config = deployment_config("approvals", "v2")
    assert isinstance(config, WorkerDeploymentConfig) and config.use_worker_versioning
    # Unversioned workers keep the plain definitions (Temporal refuses a behaviour from them).
    assert set(create_worker(client, graphs).config(active_config=True)["workflows"]) == {
        GraphRun,
        ThreadRecord,
        AssistantRecord,
        CronThread,
    }


CLI_GRAPH = build("v1")  # `tempograph worker --graph deployed=tests...:CLI_GRAPH`
ROOT = Path(__file__).resolve().parents[2]


async def tempograph_worker(*args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tempograph",
        "worker",
        "--graph",
        "deployed=tests.integration.test_worker_versioning:CLI_GRAPH",
        *args,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_tempograph_worker_versioned_by_flags_or_controller_variables(
    server: SessionServer, client: Client
) -> None:
    queue = f"deploy-cli-{uuid.uuid4().hex[:8]}"
    deployment = f"cli-{uuid.uuid4().hex[:8]}"
    base = {"TEMPORAL_ADDRESS": server.address, "TEMPOGRAPH_TASK_QUEUE": queue}
    # Half a configuration is refused before connecting, with the fix.
    half = await tempograph_worker("--deployment", deployment, env=base)
    out, err = await asyncio.wait_for(half.communicate(), timeout=60)
    assert half.returncode == 2, (out, err)
    assert b"build_id is not" in err and b"--build-id" in err
    # The Temporal Worker Controller's variables configure it as the flags do.
    env = {**base, "TEMPORAL_DEPLOYMENT_NAME": deployment, "TEMPORAL_WORKER_BUILD_ID": "c1"}
    proc = await tempograph_worker(env=env)
    try:
        assert proc.stdout is not None
        first = await asyncio.wait_for(proc.stdout.readline(), timeout=60)
        assert first.strip() == b"ready", first
        await make_current(client, deployment, "c1")
        graphs = GraphClient(client, task_queue=queue)
        thread = f"t-{uuid.uuid4().hex[:8]}"
        await graphs.invoke("deployed", {}, thread_id=thread)
        done = await graphs.invoke("deployed", Command(resume="y"), thread_id=thread)
        assert done["done_by"] == "v1 code, answer y"
        behaviour = VersioningBehavior.VERSIONING_BEHAVIOR_PINNED
        assert await pinned_to(client, thread) == {("c1", behaviour)}
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.communicate(), timeout=30)


async def test_describe_version_says_drained_once_the_last_pinned_run_ends() -> None:
    """The drain signal: v1 is DRAINING while a run pinned to it is open, DRAINED once it has
    ended (Temporal checks every few minutes by default: this server checks every second)."""
    env = await WorkflowEnvironment.start_local(
        search_attributes=SEARCH_ATTRIBUTES,
        dev_server_existing_path=temporal_cli(),
        dev_server_log_level="error",
        dev_server_extra_args=[
            *FAST_POLL,
            "--dynamic-config-value",
            'matching.wv.VersionDrainageStatusVisibilityGracePeriod="1s"',
            "--dynamic-config-value",
            'matching.wv.VersionDrainageStatusRefreshInterval="1s"',
        ],
    )
    try:
        address = env.client.service_client.config.target_host
        client = await connect(address)
        queue, deployment, thread = "drain", "drain", "t-drain"
        async with versioned_worker(address, queue, deployment, "v1", "A") as graphs:
            await make_current(client, deployment, "v1")
            await graphs.invoke("deployed", {}, thread_id=thread)
            async with versioned_worker(address, queue, deployment, "v2", "B"):
                await make_current(client, deployment, "v2")
                assert (await describe_version(client, deployment, "v1")).drainage == "DRAINING"
                await graphs.invoke("deployed", Command(resume="y"), thread_id=thread)
                deadline = time.monotonic() + 30
                while (state := await describe_version(client, deployment, "v1")).drainage != (
                    "DRAINED"
                ):
                    assert time.monotonic() < deadline, state
                    await asyncio.sleep(0.25)
                assert state.status == "DRAINED"
    finally:
        await env.shutdown()
