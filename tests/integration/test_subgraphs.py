"""Subgraphs run as child workflows; their interrupts surface on the parent (scenario 28)."""

from __future__ import annotations

import pytest

from tempograph import GraphClient, ResumeError
from tempograph.types import Command
from tests.sample_graphs import ENTRIES


async def test_28_subgraph_interrupt_surfaces_and_resumes_inside(
    graphs: GraphClient, thread: str
) -> None:
    out = await graphs.invoke("sub", {"log": []}, thread_id=thread)
    [pending] = out["__interrupt__"]
    assert pending.value == "sub-q"
    assert out["log"] == ["p1"]
    state = await graphs.get_state(thread)
    assert (state.next, [i.node for i in state.interrupts]) == (["sub"], ["s2"])

    done = await graphs.resume(thread, "R")
    # Upstream behaviour: the subgraph returns its whole `log`, which the parent appends.
    assert done["log"] == ["p1", "p1", "s1", "s2=R"]
    child = f"{thread}/sub/"
    entries = {node: n for (t, node), n in ENTRIES.items() if t.startswith(child)}
    assert entries == {"s1": 1, "s2": 2}  # only the interrupted inner node ran again


async def test_subgraph_and_parent_interrupts_answered_together(
    graphs: GraphClient, thread: str
) -> None:
    out = await graphs.invoke("sub", {"log": ["par"]}, thread_id=thread)
    # Step 1 runs p1 and qa in parallel: only qa's interrupt so far.
    assert [i.value for i in out["__interrupt__"]] == ["q-a"]
    out = await graphs.resume(thread, "A")
    assert [i.value for i in out["__interrupt__"]] == ["sub-q"]
    with pytest.raises(ResumeError, match="Unknown interrupt id"):
        await graphs.resume(thread, {"0" * 32: "x"})
    sub_q = out["__interrupt__"][0].id
    done = await graphs.invoke("sub", Command(resume={sub_q: "S"}), thread_id=thread)
    assert done["log"][-1] == "s2=S" and "a=A" in done["log"]
