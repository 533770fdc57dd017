"""The SQL behind SqliteStore and PostgresStore: one table, the same statements (the backends
differ in placeholders, the value's column type and the optional containment pre-filter).

Table `tempograph_store` (its own name: a database shared with LangGraph's PostgresStore keeps
that one's `store` table apart):
    prefix      the namespace's labels joined with "." (labels never contain ".")
    key         the item's key; (prefix, key) is the primary key
    value       the JSON object (TEXT in SQLite, JSONB in PostgreSQL)
    created_at, updated_at, expires_at   seconds since the epoch (UTC); expires_at NULL: never
    ttl_minutes the item's TTL, to refresh expires_at on reads

A namespace prefix selects `prefix = p OR p. <= prefix < p/` ("/" follows "." in byte order):
an index range, free of LIKE's wildcards in labels. Expired items are never answered; writes
delete them at most once per sweep interval. Filters are matched in Python (base.matches), the
same code for both backends, on rows streamed in the answer's order (one pass: a server-side
cursor in PostgreSQL), and a search reads at most MAX_SEARCH_BYTES of values.
"""

from __future__ import annotations

import contextlib
import heapq
import json
import threading
import time
from abc import abstractmethod
from collections.abc import Callable, Generator, Iterable
from contextlib import AbstractContextManager
from typing import Any

from tempograph.store.base import (
    MAX_SEARCH_BYTES,
    BaseStore,
    GetOp,
    Item,
    ListNamespacesOp,
    NotSupportedError,
    Op,
    PutOp,
    Result,
    SearchItem,
    SearchOp,
    StoreError,
    StoreUnavailableError,
    TTLConfig,
    check_filter,
    check_index,
    check_key,
    check_labels,
    check_namespace,
    check_page,
    check_query,
    check_ttl,
    containment,
    dump_value,
    matches,
    namespace_matches,
)

TABLE = "tempograph_store"
# Rows read per round trip while a search is matched in Python (values up to 1 MiB each).
FETCH = 100

_TTL_KEYS = frozenset({"refresh_on_read", "default_ttl", "sweep_interval_minutes"})


def check_ttl_config(ttl: TTLConfig | None) -> TTLConfig | None:
    if ttl is None:
        return None
    unknown = set(ttl) - _TTL_KEYS
    if unknown:
        raise StoreError(
            f"TTLConfig: unsupported keys {sorted(unknown)} (supported: {sorted(_TTL_KEYS)}; "
            "expired items are never answered)",
            "ttl",
        )
    check_ttl(ttl.get("default_ttl"))
    sweep = ttl.get("sweep_interval_minutes")
    if sweep is not None and (not isinstance(sweep, int | float) or sweep <= 0):
        raise StoreError(f"sweep_interval_minutes must be positive, got {sweep!r}", "ttl")
    return ttl


class SqlStore(BaseStore):
    """A store over one SQL table. Subclasses: a transaction (`_transaction`, yielding a
    cursor), the placeholders and the table's DDL."""

    placeholder = "?"
    # The driver's errors meaning "cannot reach or use the database now" (StoreUnavailableError).
    _unavailable: tuple[type[BaseException], ...] = ()
    value_param = "?"  # how a JSON text parameter becomes a value (PostgreSQL: ::jsonb)
    value_column = "value"  # the value selected as JSON text (PostgreSQL: value::text)

    def __init__(self, *, ttl: TTLConfig | None = None) -> None:
        self.ttl_config = check_ttl_config(ttl)
        self._setup_lock = threading.Lock()
        self._ready = False
        self._last_sweep = 0.0
        # Seconds since the epoch: TTLs and timestamps (tests move it).
        self.clock: Callable[[], float] = time.time

    # -- backend hooks ------------------------------------------------------------------------

    @abstractmethod
    def _transaction(self, write: bool = True) -> AbstractContextManager[Any]:
        """A cursor inside one transaction (committed on exit, rolled back on an error);
        `write=False`: the batch only reads."""

    @abstractmethod
    def _create(self, cur: Any) -> None:
        """Create the table and its indexes if missing."""

    def _load(self, value: Any) -> dict[str, Any]:
        return value if isinstance(value, dict) else json.loads(value)

    def _prefilter(self, filter: dict[str, Any] | None) -> tuple[str, list[Any]]:
        """An SQL condition pre-selecting rows a filter may match ("" for none)."""
        return "", []

    # -- the batch ----------------------------------------------------------------------------

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        checked = [self._checked(op) for op in ops]
        try:
            return self._run(checked)
        except self._unavailable as exc:
            raise StoreUnavailableError(
                f"The store's database ({self.where()}) is unavailable: "
                f"{str(exc).strip() or type(exc).__name__}"
            ) from exc

    def where(self) -> str:
        """The database, for messages (never a password)."""
        return repr(self)

    def _run(self, checked: list[Op]) -> list[Result]:
        self._setup()
        now = self.clock()
        results: list[Result] = []
        with self._transaction(any(_writes(op) for op in checked)) as cur:
            for op in checked:
                if isinstance(op, GetOp):
                    results.append(self._get(cur, op, now))
                elif isinstance(op, PutOp):
                    self._put(cur, op, now)
                    results.append(None)
                elif isinstance(op, SearchOp):
                    results.append(self._search(cur, op, now))
                else:
                    results.append(self._list(cur, op, now))
            if any(isinstance(op, PutOp) for op in checked):
                self._sweep(cur, now)
        return results

    def _checked(self, op: Op) -> Op:
        """Every op's fields checked before any SQL runs (a bad op changes nothing)."""
        if isinstance(op, GetOp):
            return GetOp(check_labels(op.namespace), check_key(op.key), bool(op.refresh_ttl))
        if isinstance(op, PutOp):
            namespace = check_namespace(op.namespace)
            key = check_key(op.key)
            if op.value is None:
                return PutOp(namespace, key, None)
            check_index(op.index)
            return PutOp(namespace, key, op.value, op.index, check_ttl(op.ttl))
        if isinstance(op, SearchOp):
            check_query(op.query)
            limit, offset = check_page(op.limit, op.offset)
            return SearchOp(
                check_labels(op.namespace_prefix, "namespace_prefix"),
                check_filter(op.filter),
                limit,
                offset,
                None,
                bool(op.refresh_ttl),
            )
        if isinstance(op, ListNamespacesOp):
            limit, offset = check_page(op.limit, op.offset)
            depth = op.max_depth
            if depth is not None and (
                isinstance(depth, bool) or not isinstance(depth, int) or depth < 1
            ):
                raise StoreError(
                    f"max_depth must be a positive integer, got {depth!r}", "max_depth"
                )
            for condition in op.match_conditions or ():
                if condition.match_type not in ("prefix", "suffix"):
                    raise StoreError(
                        f"unsupported match type {condition.match_type!r}", "match_type"
                    )
                check_labels(condition.path, condition.match_type)
            return ListNamespacesOp(op.match_conditions, depth, limit, offset)
        raise NotSupportedError(f"unknown store operation {type(op).__name__}", "op")

    def _setup(self) -> None:
        if self._ready:
            return
        with self._setup_lock:
            if self._ready:
                return
            with self._transaction() as cur:
                self._create(cur)
            self._ready = True

    def _sql(self, text: str) -> str:
        return text if self.placeholder == "?" else text.replace("?", self.placeholder)

    # -- operations ---------------------------------------------------------------------------

    def _get(self, cur: Any, op: GetOp, now: float) -> Item | None:
        cur.execute(
            self._sql(
                f"SELECT value, created_at, updated_at, ttl_minutes FROM {TABLE} "
                "WHERE prefix = ? AND key = ? AND (expires_at IS NULL OR expires_at > ?)"
            ),
            (".".join(op.namespace), op.key, now),
        )
        row = cur.fetchone()
        if row is None:
            return None
        value, created, updated, ttl = row
        if op.refresh_ttl and ttl is not None:
            self._refresh_ttl(cur, ".".join(op.namespace), op.key, now + ttl * 60)
        return Item(
            namespace=op.namespace,
            key=op.key,
            value=self._load(value),
            created_at=created,
            updated_at=updated,
        )

    def _refresh_ttl(self, cur: Any, prefix: str, key: str, expires: float) -> None:
        cur.execute(
            self._sql(f"UPDATE {TABLE} SET expires_at = ? WHERE prefix = ? AND key = ?"),
            (expires, prefix, key),
        )

    def _put(self, cur: Any, op: PutOp, now: float) -> None:
        prefix = ".".join(op.namespace)
        if op.value is None:
            cur.execute(
                self._sql(f"DELETE FROM {TABLE} WHERE prefix = ? AND key = ?"), (prefix, op.key)
            )
            return
        text = dump_value(op.value)
        expires = None if op.ttl is None else now + op.ttl * 60
        # An expired row being replaced is a new item: its created_at starts again.
        cur.execute(
            self._sql(
                f"INSERT INTO {TABLE} "
                "(prefix, key, value, created_at, updated_at, expires_at, ttl_minutes) "
                f"VALUES (?, ?, {self.value_param}, ?, ?, ?, ?) "
                "ON CONFLICT (prefix, key) DO UPDATE SET value = excluded.value, "
                "updated_at = excluded.updated_at, expires_at = excluded.expires_at, "
                "ttl_minutes = excluded.ttl_minutes, created_at = CASE WHEN "
                f"{TABLE}.expires_at IS NOT NULL AND {TABLE}.expires_at <= ? "
                f"THEN excluded.created_at ELSE {TABLE}.created_at END"
            ),
            (prefix, op.key, text, now, now, expires, op.ttl, now),
        )

    def _prefix_condition(self, prefix: tuple[str, ...]) -> tuple[str, list[Any]]:
        if not prefix:
            return "", []
        joined = ".".join(prefix)
        return (
            " AND (prefix = ? OR (prefix >= ? AND prefix < ?))",
            [joined, joined + ".", joined + "/"],
        )

    def _rows(self, cur: Any, sql: str, args: list[Any]) -> Generator[tuple[Any, ...]]:
        """The rows of one query, read FETCH at a time from one pass over the result (SQLite
        steps its statement; PostgresStore reads a server-side cursor)."""
        cur.execute(sql, args)
        while rows := cur.fetchmany(FETCH):
            yield from rows

    def _search(self, cur: Any, op: SearchOp, now: float) -> list[SearchItem]:
        where, params = self._prefix_condition(op.namespace_prefix)
        pre, pre_params = self._prefilter(op.filter)
        sql = (
            f"SELECT prefix, key, {self.value_column}, created_at, updated_at, ttl_minutes "
            f"FROM {TABLE} WHERE (expires_at IS NULL OR expires_at > ?){where}{pre} "
            "ORDER BY updated_at DESC, prefix, key"
        )
        args: list[Any] = [now, *params, *pre_params]
        if not op.filter:
            sql += " LIMIT ? OFFSET ?"
            args += [op.limit, op.offset]
        # One pass over the rows, in the answer's order, matched here (the same code for both
        # backends): a filter that matches little reads the range once, not once per page.
        found: list[tuple[Any, ...]] = []
        skipped = 0 if op.filter else op.offset
        size = 0
        with contextlib.closing(self._rows(cur, self._sql(sql), args)) as rows:
            for row in rows:
                text = row[2]
                value = self._load(text)
                if op.filter and not matches(value, op.filter):
                    continue
                if skipped < op.offset:
                    skipped += 1
                    continue
                size += len(text) if isinstance(text, str) else 0
                if size > MAX_SEARCH_BYTES:
                    raise StoreError(
                        f"limit: the first {len(found) + 1} items found are over "
                        f"{MAX_SEARCH_BYTES} characters of JSON values, the most one search "
                        "answers (tempograph.store.MAX_SEARCH_BYTES): ask for fewer "
                        "(limit, offset)",
                        "limit",
                    )
                found.append((row[0], row[1], value, *row[3:]))
                if len(found) >= op.limit:
                    break
        if op.refresh_ttl:
            # One statement for all (psycopg pipelines executemany): not a round trip per item.
            refreshed = [
                (now + ttl * 60, prefix, key) for prefix, key, _, _, _, ttl in found if ttl
            ]
            if refreshed:
                cur.executemany(
                    self._sql(f"UPDATE {TABLE} SET expires_at = ? WHERE prefix = ? AND key = ?"),
                    refreshed,
                )
        return [
            SearchItem(
                namespace=tuple(prefix.split(".")),
                key=key,
                value=value,
                created_at=created,
                updated_at=updated,
            )
            for prefix, key, value, created, updated, _ in found
        ]

    def _list(self, cur: Any, op: ListNamespacesOp, now: float) -> list[tuple[str, ...]]:
        conditions = op.match_conditions or ()
        # The labels every match must start with (a prefix condition up to its first "*").
        leading: tuple[str, ...] = ()
        for condition in conditions:
            if condition.match_type == "prefix":
                for label in condition.path:
                    if label == "*":
                        break
                    leading += (label,)
                break
        where, params = self._prefix_condition(leading)
        cur.execute(
            self._sql(
                f"SELECT DISTINCT prefix FROM {TABLE} "
                f"WHERE (expires_at IS NULL OR expires_at > ?){where}"
            ),
            [now, *params],
        )
        found: set[tuple[str, ...]] = set()
        for (prefix,) in cur.fetchall():
            namespace = tuple(prefix.split("."))
            if all(namespace_matches(namespace, c) for c in conditions):
                found.add(namespace if op.max_depth is None else namespace[: op.max_depth])
        # The page without sorting every namespace (0.6 s for 200,000): a bounded heap.
        return heapq.nsmallest(op.offset + op.limit, found)[op.offset :]

    def _sweep(self, cur: Any, now: float) -> None:
        """Delete expired rows, at most once per sweep interval (reads skip them anyway)."""
        minutes = (self.ttl_config or {}).get("sweep_interval_minutes") or 1.0
        if now - self._last_sweep < minutes * 60:
            return
        self._last_sweep = now
        cur.execute(
            self._sql(f"DELETE FROM {TABLE} WHERE expires_at IS NOT NULL AND expires_at <= ?"),
            (now,),
        )


def _writes(op: Op) -> bool:
    """Whether an op may write: a put or delete, or a read that refreshes TTLs."""
    if isinstance(op, PutOp):
        return True
    if isinstance(op, GetOp | SearchOp):
        return op.refresh_ttl
    return False


def containment_json(filter: dict[str, Any] | None) -> str | None:
    """The JSON of base.containment(filter), or None when it selects nothing."""
    if not filter:
        return None
    doc = containment(filter)
    return json.dumps(doc, ensure_ascii=False, allow_nan=False) if doc else None
