"""Which graphs a worker or server serves: a `langgraph.json` (the file `langgraph dev` reads) or
`NAME=module_or_path:attr` specs from the command line.

    {"graphs": {"agent": "./my_agent/agent.py:graph"}, "env": ".env", "dependencies": ["."]}

Honoured keys: `graphs` (name → "path/to/file.py:attr" or "package.module:attr", or
{"path": ...}), `env` (a .env file path or a mapping, set in os.environ without overriding
what is already set) and `dependencies` (local folders are put on sys.path; packages are
expected to be installed already). Every other key is reported as ignored, never silently.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from tempograph.graph import CompiledGraph, StateGraph

CONFIG_FILE = "langgraph.json"
HONOURED_KEYS = ("graphs", "env", "dependencies")


class ProjectError(Exception):
    """A langgraph.json or a --graph spec that cannot be served; the message says the fix."""


@dataclass
class Project:
    """The graphs to serve, by name, and what the configuration asked that is not done."""

    graphs: dict[str, Any]
    ignored_keys: list[str] = field(default_factory=list)
    config_path: Path | None = None


def parse_graph_spec(spec: str) -> tuple[str, str]:
    """`NAME=module_or_path:attr` → (NAME, "module_or_path:attr")."""
    name, sep, target = spec.partition("=")
    if not sep or not name.strip() or ":" not in target:
        raise ProjectError(
            f"--graph {spec!r}: expected NAME=module_or_path:attr, e.g. "
            "--graph agent=./my_agent/agent.py:graph or --graph agent=my_agent.agent:graph"
        )
    return name.strip(), target.strip()


def load_project(
    folder: Path | str = ".",
    graph_specs: list[str] | None = None,
    config: Path | str | None = None,
) -> Project:
    """The graphs named by `graph_specs` if given, else by `config` (default: langgraph.json in
    `folder`). Raises ProjectError when there is neither, or a graph cannot be loaded."""
    base = Path(folder).resolve()
    if graph_specs:
        targets = dict(parse_graph_spec(s) for s in graph_specs)
        _add_to_path(base)
        return Project(graphs={n: load_graph(t, base, n) for n, t in targets.items()})
    path = Path(config) if config is not None else base / CONFIG_FILE
    if not path.is_file():
        raise ProjectError(
            f"No {path} here, and no --graph given. Create a langgraph.json like "
            '{"graphs": {"agent": "./agent.py:graph"}} or pass --graph NAME=file.py:attr'
        )
    return load_config(path)


def load_config(path: Path) -> Project:
    path = path.resolve()
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ProjectError(f"Cannot read {path}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("graphs"), dict):
        raise ProjectError(f'{path}: expected an object with "graphs": {{name: "file.py:attr"}}')
    base = path.parent
    _load_env(data.get("env"), base)
    for dep in data.get("dependencies") or []:
        if isinstance(dep, str) and (dep.startswith(".") or dep.startswith("/")):
            _add_to_path((base / dep).resolve())
    _add_to_path(base)
    graphs: dict[str, Any] = {}
    for name, target in data["graphs"].items():
        if isinstance(target, dict):
            target = target.get("path")
        if not isinstance(target, str) or ":" not in target:
            raise ProjectError(
                f'{path}: graph "{name}" must be "path/to/file.py:attr" or "module:attr"'
            )
        graphs[name] = load_graph(target, base, name)
    if not graphs:
        raise ProjectError(f"{path}: \"graphs\" is empty: name at least one graph")
    ignored = sorted(k for k in data if k not in HONOURED_KEYS)
    return Project(graphs=graphs, ignored_keys=ignored, config_path=path)


def load_graph(target: str, base: Path, name: str) -> Any:
    """The graph object at "file.py:attr" (relative to `base`) or "package.module:attr". A
    StateGraph builder is compiled; a function of no arguments is called (a graph factory)."""
    where, _, attr = target.rpartition(":")
    module = _import(where, base, name)
    try:
        obj = getattr(module, attr)
    except AttributeError:
        raise ProjectError(f'Graph "{name}": {where} has no attribute {attr!r}') from None
    if inspect.isfunction(obj) and not inspect.signature(obj).parameters:
        obj = obj()  # a graph factory
    if isinstance(obj, StateGraph) or _is_langgraph_builder(obj):
        obj = obj.compile()
    if isinstance(obj, CompiledGraph) or type(obj).__name__ == "CompiledStateGraph":
        return obj
    raise ProjectError(
        f'Graph "{name}": {target} is a {type(obj).__name__}, not a compiled graph. Point it at '
        "the object `builder.compile()` returns (or a StateGraph, or a function of no "
        "arguments returning one)."
    )


def _is_langgraph_builder(obj: Any) -> bool:
    """A LangGraph StateGraph (not compiled): served once compiled, as `langgraph dev` does."""
    kind = type(obj)
    return kind.__name__ == "StateGraph" and kind.__module__.startswith("langgraph.")


def _import(where: str, base: Path, name: str) -> ModuleType:
    is_file = where.endswith(".py") or "/" in where or where.startswith(".")
    if not is_file:
        try:
            return importlib.import_module(where)
        except ImportError as exc:
            raise ProjectError(f'Graph "{name}": cannot import module {where!r}: {exc}') from exc
    file = (base / where).resolve()
    if not file.is_file():
        raise ProjectError(f'Graph "{name}": no file {file}')
    module_name = f"tempograph_project.{name}.{file.stem}"
    spec = importlib.util.spec_from_file_location(module_name, file)
    if spec is None or spec.loader is None:
        raise ProjectError(f'Graph "{name}": cannot load {file}')
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look modules up by name
    _add_to_path(file.parent)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[module_name]
        raise ProjectError(f'Graph "{name}": importing {file} failed: {exc!r}') from exc
    return module


def _load_env(env: Any, base: Path) -> None:
    if env is None:
        return
    if isinstance(env, dict):
        for key, value in env.items():
            os.environ.setdefault(str(key), str(value))
        return
    if not isinstance(env, str):
        raise ProjectError('"env" must be a path to a .env file or an object of variables')
    from dotenv import dotenv_values

    file = (base / env).resolve()
    if not file.is_file():
        raise ProjectError(f'"env": no file {file}')
    for key, value in dotenv_values(file).items():
        if value is not None:
            os.environ.setdefault(key, value)


def _add_to_path(folder: Path) -> None:
    entry = str(folder)
    if entry not in sys.path:
        sys.path.insert(0, entry)
