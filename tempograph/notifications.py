"""Telling a human that a run waits: webhook signatures, inbox links, questions, answer templates.

A run POSTs a JSON notification (tempograph._activities.notify, a Temporal activity retried with
backoff) when it pauses, when the pause is answered, when an interrupt's deadline passes, and,
to the invocation's `webhook` (the Agent Server's run field), when the invocation ends. Where:
`compile(notify=URL)` for a graph, `interrupt(..., notify=URL)` for one question (instead of the
graph's), `webhook` on an HTTP run (or `RunInput.webhook`) for one invocation.

Every POST is signed when the worker has `TEMPOGRAPH_WEBHOOK_SECRET`:

    X-Tempograph-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>

Verify it on the receiving side with `verify_signature(secret, header, raw_body)` (the raw
bytes, before any JSON parsing), and drop duplicates by `X-Tempograph-Event-Id` (a retried
delivery carries the same id).

The rest of this module is pure (the GraphRun workflow uses it for its Temporal UI details):
`question_of` (the one line a human reads), `answer_template` (a valid answer's shape from a
JSON Schema), `inbox_item_url` (the inbox page of a thread: `<TEMPOGRAPH_INBOX_URL>/inbox/<thread>`)
and `resume_commands` (the exact commands that answer).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shlex
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

__all__ = [
    "DEFAULT_INBOX_URL",
    "EVENT_HEADER",
    "EVENT_ID_HEADER",
    "INBOX_URL_ENV",
    "SIGNATURE_HEADER",
    "WEBHOOK_SECRET_ENV",
    "answer_template",
    "inbox_item_url",
    "question_of",
    "resume_commands",
    "resume_example",
    "run_details",
    "run_summary",
    "sign",
    "verify_signature",
]

WEBHOOK_SECRET_ENV = "TEMPOGRAPH_WEBHOOK_SECRET"
# Base URL of the HTTP server whose /inbox pages answer paused runs (read by the worker).
INBOX_URL_ENV = "TEMPOGRAPH_INBOX_URL"
# `tempograph dev` / `tempograph serve` listen here by default.
DEFAULT_INBOX_URL = "http://127.0.0.1:2024"
SIGNATURE_HEADER = "X-Tempograph-Signature"
EVENT_HEADER = "X-Tempograph-Event"
EVENT_ID_HEADER = "X-Tempograph-Event-Id"
# A signature older (or newer) than this is refused by verify_signature: a replayed request.
DEFAULT_TOLERANCE_SECONDS = 300

QUESTION_CHARS = 200
TEMPLATE_DEPTH = 6


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for `body` sent at `timestamp` (unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify_signature(
    secret: str,
    header: str | None,
    body: bytes,
    *,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """True when `header` (X-Tempograph-Signature) signs exactly `body` with `secret`, at a
    time within `tolerance` seconds of `now` (default: the clock)."""
    if not header:
        return False
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).rpartition("v1=")[2]
    return any(hmac.compare_digest(expected, given) for given in parts.get("v1", []))


def inbox_item_url(base: str | None, thread_id: str) -> str | None:
    """The inbox page of a thread's waiting run, or None without a base URL."""
    if not base:
        return None
    return f"{base.rstrip('/')}/inbox/{quote(thread_id, safe='')}"


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= QUESTION_CHARS else line[: QUESTION_CHARS - 1] + "…"


def _action_text(request: Any) -> str | None:
    """A HumanInterrupt's action_request, or a HITL-middleware action request."""
    if not isinstance(request, Mapping):
        return None
    if isinstance(request.get("description"), str) and request["description"]:
        return str(request["description"])
    action = request.get("action") or request.get("name")
    if not isinstance(action, str):
        return None
    args = request.get("args")
    return f"{action}({_compact(args)})" if args is not None else action


def question_of(value: Any) -> str:
    """The one line a human reads: a string payload, or its "question" / "description" /
    "action_request" text (HITL middleware: its action requests), else compact JSON."""
    if isinstance(value, list) and value:  # Agent Inbox sends a list of HumanInterrupts
        return question_of(value[0]) + (f" (+{len(value) - 1} more)" if len(value) > 1 else "")
    if isinstance(value, str):
        return _one_line(value)
    if isinstance(value, Mapping):
        for key in ("question", "description"):
            if isinstance(value.get(key), str) and value[key]:
                return _one_line(value[key])
        text = _action_text(value.get("action_request"))
        if text is not None:
            return _one_line(text)
        requests = value.get("action_requests")
        if isinstance(requests, list) and requests:
            texts = [t for t in (_action_text(r) for r in requests) if t]
            if texts:
                return _one_line("Review: " + "; ".join(texts))
    return _one_line(_compact(value))


def answer_template(schema: Mapping[str, Any] | None) -> Any:
    """A value of the shape `schema` asks for (JSON Schema, as pydantic writes it): `true`
    for a boolean, an object with every property for an object, the first enum value, ...;
    "<answer>" where nothing is known."""
    if not schema:
        return "<answer>"
    return _template(schema, schema.get("$defs") or schema.get("definitions") or {}, 0)


def _template(schema: Mapping[str, Any], defs: Mapping[str, Any], depth: int) -> Any:
    if depth > TEMPLATE_DEPTH:
        return None
    if "const" in schema:
        return schema["const"]
    if "default" in schema:
        return schema["default"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    ref = schema.get("$ref")
    if isinstance(ref, str):
        target = defs.get(ref.rpartition("/")[2])
        return _template(target, defs, depth + 1) if isinstance(target, Mapping) else None
    for key in ("anyOf", "oneOf", "allOf"):
        options = [o for o in schema.get(key) or [] if isinstance(o, Mapping)]
        options = [o for o in options if o.get("type") != "null"] or options
        if options:
            return _template(options[0], defs, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        return schema.get("minimum", 0)
    if kind == "array":
        items = schema.get("items")
        return [_template(items, defs, depth + 1)] if isinstance(items, Mapping) else []
    if kind == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        return {
            name: _template(sub, defs, depth + 1)
            for name, sub in props.items()
            if isinstance(sub, Mapping)
        }
    if kind == "null":
        return None
    return "<answer>"


def resume_example(pending: Sequence[Any]) -> dict[str, Any]:
    """The resume message that answers `pending` (PendingInterrupts): one answer, or a map
    {interrupt id: answer} when several wait; {} at a breakpoint (nothing to answer)."""
    if not pending:
        return {}
    if len(pending) == 1:
        return {"resume": answer_template(pending[0].response_schema)}
    return {"resume": {p.id: answer_template(p.response_schema) for p in pending}}


def resume_commands(
    thread_id: str, example: Mapping[str, Any], *, update_name: str = "resume_update"
) -> list[str]:
    """The two command lines that answer: Tempograph's CLI (waits for the next pause or the
    end) and Temporal's (the validating update, as the UI's "Send an Update" does)."""
    cli = f"tempograph resume {shlex.quote(thread_id)}"
    if "resume" in example:
        cli += f" {shlex.quote(_compact(example['resume']))}"
    temporal = (
        f"temporal workflow update execute -w {shlex.quote(thread_id)} --name {update_name} "
        f"--input {shlex.quote(_compact(dict(example)))}"
    )
    return [cli, temporal]


def run_summary(graph: str, thread_id: str) -> str:
    """The Temporal UI's one-line summary of a run (static: set when the run starts)."""
    return f"{graph or 'graph'} · {thread_id}"


def run_details(graph: str, thread_id: str, inbox_base: str | None = None) -> str:
    """The Temporal UI's static details of a run: what it is and where to look. `inbox_base`
    defaults to this process's TEMPOGRAPH_INBOX_URL."""
    if inbox_base is None:
        inbox_base = os.environ.get(INBOX_URL_ENV, DEFAULT_INBOX_URL).strip()
    lines = [
        f"Tempograph run of graph `{graph}` on thread `{thread_id}`.",
        "While it waits for a human, Current Details say what it asks and how to answer.",
        f"State: `tempograph state {shlex.quote(thread_id)}`",
    ]
    inbox = inbox_item_url(inbox_base, thread_id)
    if inbox:
        lines.append(f"Inbox: {inbox}")
    return "\n".join(lines)
