"""Tempograph's input limits, in one place: every entry point (client, CLI, HTTP, workflow
handlers, node results) checks values against these before they can reach a run.

Why each exists:
- Depth: pydantic-core (the data converter) decodes JSON nested at most ~200 levels. A value
  accepted near that depth becomes undecodable once it is wrapped in a node task or a reply (a
  few more levels), and a payload the worker cannot decode fails the workflow task forever: the
  run is stuck. User values are therefore limited well below the decoder's limit.
- Bytes: Temporal refuses payloads over 2 MiB (see tempograph.payloads). An answer or a start
  input that fits alone can still push a reply or a node input over it, so single messages sent
  to a run are limited further.
- Ids: Temporal refuses workflow ids over 1000 bytes (a raw RPC error); a thread id is part of
  the workflow ids of its runs.
"""

from __future__ import annotations

from typing import Any

# Deepest nesting of a user value (state values, inputs, answers, node writes), counted in
# dict/list levels. The decoder's own limit is ~200; payload envelopes add ~10.
MAX_JSON_DEPTH = 64
# Bytes of one message sent to a run (a resume, a state update, a start input) as JSON.
MAX_MESSAGE_BYTES = 1024 * 1024
# Characters of a thread id. Workflow ids derived from it add suffixes ("/thread", a
# subgraph's task id) and Temporal's own limit is 1000 bytes.
MAX_THREAD_ID_CHARS = 512


class LimitError(ValueError):
    """A value breaks one of Tempograph's limits; the message names the limit and the fix."""


def json_depth(value: Any, stop_after: int = MAX_JSON_DEPTH) -> int:
    """Nesting depth of `value` in dict/list levels (a scalar is 0). Iterative, so a value
    deeper than Python's recursion limit is measured too; stops counting past `stop_after`."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        depth += 1
        if depth > deepest:
            deepest = depth
            if deepest > stop_after:
                return deepest
        stack.extend((child, depth) for child in children)
    return deepest


def check_depth(value: Any, what: str, limit: int = MAX_JSON_DEPTH) -> None:
    """Raise LimitError when `value` nests deeper than `limit` levels."""
    if json_depth(value, limit) > limit:
        raise LimitError(
            f"{what} is nested deeper than {limit} levels, Tempograph's limit (Temporal's JSON "
            "decoder stops at about 200 levels, and a value it cannot decode would leave the "
            "run stuck). Flatten the value, or store it elsewhere and pass a reference."
        )


def check_thread_id(thread_id: str) -> None:
    """Refuse a thread id that could never be addressed again (or that Temporal refuses)."""
    if not thread_id:
        raise LimitError("A thread id must not be empty")
    if len(thread_id) > MAX_THREAD_ID_CHARS:
        raise LimitError(
            f"A thread id is at most {MAX_THREAD_ID_CHARS} characters (got {len(thread_id)})"
        )
    if len(thread_id.encode("utf-8", "surrogatepass")) > 2 * MAX_THREAD_ID_CHARS:
        raise LimitError(f"A thread id is at most {2 * MAX_THREAD_ID_CHARS} bytes as UTF-8")
    if "/" in thread_id or "\x00" in thread_id:
        raise LimitError(
            f"A thread id must not contain '/' or NUL (got {thread_id!r}): Tempograph's "
            "workflow ids use '/' to name a thread's records"
        )
