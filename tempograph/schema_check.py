"""A small JSON Schema checker for typed answers (`interrupt(..., response_schema=Model)`).

The resume update's validator runs inside the workflow, which cannot import the user's model,
but it has the model's JSON Schema (recorded with the interrupt). This checks an answer against
the subset of JSON Schema that pydantic generates (types, properties, required, enums, $ref,
anyOf/oneOf/allOf, bounds), so a wrong answer is refused before anything is written. The node
then validates the answer with the real model, which stays the authority.
Pure and deterministic: safe in the workflow sandbox.
"""

from __future__ import annotations

import re
from typing import Any

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list, tuple),
    "null": (type(None),),
}


def check(instance: Any, schema: dict[str, Any]) -> list[str]:
    """Problems with `instance` under `schema`, as readable lines; empty when it fits."""
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
