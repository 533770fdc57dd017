"""PostgresStore: the production backend, one PostgreSQL database that the HTTP servers and
workers on any machine share (psycopg 3: `pip install 'tempograph-hitl[postgres]'`).

Connections come from a small pool (`max_connections` per store object, opened on demand);
one that broke (a server restart, a dropped connection) is replaced and the batch tried once
more. The table is created on first use, under an advisory lock so that several processes
starting together do not race. Search filters pre-select rows with JSONB containment
(`value @> ...`, GIN-indexed) before the exact match in Python."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from tempograph.store._sql import TABLE, SqlStore, containment_json
from tempograph.store.base import Op, Result, TTLConfig

__all__ = ["PostgresStore"]

# pg_advisory_xact_lock key for creating the table ("tgstore" in hex-ish digits).
_SETUP_LOCK = 0x7467_7374_6F72_65


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise ImportError(
            "PostgresStore needs psycopg 3: pip install 'tempograph-hitl[postgres]'"
        ) from None
    return psycopg


class PostgresStore(SqlStore):
    """A store in the PostgreSQL database at `conninfo` (a postgresql:// URI or a libpq
    "key=value" string)."""

    placeholder = "%s"
    value_param = "%s::jsonb"

    def __init__(
        self, conninfo: str, *, ttl: TTLConfig | None = None, max_connections: int = 8
    ) -> None:
        super().__init__(ttl=ttl)
        self.psycopg = _psycopg()
        self.conninfo = conninfo
        self._idle: list[Any] = []
        self._slots = threading.BoundedSemaphore(max_connections)
        self._lock = threading.Lock()
        self._closed = False

    def __repr__(self) -> str:
        return "PostgresStore(...)"  # the conninfo may hold a password

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        ops = list(ops)
        try:
            return super().batch(ops)
        except self.psycopg.OperationalError:
            # A broken connection was dropped from the pool: once more on a fresh one.
            return super().batch(ops)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Any]:
        with self._slots:
            conn = self._take()
            broken = False
            try:
                with conn.transaction(), conn.cursor() as cur:
                    yield cur
            except self.psycopg.OperationalError:
                broken = True
                raise
            finally:
                self._give(conn, broken or conn.closed)

    def _take(self) -> Any:
        with self._lock:
            if self._closed:
                raise RuntimeError("This PostgresStore is closed")
            if self._idle:
                return self._idle.pop()
        return self.psycopg.connect(self.conninfo, autocommit=True)

    def _give(self, conn: Any, broken: bool) -> None:
        with self._lock:
            if not broken and not self._closed:
                self._idle.append(conn)
                return
        with contextlib.suppress(Exception):
            conn.close()

    def _create(self, cur: Any) -> None:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_SETUP_LOCK,))
        cur.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} ("
            'prefix TEXT COLLATE "C" NOT NULL, key TEXT NOT NULL, value JSONB NOT NULL, '
            "created_at DOUBLE PRECISION NOT NULL, updated_at DOUBLE PRECISION NOT NULL, "
            "expires_at DOUBLE PRECISION, ttl_minutes DOUBLE PRECISION, "
            "PRIMARY KEY (prefix, key))"
        )
        cur.execute(
            f"CREATE INDEX IF NOT EXISTS {TABLE}_expires ON {TABLE} (expires_at) "
            "WHERE expires_at IS NOT NULL"
        )
        cur.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_updated ON {TABLE} (updated_at)")
        cur.execute(
            f"CREATE INDEX IF NOT EXISTS {TABLE}_value ON {TABLE} USING GIN (value jsonb_path_ops)"
        )

    def _prefilter(self, filter: dict[str, Any] | None) -> tuple[str, list[Any]]:
        doc = containment_json(filter)
        return ("", []) if doc is None else (" AND value @> %s::jsonb", [doc])

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            with contextlib.suppress(Exception):
                conn.close()
