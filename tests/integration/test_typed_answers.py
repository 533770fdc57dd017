"""Typed answers: interrupt(value, response_schema=Model) (langgraph-hitl.md §1.10, scenario 36)."""

from __future__ import annotations

import pytest

from tempograph import GraphClient, ResumeError
from tempograph.schema_check import check
from tests.sample_graphs import Decision


async def test_36_invalid_answer_refused_valid_one_reaches_node_as_model(
    graphs: GraphClient, thread: str
) -> None:
    out = await graphs.invoke("typed", {"action": "deploy"}, thread_id=thread)
    [pending] = out["__interrupt__"]
    assert pending.response_schema == Decision.model_json_schema()

    for bad, why in [
        ({"approved": "notabool"}, "answer.approved: expected boolean, got string"),
        ({"note": "x"}, "answer.approved: field required"),
        ("yes", "expected object"),
    ]:
        with pytest.raises(ResumeError, match="does not fit its response_schema") as err:
            await graphs.resume(thread, bad)
        assert err.value.kind == "InvalidAnswer" and why in str(err.value)
    state = await graphs.get_state(thread)
    assert (state.status, [i.id for i in state.interrupts]) == ("interrupted", [pending.id])

    done = await graphs.resume(thread, {"approved": True, "note": "ship it"})
    assert done == {"action": "deploy", "decision": "True:ship it"}


def test_schema_check_covers_pydantic_shapes() -> None:
    from pydantic import BaseModel

    class Item(BaseModel):
        name: str
        qty: int = 1

    class Order(BaseModel):
        items: list[Item]
        rush: bool | None = None
        kind: str = "a"

    schema = Order.model_json_schema()
    assert check({"items": [{"name": "x", "qty": 2}], "rush": None}, schema) == []
    assert check({"items": [{"name": "x", "qty": "2"}]}, schema) == [
        "answer.items[0].qty: expected integer, got string"
    ]
    assert check({"items": [], "rush": "no"}, schema)[0].startswith("answer.rush: matches none")
    assert check({"items": [{"qty": 1}]}, schema) == ["answer.items[0].name: field required"]
