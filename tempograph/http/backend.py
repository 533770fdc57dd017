"""The parts of the HTTP API wired together once per app (`app.state.service`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tempograph.client import GraphClient
from tempograph.http.assistant_catalog import AssistantCatalog
from tempograph.http.assistant_store import AssistantStore
from tempograph.http.bounded import DEFAULT_CAP, BoundedDict, BoundedSet
from tempograph.http.executions import Executions
from tempograph.http.run_executor import RunExecutor, RunRecord
from tempograph.http.thread_store import ThreadEntry, ThreadStore
from tempograph.http.thread_views import ThreadViews


class Backend:
    """Assistants, the thread store, the thread views and the run executor, over one
    GraphClient. Its caches are bounded by `cache_size` entries each."""

    def __init__(
        self,
        graph_client: GraphClient,
        graph_names: Sequence[str] | Mapping[str, Any],
        *,
        cache_size: int = DEFAULT_CAP,
    ) -> None:
        self.gc = graph_client
        self.catalog = AssistantCatalog(
            graph_names, AssistantStore(graph_client.client, graph_client.task_queue, cache_size)
        )
        self.executions = Executions(graph_client, BoundedSet(cache_size), cache_size)
        self.store = ThreadStore(self.executions, graph_client.task_queue, cache_size)
        self.views = ThreadViews(graph_client, self.catalog, self.executions, self.store)
        self.executor = RunExecutor(
            graph_client, self.catalog, self.executions, self.store, cache_size
        )

    # The per-process caches (bounded; see tempograph/http/bounded.py).
    @property
    def threads(self) -> BoundedDict[str, ThreadEntry]:
        return self.store.threads

    @property
    def runs(self) -> BoundedDict[str, RunRecord]:
        return self.executor.runs

    @property
    def deleted(self) -> BoundedSet[str]:
        return self.store.deleted

    @property
    def tasks(self) -> set[Any]:
        return self.executor.tasks
