"""The `tempograph` command line without a server: help, usage errors (exit 2), error lines."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tempograph.cli import USAGE, ConfigError, api_token, cli, run_cli
from tempograph.cli._exits import error_exit
from tempograph.cli._options import breakpoints, node_list, parse_json
from tempograph.errors import ThreadNotFoundError
from tempograph.project import ProjectError

COMMANDS = [
    "dev",
    "worker",
    "serve",
    "run",
    "resume",
    "state",
    "update-state",
    "history",
    "pending",
    "cancel",
]
PRINTS_DATA = ["dev", "serve", *COMMANDS[3:]]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    if command in PRINTS_DATA:
        assert "--json" in result.output


def test_top_level_help_lists_commands_and_exit_codes() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.output
    assert "Exit codes" in result.output and "_TEMPOGRAPH_COMPLETE" in result.output


def test_a_bare_word_answer_is_a_usage_error_with_the_quoting_hint(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = run_cli(["resume", "t5", "final"], prog="python starter.py")
    err = capsys.readouterr().err
    assert code == USAGE == 2
    assert "not valid JSON" in err
    assert "python starter.py resume t5 '\"final\"'" in err


def test_unknown_command_and_missing_argument_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["frobnicate"]) == 2
    assert run_cli(["run", "revise"]) == 2
    assert "Missing argument" in capsys.readouterr().err


def test_bad_graph_spec_is_a_configuration_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["worker", "--graph", "no-equals-sign"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: --graph 'no-equals-sign'")


def test_no_langgraph_json_says_what_to_create(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run_cli(["dev"]) == 2
    assert "Create a langgraph.json" in capsys.readouterr().err


def test_an_object_that_is_no_graph_is_refused_saying_what_to_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Named like LangGraph's class but not one (real LangGraph graphs are served: tests/langgraph).
    (tmp_path / "agent.py").write_text(
        "class CompiledStateGraph:\n    pass\n\ngraph = CompiledStateGraph()\n"
    )
    monkeypatch.chdir(tmp_path)
    assert run_cli(["worker", "--graph", "agent=./agent.py:graph"]) == 2
    err = capsys.readouterr().err
    assert "Graph 'agent' is a CompiledStateGraph, not a compiled Tempograph graph" in err
    assert "pass builder.compile() of a tempograph.graph.StateGraph" in err


def test_error_lines() -> None:
    assert error_exit(ThreadNotFoundError("No run found for thread 't'")) == (
        1,
        "error: ThreadNotFoundError: No run found for thread 't'",
    )
    assert error_exit(ProjectError("bad spec")) == (2, "error: bad spec")
    assert error_exit(ZeroDivisionError()) is None  # a bug keeps its traceback


def test_empty_token_refused() -> None:
    with pytest.raises(ConfigError, match="set but empty"):
        api_token({"TEMPOGRAPH_API_TOKEN": "  "})
    assert api_token({}) is None


def test_node_lists_and_json_arguments() -> None:
    assert node_list(()) is None
    assert node_list(("a,b", "c")) == ["a", "b", "c"]
    assert breakpoints(("*",)) == "*"
    assert parse_json('{"a": 1}', "The input") == {"a": 1}
    with pytest.raises(click.UsageError, match="The input is not valid JSON"):
        parse_json("{nope", "The input")


def test_python_dash_m_tempograph_is_the_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tempograph", "pending", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Usage: python -m tempograph pending" in done.stdout


def test_json_flag_output_is_json() -> None:
    from tempograph.cli._output import Endpoints

    endpoints = Endpoints(
        api="http://127.0.0.1:2024",
        temporal="127.0.0.1:7233",
        ui=None,
        graphs=["agent"],
        task_queue="tempograph",
    )
    assert json.loads(json.dumps(endpoints.as_dict()))["docs"] == "http://127.0.0.1:2024/docs"


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "revise", "[1]"],
        ["update-state", "t1", '"text"'],
        ["resume", "t1", '"x"', "--update", "[1]"],
    ],
)
def test_values_that_must_be_objects_are_usage_errors(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(argv) == 2
    err = capsys.readouterr().err
    assert "must be a JSON object" in err and "Traceback" not in err


def test_json_arguments_from_a_file_or_stdin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = {"some_text": "x" * 1_000_000}  # too large for a command line
    (tmp_path / "input.json").write_text(json.dumps(big))
    assert parse_json(f"@{tmp_path / 'input.json'}", "The input", want_object=True) == big
    monkeypatch.setattr("sys.stdin", io.StringIO('"final"'))
    assert parse_json("-", "The answer") == "final"
    with pytest.raises(click.UsageError, match="cannot read"):
        parse_json(f"@{tmp_path / 'missing.json'}", "The input")
