"""What /assistants/{id}/graph, /schemas and /subgraphs answer: a compiled graph's topology
and JSON Schemas in the Agent Server's shapes, computed from the graph itself (pure functions).

Drawing (as LangGraph's `get_graph().to_json()`): `__start__` and `__end__` are "schema" nodes,
the graph's nodes "runnable" ones; a conditional edge has `"conditional": true` and, when the
router's answer is a key of its path map other than the target's name, `"data": key`. A router
without a path map may go anywhere: it is drawn to every node and `__end__`, as LangGraph does.
A node with no edge out ends the run (Tempograph's implicit end), drawn as an edge to `__end__`.
With `xray`, a subgraph node is replaced by its nodes (ids `<node>:<inner>`), `xray` levels deep.
"""

from __future__ import annotations

from typing import Any, get_type_hints

from pydantic import TypeAdapter
from typing_extensions import is_typeddict

from tempograph.graph import CompiledGraph
from tempograph.messages import END, START


def _edge(source: str, target: str, conditional: bool, data: Any = None) -> dict[str, Any]:
    edge: dict[str, Any] = {"source": source, "target": target}
    if data is not None:
        edge["data"] = data
    if conditional:
        edge["conditional"] = True
    return edge


def _raw_edges(graph: CompiledGraph) -> list[dict[str, Any]]:
    """The graph's edges between its own nodes, START and END."""
    b = graph.builder
    edges: list[dict[str, Any]] = []
    for sources, target in b.edges:
        edges.extend(_edge(s, target, False) for s in sources)
    for source, branches in b.branches.items():
        for branch in branches:
            if branch.path_map is None:
                edges.extend(_edge(source, t, True) for t in [*b.nodes, END])
                continue
            for key, target in branch.path_map.items():
                label = str(key) if str(key) != target else None
                edges.append(_edge(source, target, True, label))
    ends = {e["source"] for e in edges}
    edges.extend(_edge(n, END, False) for n in b.nodes if n not in ends)
    # One edge per (source, target, conditional): several joins may share a source.
    unique: dict[tuple[str, str, bool], dict[str, Any]] = {}
    for e in edges:
        unique.setdefault((e["source"], e["target"], bool(e.get("conditional"))), e)
    return list(unique.values())


def _node(node_id: str, name: str, fn: Any) -> dict[str, Any]:
    kind = type(fn)
    return {
        "id": node_id,
        "type": "runnable",
        "data": {"id": [*kind.__module__.split("."), kind.__qualname__], "name": name},
    }


def graph_json(graph: CompiledGraph, xray: int | bool = False) -> dict[str, list[dict[str, Any]]]:
    """`{"nodes": [...], "edges": [...]}` of `graph`; `xray` (True: every level, n: n levels)
    draws subgraph nodes' insides."""
    depth = (1 << 30 if xray else 0) if isinstance(xray, bool) else max(int(xray), 0)
    nodes, edges = _drawn(graph, "", depth)
    schema = [{"id": START, "type": "schema", "data": START}]
    return {"nodes": [*schema, *nodes, {"id": END, "type": "schema", "data": END}], "edges": edges}


def _drawn(
    graph: CompiledGraph, prefix: str, depth: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The nodes (START and END excluded) and edges of `graph`, ids prefixed by `prefix`;
    edges still name this graph's START and END as `prefix + START/END`."""
    nodes: list[dict[str, Any]] = []
    edges = _raw_edges(graph)
    # Each expanded subgraph node: its entry targets and its exit sources (prefixed ids).
    entries: dict[str, list[dict[str, Any]]] = {}
    exits: dict[str, list[dict[str, Any]]] = {}
    inner_edges: list[dict[str, Any]] = []
    for name, n in graph.builder.nodes.items():
        if isinstance(n.fn, CompiledGraph) and depth > 0:
            sub_prefix = f"{prefix}{name}:"
            sub_nodes, sub_edges = _drawn(n.fn, sub_prefix, depth - 1)
            nodes.extend(sub_nodes)
            entries[name] = [e for e in sub_edges if e["source"] == sub_prefix + START]
            exits[name] = [e for e in sub_edges if e["target"] == sub_prefix + END]
            inner_edges.extend(
                e
                for e in sub_edges
                if e["source"] != sub_prefix + START and e["target"] != sub_prefix + END
            )
        else:
            nodes.append(_node(prefix + name, name, n.fn))
    out: list[dict[str, Any]] = []

    def named(node: str) -> str:
        return prefix + node

    for e in edges:
        sources = (
            [x["source"] for x in exits[e["source"]]]
            if e["source"] in exits
            else [named(e["source"])]
        )
        targets = (
            [x["target"] for x in entries[e["target"]]]
            if e["target"] in entries
            else [named(e["target"])]
        )
        for s in sources:
            for t in targets:
                out.append({**e, "source": s, "target": t})
    return nodes, [*out, *inner_edges]


# ---------------------------------------------------------------------------------------------
# Schemas.
# ---------------------------------------------------------------------------------------------


def json_schema(schema: Any, title: str | None = None) -> dict[str, Any] | None:
    """The JSON Schema of a TypedDict, dataclass or pydantic model; None when there is no
    schema or pydantic cannot describe it (an arbitrary class). A field pydantic cannot
    describe is any value ({})."""
    if schema is None:
        return None
    if is_typeddict(schema):
        out = _typeddict_schema(schema)
    else:
        try:
            out = TypeAdapter(schema).json_schema()
        except Exception:  # noqa: BLE001 - a type pydantic cannot describe has no schema
            return None
    if title is not None:
        out["title"] = title
    return out


def _typeddict_schema(schema: Any) -> dict[str, Any]:
    """Field by field: pydantic refuses typing.TypedDict before Python 3.12 (it wants
    typing_extensions'), which is what graphs use."""
    try:
        hints = get_type_hints(schema, include_extras=True)
    except Exception:  # noqa: BLE001 - unresolvable annotations: keys of any value
        hints = dict.fromkeys(getattr(schema, "__annotations__", {}), Any)
    properties: dict[str, Any] = {}
    defs: dict[str, Any] = {}
    for key, hint in hints.items():
        field = json_schema(hint) or {}
        defs.update(field.pop("$defs", {}))
        properties[key] = {"title": key.replace("_", " ").title(), **field}
    out: dict[str, Any] = {"title": schema.__name__, "type": "object", "properties": properties}
    required = [k for k in hints if k in getattr(schema, "__required_keys__", ())]
    if required:
        out["required"] = required
    if defs:
        out["$defs"] = defs
    return out


def schemas_json(graph_id: str, graph: CompiledGraph) -> dict[str, Any]:
    """The Agent Server's GraphSchema: input, output and state from the state schema (the
    input with no required keys: a run may send part of the state), context from the
    context_schema, config as `{"configurable": <context>}` (Tempograph mirrors a run's
    `config.configurable` into its context)."""
    state = json_schema(graph.state_schema)
    name = getattr(graph.state_schema, "__name__", "State")
    input_schema = None
    if state is not None:
        input_schema = {k: v for k, v in state.items() if k != "required"}
        input_schema["title"] = f"{name}Input"
    context = json_schema(graph.context_schema)
    config = None
    if context is not None:
        defs = context.pop("$defs", None)
        config = {
            "title": "Config",
            "type": "object",
            "properties": {"configurable": context},
        }
        if defs:
            config["$defs"] = defs
        context = json_schema(graph.context_schema)
    return {
        "graph_id": graph_id,
        "input_schema": input_schema,
        "output_schema": state,
        "state_schema": state,
        "config_schema": config,
        "context_schema": context,
    }


def subgraphs_json(
    graph_id: str, graph: CompiledGraph, namespace: str | None, recurse: bool
) -> dict[str, Any]:
    """`{namespace: GraphSchema}` of the subgraph nodes (namespace: the node's name; nested
    ones `parent|child` with `recurse`), only `namespace` when given."""
    found: dict[str, Any] = {}

    def walk(g: CompiledGraph, path: str, graph_name: str) -> None:
        for node, n in g.builder.nodes.items():
            if not isinstance(n.fn, CompiledGraph):
                continue
            ns = f"{path}|{node}" if path else node
            inner_name = f"{graph_name}/{node}"
            found[ns] = schemas_json(inner_name, n.fn)
            if recurse or (namespace is not None and namespace.startswith(ns + "|")):
                walk(n.fn, ns, inner_name)

    walk(graph, "", graph_id)
    if namespace is not None:
        return {k: v for k, v in found.items() if k == namespace}
    return found
