"""Example graphs served by worker.py, by name (the name runs are started with)."""

from graphs import revise, steps
from tempograph.graph import CompiledGraph

GRAPHS: dict[str, CompiledGraph] = {
    "revise": revise.graph,
    "steps": steps.graph,
}
