"""The `tempograph` command: serve a project's graphs, and act on their runs.

    tempograph dev                                  # langgraph.json here: dev server + worker + API
    tempograph worker | serve [--with-worker]       # production halves (TEMPORAL_* environment)
    tempograph run revise '{"some_text": "draft"}' --thread t1
    tempograph resume t1 '"final text"'
    tempograph state | update-state | history | pending | cancel ...

`main` is the console script; `cli` the click group (embed it, or test it with CliRunner).
Modules: `_serve` (dev, worker, serve), `_threads` (the run commands), `_output` (rendering),
`_options` (shared options), `_security` (token checks), `_exits` (exit codes), `_runner`.
"""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import click

from tempograph.cli._exits import ERROR, EXIT_CODES_HELP, INTERRUPTED, OK, USAGE, error_exit
from tempograph.cli._options import CliContext
from tempograph.cli._output import describe, to_json
from tempograph.cli._runner import run_async
from tempograph.cli._security import ConfigError, api_token, check_exposure
from tempograph.cli._serve import SERVE_COMMANDS, run_api, run_worker
from tempograph.cli._threads import THREAD_COMMANDS, run_command

__all__ = [
    "ERROR",
    "OK",
    "USAGE",
    "CliContext",
    "ConfigError",
    "api_token",
    "check_exposure",
    "cli",
    "describe",
    "main",
    "run_api",
    "run_async",
    "run_cli",
    "run_worker",
    "to_json",
]

HELP_EPILOG = (
    f'{EXIT_CODES_HELP} Shell completion (bash): eval "$(_TEMPOGRAPH_COMPLETE=bash_source '
    'tempograph)"; zsh: zsh_source; fish: fish_source.'
)


class Group(click.Group):
    """Commands listed in the order they were added (serving first, then runs)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


@click.group(
    cls=Group, epilog=HELP_EPILOG, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(package_name="tempograph-hitl", message="%(prog)s %(version)s")
def cli() -> None:
    """Tempograph: LangGraph-style graphs with human-in-the-loop pauses, run as durable Temporal
    workflows. Every command has --help."""


for command in [*SERVE_COMMANDS, *THREAD_COMMANDS]:
    cli.add_command(command)
# starter.py's old name for `run`.
_start = copy.copy(run_command)
_start.name, _start.hidden = "start", True
cli.add_command(_start)


def run_cli(
    argv: Sequence[str] | None = None,
    *,
    prog: str = "tempograph",
    graphs: Mapping[str, Any] | None = None,
) -> int:
    """Run the CLI and return its exit code (0 ok, 1 an error from Tempograph or Temporal, 2 a
    usage or configuration error), having printed errors as one line on stderr.
    `graphs`: served by dev/worker/serve unless --graph/--config are given."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        cli.main(
            args,
            prog_name=prog,
            standalone_mode=False,
            obj=CliContext(prog=prog, graphs=graphs),
        )
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):
        return INTERRUPTED
    except SystemExit as done:  # shell completion exits this way
        return done.code if isinstance(done.code, int) else ERROR
    except Exception as exc:
        explained = error_exit(exc)
        if explained is None:
            raise  # a bug: keep its traceback
        code, line = explained
        click.echo(line, err=True)
        return code
    return OK


def main(
    argv: Sequence[str] | None = None,
    *,
    prog: str = "tempograph",
    graphs: Mapping[str, Any] | None = None,
) -> None:
    """The console script: run_cli, then exit with its code."""
    code = run_cli(argv, prog=prog, graphs=graphs)
    sys.stdout.flush()
    sys.stderr.flush()
    # os._exit: the Temporal SDK's runtime threads can abort an ordinary interpreter shutdown
    # (temporalio/sdk-python#300); everything has been printed and closed by now.
    os._exit(code)
