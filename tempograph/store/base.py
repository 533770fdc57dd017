"""The store's interface, as in `langgraph.store.base`: `BaseStore` (get/put/delete/search/
list_namespaces and their async a* versions over `batch`/`abatch`), `Item`, `SearchItem`, the
operations (`GetOp`, `PutOp`, `SearchOp`, `ListNamespacesOp`, `MatchCondition`), TTLs in
minutes, and the checks every backend shares: namespace labels, keys, value sizes, filters.

What differs from LangGraph's stores, refused with a clear error rather than ignored:
- `query` (semantic search) and `index=[fields]` (a vector index): no embeddings here
  (`NotSupportedError`). `index=False` ("do not index this item") is what every item gets.
- Values must be JSON objects of at most MAX_VALUE_BYTES, nested at most
  tempograph.limits.MAX_JSON_DEPTH levels, without NUL characters (PostgreSQL's jsonb cannot
  hold them), with string keys (`ValueTooLargeError`, `InvalidValueError`).
- Keys and namespaces are bounded (MAX_KEY_BYTES, MAX_NAMESPACE_BYTES): they make the table's
  primary key, which PostgreSQL indexes up to ~2.7 kB.
"""

from __future__ import annotations

import asyncio
import json
import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple, TypedDict

from tempograph.limits import MAX_JSON_DEPTH, json_depth

__all__ = [
    "MAX_KEY_BYTES",
    "MAX_LIMIT",
    "MAX_NAMESPACE_BYTES",
    "MAX_SEARCH_BYTES",
    "MAX_VALUE_BYTES",
    "NOT_PROVIDED",
    "BaseStore",
    "GetOp",
    "InvalidNamespaceError",
    "InvalidValueError",
    "Item",
    "ListNamespacesOp",
    "MatchCondition",
    "NotProvided",
    "NotSupportedError",
    "Op",
    "PutOp",
    "Result",
    "SearchItem",
    "SearchOp",
    "StoreError",
    "StoreUnavailableError",
    "TTLConfig",
    "ValueTooLargeError",
]

# One item's value, as JSON (UTF-8). Store large data elsewhere and keep a reference.
MAX_VALUE_BYTES = 1024 * 1024
# A key, and a namespace's labels joined with ".", as UTF-8: together the primary key.
MAX_KEY_BYTES = 1024
MAX_NAMESPACE_BYTES = 1024
# Most items (search) or namespaces (list_namespaces) one call answers.
MAX_LIMIT = 1000
# The databases' largest integer (an OFFSET past it is an overflow, not an empty page).
MAX_OFFSET = 2**63 - 1
# The most one search reads into memory, as the values' JSON text: limit=1000 of 1 MiB values
# would be 1 GB; such a search is refused while it is read (ask for fewer: limit, offset).
MAX_SEARCH_BYTES = 16 * 1024 * 1024
# Filter operators, as LangGraph's stores.
OPERATORS = frozenset({"$eq", "$ne", "$gt", "$gte", "$lt", "$lte"})


class StoreError(ValueError):
    """A store call refused: `field` names what is wrong (namespace, key, value, filter...)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class InvalidNamespaceError(StoreError):
    """A namespace label is empty, not a string, or contains a period or NUL (LangGraph's)."""

    def __init__(self, message: str, field: str = "namespace") -> None:
        super().__init__(message, field)


class InvalidValueError(StoreError):
    """A value that is not a JSON object this store can keep as it was given."""

    def __init__(self, message: str, field: str = "value") -> None:
        super().__init__(message, field)


class ValueTooLargeError(StoreError):
    """A value over MAX_VALUE_BYTES as JSON."""

    def __init__(self, message: str, field: str = "value") -> None:
        super().__init__(message, field)


class StoreUnavailableError(ConnectionError):
    """The store's database cannot be reached or used now (a server down, a file that cannot be
    opened, a lock held past the timeout): try again later. The driver's error is the cause."""


class NotSupportedError(StoreError):
    """A LangGraph store feature this store does not have (semantic search, vector indexes)."""


class NotProvided:
    """Sentinel: the argument was not given (LangGraph's NOT_PROVIDED)."""

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_PROVIDED = NotProvided()


class TTLConfig(TypedDict, total=False):
    """TTL behaviour of a store, as LangGraph's (minutes)."""

    refresh_on_read: bool  # reads refresh an item's TTL unless told otherwise (default True)
    default_ttl: float | None  # TTL of items put without one (default: none, never expire)
    sweep_interval_minutes: float | None  # how often writes delete expired rows (default 1)


def _as_datetime(value: datetime | str | float) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return datetime.fromtimestamp(value, UTC)


class Item:
    """A stored value and where it is (LangGraph's Item): `namespace` (a tuple of labels),
    `key`, `value` (a dict), `created_at`, `updated_at` (aware datetimes, UTC)."""

    __slots__ = ("created_at", "key", "namespace", "updated_at", "value")

    def __init__(
        self,
        *,
        value: dict[str, Any],
        key: str,
        namespace: tuple[str, ...],
        created_at: datetime | str | float,
        updated_at: datetime | str | float,
    ) -> None:
        self.value = value
        self.key = key
        self.namespace = tuple(namespace)
        self.created_at = _as_datetime(created_at)
        self.updated_at = _as_datetime(updated_at)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Item):
            return False
        return self.dict() == other.dict()

    def __hash__(self) -> int:
        return hash((self.namespace, self.key))

    def dict(self) -> dict[str, Any]:
        """The Agent Server's JSON shape of an item."""
        return {
            "namespace": list(self.namespace),
            "key": self.key,
            "value": self.value,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.dict().items())})"


class SearchItem(Item):
    """An item found by search: `score` is the relevance of a semantic search, always None
    here (no semantic search)."""

    __slots__ = ("score",)

    def __init__(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: dict[str, Any],
        created_at: datetime | str | float,
        updated_at: datetime | str | float,
        score: float | None = None,
    ) -> None:
        super().__init__(
            value=value,
            key=key,
            namespace=namespace,
            created_at=created_at,
            updated_at=updated_at,
        )
        self.score = score

    def dict(self) -> dict[str, Any]:
        return {**super().dict(), "score": self.score}


class GetOp(NamedTuple):
    namespace: tuple[str, ...]
    key: str
    refresh_ttl: bool = True


class SearchOp(NamedTuple):
    namespace_prefix: tuple[str, ...]
    filter: dict[str, Any] | None = None
    limit: int = 10
    offset: int = 0
    query: str | None = None
    refresh_ttl: bool = True


NamespaceMatchType = Literal["prefix", "suffix"]


class MatchCondition(NamedTuple):
    """Namespaces starting ("prefix") or ending ("suffix") with `path`; "*" matches any label."""

    match_type: NamespaceMatchType
    path: tuple[str, ...]


class ListNamespacesOp(NamedTuple):
    match_conditions: tuple[MatchCondition, ...] | None = None
    max_depth: int | None = None
    limit: int = 100
    offset: int = 0


class PutOp(NamedTuple):
    """Put `value` at (namespace, key); a value of None deletes. `ttl` in minutes."""

    namespace: tuple[str, ...]
    key: str
    value: Mapping[str, Any] | None
    index: Literal[False] | list[str] | None = None  # type: ignore[assignment]
    ttl: float | None = None


Op = GetOp | SearchOp | PutOp | ListNamespacesOp
Result = Item | list[Item] | list[SearchItem] | list[tuple[str, ...]] | None


class BaseStore(ABC):
    """A key-value store of JSON objects under hierarchical namespaces, shared by every node,
    thread and worker that opens the same database (LangGraph's BaseStore API)."""

    supports_ttl: bool = True
    ttl_config: TTLConfig | None = None

    @abstractmethod
    def batch(self, ops: Iterable[Op]) -> list[Result]:
        """Run `ops` in order, in one transaction; one result per op."""

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        """`batch` off the event loop (the database drivers used here block)."""
        ops = list(ops)
        return await asyncio.to_thread(self.batch, ops)

    def close(self) -> None:  # noqa: B027 - stores without resources have nothing to close
        """Release the store's connections."""

    # -- LangGraph's methods ------------------------------------------------------------------

    def get(
        self, namespace: tuple[str, ...], key: str, *, refresh_ttl: bool | None = None
    ) -> Item | None:
        """The item at (namespace, key), or None."""
        result = self.batch([self._get_op(namespace, key, refresh_ttl)])[0]
        return result if isinstance(result, Item) else None

    def search(
        self,
        namespace_prefix: tuple[str, ...],
        /,
        *,
        query: str | None = None,
        filter: dict[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        refresh_ttl: bool | None = None,
    ) -> list[SearchItem]:
        """Items under `namespace_prefix` whose value matches `filter`, most recently updated
        first. `filter`: {field: value} (equal; a dict matches a sub-object) or {field:
        {"$eq"|"$ne"|"$gt"|"$gte"|"$lt"|"$lte": value}}. `query`: refused (NotSupportedError)."""
        op = self._search_op(namespace_prefix, query, filter, limit, offset, refresh_ttl)
        return self.batch([op])[0]  # type: ignore[return-value]

    def put(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: Mapping[str, Any],
        index: Literal[False] | list[str] | None = None,
        *,
        ttl: float | None | NotProvided = NOT_PROVIDED,
    ) -> None:
        """Store `value` (a JSON object) at (namespace, key), replacing what was there.
        `ttl`: minutes after the last write or read (refresh_ttl) before it expires."""
        self.batch([self._put_op(namespace, key, value, index, ttl)])

    def delete(self, namespace: tuple[str, ...], key: str) -> None:
        self.batch([self._delete_op(namespace, key)])

    def list_namespaces(
        self,
        *,
        prefix: tuple[str, ...] | None = None,
        suffix: tuple[str, ...] | None = None,
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[tuple[str, ...]]:
        """The namespaces holding items, sorted; "*" in prefix/suffix matches any label;
        `max_depth` cuts longer namespaces to their first labels (duplicates merged)."""
        op = self._list_op(prefix, suffix, max_depth, limit, offset)
        return self.batch([op])[0]  # type: ignore[return-value]

    async def aget(
        self, namespace: tuple[str, ...], key: str, *, refresh_ttl: bool | None = None
    ) -> Item | None:
        result = (await self.abatch([self._get_op(namespace, key, refresh_ttl)]))[0]
        return result if isinstance(result, Item) else None

    async def asearch(
        self,
        namespace_prefix: tuple[str, ...],
        /,
        *,
        query: str | None = None,
        filter: dict[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        refresh_ttl: bool | None = None,
    ) -> list[SearchItem]:
        op = self._search_op(namespace_prefix, query, filter, limit, offset, refresh_ttl)
        return (await self.abatch([op]))[0]  # type: ignore[return-value]

    async def aput(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: Mapping[str, Any],
        index: Literal[False] | list[str] | None = None,
        *,
        ttl: float | None | NotProvided = NOT_PROVIDED,
    ) -> None:
        await self.abatch([self._put_op(namespace, key, value, index, ttl)])

    async def adelete(self, namespace: tuple[str, ...], key: str) -> None:
        await self.abatch([self._delete_op(namespace, key)])

    async def alist_namespaces(
        self,
        *,
        prefix: tuple[str, ...] | None = None,
        suffix: tuple[str, ...] | None = None,
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[tuple[str, ...]]:
        op = self._list_op(prefix, suffix, max_depth, limit, offset)
        return (await self.abatch([op]))[0]  # type: ignore[return-value]

    # -- building checked ops -----------------------------------------------------------------

    def _refresh(self, refresh_ttl: bool | None) -> bool:
        if refresh_ttl is not None:
            return bool(refresh_ttl)
        return bool((self.ttl_config or {}).get("refresh_on_read", True))

    def _get_op(self, namespace: Any, key: Any, refresh_ttl: bool | None) -> GetOp:
        return GetOp(_tuple(namespace), key, self._refresh(refresh_ttl))

    def _search_op(
        self,
        prefix: Any,
        query: str | None,
        filter: dict[str, Any] | None,
        limit: int,
        offset: int,
        refresh_ttl: bool | None,
    ) -> SearchOp:
        return SearchOp(_tuple(prefix), filter, limit, offset, query, self._refresh(refresh_ttl))

    def _put_op(
        self,
        namespace: Any,
        key: Any,
        value: Mapping[str, Any],
        index: Literal[False] | list[str] | None,
        ttl: float | None | NotProvided,
    ) -> PutOp:
        if isinstance(ttl, NotProvided):
            ttl = (self.ttl_config or {}).get("default_ttl")
        return PutOp(_tuple(namespace), key, value, index, ttl)

    def _delete_op(self, namespace: Any, key: Any) -> PutOp:
        return PutOp(_tuple(namespace), key, None)

    def _list_op(
        self,
        prefix: tuple[str, ...] | None,
        suffix: tuple[str, ...] | None,
        max_depth: int | None,
        limit: int,
        offset: int,
    ) -> ListNamespacesOp:
        conditions: list[MatchCondition] = []
        if prefix:
            conditions.append(MatchCondition("prefix", _tuple(prefix)))
        if suffix:
            conditions.append(MatchCondition("suffix", _tuple(suffix)))
        return ListNamespacesOp(tuple(conditions) or None, max_depth, limit, offset)


# -- checks shared by the backends ------------------------------------------------------------


def _tuple(namespace: Any) -> tuple[str, ...]:
    """A namespace given as a tuple or list; a string is refused (it is not split)."""
    if isinstance(namespace, str) or not isinstance(namespace, tuple | list):
        raise InvalidNamespaceError(
            f"A namespace is a tuple (or list) of labels, got {type(namespace).__name__} "
            f"{namespace!r}"
        )
    return tuple(namespace)


def check_labels(namespace: Any, field: str = "namespace") -> tuple[str, ...]:
    """A namespace (or prefix) as a tuple of labels: strings, not empty, without '.' or NUL
    (LangGraph's rules: the labels are stored joined with '.'), at most MAX_NAMESPACE_BYTES."""
    if isinstance(namespace, str) or not isinstance(namespace, tuple | list):
        raise InvalidNamespaceError(
            f"{field} must be a tuple (or list) of labels, got {type(namespace).__name__}", field
        )
    for label in namespace:
        if not isinstance(label, str):
            raise InvalidNamespaceError(
                f"Invalid namespace label {label!r} in {tuple(namespace)}: labels must be "
                f"strings, got {type(label).__name__}",
                field,
            )
        if not label:
            raise InvalidNamespaceError(
                f"Namespace labels cannot be empty strings (got {tuple(namespace)})", field
            )
        if "." in label:
            raise InvalidNamespaceError(
                f"Invalid namespace label {label!r} in {tuple(namespace)}: labels cannot "
                "contain periods ('.')",
                field,
            )
        if "\x00" in label:
            raise InvalidNamespaceError(
                f"Invalid namespace label {label!r}: labels cannot contain NUL characters", field
            )
    joined = ".".join(namespace)
    if _utf8_len(joined, field) > MAX_NAMESPACE_BYTES:
        raise InvalidNamespaceError(
            f"{field} is over {MAX_NAMESPACE_BYTES} bytes (its labels joined with '.', as UTF-8)",
            field,
        )
    return tuple(namespace)


def check_namespace(namespace: Any) -> tuple[str, ...]:
    """An item's namespace: check_labels, at least one label, not under "langgraph"."""
    labels = check_labels(namespace)
    if not labels:
        raise InvalidNamespaceError("Namespace cannot be empty.")
    if labels[0] == "langgraph":
        raise InvalidNamespaceError(
            f'Root label for namespace cannot be "langgraph". Got: {labels}'
        )
    return labels


def check_key(key: Any) -> str:
    if not isinstance(key, str):
        raise StoreError(f"key must be a string, got {type(key).__name__}", "key")
    if not key:
        raise StoreError("key must not be empty", "key")
    if "\x00" in key:
        raise StoreError("key cannot contain NUL characters", "key")
    if _utf8_len(key, "key") > MAX_KEY_BYTES:
        raise StoreError(f"key is over {MAX_KEY_BYTES} bytes as UTF-8", "key")
    return key


def _utf8_len(text: str, field: str) -> int:
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise StoreError(f"{field} is not valid Unicode (a lone surrogate)", field) from None


def dump_value(value: Any) -> str:
    """An item's value as JSON text, checked: a JSON object (string keys, finite numbers,
    JSON types only) at most MAX_JSON_DEPTH levels deep and MAX_VALUE_BYTES long, no NUL."""
    if not isinstance(value, Mapping):
        raise InvalidValueError(f"value must be a JSON object (a dict), got {type(value).__name__}")
    if json_depth(value, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise InvalidValueError(
            f"value is nested deeper than {MAX_JSON_DEPTH} levels (tempograph.limits)"
        )
    _check_keys(value)
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(f"value must be JSON-serializable: {exc}") from None
    if "\\u0000" in text:
        raise InvalidValueError(
            "value contains a NUL character (\\u0000), which PostgreSQL's jsonb cannot store"
        )
    size = _utf8_len(text, "value")
    if size > MAX_VALUE_BYTES:
        raise ValueTooLargeError(
            f"value is {size} bytes as JSON; the store's limit is {MAX_VALUE_BYTES} bytes "
            "(tempograph.store.MAX_VALUE_BYTES): store large data elsewhere and keep a reference"
        )
    return text


def _check_keys(value: Any) -> None:
    """JSON object keys are strings: json.dumps would turn 1 into "1" and get() would answer
    another value than the one put."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            for k, v in item.items():
                if not isinstance(k, str):
                    raise InvalidValueError(
                        f"value has a non-string key {k!r}: JSON keys are strings"
                    )
                stack.append(v)
        elif isinstance(item, list | tuple):
            stack.extend(item)


def check_ttl(ttl: Any) -> float | None:
    if ttl is None:
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not math.isfinite(ttl):
        raise StoreError(f"ttl must be a number of minutes or None, got {ttl!r}", "ttl")
    if ttl <= 0:
        raise StoreError(f"ttl must be positive (minutes), got {ttl!r}", "ttl")
    return float(ttl)


def check_index(index: Any) -> None:
    if index is None or index is False:
        return
    raise NotSupportedError(
        "index: this store has no vector index (semantic search is not supported); "
        "put items without index, or with index=False",
        "index",
    )


def check_query(query: Any) -> None:
    if query is None:
        return
    raise NotSupportedError(
        "query: semantic search is not supported by Tempograph's store (no embeddings); "
        "search with namespace_prefix and filter instead",
        "query",
    )


def check_page(limit: Any, offset: Any, field_prefix: str = "") -> tuple[int, int]:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise StoreError(
            f"{field_prefix}limit must be an integer from 1 to {MAX_LIMIT}, got {limit!r}",
            "limit",
        )
    if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset <= MAX_OFFSET:
        raise StoreError(
            f"offset must be an integer from 0 to {MAX_OFFSET}, got {offset!r}", "offset"
        )
    return limit, offset


def check_filter(filter: Any) -> dict[str, Any] | None:
    """A search filter: {field: value | {operator: value}}; unknown operators refused, as are
    objects mixing operators with fields ({"x": {"$gt": 1, "y": 2}}: matching could not say
    which was meant) and strings no value can hold (lone surrogates), whatever the rows."""
    if filter is None:
        return None
    if not isinstance(filter, Mapping):
        raise StoreError(f"filter must be an object, got {type(filter).__name__}", "filter")
    if json_depth(filter, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise StoreError(
            f"filter is nested deeper than {MAX_JSON_DEPTH} levels, as no value can be",
            "filter",
        )
    stack: list[tuple[Any, bool]] = [(filter, True)]
    while stack:
        item, top = stack.pop()
        if isinstance(item, Mapping):
            operators = 0
            for k, v in item.items():
                if not isinstance(k, str):
                    raise StoreError(f"filter keys must be strings, got {k!r}", "filter")
                _utf8_len(k, "filter")
                if k.startswith("$"):
                    if k not in OPERATORS:
                        raise StoreError(
                            f"filter: unsupported operator {k!r} (supported: {sorted(OPERATORS)})",
                            "filter",
                        )
                    operators += 1
                stack.append((v, False))
            if operators and operators != len(item) and not top:
                raise StoreError(
                    f"filter: {dict(item)!r} mixes operators with fields: give either "
                    '{"$op": value, ...} or {field: value, ...}',
                    "filter",
                )
        elif isinstance(item, list | tuple):
            stack.extend((v, False) for v in item)
        elif isinstance(item, str):
            _utf8_len(item, "filter")
        elif isinstance(item, float) and not math.isfinite(item):
            raise StoreError(f"filter: {item!r} is not a JSON number", "filter")
        elif item is not None and not isinstance(item, bool | int | float):
            raise StoreError(
                f"filter: {type(item).__name__} {item!r} is not a JSON value (string, number, "
                "boolean, null, list or object)",
                "filter",
            )
    return dict(filter)


# -- filter matching (one implementation for every backend) -----------------------------------


def matches(value: Mapping[str, Any], filter: Mapping[str, Any]) -> bool:
    """Whether an item's value matches a search filter (LangGraph's semantics: a dict matches
    a sub-object, a list matches an equal list, operators compare; JSON types are kept apart:
    true is not 1). Comparisons ($gt...) compare numbers with numbers and strings with
    strings; anything else does not match."""
    return all(_compare(value.get(k), v) for k, v in filter.items())


def _compare(item: Any, wanted: Any) -> bool:
    if isinstance(wanted, Mapping):
        if any(k.startswith("$") for k in wanted):
            return all(_operator(item, op, arg) for op, arg in wanted.items())
        if not isinstance(item, Mapping):
            return False
        return all(_compare(item.get(k), v) for k, v in wanted.items())
    if isinstance(wanted, list | tuple):
        return (
            isinstance(item, list | tuple)
            and len(item) == len(wanted)
            and all(_compare(i, w) for i, w in zip(item, wanted, strict=True))
        )
    return json_equal(item, wanted)


def json_equal(a: Any, b: Any) -> bool:
    """Equality of JSON values: booleans are not numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _operator(item: Any, op: str, arg: Any) -> bool:
    if op == "$eq":
        return _compare(item, arg)
    if op == "$ne":
        return not _compare(item, arg)
    if _number(item) and _number(arg):
        pass
    elif not (isinstance(item, str) and isinstance(arg, str)):
        return False
    if op == "$gt":
        return bool(item > arg)
    if op == "$gte":
        return bool(item >= arg)
    if op == "$lt":
        return bool(item < arg)
    if op == "$lte":
        return bool(item <= arg)
    raise StoreError(f"filter: unsupported operator {op!r}", "filter")


def containment(filter: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a filter a JSON containment test (`value @> doc`) can pre-select on, chosen
    so that every value `matches` accepts is contained: operators, nulls (a missing field
    matches null) and lists holding objects or lists are left out. Items it selects are still
    checked with `matches`."""
    out: dict[str, Any] = {}
    for k, v in filter.items():
        if isinstance(v, Mapping):
            if any(str(op).startswith("$") for op in v):
                continue
            inner = containment(v)
            if inner or not v:
                out[k] = inner
        elif isinstance(v, list | tuple):
            if all(isinstance(x, str | int | float) for x in v):
                out[k] = list(v)
        elif v is not None:
            out[k] = v
    return out


def namespace_matches(namespace: tuple[str, ...], condition: MatchCondition) -> bool:
    path = condition.path
    if len(namespace) < len(path):
        return False
    if condition.match_type == "prefix":
        pairs = zip(namespace, path, strict=False)
    elif condition.match_type == "suffix":
        pairs = zip(reversed(namespace), reversed(path), strict=False)
    else:
        raise StoreError(f"unsupported match type {condition.match_type!r}", "match_type")
    return all(p == "*" or n == p for n, p in pairs)
