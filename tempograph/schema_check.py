"""Typed answers (`interrupt(..., response_schema=Model)`) checked against the model's JSON Schema.

The resume update's validator runs inside the workflow, which cannot import the user's model,
but it has the model's JSON Schema (pydantic's, recorded with the interrupt). `check` validates
an answer with `jsonschema` (Draft 2020-12: types, properties, required, additionalProperties,
enum, const, $ref/$defs, anyOf/oneOf/allOf, patterns, bounds, minItems, uniqueItems...), so a
wrong answer is refused before anything is written. The node then validates the answer with
the real model, which stays the authority. Deterministic and free of I/O, so safe in the
workflow: remote `$ref`s are never fetched (an empty registry: jsonschema's default one would
download them) and formats ("email", "date-time"...) are annotations, as Draft 2020-12 says by
default (jsonschema's format checks differ from pydantic's: "uuid" without hyphens, naive
datetimes... would be refused though the model takes them; the node refuses a bad one).

Two type rules are kept from the checker this replaced, so that no answer it accepted or refused
gets the other verdict: an integer is a JSON integer (1.0 is refused, as pydantic's strict mode
does; JSON Schema would take it), and tuples count as arrays. The messages keep its wording
("answer.items[0].qty: expected integer, got string").

Runs recorded before the switch (no JSONSCHEMA_ANSWERS patch marker) replay with
`check_legacy`, the hand-written subset checker (a signal resume's verdict is in their state).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# No temporalio here (the engine is pure): the workflow imports the engine, and so these, with
# imports passed through the sandbox (graph_run.py; the worker passes `tempograph` through).
import jsonschema
from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.exceptions import Unresolvable


def _is_integer(_: Any, value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_array(_: Any, value: Any) -> bool:
    return isinstance(value, list | tuple)


_Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine_many(
        {"integer": _is_integer, "array": _is_array}
    ),
)
# No retrieval: an unknown $ref is an error, never a download.
_REGISTRY: Registry[Any] = Registry()


def check(instance: Any, schema: dict[str, Any]) -> list[str]:
    """Problems with `instance` under `schema`, as readable lines; empty when it fits."""
    validator = _Validator(schema, registry=_REGISTRY)
    try:
        errors = sorted(validator.iter_errors(instance), key=_order)
        return [_describe(e) for e in errors]
    except Unresolvable as exc:
        return [f"response_schema: cannot resolve {exc}"]
    except jsonschema.exceptions.SchemaError as exc:  # pragma: no cover - pydantic's schemas
        return [f"response_schema: {exc.message}"]


def _order(error: ValidationError) -> tuple[tuple[int, int, str], ...]:
    """Errors by place in the answer (list items by index)."""
    return tuple((0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in error.absolute_path)


def _at(path: Iterable[Any]) -> str:
    at = "answer"
    for part in path:
        at += f"[{part}]" if isinstance(part, int) else f".{part}"
    return at


def _describe(error: ValidationError) -> str:
    """One error in the old checker's words (jsonschema's own for keywords it did not know)."""
    at = _at(error.absolute_path)
    kind, expected, value = error.validator, error.validator_value, error.instance
    if kind == "type":
        return f"{at}: expected {expected}, got {_json_type(value)}"
    if kind == "required":
        missing = [n for n in expected if isinstance(value, dict) and n not in value]
        return "; ".join(f"{at}.{n}: field required" for n in missing) or error.message
    if kind == "additionalProperties" and expected is False and isinstance(value, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        extra = [n for n in value if n not in known]
        return "; ".join(f"{at}.{n}: extra field not permitted" for n in extra)
    if kind == "enum":
        return f"{at}: must be one of {expected}"
    if kind == "const":
        return f"{at}: must be {expected!r}"
    if kind in ("anyOf", "oneOf"):
        if kind == "oneOf" and not error.context:
            return f"{at}: matches more than one of the allowed shapes"
        first = _describe(error.context[0]) if error.context else error.message
        return f"{at}: matches none of the allowed shapes ({first})"
    if kind == "pattern":
        return f"{at}: does not match {expected!r}"
    bounds = {
        "minimum": ">=",
        "maximum": "<=",
        "exclusiveMinimum": ">",
        "exclusiveMaximum": "<",
    }
    if kind in bounds:
        return f"{at}: must be {bounds[kind]} {expected}"
    lengths = {"minItems": ">=", "maxItems": "<=", "minLength": ">=", "maxLength": "<="}
    if kind in lengths:
        return f"{at} length: must be {lengths[kind]} {expected}"
    return f"{at}: {error.message}"


# ---------------------------------------------------------------------------------------------
# The hand-written checker, for the replay of runs recorded before jsonschema (see above).
# ---------------------------------------------------------------------------------------------

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list, tuple),
    "null": (type(None),),
}


def check_legacy(instance: Any, schema: dict[str, Any]) -> list[str]:
    """`check` as runs recorded before JSONSCHEMA_ANSWERS did it: a subset of JSON Schema
    (types, properties, required, enums, const, $ref, anyOf/oneOf as "any", allOf, bounds,
    patterns, lengths; other keywords ignored)."""
    problems: list[str] = []
    _check(instance, schema, schema, "answer", problems)
    return problems


def _check(value: Any, schema: Any, root: dict[str, Any], at: str, out: list[str]) -> None:
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        _check(value, target, root, at, out)
    if "type" in schema and not _has_type(value, schema["type"]):
        out.append(f"{at}: expected {schema['type']}, got {_json_type(value)}")
        return
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{at}: must be one of {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        out.append(f"{at}: must be {schema['const']!r}")
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [_errors(value, s, root, at) for s in schema[key]]
            if all(options):
                out.append(f"{at}: matches none of the allowed shapes ({options[0][0]})")
    for sub in schema.get("allOf", []):
        _check(value, sub, root, at, out)
    if isinstance(value, dict):
        _check_object(value, schema, root, at, out)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check(item, schema.get("items"), root, f"{at}[{i}]", out)
        _bound(len(value), schema.get("minItems"), schema.get("maxItems"), f"{at} length", out)
    elif isinstance(value, str):
        _bound(len(value), schema.get("minLength"), schema.get("maxLength"), f"{at} length", out)
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and not re.search(pattern, value):
            out.append(f"{at}: does not match {pattern!r}")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        _bound(value, schema.get("minimum"), schema.get("maximum"), at, out)


def _check_object(
    value: dict[str, Any], schema: dict[str, Any], root: dict[str, Any], at: str, out: list[str]
) -> None:
    properties = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in value:
            out.append(f"{at}.{name}: field required")
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        if name in properties:
            _check(item, properties[name], root, f"{at}.{name}", out)
        elif extra is False:
            out.append(f"{at}.{name}: extra field not permitted")
        elif isinstance(extra, dict):
            _check(item, extra, root, f"{at}.{name}", out)


def _errors(value: Any, schema: Any, root: dict[str, Any], at: str) -> list[str]:
    out: list[str] = []
    _check(value, schema, root, at, out)
    return out


def _has_type(value: Any, expected: str | list[str]) -> bool:
    names = [expected] if isinstance(expected, str) else expected
    for name in names:
        if isinstance(value, bool) and name in ("integer", "number"):
            continue  # JSON booleans are not numbers
        if isinstance(value, _TYPES.get(name, ())):
            return True
    return False


def _json_type(value: Any) -> str:
    for name in _TYPES:
        if _has_type(value, name):
            return name
    return type(value).__name__


def _bound(value: float, low: Any, high: Any, at: str, out: list[str]) -> None:
    if isinstance(low, int | float) and value < low:
        out.append(f"{at}: must be >= {low}")
    if isinstance(high, int | float) and value > high:
        out.append(f"{at}: must be <= {high}")
