"""What Tempograph's Agent Server API supports, method by method of langgraph-sdk 0.4.14's
clients: ONE table, from which the README's section is generated
(`python -m tempograph.http.support --markdown`), so the list cannot drift. Tests check that
every public method of the SDK's AssistantsClient, ThreadsClient, RunsClient, CronClient and
StoreClient has a row, that every row's route is served, and that README.md holds the
generated text between the markers.

Each row: the SDK method, the route(s) it calls, and
* "supported": as the Agent Server;
* "differs": works, with the differences said (fields refused with 422 naming them, never
  ignored);
* "unsupported": answers the status given (with a detail naming what is not supported).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Literal

Support = Literal["supported", "differs", "unsupported"]
START_MARKER = "<!-- support-table:start -->"
END_MARKER = "<!-- support-table:end -->"
# langgraph-sdk's client class of each group (langgraph_sdk._async.*).
CLIENTS = {
    "assistants": "AssistantsClient",
    "threads": "ThreadsClient",
    "runs": "RunsClient",
    "crons": "CronClient",
    "store": "StoreClient",
}


@dataclass(frozen=True)
class Method:
    group: str
    name: str
    # "VERB /path" (several separated by ", ").
    routes: str
    support: Support
    note: str = ""
    # "unsupported": the status it answers.
    status: int | None = None


NEEDS_GRAPHS = (
    "needs the compiled graphs (`tempograph serve`/`dev`, `create_app(client, {name: graph})`); "
    "given graph names only, 501"
)

TABLE: tuple[Method, ...] = (
    # -- assistants ---------------------------------------------------------------------------
    Method("assistants", "get", "GET /assistants/{assistant_id}", "supported"),
    Method(
        "assistants",
        "get_graph",
        "GET /assistants/{assistant_id}/graph",
        "differs",
        f"`xray` supported; {NEEDS_GRAPHS}",
    ),
    Method(
        "assistants",
        "get_schemas",
        "GET /assistants/{assistant_id}/schemas",
        "differs",
        "`config_schema` is `{configurable: <context schema>}` (configurable mirrors the "
        f"context); `null` where pydantic cannot describe a schema; {NEEDS_GRAPHS}",
    ),
    Method(
        "assistants",
        "get_subgraphs",
        "GET /assistants/{assistant_id}/subgraphs[/{namespace}]",
        "differs",
        NEEDS_GRAPHS,
    ),
    Method(
        "assistants",
        "create",
        "POST /assistants",
        "supported",
        "stored as a `TempographAssistant` workflow (every server process agrees)",
    ),
    Method(
        "assistants",
        "update",
        "PATCH /assistants/{assistant_id}",
        "differs",
        "a graph's system assistant cannot change (409)",
    ),
    Method(
        "assistants",
        "delete",
        "DELETE /assistants/{assistant_id}",
        "differs",
        "`delete_threads=true` 422; a system assistant 409",
    ),
    Method(
        "assistants",
        "search",
        "POST /assistants/search",
        "supported",
        '`select`, `response_format="object"` (X-Pagination-Next)',
    ),
    Method("assistants", "count", "POST /assistants/count", "supported"),
    Method("assistants", "get_versions", "POST /assistants/{assistant_id}/versions", "supported"),
    Method("assistants", "set_latest", "POST /assistants/{assistant_id}/latest", "supported"),
    # -- threads ------------------------------------------------------------------------------
    Method("threads", "get", "GET /threads/{thread_id}", "supported", "`include=ttl`"),
    Method(
        "threads",
        "create",
        "POST /threads",
        "differs",
        "`supersteps` and `ttl` (strategy `delete` only) supported; a thread without runs is a "
        "`TempographThread` workflow",
    ),
    Method(
        "threads",
        "update",
        "PATCH /threads/{thread_id}",
        "supported",
        "metadata merged; `ttl` (strategy `delete`)",
    ),
    Method("threads", "delete", "DELETE /threads/{thread_id}", "supported"),
    Method(
        "threads",
        "search",
        "POST /threads/search",
        "supported",
        "`select`, `extract`, metadata/values/status filters",
    ),
    Method("threads", "count", "POST /threads/count", "supported"),
    Method(
        "threads",
        "copy",
        "POST /threads/{thread_id}/copy",
        "differs",
        "the copy is forked from the latest checkpoint: earlier checkpoints stay with the "
        "original; unknown thread 409 (as the Agent Server)",
    ),
    Method(
        "threads",
        "prune",
        "POST /threads/prune",
        "differs",
        "strategy `delete`; `keep_latest` 422",
    ),
    Method(
        "threads",
        "get_state",
        "GET /threads/{thread_id}/state, GET /threads/{thread_id}/state/{checkpoint_id}, "
        "POST /threads/{thread_id}/state/checkpoint",
        "differs",
        "`subgraphs=true`, `select` and a non-root `checkpoint_ns` 422; a state over 1.8 MB 413",
    ),
    Method(
        "threads",
        "update_state",
        "POST /threads/{thread_id}/state",
        "supported",
        "one update or a list (one checkpoint each); `checkpoint_id` forks",
    ),
    Method(
        "threads",
        "get_history",
        "POST /threads/{thread_id}/history",
        "differs",
        "a `checkpoint` naming a checkpoint or namespace 422 (page with `before`)",
    ),
    Method(
        "threads",
        "join_stream",
        "GET /threads/{thread_id}/stream",
        "differs",
        "stream_mode `run_modes` or `lifecycle`; `state_update` 422",
    ),
    Method(
        "threads",
        "stream",
        "POST /threads/{thread_id}/commands, GET /threads/{thread_id}/stream/events",
        "unsupported",
        "the v3 thread streaming protocol; use runs.stream / runs.join_stream",
        status=404,
    ),
    # -- runs ---------------------------------------------------------------------------------
    Method(
        "runs",
        "create",
        "POST /threads/{thread_id}/runs, POST /runs",
        "differs",
        "`after_seconds` on a thread with runs, `strict_resume=false`, `langsmith_tracer`, "
        "`feedback_keys`, unknown fields 422; `enqueue` answers `pending` at once; "
        '`command.goto` takes node names and Sends `{"node", "input"}`',
    ),
    Method(
        "runs",
        "create_batch",
        "POST /runs/batch",
        "supported",
        "every body is checked before any run starts",
    ),
    Method(
        "runs",
        "wait",
        "POST /threads/{thread_id}/runs/wait, POST /runs/wait",
        "differs",
        '`on_disconnect="cancel"` 422 (a run goes on when its request goes away); fields '
        "refused as for create",
    ),
    Method(
        "runs",
        "stream",
        "POST /threads/{thread_id}/runs/stream, POST /runs/stream",
        "differs",
        "every stream mode; events read from Temporal history (any process serves any "
        "stream); fields refused as for wait",
    ),
    Method("runs", "list", "GET /threads/{thread_id}/runs", "supported"),
    Method(
        "runs",
        "get",
        "GET /threads/{thread_id}/runs/{run_id}",
        "differs",
        "`metadata` and `kwargs` only in the process that took the request (empty elsewhere); "
        "the runs answering a thread's interrupts share the run id of the run that asked",
    ),
    Method(
        "runs",
        "cancel",
        "POST /threads/{thread_id}/runs/{run_id}/cancel",
        "supported",
        "202; with `wait`, 200 and the run's result; `action=rollback` deletes the run",
    ),
    Method(
        "runs",
        "cancel_many",
        "POST /runs/cancel",
        "differs",
        '`status="pending"`: runs queued in this process; `running`: any process',
    ),
    Method("runs", "join", "GET /threads/{thread_id}/runs/{run_id}/join", "supported"),
    Method(
        "runs",
        "join_stream",
        "GET /threads/{thread_id}/runs/{run_id}/stream",
        "differs",
        "a replay (`Last-Event-ID: 0`) of a resumed run covers every invocation of its "
        "execution, without repeating `metadata`",
    ),
    Method(
        "runs",
        "delete",
        "DELETE /threads/{thread_id}/runs/{run_id}",
        "differs",
        "a run in flight 409; deleting a resume deletes its whole execution (the asking run "
        "too); the thread returns to its state before it",
    ),
    # -- crons --------------------------------------------------------------------------------
    Method(
        "crons",
        "create",
        "POST /runs/crons",
        "differs",
        "a Temporal Schedule (`temporal schedule list`); a new thread per firing, kept: "
        '`on_run_completed="delete"`, `multitask_strategy`, `stream_subgraphs` 422; a '
        "created assistant is read at each firing and deletes its crons with it; `schedule`: "
        "five fields or `@hourly`-style macros (Temporal's seconds/year fields, `@every`, "
        "`CRON_TZ=` 422)",
    ),
    Method(
        "crons",
        "create_for_thread",
        "POST /threads/{thread_id}/runs/crons",
        "differs",
        "a Temporal Schedule firing `TempographCronFiring`, which continues the thread "
        "(multitask_strategy reject/interrupt/enqueue; an enqueued firing waits in Temporal and "
        "is not listed as a pending run); `rollback`, no `input` 422; unknown thread 404; "
        "deleted with its thread; each firing's run moves the thread's TTL",
    ),
    Method("crons", "search", "POST /runs/crons/search", "supported", "`select`, `thread_id`"),
    Method("crons", "count", "POST /runs/crons/count", "supported"),
    Method(
        "crons",
        "update",
        "PATCH /runs/crons/{cron_id}",
        "supported",
        "fields as sent (`end_time: null` clears); `enabled=false` pauses the schedule",
    ),
    Method("crons", "delete", "DELETE /runs/crons/{cron_id}", "supported"),
    # -- store --------------------------------------------------------------------------------
    Method(
        "store",
        "put_item",
        "PUT /store/items",
        "differs",
        "SQLite (default) or PostgreSQL (`TEMPOGRAPH_STORE_URI`); `index` lists 422; "
        "`ttl` in minutes",
    ),
    Method("store", "get_item", "GET /store/items", "supported", "`refresh_ttl`"),
    Method("store", "delete_item", "DELETE /store/items", "supported"),
    Method(
        "store",
        "search_items",
        "POST /store/items/search",
        "differs",
        "`query` (semantic search) 422; filters on values",
    ),
    Method("store", "list_namespaces", "POST /store/namespaces", "supported"),
)


def rows(group: str) -> list[Method]:
    return [m for m in TABLE if m.group == group]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown() -> str:
    """The README section, markers included."""
    counts = {s: sum(m.support == s for m in TABLE) for s in ("supported", "differs")}
    unsupported = [m for m in TABLE if m.support == "unsupported"]
    lines = [
        START_MARKER,
        "<!-- generated by `python -m tempograph.http.support --markdown` from "
        "tempograph/http/support.py: edit the table there -->",
        "",
        f"Every method of langgraph-sdk 0.4.14's clients ({len(TABLE)}): "
        f"{counts['supported']} as the Agent Server, {counts['differs']} with the differences "
        f"said, {len(unsupported)} not supported. A field Tempograph does not honour is "
        "refused with 422 naming it, never accepted and ignored.",
        "",
        "| Method | Route | Support | Notes |",
        "|---|---|---|---|",
    ]
    for method in TABLE:
        support = (
            f"unsupported ({method.status})" if method.support == "unsupported" else method.support
        )
        lines.append(
            f"| `{method.group}.{method.name}` | {_cell(method.routes)} | {support} "
            f"| {_cell(method.note)} |"
        )
    lines.append(END_MARKER)
    return "\n".join(lines) + "\n"


def readme_section(text: str) -> str | None:
    """README.md's section between the markers (included), or None."""
    start = text.find(START_MARKER)
    end = text.find(END_MARKER)
    if start < 0 or end < start:
        return None
    return text[start : end + len(END_MARKER)] + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tempograph.http.support",
        description="The Agent Server API support table (langgraph-sdk methods).",
    )
    parser.add_argument("--markdown", action="store_true", help="print the README section")
    args = parser.parse_args(argv)
    if not args.markdown:
        parser.print_help()
        return 2
    sys.stdout.write(markdown())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
