"""Replay safety of the thread record (TempographThread) with TTLs.

tests/histories/threads_ttl_v1/records/ holds thread record histories: `pre_ttl_*` recorded with
the record's code before TTLs existed (they must replay unchanged: a record without a TTL emits
the same commands), `ttl_*` recorded with TTLs (set at start, refreshed by patches, replaced by
set_ttl, expired). They sit one folder deeper than the GraphRun histories (tests/histories/v*/),
which tests/replay/test_replay.py replays with GraphRun only.

`python -m tests.replay.test_replay_thread_ttl` records the `ttl_*` histories again (own dev
server on port 7311).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from temporalio.client import Client, WorkflowHandle, WorkflowHistory, WorkflowUpdateFailedError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer, Worker

from tempograph import connect
from tempograph._workflows.thread_record import (
    SET_TTL_UPDATE,
    TTL_MEMO,
    ThreadRecord,
    ThreadTTL,
    ttl_memo,
)
from tempograph._workflows.versioned import UpgradingThreadRecord
from tempograph.devserver import DevServer
from tempograph.messages import ThreadMetadata, thread_memo, thread_record_id
from tests.conftest import TASK_QUEUE

RECORDS = Path(__file__).parent.parent / "histories" / "threads_ttl_v1" / "records"
# 0.02 minutes: 1.2 s (the Agent Server's ttl is a number of minutes; fractions are allowed).
SHORT = 0.02


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text())


async def replay_failures(histories: list[WorkflowHistory], workflow: type) -> dict[str, str]:
    async def each() -> AsyncIterator[WorkflowHistory]:
        for history in histories:
            yield history

    results = await Replayer(
        workflows=[workflow], data_converter=pydantic_data_converter
    ).replay_workflows(each(), raise_on_replay_failure=False)
    return {wid: str(err) for wid, err in results.replay_failures.items()}


async def ttl_scenarios(client: Client, task_queue: str, prefix: str) -> list[WorkflowHandle]:
    """Records with TTLs: expired untouched; refreshed by patches then expired; a TTL set on a
    record started without one, replaced, then closed; one still waiting."""
    meta = ThreadMetadata(metadata={"a": 1})

    async def start(name: str, ttl: float | None) -> WorkflowHandle:
        memo = thread_memo(meta)
        if ttl is not None:
            memo.update(ttl_memo(ThreadTTL(ttl_minutes=ttl)))
        return await client.start_workflow(
            ThreadRecord.run,
            meta,
            id=thread_record_id(f"{prefix}-{name}"),
            task_queue=task_queue,
            memo=memo,
        )

    expired = await start("ttl_expired", SHORT)
    refreshed = await start("ttl_refreshed", SHORT)
    for patch in ({"b": 2}, {"c": 3}):
        await asyncio.sleep(0.6)
        await refreshed.execute_update(ThreadRecord.patch, ThreadMetadata(metadata=patch))
    later = await start("ttl_set_later", None)
    await later.execute_update(SET_TTL_UPDATE, ThreadTTL(ttl_minutes=60), result_type=ThreadTTL)
    await later.execute_update(SET_TTL_UPDATE, ThreadTTL(ttl_minutes=30), result_type=ThreadTTL)
    await later.signal(ThreadRecord.close)
    waiting = await start("ttl_waiting", 60)
    await waiting.execute_update(ThreadRecord.patch, ThreadMetadata(metadata={"d": 4}))
    for handle in (expired, refreshed, later):
        await handle.result()
    return [expired, refreshed, later, waiting]


async def test_records_recorded_before_ttls_replay() -> None:
    files = sorted(RECORDS.glob("pre_ttl_*.json"))
    assert len(files) >= 2
    histories = [load(f) for f in files]
    assert await replay_failures(histories, ThreadRecord) == {}
    assert await replay_failures(histories, UpgradingThreadRecord) == {}


async def test_committed_ttl_records_replay() -> None:
    files = sorted(RECORDS.glob("ttl_*.json"))
    assert {f.stem for f in files} >= {"ttl_expired", "ttl_refreshed", "ttl_set_later"}
    assert await replay_failures([load(f) for f in files], ThreadRecord) == {}


async def test_live_ttl_records_expire_and_replay(client: Client, worker: Worker) -> None:
    prefix = f"ttl-{uuid.uuid4().hex[:6]}"
    expired, refreshed, later, waiting = await ttl_scenarios(client, TASK_QUEUE, prefix)
    # Expired: the memo says so, with the deadline 1.2 s after the start.
    for handle in (expired, refreshed):
        desc = await handle.describe()
        ttl = ThreadTTL.model_validate(await desc.memo_value(TTL_MEMO))
        assert ttl.expired and ttl.expires_at is not None
        started = desc.start_time
        assert desc.close_time is not None and desc.close_time >= ttl.expires_at
        if handle is expired:
            assert abs((ttl.expires_at - started).total_seconds() - SHORT * 60) < 0.5
        else:  # refreshed by each patch: 1.2 s after the last one (>= 1.2 s after the start)
            assert (ttl.expires_at - started).total_seconds() > SHORT * 60 + 1.0
            assert (await handle.result()).metadata == {"a": 1, "b": 2, "c": 3}
    # Set later, replaced, closed: not expired; the last TTL counts.
    desc = await later.describe()
    ttl = ThreadTTL.model_validate(await desc.memo_value(TTL_MEMO))
    assert (ttl.ttl_minutes, ttl.expired) == (30, False)
    # Still waiting: its deadline is an hour off.
    desc = await waiting.describe()
    assert desc.status is not None and desc.status.name == "RUNNING"
    histories = [await h.fetch_history() for h in (expired, refreshed, later, waiting)]
    await waiting.terminate("test over")
    assert await replay_failures(histories, ThreadRecord) == {}


async def test_a_bad_ttl_is_refused_and_the_record_goes_on(client: Client, worker: Worker) -> None:
    handle = await client.start_workflow(
        ThreadRecord.run,
        ThreadMetadata(),
        id=thread_record_id(f"ttl-bad-{uuid.uuid4().hex[:6]}"),
        task_queue=TASK_QUEUE,
    )
    for bad in ({"ttl_minutes": 0}, {"ttl_minutes": 5, "strategy": "keep_latest"}, {"x": 1}):
        try:
            await handle.execute_update(SET_TTL_UPDATE, bad)
        except WorkflowUpdateFailedError as exc:
            assert "ThreadTTL" in str(exc.cause)
        else:
            raise AssertionError(f"{bad} was taken")
    patched = await handle.execute_update(ThreadRecord.patch, ThreadMetadata(metadata={"ok": True}))
    assert patched.metadata == {"ok": True}
    await handle.terminate("test over")


async def record() -> None:
    server = DevServer(port=7311, ui_port=None)
    await server.start()
    try:
        client = await connect(server.address)
        async with Worker(client, task_queue="record-ttl", workflows=[ThreadRecord]):
            handles = await ttl_scenarios(client, "record-ttl", "rec")
            RECORDS.mkdir(parents=True, exist_ok=True)
            for handle in handles:
                history = await handle.fetch_history()
                name = handle.id.removesuffix("/thread").split("-", 1)[1]
                (RECORDS / f"{name}.json").write_text(history.to_json())
            await handles[-1].terminate("recorded")
    finally:
        server.stop()


if __name__ == "__main__":
    asyncio.run(record())
