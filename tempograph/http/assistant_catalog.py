"""Assistants: one system assistant per served graph, computed (a deterministic UUID, as the
real server's system assistants), plus the graphs themselves when the app was given them
(their topology and schemas: graph_introspection.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tempograph.graph import CompiledGraph
from tempograph.http.errors import HttpError
from tempograph.http.rendering import assistant_id_of, assistant_json, now


def subset(wanted: dict[str, Any] | None, actual: dict[str, Any] | None) -> bool:
    """Whether every key of `wanted` is in `actual` with the same value (metadata filters)."""
    if not wanted:
        return True
    actual = actual or {}
    return all(k in actual and actual[k] == v for k, v in wanted.items())


class AssistantCatalog:
    """`graphs`: the served graphs' names, or {name: compiled graph} (then `compiled` answers
    their topology)."""

    def __init__(self, graphs: Sequence[str] | Mapping[str, Any]) -> None:
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

    def graph_of(self, assistant_id: str) -> str | None:
        """The graph an assistant id names: a graph name or its system assistant's UUID."""
        if assistant_id in self.graphs:
            return assistant_id
        for graph in self.graphs:
            if assistant_id_of(graph) == assistant_id:
                return graph
        return None

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
