"""Assistants: one system assistant per served graph, computed (a deterministic UUID, as the
real server's system assistants); nothing is stored."""

from __future__ import annotations

from typing import Any

from tempograph.http.rendering import assistant_id_of, assistant_json, now


def subset(wanted: dict[str, Any] | None, actual: dict[str, Any] | None) -> bool:
    """Whether every key of `wanted` is in `actual` with the same value (metadata filters)."""
    if not wanted:
        return True
    actual = actual or {}
    return all(k in actual and actual[k] == v for k, v in wanted.items())


class AssistantCatalog:
    def __init__(self, graph_names: list[str]) -> None:
        self.graphs = list(dict.fromkeys(graph_names))
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
