"""Assistants: one system assistant per served graph, computed (a deterministic UUID, as the
real server's system assistants), the assistants created through the API (stored in Temporal:
assistant_store.py), and the graphs themselves when the app was given them (their topology and
schemas: graph_introspection.py). A run naming a created assistant gets its config and context
under its own (`apply`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tempograph._assistants import AssistantMemo, AssistantVersion
from tempograph._run_config import merge_assistant
from tempograph.graph import CompiledGraph
from tempograph.http.assistant_store import AssistantStore, canonical_uuid
from tempograph.http.errors import HttpError
from tempograph.http.rendering import assistant_id_of, assistant_json, now
from tempograph.http.schemas import RunBody, RunConfig


def subset(wanted: dict[str, Any] | None, actual: dict[str, Any] | None) -> bool:
    """Whether every key of `wanted` is in `actual` with the same value (metadata filters)."""
    if not wanted:
        return True
    actual = actual or {}
    return all(k in actual and actual[k] == v for k, v in wanted.items())


def merged_run_body(body: RunBody, assistant: AssistantVersion) -> RunBody:
    """The run's config and context over the assistant's, as the Agent Server merges them
    (tempograph._run_config.merge_assistant)."""
    base = RunConfig.model_validate(assistant.config).model_dump(exclude_none=True)
    run = body.config.model_dump(exclude_none=True) if body.config is not None else None
    config, context = merge_assistant(run, body.context, base, assistant.context)
    return body.model_copy(update={"config": RunConfig(**config), "context": context})


class AssistantCatalog:
    """`graphs`: the served graphs' names, or {name: compiled graph} (then `compiled` answers
    their topology)."""

    def __init__(
        self, graphs: Sequence[str] | Mapping[str, Any], store: AssistantStore | None = None
    ) -> None:
        self.store = store
        self.compiled: dict[str, CompiledGraph] = (
            {k: v for k, v in graphs.items() if isinstance(v, CompiledGraph)}
            if isinstance(graphs, Mapping)
            else {}
        )
        names = sorted(graphs) if isinstance(graphs, Mapping) else list(graphs)
        self.graphs = list(dict.fromkeys(names))
        self.started_at = now()

    def assistant(self, graph: str) -> dict[str, Any]:
        return assistant_json(graph, self.started_at)

    def system_graph(self, assistant_id: str) -> str | None:
        """The graph a system assistant id names: a graph name or its assistant's UUID."""
        if assistant_id in self.graphs:
            return assistant_id
        for graph in self.graphs:
            if assistant_id_of(graph) == assistant_id:
                return graph
        return None

    def graph_of(self, assistant_id: str) -> str | None:
        """The graph an assistant id names: a system assistant's, or a created assistant's
        this process has read (a run reads it afresh first: `apply`)."""
        graph = self.system_graph(assistant_id)
        if graph is not None or self.store is None:
            return graph
        aid = canonical_uuid(assistant_id)
        stored = self.store.graphs.get(aid) if aid is not None else None
        return stored if stored in self.graphs else None

    def assistant_id(self, assistant_id: str) -> str:
        """The UUID a run reports for `assistant_id` (a graph name: its system assistant's)."""
        graph = self.system_graph(assistant_id)
        if graph is not None:
            return assistant_id_of(graph)
        return canonical_uuid(assistant_id) or assistant_id

    async def created(self, assistant_id: str) -> AssistantMemo | None:
        """The created assistant `assistant_id` names, read from Temporal (None: a system
        assistant's id, or none)."""
        if self.store is None or self.system_graph(assistant_id) is not None:
            return None
        return await self.store.get(assistant_id)

    async def apply(self, body: RunBody) -> RunBody:
        """`body` with the config and context of the created assistant it names merged under
        its own."""
        if self.system_graph(body.assistant_id) is not None:
            return body
        memo = await self.created(body.assistant_id)
        if memo is None:
            return body  # validating the run answers 404 (after its other checks)
        return merged_run_body(body, memo.current)

    def compiled_graph(self, graph: str) -> CompiledGraph:
        """The compiled graph served as `graph` (501 when the app was given names only)."""
        found = self.compiled.get(graph)
        if found is None:
            raise HttpError(
                501,
                f"The graph {graph!r} itself is not known to this server (create_app was given "
                "graph names, not {name: compiled graph}): its topology and schemas cannot be "
                "read",
            )
        return found

    def search(
        self,
        *,
        graph_id: str | None = None,
        name: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        found = [self.assistant(g) for g in self.graphs]
        return [
            a
            for a in found
            if (graph_id is None or a["graph_id"] == graph_id)
            and (name is None or name.lower() in a["name"].lower())
            and subset(metadata, a["metadata"])
        ]
