"""SqliteStore: the embedded default, one SQLite file (WAL mode) that the HTTP server and the
workers on the same machine share (each process opens it; SQLite locks the file for writes,
waiting up to `timeout` seconds for another writer)."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tempograph.store._sql import TABLE, SqlStore
from tempograph.store.base import TTLConfig

__all__ = ["SqliteStore"]


class SqliteStore(SqlStore):
    """A store in the SQLite file `path` (created with its folder on first use; ":memory:"
    for a store private to this object). One connection per store object, used by one thread
    at a time."""

    def __init__(
        self, path: str | Path, *, ttl: TTLConfig | None = None, timeout: float = 30.0
    ) -> None:
        super().__init__(ttl=ttl)
        self.path = str(path) if str(path) == ":memory:" else str(Path(path).resolve())
        self.timeout = timeout
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    # OSError: a folder that cannot be made; OperationalError: a file that cannot be opened, or
    # locked by another writer past `timeout`; DatabaseError: a file that is not a database.
    _unavailable = (sqlite3.DatabaseError, OSError)

    def __repr__(self) -> str:
        return f"SqliteStore({self.path!r})"

    def where(self) -> str:
        return f"SQLite file {self.path}"

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            # Autocommit mode: transactions are opened explicitly (BEGIN IMMEDIATE).
            conn = sqlite3.connect(
                self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False
            )
            try:
                self._wal(conn)
                conn.execute("PRAGMA synchronous=NORMAL")
            except BaseException:
                conn.close()  # not kept: closed, or each call would leave one open
                raise
            self._conn = conn
        return self._conn

    def _wal(self, conn: sqlite3.Connection) -> None:
        """Switch the file to WAL (kept in the file: once per database). Switching waits for
        no lock (SQLite answers "database is locked" at once while another connection
        writes): tried again until `timeout`."""
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.02)

    @contextlib.contextmanager
    def _transaction(self, write: bool = True) -> Iterator[Any]:
        with self._lock:
            conn = self._connection()
            cur = conn.cursor()
            # IMMEDIATE: take the write lock up front, so a read-then-write batch never fails
            # half-way on another process's write (it waits up to `timeout` instead). A batch
            # that only reads takes no lock: it reads a WAL snapshot, never waiting for writers
            # nor making them wait.
            cur.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield cur
            except BaseException:
                conn.rollback()
                raise
            else:
                conn.commit()
            finally:
                cur.close()

    def _create(self, cur: Any) -> None:
        cur.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} ("
            "prefix TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, "
            "created_at REAL NOT NULL, updated_at REAL NOT NULL, "
            "expires_at REAL, ttl_minutes REAL, PRIMARY KEY (prefix, key)) WITHOUT ROWID"
        )
        cur.execute(
            f"CREATE INDEX IF NOT EXISTS {TABLE}_expires ON {TABLE} (expires_at) "
            "WHERE expires_at IS NOT NULL"
        )
        cur.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_updated ON {TABLE} (updated_at)")

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
