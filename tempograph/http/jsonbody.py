"""Strict JSON request bodies, parsed by orjson (as the Agent Server does).

orjson refuses what Python's `json.loads` takes but no answer could carry back: NaN and
±Infinity (not JSON), numbers that overflow to infinity (1e400), lone UTF-16 surrogate escapes
("\\ud800": valid JSON, but not encodable as UTF-8) and bytes that are not UTF-8. These would
sit in metadata, inputs and state (typed `Any`) and fail later, when an answer is rendered: a
500. `StrictJSONRoute` refuses them up front as malformed JSON (FastAPI answers 422, "JSON
decode error (<why>)", like any other unparsable body; `why` in the words of the parser this
replaced: "NaN is not valid JSON", "a string holds a lone UTF-16 surrogate"...). Bodies nest at
most MAX_DEPTH levels: the values they carry (input, command, metadata...) are limited to
limits.MAX_JSON_DEPTH, checked with a clear message by the service; a body a few levels deeper
than that is refused here (orjson's own limit is 1024). Path ids (thread, run, assistant,
checkpoint) longer than MAX_PATH_ID_CHARS get a 422.

Measured on a 1.06 MB run body of many small objects (tests/http/test_jsonbody.py prints it):
43-52 ms with json.loads and the walk over every value it needed, 12 ms with orjson and a walk
of the containers only (orjson alone: 7 ms); a 0.7 MB body of chat messages: 8 -> 3 ms.
Differences from `json.loads`: a UTF-8 byte order mark is skipped, UTF-16/32 bodies are refused
(RFC 8259: JSON between systems is UTF-8; the Agent Server refuses them too), and integers
beyond 64 bits, which orjson turns into floats, are read again exactly by `json.loads`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.routing import APIRoute

from tempograph import limits

# The body's own levels (body -> command -> resume ...) on top of the values' limit.
BODY_LEVELS = 8
MAX_DEPTH = limits.MAX_JSON_DEPTH + BODY_LEVELS
# Temporal refuses workflow ids over 1000 bytes (a raw RPC error).
MAX_PATH_ID_CHARS = 1000
PATH_IDS = ("thread_id", "run_id", "assistant_id", "checkpoint_id")

BOM = b"\xef\xbb\xbf"
TOO_DEEP = (
    f"nested deeper than {MAX_DEPTH} levels; values are limited to {limits.MAX_JSON_DEPTH} levels"
)
# orjson reads integers in [-2**63, 2**64) as ints, others as floats.
_EXACT_INTS = (-(2.0**63), 2.0**64)


def _walk(value: Any) -> tuple[bool, bool]:
    """(nested deeper than MAX_DEPTH, holds a float beyond orjson's integers)."""
    low, high = _EXACT_INTS
    big = False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True, big
        for v in item.values() if type(item) is dict else item:
            kind = type(v)
            if kind is dict or kind is list:
                stack.append((v, depth + 1))
            elif kind is float and not low <= v < high:
                big = True
    return False, big


def _why(exc: orjson.JSONDecodeError) -> str:
    """orjson's error, in the words of the checks it replaced."""
    if exc.msg.startswith("str is not valid UTF-8"):
        return "the body is not valid UTF-8"
    if "surrogate" in exc.msg:
        return "a string holds a lone UTF-16 surrogate (\\ud800-\\udfff)"
    if exc.msg == "depth limit exceeded":
        return TOO_DEEP
    for constant in ("-Infinity", "NaN", "Infinity"):  # orjson points after a minus sign
        if exc.doc.startswith(constant, exc.pos) or exc.doc.startswith(constant, exc.pos - 1):
            return f"{constant} is not valid JSON"
    return exc.msg


def loads(body: bytes | str) -> Any:
    """orjson.loads, also refusing nesting deeper than MAX_DEPTH, raising
    `json.JSONDecodeError` (which FastAPI turns into a 422)."""
    if isinstance(body, bytes) and body.startswith(BOM):
        body = body[len(BOM) :]
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise json.JSONDecodeError(_why(exc), exc.doc, exc.pos) from None
    if isinstance(value, dict | list):
        too_deep, big = _walk(value)
        if too_deep:
            raise json.JSONDecodeError(TOO_DEEP, _text(body), 0)
        if big:  # exact integers; orjson has checked everything else
            value = json.loads(body)
    elif type(value) is float and not _EXACT_INTS[0] <= value < _EXACT_INTS[1]:
        value = json.loads(body)
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
