"""Strict JSON request bodies: what Python's parser accepts but no answer could carry back.

`json.loads` takes NaN and ±Infinity (not JSON), lone UTF-16 surrogate escapes ("\\ud800":
valid JSON, but not encodable as UTF-8) and any nesting depth its recursion allows. Values like
these sit in metadata, inputs and state (typed `Any`), and fail later, when an answer is
rendered: a 500. `StrictJSONRoute` refuses them up front as malformed JSON (FastAPI answers 422,
"JSON decode error", like any other unparsable body).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

# The real server's orjson refuses to write objects nested deeper than 254 levels.
MAX_DEPTH = 200


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
                return f"nested deeper than {MAX_DEPTH} levels"
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


class StrictJSONRoute(APIRoute):
    """An APIRoute whose JSON bodies are parsed by `loads`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict
