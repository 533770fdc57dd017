"""Two `tempograph worker` processes on one task queue (bench/scaling_workers.py, smaller): the
runs spread between them, and when one is killed with SIGKILL mid-way every run still ends, on
the other. The figures at 200 runs are in bench/results/WORKERS.md."""

from __future__ import annotations

from temporalio.client import Client

from bench.scaling_workers import measure, pid_of, shares
from tests.conftest import SessionServer

RUNS = 30
CONCURRENCY = 10


async def test_two_workers_share_runs_and_survive_a_kill(
    server: SessionServer, client: Client
) -> None:
    m = await measure(client, server.address, RUNS, CONCURRENCY, prefix="two-workers")

    # Both alive: every run ended, and each worker took a fair share of the work.
    assert m.alive.errors == [] and m.alive.ended == RUNS
    spread = m.alive_spread
    assert sum(spread.workflow_tasks.values()) >= RUNS * 4  # start, pause, resume, end...
    assert sum(spread.activities.values()) == RUNS * 4  # prep, ask twice, finish
    for counts in (spread.workflow_tasks, spread.activities, spread.first_tasks):
        assert all(0.2 <= share <= 0.8 for share in shares(counts, m.workers)), counts

    # One killed once half the runs had ended: nothing lost, its runs finished on the other.
    assert m.killed_at_ended == RUNS // 2
    assert m.killed.errors == [] and m.killed.ended == RUNS
    touched = {pid_of(who): threads for who, threads in m.killed_spread.touched_by.items()}
    taken_over = touched.get(m.killed_pid, set()) & touched.get(m.survivor_pid, set())
    assert taken_over, "no run of the killed worker went on on the other one"
