"""Which store a process uses: `open_store(uri)` and `default_store()` (TEMPOGRAPH_STORE_URI,
else DEFAULT_STORE_URI), one store object per URI and process. The HTTP server and the workers
read the same variable, so they see the same items: a SQLite file on one machine, PostgreSQL
across machines."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from tempograph.store.base import BaseStore, TTLConfig

__all__ = ["DEFAULT_STORE_URI", "STORE_URI_ENV", "default_store", "open_store"]

STORE_URI_ENV = "TEMPOGRAPH_STORE_URI"
# Relative to the working directory of the process (`tempograph dev` runs the server and the
# worker in one process, so both use the same file).
DEFAULT_STORE_URI = "sqlite:///.tempograph/store.sqlite"

_opened: dict[str, BaseStore] = {}
_lock = threading.Lock()


def open_store(uri: str, *, ttl: TTLConfig | None = None) -> BaseStore:
    """A store for `uri`: `sqlite:///relative/path`, `sqlite:////absolute/path`,
    `sqlite://:memory:`, or `postgresql://user:password@host:port/dbname?...` (also
    `postgres://`). Nothing is opened until the first call."""
    uri = uri.strip()
    if uri.startswith("sqlite://"):
        from tempograph.store.sqlite import SqliteStore

        path = uri.removeprefix("sqlite://")
        if "?" in path or "#" in path:
            raise ValueError(
                f"{STORE_URI_ENV}: {uri!r}: a SQLite store URI takes no query or fragment "
                "(they would become part of the file name): use sqlite:///path/to/file.sqlite"
            )
        if path == ":memory:":
            return SqliteStore(":memory:", ttl=ttl)
        if not path.startswith("/") or path == "/":
            raise ValueError(
                f"{STORE_URI_ENV}: {uri!r} names no file: use sqlite:///relative/path or "
                "sqlite:////absolute/path"
            )
        return SqliteStore(path[1:], ttl=ttl)
    if uri.startswith(("postgresql://", "postgres://")):
        from tempograph.store.postgres import PostgresStore

        return PostgresStore(uri, ttl=ttl)
    # Never the whole text: it may be a libpq "key=value" string holding a password.
    shown = uri.split("://", 1)[0] + "://..." if "://" in uri else uri[:40]
    if "=" in shown or "@" in shown:
        shown = "..."
    raise ValueError(
        f"{STORE_URI_ENV}: unsupported store URI {shown!r}: use sqlite:///path/to/file.sqlite "
        "(the default is sqlite:///.tempograph/store.sqlite) or postgresql://..."
    )


def default_store() -> BaseStore:
    """The store named by TEMPOGRAPH_STORE_URI (else DEFAULT_STORE_URI), opened once per URI
    (a relative SQLite path is resolved against the working directory at that time)."""
    uri = os.environ.get(STORE_URI_ENV, "").strip() or DEFAULT_STORE_URI
    key = uri
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
        key = f"sqlite:///{Path.cwd() / uri.removeprefix('sqlite:///')}"
    with _lock:
        store = _opened.get(key)
        if store is None:
            store = _opened[key] = open_store(key)
        return store
