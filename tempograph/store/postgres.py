"""PostgresStore: the production backend, one PostgreSQL database that the HTTP servers and
workers on any machine share (psycopg 3: `pip install 'tempograph-hitl[postgres]'`).

Connections come from a small pool (`max_connections` per store object, opened on demand);
one that broke (a server restart, a dropped connection) is replaced, with every idle one, and
the batch tried once more; a connection waits at most `connect_timeout` seconds (10 unless the
URI says). The table is created on first use, under an advisory lock so that several
processes starting together do not race. Search filters pre-select rows with JSONB containment
(`value @> ...`, GIN-indexed) before the exact match in Python."""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Generator, Iterable, Iterator
from typing import Any

from tempograph.store._sql import FETCH, TABLE, SqlStore, containment_json
from tempograph.store.base import Op, Result, StoreUnavailableError, TTLConfig

__all__ = ["PostgresStore"]

# pg_advisory_xact_lock key for creating the table ("tgstore" in hex-ish digits).
_SETUP_LOCK = 0x7467_7374_6F72_65
# Seconds to wait for a connection (the URI's connect_timeout wins).
DEFAULT_CONNECT_TIMEOUT = 10.0


def _psycopg() -> Any:
    try:
        import psycopg
        import psycopg.conninfo
    except ImportError:
        raise ImportError(
            "PostgresStore needs psycopg 3: pip install 'tempograph-hitl[postgres]'"
        ) from None
    return psycopg


def _redacted(message: str) -> str:
    """libpq's message with the parts it quotes hidden (the whole URI, its password...), but
    for connection parameter names and punctuation."""
    psycopg = _psycopg()
    names = {o.keyword.decode() for o in psycopg.pq.Conninfo.get_defaults()}

    def hide(match: re.Match[str]) -> str:
        text = match.group(1)
        return match.group(0) if text in names or len(text) <= 1 else '"..."'

    return re.sub(r'"([^"]*)"', hide, message)


class PostgresStore(SqlStore):
    """A store in the PostgreSQL database at `conninfo` (a postgresql:// URI or a libpq
    "key=value" string)."""

    placeholder = "%s"
    value_param = "%s::jsonb"
    # As text: its size is known before it is parsed (search's MAX_SEARCH_BYTES).
    value_column = "value::text"

    def __init__(
        self,
        conninfo: str,
        *,
        ttl: TTLConfig | None = None,
        max_connections: int = 8,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    ) -> None:
        super().__init__(ttl=ttl)
        self.psycopg = _psycopg()
        self.conninfo = conninfo
        # Parsed now: a malformed URI stops the process that opens the store (tempograph
        # dev/worker/serve) instead of failing every call.
        try:
            params = self.psycopg.conninfo.conninfo_to_dict(conninfo)
        except self.psycopg.Error as exc:
            why = _redacted((str(exc).strip() or type(exc).__name__).splitlines()[0])
            raise ValueError(
                f"TEMPOGRAPH_STORE_URI: this PostgreSQL URI cannot be used ({why})"
            ) from None
        # libpq waits for a server that accepts but never answers forever, psycopg 130 s; the
        # URI's own connect_timeout wins.
        self.connect_timeout = float(params.get("connect_timeout") or connect_timeout)
        self._unavailable = (self.psycopg.OperationalError, self.psycopg.InterfaceError)
        host = params.get("host") or params.get("hostaddr") or "localhost"
        port = f":{params['port']}" if params.get("port") else ""
        self._where = f"PostgreSQL {host}{port}/{params.get('dbname') or '(default database)'}"
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
        except StoreUnavailableError:
            # A broken connection was dropped from the pool. The idle ones most likely broke
            # with it (a server restart, a network cut): closed too, once more on a new one.
            self._drop_idle()
            return super().batch(ops)

    def where(self) -> str:
        return self._where

    @contextlib.contextmanager
    def _transaction(self, write: bool = True) -> Iterator[Any]:
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
        return self.psycopg.connect(
            self.conninfo, autocommit=True, connect_timeout=max(1, round(self.connect_timeout))
        )

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

    def _rows(self, cur: Any, sql: str, args: list[Any]) -> Generator[tuple[Any, ...]]:
        # A server-side cursor: the server sorts once and sends FETCH rows at a time (a client
        # cursor would receive the whole result at once).
        with cur.connection.cursor(name="tempograph_store_search") as named:
            named.execute(sql, args)
            while rows := named.fetchmany(FETCH):
                yield from rows

    def _prefilter(self, filter: dict[str, Any] | None) -> tuple[str, list[Any]]:
        doc = containment_json(filter)
        return ("", []) if doc is None else (" AND value @> %s::jsonb", [doc])

    def _drop_idle(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            with contextlib.suppress(Exception):
                conn.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._drop_idle()
