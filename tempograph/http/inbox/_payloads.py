"""What an interrupt shows and how its answer is built from a form: pure functions.

An interrupt's value is untrusted (whatever a node, or a model through a node, put there): it
reaches the page only through Jinja's autoescaping, or through `markdown`, which escapes first
and adds a few fixed tags.

Kinds of card, first match wins:
- `human_interrupt`: LangGraph's prebuilt HumanInterrupt (`action_request`, `config`,
  `description`), alone or as a list of one; answered `[{"type": accept|edit|response|ignore,
  "args": ...}]` as Agent Inbox does.
- `hitl`: LangChain's HumanInTheLoopMiddleware request (`action_requests`, `review_configs`);
  answered `{"decisions": [{"type": approve|edit|reject|respond, ...}, ...]}`.
- `schema`: an interrupt with a `response_schema`: a form of its fields.
- `free`: anything else: JSON (or plain text) typed by the person.
- `breakpoint`: a static breakpoint: nothing to answer, only "continue".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from markupsafe import Markup, escape

HI_TYPES = ("accept", "edit", "response", "ignore")
HI_ALLOW = {"accept": "allow_accept", "edit": "allow_edit", "response": "allow_respond",
            "ignore": "allow_ignore"}  # fmt: skip
HITL_TYPES = ("approve", "edit", "reject", "respond")
PREVIEW_CHARS = 160


class AnswerError(ValueError):
    """The form cannot make an answer (bad JSON, a missing choice): shown next to the form."""


def pretty(value: Any) -> str:
    """JSON, indented, non-ASCII kept (escaped by the template, not here)."""
    try:
        return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False)
    except (TypeError, ValueError):
        return repr(value)


# --- Markdown-ish text -------------------------------------------------------------------------

_FENCE = re.compile(r"```[^\n]*\n(.*?)(?:```|$)", re.S)
_CODE = re.compile(r"`([^`\n]+)`")
_BOLD = re.compile(r"\*\*([^*\n]+)\*\*")
_EM = re.compile(r"(?<![*\w])\*([^*\n]+)\*(?![*\w])")
_BULLET = re.compile(r"^\s*[-*] ")
_HEADING = re.compile(r"^(#{1,6}) +(.*)$")


def _inline(escaped: str) -> str:
    """Inline marks on text that is already escaped (the patterns add fixed tags only)."""
    escaped = _CODE.sub(r"<code>\1</code>", escaped)
    escaped = _BOLD.sub(r"<strong>\1</strong>", escaped)
    return _EM.sub(r"<em>\1</em>", escaped)


def markdown(text: str) -> Markup:
    """A small, safe subset of Markdown: paragraphs, line breaks, `- ` lists, `#` headings,
    fenced code, `code`, **bold**, *italic*. Everything is escaped first; no links or raw HTML."""
    out: list[str] = []
    pos = 0
    for fence in _FENCE.finditer(text):
        out.append(_blocks(text[pos : fence.start()]))
        out.append(f"<pre><code>{escape(fence.group(1))}</code></pre>")
        pos = fence.end()
    out.append(_blocks(text[pos:]))
    return Markup("".join(out))  # noqa: S704 - built from escaped text and fixed tags only


def _blocks(text: str) -> str:
    html: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        if not block.strip():
            continue
        lines = block.split("\n")
        if all(_BULLET.match(line) for line in lines):
            items = "".join(f"<li>{_inline(str(escape(_BULLET.sub('', li))))}</li>" for li in lines)
            html.append(f"<ul>{items}</ul>")
            continue
        heading = _HEADING.match(lines[0]) if len(lines) == 1 else None
        if heading:
            html.append(f"<h4>{_inline(str(escape(heading.group(2))))}</h4>")
            continue
        html.append("<p>" + "<br>".join(_inline(str(escape(line))) for line in lines) + "</p>")
    return "".join(html)


# --- Cards ------------------------------------------------------------------------------------


@dataclass
class Field:
    """One input of a response_schema form. `name` "" is the whole answer (a scalar schema)."""

    name: str
    label: str
    kind: str  # text | integer | number | boolean | enum | json
    required: bool
    description: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)  # (JSON value, label)
    default: str = ""


@dataclass
class Action:
    """A proposed action (tool call) of a HumanInterrupt or a HITL-middleware request."""

    index: int
    name: str
    args: dict[str, Any]
    description: Markup
    allowed: list[str]

    @property
    def args_json(self) -> str:
        return pretty(self.args)

    @property
    def arg_items(self) -> list[tuple[str, str, bool]]:
        """(name, text, is_json) per argument: strings as they are, the rest as JSON."""
        return [
            (str(k), v, False) if isinstance(v, str) else (str(k), pretty(v), True)
            for k, v in self.args.items()
        ]


@dataclass
class Card:
    """One pending interrupt as the item page shows and answers it."""

    id: str
    node: str
    kind: str  # human_interrupt | hitl | schema | free | breakpoint
    value: Any
    response_schema: dict[str, Any] | None = None
    deadline: datetime | None = None
    has_default: bool = False
    text: Markup | None = None  # the value, when it is a string
    actions: list[Action] = field(default_factory=list)
    fields: list[Field] = field(default_factory=list)

    @property
    def value_json(self) -> str:
        return pretty(self.value)

    @property
    def schema_json(self) -> str:
        return pretty(self.response_schema)


def human_interrupt(value: Any) -> dict[str, Any] | None:
    """The HumanInterrupt in `value` (a list of one, or bare), if it is one."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, dict) or not isinstance(value.get("action_request"), dict):
        return None
    if not isinstance(value.get("config"), dict):
        return None
    request = value["action_request"]
    if not isinstance(request.get("action"), str) or not isinstance(request.get("args"), dict):
        return None
    return value


def hitl_request(value: Any) -> dict[str, Any] | None:
    """The HumanInTheLoopMiddleware request in `value`, if it is one."""
    if not isinstance(value, dict):
        return None
    requests, configs = value.get("action_requests"), value.get("review_configs")
    if not isinstance(requests, list) or not isinstance(configs, list) or not requests:
        return None
    ok = all(
        isinstance(r, dict) and isinstance(r.get("name"), str) and isinstance(r.get("args"), dict)
        for r in requests
    )
    return value if ok else None


def card(
    interrupt_id: str,
    node: str,
    value: Any,
    response_schema: dict[str, Any] | None,
    deadline: datetime | None = None,
    has_default: bool = False,
) -> Card:
    c = Card(interrupt_id, node, "free", value, response_schema, deadline, has_default)
    if isinstance(value, str):
        c.text = markdown(value)
    hi, hitl = human_interrupt(value), hitl_request(value)
    if hi is not None:
        c.kind = "human_interrupt"
        config = hi["config"]
        allowed = [t for t in HI_TYPES if config.get(HI_ALLOW[t])]
        request = hi["action_request"]
        description = markdown(str(hi.get("description") or ""))
        c.actions = [Action(0, request["action"], request["args"], description, allowed)]
    elif hitl is not None:
        c.kind = "hitl"
        by_name: dict[Any, list[str]] = {}
        for config in hitl["review_configs"]:
            if isinstance(config, dict):
                decisions = config.get("allowed_decisions") or []
                by_name[config.get("action_name")] = [t for t in HITL_TYPES if t in decisions]
        c.actions = [
            Action(
                i,
                r["name"],
                r["args"],
                markdown(str(r.get("description") or "")),
                by_name.get(r["name"], []),
            )
            for i, r in enumerate(hitl["action_requests"])
        ]
    elif response_schema:
        fields = schema_fields(response_schema)
        if fields is not None:
            c.kind, c.fields = "schema", fields
    return c


def breakpoint_card(nodes: list[str], where: str) -> Card:
    return Card("", ", ".join(nodes), "breakpoint", f"Paused {where} {', '.join(nodes)}")


def preview(value: Any) -> str:
    """One line saying what the interrupt asks (the list page)."""
    hi, hitl = human_interrupt(value), hitl_request(value)
    if hi is not None:
        text = str(hi.get("description") or "") or f"{hi['action_request']['action']}?"
    elif hitl is not None:
        names = ", ".join(str(r["name"]) for r in hitl["action_requests"])
        text = f"Review {len(hitl['action_requests'])} action(s): {names}"
    elif isinstance(value, str):
        text = value
    elif isinstance(value, dict) and isinstance(value.get("question"), str):
        text = value["question"]
    else:
        text = json.dumps(value, ensure_ascii=False, default=repr)
    text = " ".join(text.split())
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


# --- Forms from a response_schema ---------------------------------------------------------------


def _resolve(schema: Any, root: dict[str, Any]) -> Any:
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part) if isinstance(target, dict) else None
        return target if isinstance(target, dict) else schema
    return schema


def _optional_of(schema: dict[str, Any]) -> dict[str, Any]:
    """`X | None` (anyOf [X, null]) is X with an empty input meaning "not given"."""
    options = schema.get("anyOf")
    if isinstance(options, list):
        rest = [o for o in options if not (isinstance(o, dict) and o.get("type") == "null")]
        if len(rest) == 1 and isinstance(rest[0], dict):
            return {**{k: v for k, v in schema.items() if k != "anyOf"}, **rest[0]}
    return schema


def _field(name: str, schema: Any, root: dict[str, Any], required: bool) -> Field:
    schema = _optional_of(_resolve(schema, root)) if isinstance(schema, dict) else {}
    label = str(schema.get("title") or name or "Answer")
    description = str(schema.get("description") or "")
    default = schema.get("default")
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        options = [(json.dumps(v), str(v)) for v in enum]
        chosen = json.dumps(default) if "default" in schema else ""
        return Field(name, label, "enum", required, description, options, chosen)
    kind = schema.get("type")
    if kind in ("string", "integer", "number"):
        shown = "" if default is None else str(default)
        return Field(name, label, "text" if kind == "string" else kind, required, description,
                     default=shown)  # fmt: skip
    if kind == "boolean":
        chosen = json.dumps(default) if isinstance(default, bool) else ""
        options = [("true", "yes (true)"), ("false", "no (false)")]
        return Field(name, label, "boolean", required, description, options, chosen)
    shown = pretty(default) if "default" in schema else ""
    return Field(name, label, "json", required, description, default=shown)


def schema_fields(schema: dict[str, Any]) -> list[Field] | None:
    """The inputs of a form for `schema`: one per property of an object schema, or one for a
    scalar schema. None when a form would not help (an object without properties)."""
    top = _resolve(schema, schema)
    if not isinstance(top, dict):
        return None
    properties = top.get("properties")
    if top.get("type") == "object" or isinstance(properties, dict):
        if not isinstance(properties, dict) or not properties:
            return None
        required = set(top.get("required") or [])
        return [_field(str(n), s, schema, n in required) for n, s in properties.items()]
    return [_field("", top, schema, True)]


def _field_value(f: Field, raw: str) -> Any:
    """The JSON value of one input; a value of the wrong type is kept as typed, so the run's
    validation (the authority) refuses it with its own message."""
    if f.kind == "text":
        return raw
    if f.kind in ("integer", "number"):
        try:
            number = float(raw)
        except ValueError:
            return raw
        return int(number) if f.kind == "integer" and number.is_integer() else number
    if f.kind in ("boolean", "enum"):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return parse_json(raw, f.label)


def parse_json(raw: str, what: str = "The answer") -> Any:
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise AnswerError(f"{what}: not valid JSON ({exc})") from None


_EMPTY = object()


def build_answer(c: Card, form: dict[str, str]) -> Any:
    """The resume value for card `c` from the posted form. Every form can also send raw JSON
    (mode "json"); the free form can send plain text (mode "text")."""
    mode = form.get("mode", "")
    if mode == "json":
        raw = form.get("raw", "").strip()
        if not raw:
            raise AnswerError("Type a JSON answer first")
        return parse_json(raw)
    if mode == "text":
        return form.get("raw", "")
    if c.kind == "human_interrupt":
        return [_hi_response(c.actions[0], mode, form)]
    if c.kind == "hitl":
        return {"decisions": [_decision(a, form) for a in c.actions]}
    if c.kind == "schema":
        answer: dict[str, Any] = {}
        for f in c.fields:
            raw = form.get(f"f.{f.name}", "")
            value = _EMPTY if raw.strip() == "" and f.kind != "text" else _field_value(f, raw)
            if f.kind == "text" and raw == "" and not f.required:
                value = _EMPTY
            if f.name == "":
                return None if value is _EMPTY else value
            if value is not _EMPTY:
                answer[f.name] = value
        return answer
    raise AnswerError("Choose how to answer: send JSON or text")


def _hi_response(action: Action, mode: str, form: dict[str, str]) -> dict[str, Any]:
    if mode not in action.allowed:
        raise AnswerError(f"Choose one of: {', '.join(action.allowed) or 'nothing allowed'}")
    if mode == "edit":
        args = parse_json(form.get("args-0", ""), "The edited arguments")
        if not isinstance(args, dict):
            raise AnswerError("The edited arguments must be a JSON object")
        return {"type": "edit", "args": {"action": action.name, "args": args}}
    if mode == "response":
        return {"type": "response", "args": form.get("response-0", "")}
    return {"type": mode, "args": None}


def _decision(action: Action, form: dict[str, str]) -> dict[str, Any]:
    i = action.index
    choice = form.get(f"decision-{i}", "")
    if choice not in action.allowed:
        raise AnswerError(
            f"Action {i + 1} ({action.name}): choose one of {', '.join(action.allowed)}"
        )
    if choice == "edit":
        args = parse_json(form.get(f"args-{i}", ""), f"Action {i + 1}: the edited arguments")
        if not isinstance(args, dict):
            raise AnswerError(f"Action {i + 1}: the edited arguments must be a JSON object")
        return {"type": "edit", "edited_action": {"name": action.name, "args": args}}
    message = form.get(f"message-{i}", "")
    if choice == "respond":
        return {"type": "respond", "message": message}
    if choice == "reject" and message:
        return {"type": "reject", "message": message}
    return {"type": choice}
