"""TempographCronFiring: one firing of a cron on a thread (tempograph/_cron.py), started by the
cron's Temporal Schedule with a fixed input. It calls the fire activity, which starts the
thread's run following the cron's multitask strategy; on a thread still busy after the
activity's wait ("enqueue"), it waits with a durable timer and calls again, so the firing
survives worker restarts and costs nothing while it waits.

Deterministic: no graph code, no LangGraph. Bad input fails the workflow at once (a
non-retryable ApplicationError naming what is wrong), never a workflow task over and over; a
failing activity is retried a few times, then the firing fails (visible in the Temporal UI).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, VersioningBehavior
from temporalio.exceptions import ApplicationError

from tempograph._workflows.common import BadArgumentsError, any_arity, decode_args

with workflow.unsafe.imports_passed_through():
    from tempograph._cron import CRON_FIRE_ACTIVITY, CRON_THREAD_WORKFLOW, CronFiring, FiringResult
    from tempograph.messages import ErrorKind, InvalidMessageError, parse_message

FIRE_TIMEOUT = timedelta(minutes=5)
FIRE_HEARTBEAT = timedelta(seconds=30)
FIRE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=5,
)
# Between two attempts on a thread that stayed busy (enqueue).
BUSY_WAIT = timedelta(seconds=1)


def _firing(args: tuple[Any, ...]) -> CronFiring:
    try:
        raw, _ = decode_args(args, "The cron firing's input")
        return parse_message(CronFiring, raw)
    except (BadArgumentsError, InvalidMessageError) as exc:
        kind = getattr(exc, "kind", ErrorKind.INVALID_INPUT)
        raise ApplicationError(str(exc), type=str(kind), non_retryable=True) from None


@workflow.defn(name=CRON_THREAD_WORKFLOW)
class CronThread:
    @workflow.run
    @any_arity
    async def run(self, *args: Any) -> dict[str, Any]:
        firing = _firing(args)
        while True:
            result: FiringResult = await workflow.execute_activity(
                CRON_FIRE_ACTIVITY,
                firing,
                result_type=FiringResult,
                start_to_close_timeout=FIRE_TIMEOUT,
                heartbeat_timeout=FIRE_HEARTBEAT,
                retry_policy=FIRE_RETRY,
            )
            if result.outcome != "busy":
                return result.model_dump()
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(firing)
            await workflow.sleep(BUSY_WAIT)


# A versioned worker (tempograph.versioning) registers this one: a firing runs no graph code.
@workflow.defn(name=CRON_THREAD_WORKFLOW, versioning_behavior=VersioningBehavior.AUTO_UPGRADE)
class UpgradingCronThread(CronThread):
    @workflow.run
    @any_arity
    async def run(self, *args: Any) -> dict[str, Any]:
        return await super().run(*args)
