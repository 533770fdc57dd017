"""Replay safety under worker versioning: a versioned worker registers GraphRun as
PinnedGraphRun (tempograph/_workflows/versioned.py); it must replay every committed history as
GraphRun does (the behaviour changes routing, not the commands)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tempograph._workflows.versioned import PinnedGraphRun
from tests.replay.replay_scenarios import HISTORY_DIR
from tests.replay.test_replay import load_history


async def test_pinned_graph_run_replays_the_committed_histories() -> None:
    files = sorted(HISTORY_DIR.glob("*/*.json"))
    assert len(files) >= 20

    async def each() -> AsyncIterator[WorkflowHistory]:
        for f in files:
            yield load_history(f)

    results = await Replayer(
        workflows=[PinnedGraphRun], data_converter=pydantic_data_converter
    ).replay_workflows(each(), raise_on_replay_failure=False)
    assert {wid: str(err) for wid, err in results.replay_failures.items()} == {}
