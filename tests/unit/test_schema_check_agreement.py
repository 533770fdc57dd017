"""The typed-answer validator (tempograph.schema_check, jsonschema Draft 2020-12) and the node's
pydantic model agree: answers generated from valid ones (every field removed, retyped, put out
of bounds, an extra field added) are refused by the validator exactly when the model refuses
them as JSON (pydantic strict JSON mode: "2" is no integer, as in JSON Schema), and whatever
the validator lets through, the node's own validation (lax, validate_python) takes."""

from __future__ import annotations

import copy
import enum
import json
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from tempograph.schema_check import check, check_legacy


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Address(BaseModel):
    street: str = Field(min_length=1, max_length=40)
    zip: str = Field(pattern=r"^[0-9]{5}$")


class Person(BaseModel):
    name: str
    age: int = Field(ge=0, le=150)
    address: Address
    nickname: str | None = None
    tags: list[str] = Field(default_factory=list, max_length=3)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["strict"]
    color: Color
    level: Level = Level.LOW
    ratio: float = Field(gt=0, lt=1)


class Cat(BaseModel):
    pet_type: Literal["cat"]
    meows: int


class Dog(BaseModel):
    pet_type: Literal["dog"]
    barks: float
    good: bool = True


class Owner(BaseModel):
    pet: Annotated[Cat | Dog, Field(discriminator="pet_type")]
    others: list[Annotated[Cat | Dog, Field(discriminator="pet_type")]] = Field(min_length=1)
    scores: dict[str, int] = Field(default_factory=dict)
    note: Annotated[str, Field(min_length=2)] | None = None


class Decision(BaseModel):
    approved: bool
    note: str = ""
    reviewers: list[Person] = Field(default_factory=list)


VALID: dict[type[BaseModel], list[Any]] = {
    Person: [
        {"name": "Ada", "age": 36, "address": {"street": "Main", "zip": "12345"}},
        {
            "name": "Bo",
            "age": 0,
            "address": {"street": "x", "zip": "00000"},
            "nickname": "b",
            "tags": ["a", "b"],
        },
    ],
    Strict: [
        {"kind": "strict", "color": "red", "ratio": 0.5},
        {"kind": "strict", "color": "green", "level": 2, "ratio": 0.001},
    ],
    Owner: [
        {"pet": {"pet_type": "cat", "meows": 3}, "others": [{"pet_type": "dog", "barks": 1.5}]},
        {
            "pet": {"pet_type": "dog", "barks": 2, "good": False},
            "others": [{"pet_type": "cat", "meows": 0}, {"pet_type": "dog", "barks": 0.0}],
            "scores": {"a": 1},
            "note": "hi",
        },
    ],
    Decision: [
        {"approved": True},
        {
            "approved": False,
            "note": "no",
            "reviewers": [{"name": "C", "age": 150, "address": {"street": "s", "zip": "99999"}}],
        },
    ],
}

# Values put in place of each value of a valid answer.
REPLACEMENTS: list[Any] = [
    None,
    True,
    0,
    -1,
    151,
    2.5,
    1.0,
    "",
    "x",
    "2",
    "red",
    "blue",
    "cat",
    "12345",
    "1234a",
    "y" * 41,
    [],
    ["a", "b", "c", "d"],
    [{"pet_type": "cat", "meows": 1}],
    {},
    {"pet_type": "dog", "barks": 1},
    {"pet_type": "bird"},
    {"street": "s", "zip": "12345"},
]


def _paths(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [at]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*at, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*at, i))
    return out


def _set(answer: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return copy.deepcopy(new)
    out = copy.deepcopy(answer)
    target = out
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = copy.deepcopy(new)
    return out


def _drop(answer: Any, path: tuple[Any, ...]) -> Any:
    out = copy.deepcopy(answer)
    target = out
    for part in path[:-1]:
        target = target[part]
    del target[path[-1]]
    return out


def generated(valid: list[Any]) -> list[Any]:
    """Each valid answer, and variants: every value replaced, every key dropped, an extra key
    added to every object."""
    answers: list[Any] = []
    for answer in valid:
        answers.append(answer)
        for path in _paths(answer):
            answers += [_set(answer, path, r) for r in REPLACEMENTS]
            if path and isinstance(path[-1], str):
                answers.append(_drop(answer, path))
        for path in _paths(answer):
            target: Any = answer
            for part in path:
                target = target[part]
            if isinstance(target, dict):
                answers.append(_set(answer, path, {**target, "extra": 1}))
    return answers


# Where pydantic, even strict, takes what is not its JSON Schema's: an IntEnum takes true and
# 1.0 (JSON Schema's enum [1, 2] does not; the old checker refused them too).
KNOWN: dict[type[BaseModel], list[Any]] = {
    Strict: [
        (
            {"kind": "strict", "color": "green", "level": True, "ratio": 0.001},
            ["answer.level: must be one of [1, 2]", "answer.level: expected integer, got boolean"],
        ),
        (
            {"kind": "strict", "color": "green", "level": 1.0, "ratio": 0.001},
            ["answer.level: expected integer, got number"],
        ),
    ]
}


def model_accepts(adapter: TypeAdapter[Any], answer: Any) -> bool:
    try:
        adapter.validate_json(json.dumps(answer), strict=True)
    except ValidationError:
        return False
    return True


def node_accepts(adapter: TypeAdapter[Any], answer: Any) -> bool:
    """What the node does with an answer (tempograph.types.interrupt)."""
    try:
        adapter.validate_python(answer)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("model", list(VALID), ids=lambda m: m.__name__)
def test_the_validator_and_the_model_agree(model: type[BaseModel]) -> None:
    adapter: TypeAdapter[Any] = TypeAdapter(model)
    schema = adapter.json_schema()
    answers = generated(VALID[model])
    assert len(answers) > 200
    disagreements = []
    verdicts = {True: 0, False: 0}
    for answer in answers:
        problems = check(answer, schema)
        accepted = not problems
        verdicts[accepted] += 1
        if accepted != model_accepts(adapter, answer):
            disagreements.append((answer, problems))
        if accepted:
            assert node_accepts(adapter, answer), answer
        else:
            assert all(p.startswith("answer") for p in problems), problems
    assert disagreements == KNOWN.get(model, [])
    # Both verdicts are exercised.
    assert verdicts[True] > len(VALID[model]) and verdicts[False] > 100


@pytest.mark.parametrize("model", list(VALID), ids=lambda m: m.__name__)
def test_where_the_old_checker_was_right_the_verdict_is_the_same(model: type[BaseModel]) -> None:
    """Runs recorded before jsonschema replay with check_legacy; the new checker only refuses
    more (what the old one missed: discriminated unions taken as "any", exclusive bounds...)."""
    adapter: TypeAdapter[Any] = TypeAdapter(model)
    schema = adapter.json_schema()
    for answer in generated(VALID[model]):
        old, new = not check_legacy(answer, schema), not check(answer, schema)
        if old == model_accepts(adapter, answer):
            assert old == new, answer
        else:
            assert not new, answer  # the old checker let it through (or KNOWN)


def test_messages() -> None:
    schema = Owner.model_json_schema()
    assert check({"pet": {"pet_type": "bird"}, "others": [], "x": 1}, schema) == [
        "answer.others length: must be >= 1",
        "answer.pet: matches none of the allowed shapes (answer.pet.pet_type: must be 'cat')",
    ]
    schema = Strict.model_json_schema()
    assert check({"kind": "strict", "color": "blue", "ratio": 1, "more": 2}, schema) == [
        "answer.more: extra field not permitted",
        "answer.color: must be one of ['red', 'green']",
        "answer.ratio: must be < 1",
    ]
    person = Person.model_json_schema()
    assert check({"name": 1, "age": 1.0, "address": {"zip": "1"}}, person) == [
        "answer.address.street: field required",
        "answer.address.zip: does not match '^[0-9]{5}$'",
        "answer.age: expected integer, got number",
        "answer.name: expected string, got integer",
    ]


def test_remote_refs_are_never_fetched() -> None:
    schema = {"$ref": "https://example.invalid/schema.json"}
    [problem] = check({}, schema)
    assert problem.startswith("response_schema: cannot resolve")


def test_runs_recorded_before_jsonschema_keep_the_old_verdict() -> None:
    """PauseView.legacy_answers (a run without the jsonschema-answers patch marker) checks with
    check_legacy: a signal resume it accepted is accepted again on replay."""
    from tempograph._engine import PauseView, RejectedError, check_resume
    from tempograph.messages import PendingInterrupt, ResumeInput

    typed = PendingInterrupt(
        id="a" * 32,
        value="?",
        node="ask",
        task_id="t",
        response_schema=Strict.model_json_schema(),
        validate_answer=True,
    )
    answer = {"kind": "strict", "color": "red", "ratio": 1.0}  # ratio < 1 (exclusive)
    fields: dict[str, Any] = {
        "thread_id": "t1",
        "status": "interrupted",
        "busy": False,
        "channels": [],
        "nodes": ["ask"],
        "paused_at": "interrupt",
        "pending": [typed],
    }
    check_resume(ResumeInput(resume=answer), PauseView(**fields, legacy_answers=True))
    with pytest.raises(RejectedError, match=r"answer.ratio: must be < 1"):
        check_resume(ResumeInput(resume=answer), PauseView(**fields))
