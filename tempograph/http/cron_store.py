"""Crons (the Agent Server's /runs/crons) as Temporal Schedules.

A cron is the Schedule `tempograph-cron-<cron id>` (a UUID), so it is visible and manageable
with `temporal schedule list/describe/trigger` and in the Temporal UI. Its spec is the cron
expression (`timezone`, `end_time`); `enabled` is the schedule's paused state; its action
starts a GraphRun on the graph's task queue. What only the Agent Server API knows (assistant,
metadata, the request as sent, timestamps) is the action's memo CRON_MEMO, rewritten by each
update (a schedule's own memo cannot change); each run the cron starts carries that memo too,
so a run names its cron.

A stateless cron (POST /runs/crons) starts a new thread at each firing: Temporal names the
scheduled workflow `<action id>-<the firing's time, RFC 3339>`, and the run's thread id
defaults to its workflow id, so each firing's thread is `<cron id>-<time>`. Its threads are
kept (`on_run_completed="keep"`): nothing would delete them after the run, so "delete" is
refused rather than ignored. Overlapping firings all run (each has its own thread).

A cron on a thread (POST /threads/{id}/runs/crons) runs on that thread: a Schedule starts a
workflow whose id ends with the firing's time, and a thread's run is the workflow with the
thread's own id, so its action starts TempographCronFiring (tempograph/_cron.py,
_workflows/cron_thread.py), whose activity starts the thread's run as runs.create on the thread
does: new input discards a pause, and a busy thread gets the cron's multitask_strategy
("enqueue" by default: the firing waits durably until the thread's run pauses or ends;
"reject": the firing does nothing; "interrupt": the running run is cancelled). "rollback" is
refused (422). The thread must exist (404); a firing after the thread was deleted starts
nothing and deletes the cron, and a thread cron whose thread is gone reads as not found (and
is deleted): the Agent Server deletes a thread's crons with the thread. Its `input` is
required (a firing starts a run with input).

A cron on a created assistant (stateless or on a thread) also fires TempographCronFiring: its
activity reads the assistant's current version at each firing (as the Agent Server reads it
for each run) and merges its config and context under the cron's own; a stateless one fires
`<cron id>-firing-<time>`, whose run starts on the new thread `<cron id>-<time>` (the name a
GraphRun action's run would have had).
The assistant deleted: the firing starts nothing and the cron is deleted.

Only Tempograph's schedules are read or changed: the schedule id has the prefix and a UUID,
its own memo carries OWNER_MEMO, and its action starts GraphRun on this server's task queue.
Any other schedule in the namespace is "not found". Visibility (listing schedules) lags
behind; crons created or deleted by this process are known at once (read-your-writes here).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import uuid
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool
from temporalio.client import (
    Client,
    Schedule,
    ScheduleAction,
    ScheduleActionStartWorkflow,
    ScheduleDescription,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError, RPCStatusCode

from tempograph._cron import (
    CRON_THREAD_WORKFLOW,
    SCHEDULE_PREFIX,
    STATELESS_FIRING_SUFFIX,
    CronAssistant,
    CronFiring,
)
from tempograph._run_config import BothConfigurableAndContextError, invocation, merge_assistant
from tempograph.http.assistant_catalog import AssistantCatalog, subset
from tempograph.http.bounded import DEFAULT_CAP, BoundedSet
from tempograph.http.errors import HttpError, check_message, not_supported
from tempograph.http.rendering import assistant_id_of, iso, now
from tempograph.http.run_executor import run_invocation
from tempograph.http.schemas import Breakpoints, RunBody, RunConfig
from tempograph.http.streaming import stream_modes, wants_live
from tempograph.http.thread_store import ThreadStore
from tempograph.limits import MAX_MESSAGE_BYTES
from tempograph.messages import GRAPH_ATTRIBUTE, WORKFLOW_TYPE, RunInput

# The schedule's own memo (set once): marks it as a Tempograph cron.
OWNER_MEMO = "tempograph"
OWNER_VALUE = "cron"
# The action's memo (rewritten by updates): the cron's Agent Server fields.
CRON_MEMO = "tempograph_cron"
MAX_LISTED = 1000
CRON_NOT_FOUND = "Cron with ID {} not found"
# The workflows a cron's schedule starts: GraphRun (stateless), the firing (on a thread).
ACTION_WORKFLOWS = frozenset({WORKFLOW_TYPE, CRON_THREAD_WORKFLOW})
THREAD_STRATEGIES = ("reject", "interrupt", "enqueue")

CronSortBy = Literal[
    "cron_id", "assistant_id", "thread_id", "created_at", "updated_at", "next_run_date", "end_time"
]
CRON_FIELDS = (
    "cron_id",
    "assistant_id",
    "thread_id",
    "on_run_completed",
    "end_time",
    "schedule",
    "timezone",
    "created_at",
    "updated_at",
    "payload",
    "user_id",
    "next_run_date",
    "metadata",
    "enabled",
)


# -------------------------------------------------------------------------------------------
# Request bodies (langgraph-sdk 0.4.14's CronClient).
# -------------------------------------------------------------------------------------------


class _RunFields(BaseModel):
    """What a cron's runs are given: the run fields a cron request may carry."""

    model_config = ConfigDict(extra="allow")

    input: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    config: RunConfig | None = None
    context: dict[str, Any] | None = None
    interrupt_before: Breakpoints = None
    interrupt_after: Breakpoints = None
    # POSTed by each run when it pauses or ends (tempograph.notifications).
    webhook: str | None = None
    # Live modes make the runs' nodes publish their output, for a client that joins them.
    stream_mode: str | list[str] | None = None
    # Every event is in the run's history: a join can always resume from Last-Event-ID.
    stream_resumable: StrictBool | None = None
    stream_subgraphs: StrictBool | None = None
    on_run_completed: Literal["delete", "keep"] | None = None
    # Strict: "no" is not read as false (nor "yes" as true), as the store's bodies.
    enabled: StrictBool | None = None
    timezone: str | None = None
    # Honoured as they are: every step is checkpointed, durably (Temporal history).
    durability: Literal["sync", "async", "exit"] | None = None
    checkpoint_during: StrictBool | None = None


class CronBody(_RunFields):
    """POST /runs/crons and POST /threads/{id}/runs/crons."""

    assistant_id: str = Field(min_length=1)
    schedule: str = Field(min_length=1)
    end_time: datetime | None = None
    multitask_strategy: str | None = None


class CronPatchBody(_RunFields):
    """PATCH /runs/crons/{cron_id}: only the fields sent change (`end_time: null` clears)."""

    schedule: str | None = Field(default=None, min_length=1)
    end_time: datetime | None = None


class CronSearchBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assistant_id: str | None = None
    thread_id: str | None = None
    enabled: StrictBool | None = None
    metadata: dict[str, Any] | None = None
    limit: int = Field(default=10, ge=0, le=1000)
    offset: int = Field(default=0, ge=0)
    sort_by: CronSortBy | None = None
    sort_order: Literal["asc", "desc"] | None = None
    select: list[str] | None = None


class CronCountBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assistant_id: str | None = None
    thread_id: str | None = None
    metadata: dict[str, Any] | None = None


def unsupported_cron_fields(body: _RunFields) -> None:
    """Refuse what a cron's runs could not honour (422 naming the field), never ignore it."""
    if body.on_run_completed == "delete":
        raise not_supported(
            'on_run_completed="delete"',
            'a cron\'s threads are kept (on_run_completed="keep"); delete them with threads.delete',
        )
    if body.stream_subgraphs:
        raise not_supported("stream_subgraphs", "join a cron's run with stream_subgraphs")
    for name, value in (body.model_extra or {}).items():
        if value not in (None, False, [], {}, ""):
            raise not_supported(name)
    if body.webhook is not None and not body.webhook.startswith(("http://", "https://")):
        raise HttpError(422, f"webhook: an http(s) URL, got {body.webhook!r}")
    if body.timezone is not None:
        try:
            zoneinfo.ZoneInfo(body.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise HttpError(422, f"timezone: unknown IANA time zone {body.timezone!r}") from None
    for what in ("input", "metadata", "context"):
        check_message(what, getattr(body, what))
    check_message("config", body.config.model_dump(exclude_none=True) if body.config else None)


# The Agent Server reads a schedule with croniter: five fields or a macro. Temporal takes more
# (a seconds and a year field, `@every`, `CRON_TZ=`, comments) with other meanings ("0 0 1 1 *
# 2030" is a year for Temporal, seconds for croniter; "*/5 * * * * * *" fires every 5 s): those
# are refused rather than run differently.
CRON_MACROS = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@hourly"})
CRON_FIELD = re.compile(r"[0-9A-Za-z*/,?-]+")
CRON_SYNTAX = (
    "five fields (minute hour day-of-month month day-of-week) or one of "
    f"{sorted(CRON_MACROS)}; the time zone is the `timezone` field"
)


def check_schedule(schedule: str) -> None:
    """A cron expression as the Agent Server takes it (422 naming `schedule` otherwise)."""
    if schedule.strip() in CRON_MACROS:
        return
    fields = schedule.split()
    if len(fields) != 5 or not all(CRON_FIELD.fullmatch(f) for f in fields):
        raise HttpError(422, f"schedule: expected {CRON_SYNTAX}, got {schedule[:200]!r}")


def check_cron_size(record: dict[str, Any]) -> None:
    """The cron as stored (its request, held by the schedule's action as its memo and again as
    the runs' input) within one message's size: each field alone may be under the limit while
    the whole is over gRPC's 4 MiB or Temporal's blob limit (a 500, or a 422 blaming `schedule`)."""
    size = len(json.dumps(record, ensure_ascii=False, default=str).encode("utf-8", "replace"))
    if size > MAX_MESSAGE_BYTES:
        raise HttpError(
            413,
            f"The cron's request (input, metadata, config, context, ...) is {size} bytes as "
            f"JSON; Tempograph's limit for a cron is {MAX_MESSAGE_BYTES} bytes "
            "(limits.MAX_MESSAGE_BYTES). Store large data elsewhere and pass a reference.",
        )


# -------------------------------------------------------------------------------------------
# The store.
# -------------------------------------------------------------------------------------------


def schedule_id(cron_id: str) -> str:
    return SCHEDULE_PREFIX + cron_id


def _cron_id_of(schedule: str) -> str | None:
    """The cron id of a schedule id of ours (a UUID after the prefix), else None."""
    if not schedule.startswith(SCHEDULE_PREFIX):
        return None
    rest = schedule.removeprefix(SCHEDULE_PREFIX)
    try:
        return rest if str(uuid.UUID(rest)) == rest else None
    except ValueError:
        return None


@dataclass
class Cron:
    """A cron as read from its schedule."""

    cron_id: str
    record: dict[str, Any]
    description: ScheduleDescription

    def to_json(self) -> dict[str, Any]:
        spec = self.description.schedule.spec
        state = self.description.schedule.state
        upcoming = self.description.info.next_action_times
        return {
            "cron_id": self.cron_id,
            "assistant_id": self.record["assistant_id"],
            "thread_id": self.record.get("thread_id"),
            "on_run_completed": self.record.get("on_run_completed"),
            "end_time": iso(spec.end_at),
            # Temporal keeps a cron expression as calendars: the expression is the request's.
            "schedule": self.record["payload"]["schedule"],
            "timezone": spec.time_zone_name or None,
            "created_at": self.record["created_at"],
            "updated_at": self.record["updated_at"],
            "payload": self.record["payload"],
            "user_id": None,
            "next_run_date": iso(upcoming[0]) if upcoming and not state.paused else None,
            "metadata": self.record.get("metadata") or {},
            "enabled": not state.paused,
        }


class CronStore:
    """Crons of one server's graphs (its task queue), stored as Temporal Schedules."""

    def __init__(
        self,
        client: Client,
        catalog: AssistantCatalog,
        task_queue: str,
        cache_size: int = DEFAULT_CAP,
        threads: ThreadStore | None = None,
    ) -> None:
        self.client = client
        self.catalog = catalog
        self.task_queue = task_queue
        # Where a thread cron's thread is looked up (404 for none).
        self.threads = threads
        # Crons created (or deleted) here, before visibility lists (or drops) them.
        self.created: BoundedSet[str] = BoundedSet(cache_size)
        self.deleted: BoundedSet[str] = BoundedSet(cache_size)

    # -- writing ----------------------------------------------------------------------------

    async def _assistant(self, body: CronBody) -> tuple[str, str, bool]:
        """(graph, assistant id, created) of the cron's assistant: a graph's system assistant,
        or a created one (read from Temporal; its config and context are read again at each
        firing). A created assistant whose configuration cannot make a run with the cron's
        (both `configurable` and `context`) is refused now, as a run would be (400)."""
        graph = self.catalog.system_graph(body.assistant_id)
        if graph is not None:
            return graph, assistant_id_of(graph), False
        memo = await self.catalog.created(body.assistant_id)
        if memo is None or memo.current.graph_id not in self.catalog.graphs:
            raise HttpError(404, f"Assistant {body.assistant_id} not found")
        version = memo.current
        run_config = body.config.model_dump(exclude_none=True) if body.config else None
        config, context = merge_assistant(run_config, body.context, version.config, version.context)
        try:
            invocation(config, context, body.metadata)
        except BothConfigurableAndContextError as exc:
            raise HttpError(400, str(exc)) from None
        return version.graph_id, version.assistant_id, True

    def _action(self, cron_id: str, graph: str, record: dict[str, Any]) -> ScheduleAction:
        payload = record["payload"]
        body = RunBody(
            assistant_id=payload["assistant_id"],
            input=payload.get("input"),
            config=payload.get("config"),
            context=payload.get("context"),
            metadata=payload.get("metadata"),
        )
        config, context = run_invocation(body)
        thread_id = record.get("thread_id")
        run = RunInput(
            graph=graph,
            input=body.input,
            # Stateless, None: the run's thread is its workflow id, `<cron id>-<firing time>`.
            thread_id=thread_id,
            # Stateless: a new thread at each firing, no previous run to carry state from (on
            # a thread, the firing's activity sets it).
            previous_run_id="",
            interrupt_before=payload.get("interrupt_before"),
            interrupt_after=payload.get("interrupt_after"),
            config=config,
            context=context or None,
            stream=wants_live(stream_modes(payload.get("stream_mode"))),
            webhook=payload.get("webhook"),
        )
        if body.config is not None and body.config.recursion_limit:
            run.recursion_limit = body.config.recursion_limit
        created = bool(record.get("created_assistant"))
        if thread_id is not None or created:
            # The firing workflow: it continues the thread, or reads the created assistant
            # afresh, at each firing.
            firing = CronFiring(
                cron_id=cron_id,
                thread_id=thread_id,
                task_queue=self.task_queue,
                run=run,
                multitask_strategy=payload.get("multitask_strategy") or "enqueue",
                assistant=CronAssistant(
                    assistant_id=record["assistant_id"],
                    config=payload.get("config"),
                    context=payload.get("context"),
                    metadata=payload.get("metadata"),
                )
                if created
                else None,
            )
            where = f"on thread {thread_id}" if thread_id is not None else "new thread per firing"
            return ScheduleActionStartWorkflow(
                CRON_THREAD_WORKFLOW,
                args=[firing],
                id=cron_id if thread_id is not None else cron_id + STATELESS_FIRING_SUFFIX,
                task_queue=self.task_queue,
                memo={CRON_MEMO: record},
                static_summary=f"cron {cron_id}: {graph}, {where}",
            )
        return ScheduleActionStartWorkflow(
            WORKFLOW_TYPE,
            args=[run],
            id=cron_id,
            task_queue=self.task_queue,
            memo={CRON_MEMO: record},
            typed_search_attributes=TypedSearchAttributes(
                [SearchAttributePair(GRAPH_ATTRIBUTE, graph)]
            ),
            static_summary=f"cron {cron_id}: {graph}",
        )

    @staticmethod
    def _spec(cron: str, timezone: str | None, end_time: datetime | None) -> ScheduleSpec:
        return ScheduleSpec(
            cron_expressions=[cron],
            time_zone_name=timezone or "",
            end_at=end_time.astimezone(UTC) if end_time is not None else None,
        )

    async def create(self, body: CronBody, thread_id: str | None = None) -> dict[str, Any]:
        unsupported_cron_fields(body)
        check_schedule(body.schedule)
        if thread_id is None:
            if body.multitask_strategy is not None:
                raise not_supported(
                    "multitask_strategy", "each firing of a stateless cron runs on a new thread"
                )
        else:
            if body.on_run_completed is not None:
                # The Agent Server's thread cron has no such field: the thread is the caller's.
                raise not_supported("on_run_completed", "a thread cron runs on its own thread")
            if body.multitask_strategy not in (None, *THREAD_STRATEGIES):
                raise HttpError(
                    422,
                    f"multitask_strategy: one of {list(THREAD_STRATEGIES)} for a cron on a "
                    f"thread, got {body.multitask_strategy!r} (rollback would delete the run it "
                    "cancels: not supported for crons)",
                )
            if body.input is None:
                raise HttpError(
                    422, "input: a cron on a thread starts a run with input at each firing"
                )
            if self.threads is not None:
                await self.threads.existing(thread_id)  # 404 for an unknown thread
        if body.end_time is not None and body.end_time.tzinfo is None:
            raise HttpError(422, "end_time: a time with its UTC offset")
        graph, assistant_id, created = await self._assistant(body)
        cron_id = str(uuid.uuid4())
        stamp = iso(now())
        payload = body.model_dump(exclude_none=True, mode="json")
        record: dict[str, Any] = {
            "cron_id": cron_id,
            "assistant_id": assistant_id,
            # A created assistant: read again at each firing (CronFiring.assistant).
            "created_assistant": created,
            "graph": graph,
            "thread_id": thread_id,
            "on_run_completed": "keep" if thread_id is None else None,
            "payload": payload,
            "metadata": body.metadata or {},
            "created_at": stamp,
            "updated_at": stamp,
        }
        check_cron_size(record)
        note = f"Tempograph cron of graph {graph!r}" + (
            f" on thread {thread_id!r}" if thread_id is not None else ""
        )
        schedule = Schedule(
            action=self._action(cron_id, graph, record),
            spec=self._spec(body.schedule, body.timezone, body.end_time),
            # Stateless: each firing has its own thread, a run paused at an interrupt blocks no
            # other. On a thread: each firing applies the cron's multitask strategy itself.
            policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.ALLOW_ALL),
            state=ScheduleState(paused=body.enabled is False, note=note),
        )
        try:
            await self.client.create_schedule(
                schedule_id(cron_id),
                schedule,
                memo={OWNER_MEMO: OWNER_VALUE},
                search_attributes=TypedSearchAttributes(
                    [SearchAttributePair(GRAPH_ATTRIBUTE, graph)]
                ),
            )
        except RPCError as exc:
            if exc.status == RPCStatusCode.INVALID_ARGUMENT:
                raise HttpError(422, f"schedule: {exc.message}") from None
            raise
        self.created.add(cron_id)
        return (await self.get(cron_id)).to_json()

    async def update(self, cron_id: str, body: CronPatchBody) -> dict[str, Any]:
        unsupported_cron_fields(body)
        # Only the fields a patch takes (an empty value of another was let through by
        # unsupported_cron_fields: dropping it from the stored request lost its assistant).
        sent = body.model_fields_set & set(CronPatchBody.model_fields)
        if "schedule" in sent:
            if body.schedule is None:
                raise HttpError(422, "schedule: a cron cannot lose its schedule (omit it)")
            check_schedule(body.schedule)
        if "end_time" in sent and body.end_time is not None and body.end_time.tzinfo is None:
            raise HttpError(422, "end_time: a time with its UTC offset")
        cron = await self.get(cron_id)
        record = dict(cron.record)
        if record.get("thread_id") is not None:
            if body.on_run_completed is not None:
                raise not_supported("on_run_completed", "a thread cron runs on its own thread")
            if "input" in sent and body.input is None:
                raise HttpError(
                    422, "input: a cron on a thread starts a run with input at each firing"
                )
        # The request as stored: updated field by field, as sent (null removes a field).
        payload = dict(record["payload"])
        for key, value in body.model_dump(include=sent, mode="json").items():
            if value is None:
                payload.pop(key, None)
            else:
                payload[key] = value
        if "metadata" in sent:
            record["metadata"] = body.metadata or {}
        record["payload"] = payload
        record["updated_at"] = iso(now())
        check_cron_size(record)
        graph = record["graph"]
        action = self._action(cron_id, graph, record)

        def change(input: ScheduleUpdateInput) -> ScheduleUpdate:
            schedule = input.description.schedule
            spec = schedule.spec
            schedule.spec = self._spec(
                payload["schedule"],
                body.timezone if "timezone" in sent else (spec.time_zone_name or None),
                body.end_time if "end_time" in sent else spec.end_at,
            )
            schedule.action = action
            if body.enabled is not None:
                schedule.state.paused = not body.enabled
            return ScheduleUpdate(schedule=schedule)

        try:
            await self.client.get_schedule_handle(schedule_id(cron_id)).update(change)
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                raise HttpError(404, CRON_NOT_FOUND.format(cron_id)) from None
            if exc.status == RPCStatusCode.INVALID_ARGUMENT:
                raise HttpError(422, f"schedule: {exc.message}") from None
            raise
        return (await self.get(cron_id)).to_json()

    async def delete(self, cron_id: str) -> None:
        await self.get(cron_id)  # ours, or 404
        with contextlib.suppress(RPCError):
            await self.client.get_schedule_handle(schedule_id(cron_id)).delete()
        self.deleted.add(cron_id)

    # -- reading ----------------------------------------------------------------------------

    async def get(self, cron_id: str) -> Cron:
        """The cron `cron_id`, or 404 (also for a schedule that is not Tempograph's)."""
        cron = await self._read(cron_id)
        if cron is None:
            raise HttpError(404, CRON_NOT_FOUND.format(cron_id))
        return cron

    async def _read(self, cron_id: str) -> Cron | None:
        if _cron_id_of(schedule_id(cron_id)) != cron_id or cron_id in self.deleted:
            return None
        try:
            desc = await self.client.get_schedule_handle(schedule_id(cron_id)).describe()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return None
            raise
        action = desc.schedule.action
        try:
            owner = await desc.memo_value(OWNER_MEMO, None)
        except Exception:  # another team's memo, in an encoding this client cannot read
            return None
        if (
            owner != OWNER_VALUE
            or not isinstance(action, ScheduleActionStartWorkflow)
            or action.workflow not in ACTION_WORKFLOWS
            or action.task_queue != self.task_queue
            or not action.memo
            or CRON_MEMO not in action.memo
        ):
            return None
        raw = action.memo[CRON_MEMO]
        try:
            record = raw if isinstance(raw, dict) else await self._decode(raw)
        except Exception:
            return None
        if not isinstance(record, dict) or record.get("cron_id") != cron_id:
            return None
        thread_id = record.get("thread_id")
        if thread_id is not None and self.threads is not None and await self._gone(thread_id):
            # As the Agent Server, a thread's crons go with it.
            with contextlib.suppress(RPCError):
                await self.client.get_schedule_handle(schedule_id(cron_id)).delete()
            self.deleted.add(cron_id)
            return None
        return Cron(cron_id, record, desc)

    async def _gone(self, thread_id: str) -> bool:
        assert self.threads is not None
        try:
            await self.threads.existing(thread_id)
        except HttpError as exc:
            if exc.status == 404:
                return True
            raise
        return False

    async def _decode(self, payload: Any) -> Any:
        [value] = await self.client.data_converter.decode([payload], [dict])
        return value

    async def _all(self) -> list[Cron]:
        """Every cron of this task queue: those visibility lists, and those created here."""
        ids: dict[str, None] = {}
        try:
            async for listed in await self.client.list_schedules():
                cron_id = _cron_id_of(listed.id)
                if cron_id is not None:
                    ids[cron_id] = None
                if len(ids) >= MAX_LISTED:
                    break
        except RPCError:
            pass  # visibility unavailable: the crons known here still answer
        for cron_id in self.created:
            ids[cron_id] = None
        semaphore = asyncio.Semaphore(16)

        async def read(cron_id: str) -> Cron | None:
            async with semaphore:
                return await self._read(cron_id)

        found = await asyncio.gather(*(read(c) for c in ids))
        return [c for c in found if c is not None]

    def _matches(
        self,
        cron: Cron,
        assistant_id: str | None,
        thread_id: str | None,
        enabled: bool | None,
        metadata: dict[str, Any] | None,
    ) -> bool:
        # The assistant it runs: a graph name stands for the graph's system assistant.
        if (
            assistant_id is not None
            and self.catalog.assistant_id(assistant_id) != cron.record["assistant_id"]
        ):
            return False
        if thread_id is not None and cron.record.get("thread_id") != thread_id:
            return False
        if enabled is not None and cron.description.schedule.state.paused == enabled:
            return False
        return subset(metadata, cron.record.get("metadata"))

    async def search(self, body: CronSearchBody) -> list[dict[str, Any]]:
        unknown = sorted(set(body.select or ()) - set(CRON_FIELDS))
        if unknown:
            raise HttpError(
                422, f"select: unknown cron fields {unknown}; choose from {list(CRON_FIELDS)}"
            )
        found = [
            c.to_json()
            for c in await self._all()
            if self._matches(c, body.assistant_id, body.thread_id, body.enabled, body.metadata)
        ]
        key = body.sort_by or "created_at"
        found.sort(key=lambda c: str(c.get(key) or ""), reverse=body.sort_order != "asc")
        found = found[body.offset : body.offset + body.limit]
        if body.select:
            found = [{k: c[k] for k in body.select} for c in found]
        return found

    async def count(self, body: CronCountBody) -> int:
        crons = await self._all()
        return sum(
            self._matches(c, body.assistant_id, body.thread_id, None, body.metadata) for c in crons
        )
