"""langgraph.json and --graph specs: which graphs a worker or server serves (no server needed)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tempograph.graph import CompiledGraph
from tempograph.project import ProjectError, load_project, parse_graph_spec

GRAPH_FILE = """
from typing import TypedDict
from tempograph.graph import StateGraph, START, END

class State(TypedDict):
    x: int

def bump(state: State) -> dict:
    return {"x": state["x"] + 1}

builder = StateGraph(State)
builder.add_node("bump", bump)
builder.add_edge(START, "bump")
builder.add_edge("bump", END)
graph = builder.compile()

def make_graph():
    return builder.compile()

not_a_graph = 42
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "my_agent").mkdir()
    (tmp_path / "my_agent" / "agent.py").write_text(GRAPH_FILE)
    (tmp_path / ".env").write_text("TEMPOGRAPH_TEST_PROJECT_VAR=from-dotenv\n")
    return tmp_path


def write_config(folder: Path, config: dict[str, object]) -> None:
    (folder / "langgraph.json").write_text(json.dumps(config))


def test_langgraph_json_graphs_env_and_ignored_keys(project: Path) -> None:
    os.environ.pop("TEMPOGRAPH_TEST_PROJECT_VAR", None)
    write_config(
        project,
        {
            "graphs": {
                "agent": "./my_agent/agent.py:graph",
                "factory": {"path": "./my_agent/agent.py:make_graph"},
                "builder": "./my_agent/agent.py:builder",
            },
            "env": ".env",
            "dependencies": ["."],
            "python_version": "3.11",
            "dockerfile_lines": [],
        },
    )
    loaded = load_project(project)
    assert sorted(loaded.graphs) == ["agent", "builder", "factory"]
    assert all(isinstance(g, CompiledGraph) for g in loaded.graphs.values())
    assert loaded.ignored_keys == ["dockerfile_lines", "python_version"]
    assert os.environ["TEMPOGRAPH_TEST_PROJECT_VAR"] == "from-dotenv"


def test_graph_specs_take_files_and_modules(project: Path) -> None:
    loaded = load_project(project, ["a=./my_agent/agent.py:graph", "b=my_agent.agent:graph"])
    assert sorted(loaded.graphs) == ["a", "b"]
    assert loaded.ignored_keys == []


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"graphs": {"agent": "./my_agent/agent.py:nope"}}, "has no attribute 'nope'"),
        ({"graphs": {"agent": "./my_agent/agent.py:not_a_graph"}}, "is a int, not a compiled"),
        ({"graphs": {"agent": "./missing.py:graph"}}, "no file"),
        ({"graphs": {"agent": "no_such_module_xyz:graph"}}, "cannot import module"),
        ({"graphs": {"agent": "./my_agent/agent.py"}}, "must be"),
        ({"graphs": {}}, "is empty"),
        ({"nodes": {}}, 'expected an object with "graphs"'),
    ],
)
def test_bad_configs_say_what_to_fix(
    project: Path, config: dict[str, object], message: str
) -> None:
    write_config(project, config)
    with pytest.raises(ProjectError, match=message):
        load_project(project)


def test_no_config_and_no_specs(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="Create a langgraph.json"):
        load_project(tmp_path)
    with pytest.raises(ProjectError, match="NAME=module_or_path:attr"):
        parse_graph_spec("agent")
