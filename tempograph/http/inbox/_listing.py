"""The inbox list: runs waiting for a human, through visibility (the search attributes
TempographStatus and TempographGraph, as GraphClient.pending), one page at a time, newest first,
each with its pending interrupts (get_state) for the preview and the deadline filter."""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.service import RPCError

from tempograph.client import GraphClient
from tempograph.errors import TempographError
from tempograph.http.inbox._payloads import preview
from tempograph.messages import (
    GRAPH_ATTRIBUTE,
    GRAPH_ATTRIBUTE_NAME,
    STATUS_ATTRIBUTE_NAME,
    PendingInterrupt,
)
from tempograph.ownership import own_runs, quote

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
_DURATION = re.compile(r"^\s*(\d{1,6})\s*([smhdw])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
DEADLINE_FILTERS = ("", "set", "none")  # or a duration: due within it


class FilterError(ValueError):
    """A filter the inbox cannot apply (shown on the page, answered 400)."""


def duration(text: str, what: str) -> timedelta | None:
    """ "15m", "2h", "3d", "1w" (or "" for none)."""
    if not text.strip():
        return None
    match = _DURATION.match(text)
    if not match:
        raise FilterError(f"{what}: a duration such as 30m, 2h, 3d or 1w (got {text!r})")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


@dataclass(frozen=True)
class Filters:
    graph: str = ""
    min_age: str = ""  # waiting (since the run started) at least this long
    max_age: str = ""  # at most this long
    deadline: str = ""  # "" any, "set" has one, "none" has none, or a duration: due within it
    page: str = ""  # an opaque visibility page token (base64url)
    size: int = PAGE_SIZE

    def check(self, graphs: list[str]) -> None:
        if self.graph and self.graph not in graphs:
            raise FilterError(f"graph: not one of this server's graphs ({', '.join(graphs)})")
        duration(self.min_age, "min_age")
        duration(self.max_age, "max_age")
        if self.deadline not in DEADLINE_FILTERS:
            duration(self.deadline, "deadline")
        if not 1 <= self.size <= MAX_PAGE_SIZE:
            raise FilterError(f"size: from 1 to {MAX_PAGE_SIZE}")
        self.token()

    def token(self) -> bytes | None:
        if not self.page:
            return None
        try:
            return base64.urlsafe_b64decode(self.page + "=" * (-len(self.page) % 4))
        except (binascii.Error, ValueError):
            raise FilterError("page: not a page token of this inbox") from None

    def query(self, graphs: list[str], task_queue: str, now: datetime) -> str:
        clause = (
            f"{STATUS_ATTRIBUTE_NAME} = 'interrupted' AND ExecutionStatus = 'Running'"
            f" AND TaskQueue = {quote(task_queue)}"
        )
        served = [self.graph] if self.graph else graphs
        clause += f" AND {GRAPH_ATTRIBUTE_NAME} IN ({', '.join(quote(g) for g in served)})"
        low, high = duration(self.min_age, "min_age"), duration(self.max_age, "max_age")
        if low is not None:
            clause += f" AND StartTime <= {quote(_iso(now - low))}"
        if high is not None:
            clause += f" AND StartTime >= {quote(_iso(now - high))}"
        return own_runs(clause)

    def params(self, **changes: Any) -> dict[str, str]:
        """The non-empty query parameters of these filters (for links), with `changes`."""
        values = {
            "graph": self.graph,
            "min_age": self.min_age,
            "max_age": self.max_age,
            "deadline": self.deadline,
            "page": self.page,
            "size": "" if self.size == PAGE_SIZE else str(self.size),
        }
        values.update({k: str(v) for k, v in changes.items()})
        return {k: v for k, v in values.items() if v}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Item:
    """One thread waiting for a human."""

    thread_id: str
    graph: str
    started: datetime
    interrupts: list[PendingInterrupt] = field(default_factory=list)
    paused_at: str | None = None
    next: list[str] = field(default_factory=list)

    @property
    def deadline(self) -> datetime | None:
        deadlines = [i.deadline for i in self.interrupts if i.deadline is not None]
        return min(deadlines) if deadlines else None

    @property
    def preview(self) -> str:
        if not self.interrupts:
            return f"Paused {self.paused_at or 'at'} {', '.join(self.next)} (a breakpoint)"
        return preview(self.interrupts[0].value)

    def fingerprint(self) -> str:
        return f"{self.thread_id}:{','.join(i.id for i in self.interrupts)}:{self.next}"


@dataclass
class Page:
    items: list[Item]
    next_page: str  # "" on the last page


async def load_item(gc: GraphClient, thread_id: str, graph: str, started: datetime) -> Item | None:
    """The thread's pending interrupts, or None when it is not waiting any more (visibility
    lags behind a run: an item answered a moment ago may still be listed there)."""
    try:
        state = await gc.get_state(thread_id)
    except TempographError:
        return None
    if state.status != "interrupted":
        return None
    return Item(thread_id, graph, started, list(state.interrupts), state.paused_at, state.next)


def _due(item: Item, deadline: str, now: datetime) -> bool:
    if deadline == "":
        return True
    if deadline == "set":
        return item.deadline is not None
    if deadline == "none":
        return item.deadline is None
    within = duration(deadline, "deadline")
    assert within is not None
    return item.deadline is not None and item.deadline <= now + within


async def list_page(
    gc: GraphClient, graphs: list[str], filters: Filters, now: datetime | None = None
) -> Page:
    """One page of waiting threads, newest first. The deadline filter applies to the page's
    runs (a deadline is not a search attribute), so a filtered page may hold fewer items."""
    now = now or datetime.now(UTC)
    if not graphs:
        return Page([], "")
    executions = gc.client.list_workflows(
        filters.query(graphs, gc.task_queue, now),
        page_size=filters.size,
        next_page_token=filters.token(),
    )
    try:
        await executions.fetch_next_page()
    except RPCError as exc:
        raise FilterError(f"The inbox could not list runs: {exc.message}") from None
    found = sorted(executions.current_page or [], key=lambda e: e.start_time, reverse=True)
    loaded = await asyncio.gather(
        *(
            load_item(gc, e.id, e.typed_search_attributes.get(GRAPH_ATTRIBUTE) or "", e.start_time)
            for e in found
        )
    )
    items = [i for i in loaded if i is not None and _due(i, filters.deadline, now)]
    token = executions.next_page_token
    next_page = base64.urlsafe_b64encode(token).decode().rstrip("=") if token else ""
    return Page(items, next_page)
