"""What the thread views and the run executor both work with, wired once by the Backend."""

from __future__ import annotations

from dataclasses import dataclass

from tempograph.client import GraphClient
from tempograph.http.assistant_catalog import AssistantCatalog
from tempograph.http.executions import Executions
from tempograph.http.thread_store import ThreadStore


@dataclass(eq=False)
class ThreadParts:
    """One GraphClient, the assistants, the threads' executions in Temporal and the thread
    records."""

    gc: GraphClient
    catalog: AssistantCatalog
    executions: Executions
    store: ThreadStore
