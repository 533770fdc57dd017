"""Which (client, task queue) pairs have a worker in this process: eager start needs one."""

from __future__ import annotations

import weakref

from temporalio.client import Client

_LOCAL: weakref.WeakKeyDictionary[Client, set[str]] = weakref.WeakKeyDictionary()


def register_local_worker(client: Client, task_queue: str) -> None:
    _LOCAL.setdefault(client, set()).add(task_queue)


def unregister_local_worker(client: Client, task_queue: str) -> None:
    _LOCAL.get(client, set()).discard(task_queue)


def has_local_worker(client: Client, task_queue: str) -> bool:
    return task_queue in _LOCAL.get(client, set())
