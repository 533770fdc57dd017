"""Options shared by several commands, and what a command reads from its context."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

import click

from tempograph.messages import DEFAULT_TASK_QUEUE, Breakpoints

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class CliContext:
    """Set by whoever calls the CLI: `prog` is how a user invokes it (printed in hints such as
    "answer: python starter.py resume t1 ..."); `graphs`, when given (worker.py and server.py
    pass the example graphs), are served unless --graph/--config choose others."""

    prog: str = "tempograph"
    graphs: Mapping[str, Any] | None = None


def cli_context() -> CliContext:
    obj = click.get_current_context().find_object(CliContext)
    return obj if obj is not None else CliContext()


def json_option(f: F) -> F:
    return click.option(
        "--json", "as_json", is_flag=True, help="Machine-readable output: JSON on stdout."
    )(f)


def task_queue_option(f: F) -> F:
    return click.option(
        "--task-queue",
        envvar="TEMPOGRAPH_TASK_QUEUE",
        default=DEFAULT_TASK_QUEUE,
        show_default=True,
        show_envvar=True,
        help="The Temporal task queue the graphs are served on.",
    )(f)


def graph_options(f: F) -> F:
    """--graph (repeatable) and --config: which graphs a worker or server serves."""
    f = click.option(
        "--config",
        type=click.Path(dir_okay=False, path_type=str),
        default=None,
        help="A langgraph.json to read instead of ./langgraph.json.",
    )(f)
    return click.option(
        "--graph",
        "graph_specs",
        multiple=True,
        metavar="NAME=MODULE_OR_PATH:ATTR",
        help="A graph to serve, e.g. agent=./my_agent/agent.py:graph (repeatable); replaces "
        "langgraph.json.",
    )(f)


def node_list(values: tuple[str, ...]) -> list[str] | None:
    """Repeated and/or comma-separated node names (`--after a --after b`, `--after a,b`); None
    when the option was not given."""
    if not values:
        return None
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def breakpoints(values: tuple[str, ...]) -> Breakpoints:
    """Node names for interrupt_before/after; "*" means every node."""
    nodes = node_list(values)
    return "*" if nodes == ["*"] else nodes


class ArgumentError(click.UsageError):
    """An argument that cannot be sent as given (exit 2), printed as one line: the message says
    how to fix it, so click's usage block would only bury it."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"error: {self.format_message()}", file=file or sys.stderr)


def parse_json(
    text: str, what: str, *, example: str | None = None, want_object: bool = False
) -> Any:
    """`text` as JSON, or a usage error (exit 2) saying what was expected. `@path` reads the
    JSON from a file and `-` from stdin (values too large for a command line). `example`: the
    command line that sends `text` as a JSON string, shown as the fix. `want_object`: the value
    must be a JSON object (an input, state values)."""
    source = text
    if text == "-":
        source = sys.stdin.read()
    elif text.startswith("@"):
        try:
            source = Path(text[1:]).read_text()
        except OSError as exc:
            raise ArgumentError(f"{what}: cannot read {text[1:]!r}: {exc.strerror}") from None
    try:
        value = json.loads(source)
    except json.JSONDecodeError as exc:
        shown = text if len(text) <= 80 else text[:77] + "..."
        message = f"{what} is not valid JSON ({exc.msg}: {shown!r})"
        if example is not None:
            message += (
                f". To send the text {text!r}, quote it as a JSON string "
                f"(the shell needs both quotes): {example}"
            )
        raise ArgumentError(message) from None
    if want_object and not isinstance(value, dict):
        raise ArgumentError(
            f"{what} must be a JSON object, e.g. '{{\"key\": \"value\"}}' "
            f"(got {type(value).__name__})"
        )
    return value
