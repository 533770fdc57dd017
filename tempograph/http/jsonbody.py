"""Strict JSON request bodies: what Python's parser accepts but no answer could carry back.

`json.loads` takes NaN and ±Infinity (not JSON), lone UTF-16 surrogate escapes ("\\ud800":
valid JSON, but not encodable as UTF-8) and any nesting depth its recursion allows. Values like
these sit in metadata, inputs and state (typed `Any`), and fail later, when an answer is
rendered: a 500. `StrictJSONRoute` refuses them up front as malformed JSON (FastAPI answers 422,
"JSON decode error", like any other unparsable body). Bodies nest at most MAX_DEPTH levels: the
values they carry (input, command, metadata...) are limited to limits.MAX_JSON_DEPTH, checked
with a clear message by the service; a body a few levels deeper than that is refused here.
Path ids (thread, run, assistant, checkpoint) longer than MAX_PATH_ID_CHARS get a 422.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from tempograph import limits

# The body's own levels (body -> command -> resume ...) on top of the values' limit.
BODY_LEVELS = 8
MAX_DEPTH = limits.MAX_JSON_DEPTH + BODY_LEVELS
# Temporal refuses workflow ids over 1000 bytes (a raw RPC error).
MAX_PATH_ID_CHARS = 1000
PATH_IDS = ("thread_id", "run_id", "assistant_id", "checkpoint_id")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def check_value(value: Any) -> str | None:
    """Why `value` (parsed JSON) cannot be sent back as JSON; None when it can."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return "a string holds a lone UTF-16 surrogate (\\ud800-\\udfff)"
        elif isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                return (
                    f"nested deeper than {MAX_DEPTH} levels; values are limited to "
                    f"{limits.MAX_JSON_DEPTH} levels"
                )
            if isinstance(item, dict):
                stack.extend((k, depth) for k in item)
                stack.extend((v, depth + 1) for v in item.values())
            else:
                stack.extend((v, depth + 1) for v in item)
    return None


def loads(body: bytes | str) -> Any:
    """`json.loads` that refuses NaN, ±Infinity, lone surrogates and deep nesting, raising
    `json.JSONDecodeError` (which FastAPI turns into a 422)."""
    try:
        value = json.loads(body, parse_constant=_no_constant)
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # a constant, or bytes that are not UTF-8/16/32
        raise json.JSONDecodeError(str(exc), _text(body), 0) from None
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", _text(body), 0) from None
    problem = check_value(value)
    if problem is not None:
        raise json.JSONDecodeError(problem, _text(body), 0)
    return value


def _text(body: bytes | str) -> str:
    return body.decode("utf-8", "replace") if isinstance(body, bytes) else body


class StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = loads(await self.body())
        return self._json


class PathIdTooLongError(ValueError):
    """A path id over MAX_PATH_ID_CHARS characters (answered 422)."""


class StrictJSONRoute(APIRoute):
    """An APIRoute whose JSON bodies are parsed by `loads`, and whose path ids are at most
    MAX_PATH_ID_CHARS characters."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            for name in PATH_IDS:
                value = request.path_params.get(name)
                if isinstance(value, str) and len(value) > MAX_PATH_ID_CHARS:
                    raise PathIdTooLongError(
                        f"{name}: at most {MAX_PATH_ID_CHARS} characters (got {len(value)})"
                    )
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict
