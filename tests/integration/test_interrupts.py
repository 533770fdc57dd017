"""Dynamic interrupts: LangGraph 1.2.x acceptance scenarios (langgraph-hitl.md §8)."""

from __future__ import annotations

import re

import pytest

from tempograph import GraphClient, ResumeError
from tempograph.types import Command, Interrupt
from tests.sample_graphs import ENTRIES

HEX32 = re.compile(r"^[0-9a-f]{32}$")


async def test_1_2_interrupt_surfaces_and_resume_reruns_node(
    graphs: GraphClient, thread: str
) -> None:
    out = await graphs.invoke("ask", {"log": [], "x": 1}, thread_id=thread)
    assert out == {
        "log": ["a"],
        "x": 1,
        "__interrupt__": [
            Interrupt(value={"question": "approve?", "x": 1}, id=out["__interrupt__"][0].id)
        ],
    }
    assert HEX32.match(out["__interrupt__"][0].id)

    done = await graphs.invoke("ask", Command(resume="yes"), thread_id=thread)
    assert done == {"log": ["a", "ask=yes", "b"], "x": 1, "human": "yes"}
    # The interrupted node ran again from its start; earlier nodes did not.
    assert ENTRIES[(thread, "ask")] == 2
    assert ENTRIES[(thread, "a")] == 1
    assert ENTRIES[(thread, "c")] == 0


async def test_3_snapshot_while_paused(graphs: GraphClient, thread: str) -> None:
    out = await graphs.invoke("ask", {"log": [], "x": 1}, thread_id=thread)
    state = await graphs.get_state(thread)
    assert state.status == "interrupted"
    assert state.paused_at == "interrupt"
    assert state.next == ["ask"]
    assert state.values == {"log": ["a"], "x": 1}
    [pending] = state.interrupts
    assert (pending.id, pending.value, pending.node) == (
        out["__interrupt__"][0].id,
        {"question": "approve?", "x": 1},
        "ask",
    )
    await graphs.invoke("ask", Command(resume="ok"), thread_id=thread)
    state = await graphs.get_state(thread)
    assert (state.status, state.next, state.interrupts) == ("done", [], [])


async def test_4_ordered_interrupts_in_one_node(graphs: GraphClient, thread: str) -> None:
    first = await graphs.invoke("multi", {"log": []}, thread_id=thread)
    [i1] = first["__interrupt__"]
    assert i1.value == "first"
    second = await graphs.invoke("multi", Command(resume="X"), thread_id=thread)
    [i2] = second["__interrupt__"]
    assert i2.value == "second"
    assert i2.id != i1.id and HEX32.match(i2.id)
    assert (await graphs.get_state(thread)).next == ["two"]
    done = await graphs.invoke("multi", Command(resume="Y"), thread_id=thread)
    assert done == {"log": ["X+Y"]}
    assert ENTRIES[(thread, "two")] == 3


async def test_5_6_parallel_interrupts_scalar_refused_then_partial_map(
    graphs: GraphClient, thread: str
) -> None:
    out = await graphs.invoke("par", {"log": []}, thread_id=thread)
    by_value = {i.value: i for i in out["__interrupt__"]}
    assert set(by_value) == {"q-a", "q-b"}
    assert out["log"] == ["plain"]  # the finished sibling's writes are shown
    state = await graphs.get_state(thread)
    assert sorted(state.next) == ["qa", "qb"]

    with pytest.raises(ResumeError, match="multiple pending interrupts") as err:
        await graphs.invoke("par", Command(resume="single"), thread_id=thread)
    assert err.value.kind == "AmbiguousResume"
    assert len((await graphs.get_state(thread)).interrupts) == 2  # untouched

    partial = await graphs.invoke(
        "par", Command(resume={by_value["q-a"].id: "A"}), thread_id=thread
    )
    assert [i.value for i in partial["__interrupt__"]] == ["q-b"]
    assert partial["__interrupt__"][0].id == by_value["q-b"].id  # same id as before
    assert (await graphs.get_state(thread)).next == ["qb"]

    done = await graphs.invoke("par", Command(resume={by_value["q-b"].id: "B"}), thread_id=thread)
    assert sorted(done["log"]) == sorted(["a=A", "b=B", "plain", "join"])
    assert done["log"][-1] == "join"
    assert ENTRIES[(thread, "p")] == 1  # the finished sibling never re-ran
    assert ENTRIES[(thread, "qa")] == 2
    assert ENTRIES[(thread, "join")] == 1


async def test_7_full_resume_map(graphs: GraphClient, thread: str) -> None:
    out = await graphs.invoke("par", {"log": []}, thread_id=thread)
    answers = {i.id: i.value.upper() for i in out["__interrupt__"]}
    done = await graphs.invoke("par", Command(resume=answers), thread_id=thread)
    assert sorted(done["log"]) == sorted(["a=Q-A", "b=Q-B", "plain", "join"])
    assert ENTRIES[(thread, "join")] == 1


async def test_8_dict_without_id_keys_is_one_value(graphs: GraphClient, thread: str) -> None:
    await graphs.invoke("ask", {"log": [], "x": 1}, thread_id=thread)
    done = await graphs.invoke("ask", Command(resume={"deadbeef": "v"}), thread_id=thread)
    assert done["human"] == str({"deadbeef": "v"})


async def test_10_resume_with_update(graphs: GraphClient, thread: str) -> None:
    await graphs.invoke("ask", {"log": [], "x": 0}, thread_id=thread)
    done = await graphs.invoke("ask", Command(resume="ok", update={"x": 5}), thread_id=thread)
    assert done["x"] == 5 and "ask=ok" in done["log"]


async def test_11_update_only_reinterrupts_on_new_state(graphs: GraphClient, thread: str) -> None:
    first = await graphs.invoke("ask", {"log": [], "x": 0}, thread_id=thread)
    again = await graphs.invoke("ask", Command(update={"x": 7}), thread_id=thread)
    [pending] = again["__interrupt__"]
    assert pending.value == {"question": "approve?", "x": 7}
    assert pending.id == first["__interrupt__"][0].id
    assert (await graphs.get_state(thread)).next == ["ask"]


async def test_12_none_at_dynamic_interrupt_shows_same_interrupt(
    graphs: GraphClient, thread: str
) -> None:
    first = await graphs.invoke("ask", {"log": [], "x": 1}, thread_id=thread)
    again = await graphs.invoke("ask", None, thread_id=thread)
    assert again == first
    done = await graphs.invoke("ask", Command(resume="y"), thread_id=thread)
    assert done["human"] == "y"


async def test_14_resume_finished_thread_returns_final_values(
    graphs: GraphClient, thread: str
) -> None:
    done = await graphs.invoke("chain", {"log": []}, thread_id=thread)
    assert done == {"log": ["a", "b", "c"]}
    again = await graphs.invoke("chain", Command(resume="x"), thread_id=thread)
    assert again == done
    assert ENTRIES[(thread, "a")] == 1


async def test_38_send_fan_out_with_interrupts(graphs: GraphClient, thread: str) -> None:
    out = await graphs.invoke("send", {"items": ["p", "q", "r"]}, thread_id=thread)
    pending = out["__interrupt__"]
    assert sorted(i.value["review"] for i in pending) == ["p", "q", "r"]
    assert len({i.id for i in pending}) == 3
    assert (await graphs.get_state(thread)).next == ["rev", "rev", "rev"]
    answers = {i.id: i.value["review"].upper() for i in pending}
    done = await graphs.invoke("send", Command(resume=answers), thread_id=thread)
    assert sorted(done["out"]) == ["p:P", "q:Q", "r:R"]
    assert "items" in done


@pytest.mark.parametrize(("answer", "status"), [(True, "approved"), (False, "rejected")])
async def test_39_approve_or_reject_with_command_goto(
    graphs: GraphClient, thread: str, answer: bool, status: str
) -> None:
    out = await graphs.invoke("approve", {"action": "deploy"}, thread_id=thread)
    assert out["__interrupt__"][0].value == {"question": "Approve?", "action": "deploy"}
    done = await graphs.invoke("approve", Command(resume=answer), thread_id=thread)
    assert done == {"action": "deploy", "status": status}


async def test_falsy_answers_are_answers(graphs: GraphClient, thread: str) -> None:
    await graphs.invoke("ask", {"log": [], "x": 1}, thread_id=thread)
    done = await graphs.invoke("ask", Command(resume=0), thread_id=thread)
    assert done["human"] == "0"


async def test_37_broad_except_swallows_the_pause(graphs: GraphClient, thread: str) -> None:
    # As in LangGraph, GraphInterrupt is an Exception: catching it broadly cancels the pause.
    done = await graphs.invoke("swallow", {}, thread_id=thread)
    assert done == {"log": ["caught GraphInterrupt"]}
