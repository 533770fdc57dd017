"""A review of tempograph.store as a hostile user would use it, on both backends (SQLite file,
PostgreSQL cluster from tests/postgres_cluster.py): filters the checks let through, URIs whose
parts were silently dropped, a database server that accepts connections but never answers,
filtered searches over many rows (one pass, not a page scan per page), and a search whose
answer would not fit in memory."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tempograph.store import (
    MAX_SEARCH_BYTES,
    MAX_VALUE_BYTES,
    PostgresStore,
    PutOp,
    StoreError,
    StoreUnavailableError,
    open_store,
)
from tempograph.store._sql import SqlStore
from tests.postgres_cluster import fresh_database


@pytest.fixture(scope="module")
def postgres_db(postgres_uri: str) -> str:
    return fresh_database(postgres_uri)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    if request.param == "sqlite":
        uri = f"sqlite:///{tmp_path}/store.sqlite"
    else:
        import psycopg

        uri = request.getfixturevalue("postgres_db")
        with psycopg.connect(uri, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS tempograph_store")
    opened = open_store(uri)
    assert isinstance(opened, SqlStore)
    yield opened
    opened.close()


# -- filters ------------------------------------------------------------------------------------


def test_a_filter_holding_a_lone_surrogate_is_a_store_error(store: SqlStore) -> None:
    """No value can hold one (put refuses it); PostgreSQL's pre-filter raised a raw
    UnicodeEncodeError from psycopg for it."""
    store.put(("a",), "k", {"x": "y"})
    for flt in ({"x": "\ud800"}, {"\udfff": 1}, {"x": {"$ne": ["\ud800"]}}):
        with pytest.raises(StoreError, match="not valid Unicode") as raised:
            store.search(("a",), filter=flt)
        assert raised.value.field == "filter"


@pytest.mark.parametrize("empty", [True, False])
def test_a_filter_mixing_operators_and_fields_is_refused_whatever_the_rows(
    store: SqlStore, empty: bool
) -> None:
    """{"x": {"$gt": 1, "b": 2}} was refused only when some row reached the matcher: an empty
    namespace answered [] and a full one raised."""
    if not empty:
        store.put(("a",), "k", {"x": 5})
    with pytest.raises(StoreError, match="mixes operators") as raised:
        store.search(("a",), filter={"x": {"$gt": 1, "b": 2}})
    assert raised.value.field == "filter"
    with pytest.raises(StoreError, match="mixes operators"):
        store.search(("a",), filter={"x": {"y": {"$eq": 1, "z": 1}}})


# -- URIs ---------------------------------------------------------------------------------------


def test_a_sqlite_uri_with_a_query_is_refused(tmp_path: Path) -> None:
    """`?mode=ro` was kept in the file name (a file called 'store.sqlite?mode=ro' made)."""
    with pytest.raises(ValueError, match=r"TEMPOGRAPH_STORE_URI.*query"):
        open_store(f"sqlite:///{tmp_path}/store.sqlite?mode=ro")
    assert list(tmp_path.iterdir()) == []


def test_a_postgres_uri_that_cannot_be_parsed_is_refused_at_open() -> None:
    """Refused when the store is made (tempograph dev/worker/serve exit at once), not at every
    node call; the password is never shown."""
    for bad in (
        "postgresql://u:secretpw@h/db?no_such_option=1",
        "postgresql://u:secret%zzpw@h/db",
        "postgresql://u:secretpw@[::1/db",
    ):
        with pytest.raises(ValueError, match="TEMPOGRAPH_STORE_URI") as raised:
            open_store(bad)
        assert "secretpw" not in str(raised.value)
    with pytest.raises(ValueError, match='missing "=" after "port"') as raised:
        PostgresStore("host=h password=secretpw port")
    assert "secretpw" not in str(raised.value)
    # A libpq "key=value" string is not a store URI: refused without showing it.
    with pytest.raises(ValueError, match="unsupported store URI") as raised:
        open_store("host=h user=u password=secretpw dbname=db")
    assert "secretpw" not in str(raised.value)
    assert isinstance(open_store("postgresql://u:pw@h:5432/db?sslmode=disable"), PostgresStore)


# -- a database server that never answers -------------------------------------------------------


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never answers (a hung or half-dead server)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


def test_postgres_connections_time_out(silent_server: int) -> None:
    """libpq waits forever by default and psycopg 130 s: a node's store call hung that long.
    PostgresStore gives up after connect_timeout (default 10 s) unless the URI sets one."""
    assert PostgresStore("postgresql://u@h/db").connect_timeout == 10.0
    import psycopg

    for store in (
        PostgresStore(
            f"postgresql://u@127.0.0.1:{silent_server}/db?sslmode=disable", connect_timeout=1
        ),
        PostgresStore(
            f"postgresql://u@127.0.0.1:{silent_server}/db?sslmode=disable&connect_timeout=2"
        ),
    ):
        started = time.monotonic()
        with pytest.raises(StoreUnavailableError, match="timeout") as raised:
            store.get(("a",), "k")
        assert isinstance(raised.value.__cause__, psycopg.OperationalError)
        # Tried twice (a broken connection is replaced once): 2 x the timeout at most.
        assert time.monotonic() - started < 7
        store.close()


# -- search cost and size -----------------------------------------------------------------------


def test_a_filtered_search_reads_the_rows_once(store: SqlStore) -> None:
    """Matching in Python paged with LIMIT/OFFSET sorted the whole range again per page: 20,000
    rows none matching took 2.5 s (quadratic; 100,000 rows ~1 min, holding SQLite's write lock
    all along). Pages now start after the last row read."""
    n = 30_000
    for start in range(0, n, 1000):
        store.batch(
            [PutOp(("big", f"u{i % 300}"), f"k{i}", {"n": i}) for i in range(start, start + 1000)]
        )
    started = time.monotonic()
    assert store.search(("big",), filter={"n": {"$lt": -1}}, limit=10) == []
    elapsed = time.monotonic() - started
    assert elapsed < 3.0, elapsed
    # Every row is still seen once, in order, across page boundaries.
    found = store.search(("big",), filter={"n": {"$gte": 0}}, limit=1000, offset=450)
    assert len(found) == 1000
    keys = [(i.updated_at, i.namespace, i.key) for i in found]
    assert len(set(keys)) == 1000


def test_pages_with_equal_update_times_keep_every_row(store: SqlStore) -> None:
    """Rows written at the same instant (one clock value) across page boundaries: the
    tie-break (namespace, key) orders them and no row is skipped or repeated."""
    store.clock = lambda: 1_800_000_000.0
    store.batch([PutOp(("t", f"n{i % 7}"), f"k{i:04d}", {"even": i % 2 == 0}) for i in range(900)])
    filtered: list[tuple[Any, ...]] = []
    plain: list[tuple[Any, ...]] = []
    for offset in range(0, 900, 250):
        filtered += [
            (i.namespace, i.key)
            for i in store.search(("t",), filter={"even": True}, limit=250, offset=offset)
        ]
        plain += [(i.namespace, i.key) for i in store.search(("t",), limit=250, offset=offset)]
    assert len(plain) == 900 and plain == sorted(plain)
    assert len(filtered) == 450 and filtered == sorted(filtered)
    assert filtered == [p for p in plain if int(p[1][1:]) % 2 == 0]


def test_a_search_answer_is_bounded_while_it_is_read(store: SqlStore) -> None:
    """limit=1000 of 1 MiB values would be 1 GB in memory (the HTTP route measured its answer
    only after reading it whole). Refused as soon as the values read pass MAX_SEARCH_BYTES."""
    big = {"x": "y" * (MAX_VALUE_BYTES - 100)}
    count = MAX_SEARCH_BYTES // MAX_VALUE_BYTES + 2
    for i in range(count):
        store.put(("huge",), f"k{i}", big)
    with pytest.raises(StoreError, match="ask for fewer") as raised:
        store.search(("huge",), limit=count)
    assert raised.value.field == "limit"
    with pytest.raises(StoreError, match="ask for fewer"):
        store.search(("huge",), filter={"x": {"$ne": 1}}, limit=count)
    assert len(store.search(("huge",), limit=count - 4)) == count - 4


def test_offsets_past_a_database_integer_are_refused(store: SqlStore) -> None:
    """offset=10**30 overflowed SQLite's integer (OverflowError) and PostgreSQL's bigint."""
    for offset in (2**63, 10**30):
        with pytest.raises(StoreError, match="offset") as raised:
            store.search(("a",), offset=offset)
        assert raised.value.field == "offset"
        with pytest.raises(StoreError, match="offset"):
            store.list_namespaces(offset=offset)
    assert store.search(("a",), offset=2**63 - 1) == []


def test_postgres_recovers_when_every_pooled_connection_died(postgres_uri: str) -> None:
    """A server restart kills every idle connection: the batch was tried again on the next
    idle one, dead too, and failed (AdminShutdown). The pool is emptied before trying again."""
    import threading

    import psycopg

    uri = fresh_database(postgres_uri)
    store = PostgresStore(uri)
    try:
        store.put(("pg",), "k", {"v": 1})
        together = threading.Barrier(4)

        def hold_a_connection() -> None:
            with store._transaction() as cur:
                together.wait(timeout=10)
                cur.execute("SELECT 1")

        threads = [threading.Thread(target=hold_a_connection) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(store._idle) == 4
        with psycopg.connect(uri, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        item = store.get(("pg",), "k")
        assert item is not None and item.value == {"v": 1}
        assert len(store._idle) == 1
    finally:
        store.close()


def test_an_unreachable_database_is_a_store_unavailable_error(
    silent_server: int, tmp_path: Path
) -> None:
    """A node saw psycopg's "connection timeout expired" or sqlite3's "unable to open database
    file", with nothing saying the store was meant. StoreUnavailableError (a ConnectionError)
    names the store's database (never its password) and keeps the cause."""
    import sqlite3

    import psycopg

    pg = PostgresStore(
        f"postgresql://u:secretpw@127.0.0.1:{silent_server}/db?sslmode=disable", connect_timeout=1
    )
    with pytest.raises(StoreUnavailableError, match="store's database") as raised:
        pg.put(("a",), "k", {})
    assert isinstance(raised.value, ConnectionError)
    assert isinstance(raised.value.__cause__, psycopg.OperationalError)
    assert f"127.0.0.1:{silent_server}" in str(raised.value)
    assert "secretpw" not in str(raised.value)
    blocker = tmp_path / "file"
    blocker.write_text("")
    lite = open_store(f"sqlite:///{blocker}/store.sqlite")  # its folder is a file
    with pytest.raises(StoreUnavailableError, match="store's database") as raised:
        lite.get(("a",), "k")
    assert str(blocker) in str(raised.value)
    assert isinstance(raised.value.__cause__, OSError | sqlite3.Error)


def test_a_filter_nested_deeper_than_values_can_be_is_refused(store: SqlStore) -> None:
    """PostgreSQL's pre-filter walked a 5,000-level filter recursively: RecursionError. No value
    is nested deeper than MAX_JSON_DEPTH, so neither is a filter."""
    from tempograph.limits import MAX_JSON_DEPTH

    deep: dict[str, Any] = {}
    inner = deep
    for _ in range(5000):
        inner["x"] = {}
        inner = inner["x"]
    with pytest.raises(StoreError, match="deeper than") as raised:
        store.search(("a",), filter=deep)
    assert raised.value.field == "filter"
    fits: dict[str, Any] = {"v": 1}
    for _ in range(MAX_JSON_DEPTH - 1):
        fits = {"x": fits}
    store.put(("a",), "k", fits)
    assert [i.key for i in store.search(("a",), filter=fits)] == ["k"]


def test_a_search_refreshes_the_ttls_of_all_it_answers(store: SqlStore) -> None:
    """Refreshed with one executemany (was an UPDATE round trip per item: 1,000 items took
    0.07-0.8 s on a local PostgreSQL socket, a round trip each over a network)."""
    now = 1_800_000_000.0
    store.clock = lambda: now
    store.batch([PutOp(("t",), f"k{i}", {"i": i}, None, 1) for i in range(1000)])
    store.put(("t",), "forever", {"i": -1})
    now += 50
    started = time.monotonic()
    assert len(store.search(("t",), limit=1000, offset=1)) == 1000
    print(f"search + refresh of 1000 items: {time.monotonic() - started:.3f} s")
    # Equal update times: "forever" sorts first, offset=1 skips it.
    now += 50  # 100 s after the put (past its 60 s), 50 after the search: all still there
    assert len(store.search(("t",), limit=1000, offset=1, refresh_ttl=False)) == 1000
    now += 15  # 65 s after the search: all expired
    assert [i.key for i in store.search(("t",), limit=1000)] == ["forever"]


def test_a_sqlite_path_that_is_not_a_database_is_unavailable_without_leaking(
    tmp_path: Path,
) -> None:
    """A store path naming some other file: sqlite3.DatabaseError ("file is not a database",
    a 500 over HTTP) and, each call, a connection left open (its PRAGMA failed after the
    connect). Now StoreUnavailableError, and the connection closed."""
    import os

    other = tmp_path / "notes.txt"
    other.write_text("not a database\n" * 100)
    store = open_store(f"sqlite:///{other}")
    fds = len(os.listdir("/proc/self/fd"))
    for _ in range(30):
        with pytest.raises(StoreUnavailableError, match="not a database"):
            store.get(("a",), "k")
    assert len(os.listdir("/proc/self/fd")) <= fds + 1
    assert other.read_text().startswith("not a database")  # left as it was


@pytest.mark.parametrize(
    "flt",
    [{"x": float("nan")}, {"x": {"$gt": float("inf")}}, {"x": object()}, {"x": [b"bytes"]}],
    ids=["nan", "inf", "object", "bytes"],
)
def test_a_filter_holding_what_json_cannot_is_refused(store: SqlStore, flt: Any) -> None:
    """SQLite matched nothing and PostgreSQL's pre-filter raised json's own ValueError or
    TypeError: a filter is JSON, like the values it matches."""
    store.put(("a",), "k", {"x": 1})
    with pytest.raises(StoreError, match="filter") as raised:
        store.search(("a",), filter=flt)
    assert raised.value.field == "filter"


def test_sqlite_reads_that_cannot_write_do_not_wait_for_writers(tmp_path: Path) -> None:
    """Every batch took SQLite's write lock (BEGIN IMMEDIATE), so list_namespaces (1.4-3.8 s
    over 200,000 namespaces) kept every node's writes waiting, and a reader waited for any
    writer. Batches that cannot write (list_namespaces; get and search without refresh_ttl)
    read a WAL snapshot instead: another connection holding the write lock does not stop
    them."""
    import sqlite3

    from tempograph.store import SqliteStore

    path = tmp_path / "store.sqlite"
    store = SqliteStore(path, timeout=0.5)
    store.put(("a", "b"), "k", {"v": 1}, ttl=5)
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE tempograph_store SET updated_at = updated_at")
    try:
        assert store.list_namespaces() == [("a", "b")]
        item = store.get(("a", "b"), "k", refresh_ttl=False)
        assert item is not None and item.value == {"v": 1}
        assert len(store.search(("a",), refresh_ttl=False)) == 1
        # A read that refreshes a TTL writes: it waits for the lock (here past its timeout).
        with pytest.raises(StoreUnavailableError, match="locked"):
            store.get(("a", "b"), "k")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        store.close()


def test_list_namespaces_pages_without_sorting_everything(store: SqlStore) -> None:
    """The page is taken with a bounded heap, in the same order as a full sort."""
    store.batch([PutOp(("n", f"u{i:05d}", "p"), "k", {}) for i in range(3000)])
    store.batch([PutOp(("n-b", f"u{i}"), "k", {}) for i in range(3)])  # "-" sorts before "."
    assert store.list_namespaces(limit=2) == [("n", "u00000", "p"), ("n", "u00001", "p")]
    assert store.list_namespaces(limit=3, offset=2999) == [
        ("n", "u02999", "p"),
        ("n-b", "u0"),
        ("n-b", "u1"),
    ]
    assert store.list_namespaces(max_depth=1) == [("n",), ("n-b",)]
    assert store.list_namespaces(offset=3003) == []


def test_sqlite_switching_a_new_file_to_wal_waits_for_a_writer(tmp_path: Path) -> None:
    """PRAGMA journal_mode=WAL does not wait for another connection's lock (SQLite returns
    "database is locked" at once): two processes opening a new store file together failed
    now and then (test_two_processes_write_at_once). It is tried again until `timeout`."""
    import sqlite3
    import threading

    from tempograph.store import SqliteStore

    path = tmp_path / "store.sqlite"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE elsewhere (a)")
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO elsewhere VALUES (1)")
    release = threading.Timer(0.5, lambda: other.execute("COMMIT"))
    release.start()
    store = SqliteStore(path, timeout=5)
    try:
        store.put(("a",), "k", {"v": 1})
        item = store.get(("a",), "k")
        assert item is not None and item.value == {"v": 1}
    finally:
        release.join()
        other.close()
        store.close()
    quick = SqliteStore(tmp_path / "other.sqlite", timeout=0.3)
    blocker = sqlite3.connect(tmp_path / "other.sqlite", isolation_level=None)
    blocker.execute("CREATE TABLE elsewhere (a)")
    blocker.execute("BEGIN IMMEDIATE")
    blocker.execute("INSERT INTO elsewhere VALUES (1)")
    try:
        started = time.monotonic()
        with pytest.raises(StoreUnavailableError, match="locked"):
            quick.put(("a",), "k", {})
        assert 0.25 < time.monotonic() - started < 3
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
