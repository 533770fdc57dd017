"""Long-term memory shared across threads and runs, as LangGraph's store
(`langgraph.store.base`): JSON objects under hierarchical namespaces, backed by a database.

    from tempograph.store import BaseStore

    def remember(state: State, runtime: Runtime[Ctx]) -> dict:
        runtime.store.put(("users", state["user"]), "prefs", {"theme": "dark"})
        item = runtime.store.get(("users", state["user"]), "prefs")   # an Item, or None
        hits = runtime.store.search(("users",), filter={"theme": "dark"})

A node gets the store as `runtime.store`, as a parameter named `store` (or annotated
`BaseStore`), or from `tempograph.config.get_store()`; the HTTP API serves it at /store
(the Agent Server's routes: `client.store.put_item` ... in langgraph-sdk).

Backends: `SqliteStore` (the embedded default: `.tempograph/store.sqlite` under the working
directory) and `PostgresStore` (production, any number of machines; the `postgres` extra).
Every process picks its store from TEMPOGRAPH_STORE_URI (`sqlite:///path` or
`postgresql://...`): set the same value for the HTTP server and every worker.

LangGraph graphs served unchanged: `builder.compile(store=as_langgraph_store(default_store()))`
(tempograph.store.langgraph) gives their nodes this store through LangGraph's BaseStore API.

Store calls are a node's side effects: they are not in the run's history, and a node that
Temporal retries makes them again (make them idempotent: a put of the same key is).
TTLs (minutes) are kept: expired items are never answered and are deleted by later writes.
Not supported, refused with NotSupportedError: semantic search (`query`) and vector indexes
(`index=[...]`).
"""

from tempograph.store._open import DEFAULT_STORE_URI, STORE_URI_ENV, default_store, open_store
from tempograph.store.base import (
    MAX_KEY_BYTES,
    MAX_LIMIT,
    MAX_NAMESPACE_BYTES,
    MAX_SEARCH_BYTES,
    MAX_VALUE_BYTES,
    NOT_PROVIDED,
    BaseStore,
    GetOp,
    InvalidNamespaceError,
    InvalidValueError,
    Item,
    ListNamespacesOp,
    MatchCondition,
    NotSupportedError,
    Op,
    PutOp,
    Result,
    SearchItem,
    SearchOp,
    StoreError,
    StoreUnavailableError,
    TTLConfig,
    ValueTooLargeError,
)
from tempograph.store.postgres import PostgresStore
from tempograph.store.sqlite import SqliteStore

__all__ = [
    "DEFAULT_STORE_URI",
    "MAX_KEY_BYTES",
    "MAX_LIMIT",
    "MAX_NAMESPACE_BYTES",
    "MAX_SEARCH_BYTES",
    "MAX_VALUE_BYTES",
    "NOT_PROVIDED",
    "STORE_URI_ENV",
    "BaseStore",
    "GetOp",
    "InvalidNamespaceError",
    "InvalidValueError",
    "Item",
    "ListNamespacesOp",
    "MatchCondition",
    "NotSupportedError",
    "Op",
    "PostgresStore",
    "PutOp",
    "Result",
    "SearchItem",
    "SearchOp",
    "SqliteStore",
    "StoreError",
    "StoreUnavailableError",
    "TTLConfig",
    "ValueTooLargeError",
    "default_store",
    "open_store",
]
