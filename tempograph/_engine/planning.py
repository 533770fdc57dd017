"""Planning the next superstep (LangGraph's Pregel model, as pure functions).

After a step, the next step's tasks come from: each finished task's static edges, its router's
answer or Command.goto (node names), its Sends (a task per Send, with its argument), and joins
(an edge from several sources fires once all of them have finished, over any number of steps).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tempograph._engine.errors import RunFailedError
from tempograph._engine.tasks import Task
from tempograph.messages import END, START, ErrorKind, GotoSend, GraphSpec, NodeResult, SendSpec

# Join progress: for each join (by its index in Topology.joins), the sources seen so far.
JoinSeen = dict[int, set[str]]


@dataclass(frozen=True)
class Topology:
    """A graph's edges, indexed once: single-source edges by source, and joins."""

    nodes: frozenset[str]
    successors: dict[str, list[str]] = field(default_factory=dict)
    joins: list[tuple[set[str], str]] = field(default_factory=list)

    @classmethod
    def of(cls, spec: GraphSpec) -> Topology:
        topology = cls(nodes=frozenset(n.name for n in spec.nodes))
        for edge in spec.edges:
            if len(edge.sources) == 1:
                topology.successors.setdefault(edge.sources[0], []).append(edge.target)
            else:
                topology.joins.append((set(edge.sources) - {START}, edge.target))
        return topology


def add_targets(
    topology: Topology, tasks: list[Task], names: Iterable[str], sends: Iterable[SendSpec]
) -> list[Task]:
    """Add tasks for `names` (once each; END is no task) and one per Send, to `tasks` in
    place; returns `tasks`. A target that is not a node fails the run."""
    for name in names:
        if name == END:
            continue
        if name not in topology.nodes:
            raise RunFailedError(
                f"Edge or goto target '{name}' is not a node of this graph",
                ErrorKind.INVALID_UPDATE,
            )
        if not any(t.node == name and t.send is None for t in tasks):
            tasks.append(Task(name))
    for send in sends:
        if send.node not in topology.nodes:
            raise RunFailedError(f"Send to unknown node '{send.node}'", ErrorKind.INVALID_UPDATE)
        tasks.append(Task(send.node, send))
    return tasks


def split_goto(goto: Sequence[str | GotoSend]) -> tuple[list[str], list[SendSpec]]:
    """A resume's goto as add_targets takes it: the node names, and the Sends."""
    names = [g for g in goto if isinstance(g, str)]
    sends = [SendSpec(node=g.node, arg=g.arg) for g in goto if not isinstance(g, str)]
    return names, sends


def goto_tasks(goto: Sequence[str | GotoSend]) -> list[Task]:
    """The tasks a resume's goto adds to the paused step, in its order: one per node name (run
    with the state), one per Send (run with its argument). END is no task."""
    return [
        Task(g) if isinstance(g, str) else Task(g.node, SendSpec(node=g.node, arg=g.arg))
        for g in goto
        if g != END
    ]


def start_tasks(topology: Topology) -> list[Task]:
    """The first step's tasks from START's static edges (its router, if any, adds more)."""
    return add_targets(topology, [], topology.successors.get(START, []), [])


def plan(
    topology: Topology, join_seen: JoinSeen, tasks: Sequence[Task], results: Sequence[NodeResult]
) -> list[Task]:
    """The next step's tasks after `tasks` finished with `results` (in task order): static
    edges, router answers and goto, Sends, then joins. Updates `join_seen` in place."""
    planned: list[Task] = []
    for task, result in zip(tasks, results, strict=True):
        static = topology.successors.get(task.node, [])
        planned = add_targets(topology, planned, static + result.goto, result.sends)
    finished = {t.node for t in tasks}
    for index, (sources, target) in enumerate(topology.joins):
        seen = join_seen.setdefault(index, set())
        seen |= finished & sources
        if seen >= sources:
            seen.clear()
            planned = add_targets(topology, planned, [target], [])
    return planned


def preview(topology: Topology, tasks: Sequence[Task], results: Sequence[NodeResult]) -> list[Task]:
    """The next step's tasks, for display only (joins are left to the real planning)."""
    names: list[str] = []
    for task, result in zip(tasks, results, strict=True):
        names += topology.successors.get(task.node, []) + result.goto
        names += [send.node for send in result.sends]
    return [Task(n) for n in dict.fromkeys(names) if n != END]


def merge(tasks: Sequence[Task], more: Iterable[Task]) -> list[Task]:
    """`tasks` then those of `more` not already there (a Send always counts as new)."""
    merged = list(tasks)
    for task in more:
        if task.send is not None or not any(t.node == task.node for t in merged):
            merged.append(task)
    return merged


def copy_joins(join_seen: JoinSeen) -> JoinSeen:
    return {k: set(v) for k, v in join_seen.items()}
