"""tempograph.store on both backends (SQLite file, PostgreSQL cluster from
tests/postgres_cluster.py), through the same tests: LangGraph's BaseStore API, namespaces,
filters, pagination, TTLs (with the store's clock moved), limits and refusals, two store
objects (and two processes) on one database."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

from tempograph.store import (
    MAX_VALUE_BYTES,
    BaseStore,
    GetOp,
    InvalidNamespaceError,
    InvalidValueError,
    Item,
    NotSupportedError,
    PostgresStore,
    PutOp,
    SearchItem,
    SearchOp,
    SqliteStore,
    StoreError,
    ValueTooLargeError,
    open_store,
)
from tempograph.store._sql import SqlStore
from tests.postgres_cluster import fresh_database


@pytest.fixture(scope="module")
def postgres_db(postgres_uri: str) -> str:
    return fresh_database(postgres_uri)


@pytest.fixture(params=["sqlite", "postgres"])
def uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store: a new SQLite file, or the module's database without the store's table
    (dropped: each test creates it again, cheaper than a database per test)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/store.sqlite"
    import psycopg

    db: str = request.getfixturevalue("postgres_db")
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS tempograph_store")
    return db


@pytest.fixture
def store(uri: str) -> Iterator[SqlStore]:
    opened = open_store(uri)
    assert isinstance(opened, SqlStore)
    yield opened
    opened.close()


class Clock:
    def __init__(self, store: SqlStore, start: float = 1_800_000_000.0) -> None:
        self.now = start
        store.clock = lambda: self.now


def test_backends(store: SqlStore, uri: str) -> None:
    assert isinstance(store, SqliteStore if uri.startswith("sqlite") else PostgresStore)
    assert isinstance(store, BaseStore)


def test_put_get_update_delete(store: SqlStore) -> None:
    clock = Clock(store)
    assert store.get(("users", "u1"), "prefs") is None
    value = {"theme": "dark", "n": 1, "f": 1.5, "ok": True, "none": None, "list": [1, "a", {}]}
    store.put(("users", "u1"), "prefs", value)
    item = store.get(("users", "u1"), "prefs")
    assert isinstance(item, Item)
    assert (item.namespace, item.key, item.value) == (("users", "u1"), "prefs", value)
    assert item.created_at == item.updated_at
    assert item.created_at.tzinfo == UTC and item.created_at.timestamp() == clock.now
    clock.now += 10
    store.put(("users", "u1"), "prefs", {"theme": "light"})
    again = store.get(("users", "u1"), "prefs")
    assert again is not None and again.value == {"theme": "light"}
    assert again.created_at == item.created_at
    assert again.updated_at.timestamp() == clock.now
    assert again.dict() == {
        "namespace": ["users", "u1"],
        "key": "prefs",
        "value": {"theme": "light"},
        "created_at": item.created_at.isoformat(),
        "updated_at": again.updated_at.isoformat(),
    }
    store.delete(("users", "u1"), "prefs")
    assert store.get(("users", "u1"), "prefs") is None
    store.delete(("users", "u1"), "prefs")  # deleting what is not there: no error


def test_unicode_and_odd_labels(store: SqlStore) -> None:
    ns = ("ünï", "名前", "a%", "_", "sp ace")
    store.put(ns, "ключ 🔑", {"テキスト": "✓", "emoji": "🙂"})
    item = store.get(ns, "ключ 🔑")
    assert item is not None and item.value == {"テキスト": "✓", "emoji": "🙂"}
    # LIKE wildcards in labels are plain characters: "a%" is not a pattern.
    store.put(("a%", "_"), "k", {"v": 1})
    store.put(("aX", "Y"), "k", {"v": 2})
    assert [i.namespace for i in store.search(("a%",))] == [("a%", "_")]
    assert store.list_namespaces(prefix=("a%",)) == [("a%", "_")]
    assert store.list_namespaces(prefix=("ünï", "名前")) == [ns]


def test_prefix_search_selects_whole_labels(store: SqlStore) -> None:
    for ns in [("a",), ("a", "b"), ("a", "b", "c"), ("ab",), ("a-",), ("b",)]:
        store.put(ns, "k", {"ns": list(ns)})
    found = {i.namespace for i in store.search(("a",), limit=100)}
    assert found == {("a",), ("a", "b"), ("a", "b", "c")}
    assert {i.namespace for i in store.search(("a", "b"))} == {("a", "b"), ("a", "b", "c")}
    assert len(store.search((), limit=100)) == 6
    assert store.search(("zzz",)) == []


def test_search_order_and_pages(store: SqlStore) -> None:
    clock = Clock(store)
    for n in range(7):
        clock.now += 1
        store.put(("docs",), f"d{n}", {"n": n})
    found = store.search(("docs",), limit=3)
    assert [i.key for i in found] == ["d6", "d5", "d4"]  # most recently updated first
    assert all(isinstance(i, SearchItem) and i.score is None for i in found)
    assert [i.key for i in store.search(("docs",), limit=3, offset=3)] == ["d3", "d2", "d1"]
    assert [i.key for i in store.search(("docs",), limit=3, offset=6)] == ["d0"]
    assert found[0].dict()["score"] is None


FILTER_ITEMS: dict[str, dict[str, Any]] = {
    "a": {"kind": "report", "score": 5, "tags": ["x", "y"], "meta": {"lang": "en", "v": 2}},
    "b": {"kind": "report", "score": 3.5, "tags": ["x"], "meta": {"lang": "fr"}, "flag": True},
    "c": {"kind": "note", "score": 10, "tags": [], "flag": 1, "name": "beta"},
    "d": {"kind": "note", "name": "alpha", "flag": None},
}


@pytest.mark.parametrize(
    ("flt", "keys"),
    [
        ({"kind": "report"}, {"a", "b"}),
        ({"kind": "report", "score": 5}, {"a"}),
        ({"score": 5.0}, {"a"}),  # 5 == 5.0, as JSON numbers
        ({"meta": {"lang": "en"}}, {"a"}),  # a dict matches a sub-object
        ({"meta": {}}, {"a", "b"}),
        ({"tags": ["x"]}, {"b"}),  # a list matches an equal list only
        ({"tags": []}, {"c"}),
        ({"flag": True}, {"b"}),  # true is not 1
        ({"flag": 1}, {"c"}),
        ({"flag": None}, {"a", "d"}),  # null matches null and missing
        ({"score": {"$gt": 4}}, {"a", "c"}),
        ({"score": {"$gte": 3.5, "$lt": 10}}, {"a", "b"}),
        ({"score": {"$lte": 3.5}}, {"b"}),
        ({"score": {"$ne": 5}}, {"b", "c", "d"}),
        ({"kind": {"$eq": "note"}}, {"c", "d"}),
        ({"name": {"$gt": "alpha"}}, {"c"}),  # strings compare with strings
        ({"name": {"$gt": 1}}, set()),  # a string is not compared with a number
        ({"meta": {"v": {"$gte": 2}}}, {"a"}),
        ({"missing": "x"}, set()),
    ],
)
def test_filters(store: SqlStore, flt: dict[str, Any], keys: set[str]) -> None:
    for key, value in FILTER_ITEMS.items():
        store.put(("f",), key, value)
    assert {i.key for i in store.search(("f",), filter=flt, limit=100)} == keys


def test_filtered_pages_span_many_rows(store: SqlStore) -> None:
    """A filter is matched on pages of rows: offset and limit count matching items only."""
    clock = Clock(store)
    ops = []
    for n in range(450):
        clock.now += 1
        ops.append(PutOp(("many",), f"k{n:03}", {"even": n % 2 == 0, "n": n}))
    store.batch(ops)  # one timestamp for the whole batch: order falls back to the key
    found = store.search(("many",), filter={"even": True}, limit=5, offset=200)
    assert [i.value["n"] for i in found] == [400, 402, 404, 406, 408]
    assert len(store.search(("many",), filter={"even": False}, limit=1000)) == 225


def test_list_namespaces(store: SqlStore) -> None:
    for ns in [("a", "b", "c"), ("a", "b", "d"), ("a", "x"), ("b", "c"), ("v1",), ("x", "v1")]:
        store.put(ns, "k", {})
    assert store.list_namespaces() == [
        ("a", "b", "c"),
        ("a", "b", "d"),
        ("a", "x"),
        ("b", "c"),
        ("v1",),
        ("x", "v1"),
    ]
    assert store.list_namespaces(prefix=("a", "b")) == [("a", "b", "c"), ("a", "b", "d")]
    assert store.list_namespaces(prefix=("a", "*", "c")) == [("a", "b", "c")]
    assert store.list_namespaces(suffix=("c",)) == [("a", "b", "c"), ("b", "c")]
    assert store.list_namespaces(suffix=("v1",)) == [("v1",), ("x", "v1")]
    assert store.list_namespaces(prefix=("*",), suffix=("*", "c")) == [("a", "b", "c"), ("b", "c")]
    assert store.list_namespaces(max_depth=1) == [("a",), ("b",), ("v1",), ("x",)]
    assert store.list_namespaces(prefix=("a",), max_depth=2) == [("a", "b"), ("a", "x")]
    assert store.list_namespaces(limit=2, offset=1) == [("a", "b", "d"), ("a", "x")]
    store.delete(("a", "x"), "k")
    assert ("a", "x") not in store.list_namespaces()


def test_ttl_expires_and_reads_refresh(store: SqlStore) -> None:
    clock = Clock(store)
    store.put(("t",), "short", {"v": 1}, ttl=1)  # minutes
    store.put(("t",), "forever", {"v": 2})
    clock.now += 50
    assert store.get(("t",), "short") is not None  # a read refreshes: expires at +50+60 s
    clock.now += 50
    assert store.get(("t",), "short", refresh_ttl=False) is not None  # 100 < 110: no refresh
    clock.now += 15  # 115 > 110
    assert store.get(("t",), "short") is None
    assert [i.key for i in store.search(("t",))] == ["forever"]
    assert store.list_namespaces() == [("t",)]
    # Search refreshes what it answers, unless told not to.
    store.put(("t",), "s2", {"v": 3}, ttl=1)
    clock.now += 50
    assert {i.key for i in store.search(("t",))} == {"forever", "s2"}
    clock.now += 50
    assert {i.key for i in store.search(("t",), refresh_ttl=False)} == {"forever", "s2"}
    clock.now += 15
    assert {i.key for i in store.search(("t",))} == {"forever"}
    # A put over an expired item makes a new one (created_at again); writes sweep expired rows.
    clock.now += 120
    store.put(("t",), "short", {"v": 4})
    item = store.get(("t",), "short")
    assert item is not None and item.created_at.timestamp() == clock.now
    assert item.value == {"v": 4}


def test_ttl_config_defaults() -> None:
    store = SqliteStore(":memory:", ttl={"default_ttl": 1, "refresh_on_read": False})
    clock = Clock(store)
    store.put(("t",), "k", {})
    clock.now += 50
    assert store.get(("t",), "k") is not None  # no refresh by default
    clock.now += 15
    assert store.get(("t",), "k") is None
    store.put(("t",), "k2", {}, ttl=None)  # None: never expires, whatever the default
    clock.now += 10_000
    assert store.get(("t",), "k2") is not None
    with pytest.raises(StoreError, match="unsupported keys"):
        SqliteStore(":memory:", ttl={"omit_expired": False})  # type: ignore[typeddict-unknown-key]


@pytest.mark.parametrize(
    ("call", "error", "text"),
    [
        (lambda s: s.put((), "k", {}), InvalidNamespaceError, "cannot be empty"),
        (lambda s: s.put(("a", ""), "k", {}), InvalidNamespaceError, "empty"),
        (lambda s: s.put(("a.b",), "k", {}), InvalidNamespaceError, "periods"),
        (lambda s: s.put(("a", 1), "k", {}), InvalidNamespaceError, "must be strings"),
        (lambda s: s.put(("a\x00",), "k", {}), InvalidNamespaceError, "NUL"),
        (lambda s: s.put(("langgraph",), "k", {}), InvalidNamespaceError, "langgraph"),
        (lambda s: s.put("abc", "k", {}), InvalidNamespaceError, "tuple"),
        (lambda s: s.put(("a" * 1100,), "k", {}), InvalidNamespaceError, "1024 bytes"),
        (lambda s: s.get(("a.b",), "k"), InvalidNamespaceError, "periods"),
        (lambda s: s.search(("a.b",)), InvalidNamespaceError, "periods"),
        (lambda s: s.list_namespaces(prefix=("a.b",)), InvalidNamespaceError, "periods"),
        (lambda s: s.put(("a",), "", {}), StoreError, "key must not be empty"),
        (lambda s: s.put(("a",), 5, {}), StoreError, "key must be a string"),
        (lambda s: s.put(("a",), "k" * 1100, {}), StoreError, "1024 bytes"),
        (lambda s: s.put(("a",), "k\x00", {}), StoreError, "NUL"),
        (lambda s: s.put(("a",), "k", [1]), InvalidValueError, "JSON object"),
        (lambda s: s.put(("a",), "k", {"x": float("nan")}), InvalidValueError, "JSON"),
        (lambda s: s.put(("a",), "k", {"x": object()}), InvalidValueError, "serializable"),
        (lambda s: s.put(("a",), "k", {1: "x"}), InvalidValueError, "non-string key"),
        (lambda s: s.put(("a",), "k", {"x": "a\x00b"}), InvalidValueError, "NUL"),
        (lambda s: s.put(("a",), "k", {"x": "\ud800"}), StoreError, "surrogate"),
        (lambda s: s.put(("a",), "k", _deep(70)), InvalidValueError, "deeper than 64"),
        (
            lambda s: s.put(("a",), "k", {"x": "y" * MAX_VALUE_BYTES}),
            ValueTooLargeError,
            "1048576 bytes",
        ),
        (lambda s: s.put(("a",), "k", {}, ttl=0), StoreError, "positive"),
        (lambda s: s.put(("a",), "k", {}, ttl="5"), StoreError, "number of minutes"),
        (lambda s: s.put(("a",), "k", {}, index=["text"]), NotSupportedError, "index"),
        (lambda s: s.search(("a",), query="hello"), NotSupportedError, "semantic search"),
        (lambda s: s.search(("a",), filter={"x": {"$in": [1]}}), StoreError, "operator"),
        (lambda s: s.search(("a",), filter=[1]), StoreError, "filter must be an object"),
        (lambda s: s.search(("a",), limit=0), StoreError, "limit"),
        (lambda s: s.search(("a",), limit=1001), StoreError, "limit"),
        (lambda s: s.search(("a",), offset=-1), StoreError, "offset"),
        (lambda s: s.list_namespaces(max_depth=0), StoreError, "max_depth"),
    ],
)
def test_refusals(store: SqlStore, call: Any, error: type[Exception], text: str) -> None:
    store.put(("a",), "k", {"kept": True})
    with pytest.raises(error, match=text):
        call(store)
    item = store.get(("a",), "k")
    assert item is not None and item.value == {"kept": True}  # nothing changed


def _deep(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(levels):
        value = {"x": value}
    return value


def test_largest_value_fits(store: SqlStore) -> None:
    big = {"x": "y" * (MAX_VALUE_BYTES - 20)}
    store.put(("a",), "big", big)
    item = store.get(("a",), "big")
    assert item is not None and item.value == big
    store.put(("a",), "k", {}, index=False)  # not indexed: what every item is


def test_a_bad_op_in_a_batch_changes_nothing(store: SqlStore) -> None:
    with pytest.raises(InvalidNamespaceError):
        store.batch([PutOp(("a",), "k1", {"v": 1}), PutOp(("a.b",), "k2", {"v": 2})])
    assert store.get(("a",), "k1") is None
    results = store.batch(
        [
            PutOp(("a",), "k1", {"v": 1}),
            GetOp(("a",), "k1"),
            SearchOp(("a",)),
            PutOp(("a",), "k1", None),
            GetOp(("a",), "k1"),
        ]
    )
    assert results[0] is None and isinstance(results[1], Item) and results[4] is None
    assert [i.key for i in results[2]] == ["k1"]  # type: ignore[union-attr]


async def test_async_methods(store: SqlStore) -> None:
    await store.aput(("as", "x"), "k", {"v": 1}, ttl=5)
    item = await store.aget(("as", "x"), "k")
    assert item is not None and item.value == {"v": 1}
    assert [i.key for i in await store.asearch(("as",), filter={"v": 1})] == ["k"]
    assert await store.alist_namespaces(prefix=("as",)) == [("as", "x")]
    await store.adelete(("as", "x"), "k")
    assert await store.aget(("as", "x"), "k") is None
    with pytest.raises(NotSupportedError):
        await store.asearch(("as",), query="q")


def test_two_store_objects_share_the_database(store: SqlStore, uri: str) -> None:
    other = open_store(uri)
    try:
        store.put(("shared",), "k", {"from": "first"})
        item = other.get(("shared",), "k")
        assert item is not None and item.value == {"from": "first"}
        other.put(("shared",), "k", {"from": "second"})
        again = store.get(("shared",), "k")
        assert again is not None and again.value == {"from": "second"}
    finally:
        other.close()


def test_another_process_sees_the_items(store: SqlStore, uri: str) -> None:
    store.put(("proc",), "k", {"n": 1})
    script = (
        "import sys, json\n"
        "from tempograph.store import open_store\n"
        "s = open_store(sys.argv[1])\n"
        "item = s.get(('proc',), 'k')\n"
        "s.put(('proc',), 'k', {'n': item.value['n'] + 1, 'pid': 'child'})\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, uri], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    item = store.get(("proc",), "k")
    assert item is not None and item.value == {"n": 2, "pid": "child"}


def test_open_store_uris(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tempograph.store import default_store

    monkeypatch.chdir(tmp_path)
    relative = open_store("sqlite:///sub/rel.sqlite")
    assert isinstance(relative, SqliteStore) and relative.path == str(tmp_path / "sub/rel.sqlite")
    absolute = open_store(f"sqlite:///{tmp_path}/abs.sqlite")
    assert isinstance(absolute, SqliteStore) and absolute.path == str(tmp_path / "abs.sqlite")
    assert not (tmp_path / "abs.sqlite").exists()  # nothing opened before the first call
    absolute.put(("a",), "k", {})
    assert (tmp_path / "abs.sqlite").exists()
    memory = open_store("sqlite://:memory:")
    memory.put(("a",), "k", {"v": 1})
    assert memory.get(("a",), "k") is not None
    assert isinstance(open_store("postgresql://u@/db?host=/tmp"), PostgresStore)
    assert isinstance(open_store("postgres://u@localhost/db"), PostgresStore)
    for bad in ("mysql://x", "sqlite://", "sqlite:///", "store.sqlite"):
        with pytest.raises(ValueError, match="TEMPOGRAPH_STORE_URI"):
            open_store(bad)
    monkeypatch.delenv("TEMPOGRAPH_STORE_URI", raising=False)
    default = default_store()
    assert isinstance(default, SqliteStore)
    assert default.path == str(tmp_path / ".tempograph/store.sqlite")
    assert default_store() is default  # one store object per URI
    monkeypatch.setenv("TEMPOGRAPH_STORE_URI", f"sqlite:///{tmp_path}/env.sqlite")
    env = default_store()
    assert isinstance(env, SqliteStore) and env.path == str(tmp_path / "env.sqlite")


def test_postgres_replaces_a_broken_connection(postgres_uri: str) -> None:
    import psycopg

    uri = fresh_database(postgres_uri)
    store = PostgresStore(uri)
    try:
        store.put(("pg",), "k", {"v": 1})
        with psycopg.connect(uri, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        item = store.get(("pg",), "k")  # the pooled connection is dead: replaced, tried again
        assert item is not None and item.value == {"v": 1}
        assert "password" not in repr(PostgresStore("postgresql://u:password@h/db"))
    finally:
        store.close()


def test_two_processes_write_at_once(store: SqlStore, uri: str) -> None:
    """Writers in two processes at the same time (SQLite: WAL, each waits for the file's write
    lock): every write lands, none fails."""
    script = (
        "import sys\n"
        "from tempograph.store import open_store\n"
        "s = open_store(sys.argv[1])\n"
        "for n in range(150):\n"
        "    s.put(('race', sys.argv[2]), f'k{n}', {'n': n})\n"
        "    s.search(('race',), limit=5)\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, uri, name], stderr=subprocess.PIPE, text=True
        )
        for name in ("p1", "p2")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert store.list_namespaces() == [("race", "p1"), ("race", "p2")]
    for name in ("p1", "p2"):
        assert len(store.search(("race", name), limit=1000)) == 150


def test_postgres_prefixes_under_a_non_c_collation(postgres_uri: str) -> None:
    """A database whose default collation is ICU's en-US (where "ab" sorts before "a.z"): the
    prefix column's own "C" collation keeps namespace prefixes whole-label."""
    import uuid

    import psycopg

    name = f"icu_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(postgres_uri, autocommit=True) as admin:
            admin.execute(
                f'CREATE DATABASE "{name}" TEMPLATE template0 LOCALE_PROVIDER icu '
                "ICU_LOCALE 'en-US' LOCALE 'C.utf8'"
            )
    except psycopg.Error as exc:
        pytest.skip(f"this PostgreSQL has no ICU collations: {exc}")
    uri = postgres_uri.replace("@/postgres?", f"@/{name}?", 1)
    with psycopg.connect(uri) as conn:
        assert conn.execute("SELECT 'ab' < 'a.z'").fetchone() == (False,)  # not byte order
    store = PostgresStore(uri)
    try:
        for ns in [("a",), ("a", "b"), ("a", "b", "c"), ("ab",), ("a-",), ("a", "z"), ("b",)]:
            store.put(ns, "k", {})
        expected = [("a",), ("a", "b"), ("a", "b", "c"), ("a", "z")]
        assert sorted(i.namespace for i in store.search(("a",), limit=100)) == expected
        assert store.list_namespaces(prefix=("a",)) == expected
    finally:
        store.close()
