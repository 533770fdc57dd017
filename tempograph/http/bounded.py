"""Bounded in-process caches of the HTTP service: a long-running server keeps at most `cap`
entries of each (the least recently used go first), so memory does not grow with every thread
or run ever seen. Everything they hold is a cache of Temporal (or, for run request details, a
courtesy): an evicted entry is read again from Temporal, or shown without those details."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, MutableMapping
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

DEFAULT_CAP = 10_000


class BoundedSet(Generic[K]):
    """A set of at most `cap` items; adding past the cap forgets the oldest."""

    def __init__(self, cap: int = DEFAULT_CAP) -> None:
        if cap < 1:
            raise ValueError("cap must be at least 1")
        self.cap = cap
        self._items: OrderedDict[K, None] = OrderedDict()

    def add(self, item: K) -> None:
        self._items[item] = None
        self._items.move_to_end(item)
        while len(self._items) > self.cap:
            self._items.popitem(last=False)

    def discard(self, item: K) -> None:
        self._items.pop(item, None)

    def __contains__(self, item: object) -> bool:
        return item in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[K]:
        return iter(list(self._items))


class BoundedDict(MutableMapping[K, V]):
    """A dict of at most `cap` entries, least recently set or read first out. Entries for which
    `pinned(value)` is true (a thread whose lock is held, a run still going) are kept past
    the cap until they are released; the cap then holds again."""

    def __init__(self, cap: int = DEFAULT_CAP, pinned: Callable[[V], bool] | None = None) -> None:
        if cap < 1:
            raise ValueError("cap must be at least 1")
        self.cap = cap
        self._pinned = pinned or (lambda _: False)
        self._items: OrderedDict[K, V] = OrderedDict()

    def __getitem__(self, key: K) -> V:
        value = self._items[key]
        self._items.move_to_end(key)
        return value

    def __setitem__(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        self._trim()

    def __delitem__(self, key: K) -> None:
        del self._items[key]

    def __iter__(self) -> Iterator[K]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def values_snapshot(self) -> list[V]:
        return list(self._items.values())

    def _trim(self) -> None:
        excess = len(self._items) - self.cap
        if excess <= 0:
            return
        for key in list(self._items):
            if excess <= 0:
                break
            if not self._pinned(self._items[key]):
                del self._items[key]
                excess -= 1
