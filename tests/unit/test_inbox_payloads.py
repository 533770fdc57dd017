"""The inbox's pure parts: markdown-ish text (escaped first), forms from a response_schema and
the answers built from them, the HumanInterrupt / HITL-middleware conventions."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from tempograph.http.inbox._payloads import AnswerError, build_answer, card, markdown, preview


def test_markdown_escapes_before_marking_up() -> None:
    html = markdown("# Title\n\n**bold** <script>x()</script> *em* `a<b`\n\n- one\n- <i>two</i>")
    assert html == (
        "<h4>Title</h4><p><strong>bold</strong> &lt;script&gt;x()&lt;/script&gt; <em>em</em> "
        "<code>a&lt;b</code></p><ul><li>one</li><li>&lt;i&gt;two&lt;/i&gt;</li></ul>"
    )
    assert markdown("```\n<b>\n```") == "<pre><code>&lt;b&gt;\n</code></pre>"


class Choice(BaseModel):
    approved: bool
    level: int = 1
    color: str | None = None
    tags: list[str] = []


def test_a_form_from_a_pydantic_schema_and_its_answer() -> None:
    c = card("a" * 32, "n", {"q": 1}, Choice.model_json_schema())
    assert c.kind == "schema"
    kinds = {f.name: (f.kind, f.required) for f in c.fields}
    assert kinds == {
        "approved": ("boolean", True),
        "level": ("integer", False),
        "color": ("text", False),
        "tags": ("json", False),
    }
    form = {"mode": "form", "f.approved": "false", "f.level": "3", "f.color": "", "f.tags": ""}
    assert build_answer(c, form) == {"approved": False, "level": 3}
    # A value of the wrong type is sent as typed: the run's validation refuses it.
    assert build_answer(c, {**form, "f.level": "many"})["level"] == "many"
    with pytest.raises(AnswerError, match="not valid JSON"):
        build_answer(c, {**form, "f.tags": "[oops"})
    assert build_answer(c, {"mode": "json", "raw": '{"approved": 1}'}) == {"approved": 1}


def test_a_scalar_schema_is_one_field() -> None:
    c = card("a" * 32, "n", "ok?", {"type": "string", "enum": ["yes", "no"]})
    assert [(f.name, f.kind) for f in c.fields] == [("", "enum")]
    assert build_answer(c, {"mode": "form", "f.": '"no"'}) == "no"


def test_human_interrupt_answers() -> None:
    request: dict[str, Any] = {
        "action_request": {"action": "send", "args": {"to": "a"}},
        "config": {
            "allow_accept": True,
            "allow_edit": True,
            "allow_respond": False,
            "allow_ignore": True,
        },  # fmt: skip
        "description": "Send?",
    }
    c = card("a" * 32, "n", [request], None)
    assert c.kind == "human_interrupt" and c.actions[0].allowed == ["accept", "edit", "ignore"]
    assert build_answer(c, {"mode": "accept"}) == [{"type": "accept", "args": None}]
    edited = build_answer(c, {"mode": "edit", "args-0": '{"to": "b"}'})
    assert edited == [{"type": "edit", "args": {"action": "send", "args": {"to": "b"}}}]
    with pytest.raises(AnswerError, match="Choose one of"):
        build_answer(c, {"mode": "response", "response-0": "no"})
    assert preview([request]) == "Send?"


def test_hitl_middleware_decisions() -> None:
    value = {
        "action_requests": [{"name": "t", "args": {"x": 1}}, {"name": "u", "args": {}}],
        "review_configs": [
            {"action_name": "t", "allowed_decisions": ["approve", "edit"]},
            {"action_name": "u", "allowed_decisions": ["reject", "respond"]},
        ],
    }
    c = card("a" * 32, "n", value, None)
    assert c.kind == "hitl" and [a.allowed for a in c.actions] == [
        ["approve", "edit"],
        ["reject", "respond"],
    ]
    form = {"decision-0": "edit", "args-0": '{"x": 2}', "decision-1": "respond", "message-1": "hi"}
    assert build_answer(c, form) == {
        "decisions": [
            {"type": "edit", "edited_action": {"name": "t", "args": {"x": 2}}},
            {"type": "respond", "message": "hi"},
        ]
    }
    assert build_answer(c, {**form, "decision-1": "reject", "message-1": ""})["decisions"][1] == {
        "type": "reject"
    }
    with pytest.raises(AnswerError, match=r"Action 1 \(t\): choose one of approve, edit"):
        build_answer(c, {**form, "decision-0": "reject"})
    assert preview(value) == "Review 2 action(s): t, u"
