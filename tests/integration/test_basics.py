"""The seed's examples, end to end on a real dev server."""

from __future__ import annotations

import re

from tempograph import GraphClient
from tempograph.types import Command, Interrupt


async def test_dynamic_interrupt_pauses_and_resumes(graphs: GraphClient, thread: str) -> None:
    out = await graphs.invoke("ask", {"log": [], "x": 1}, thread_id=thread)
    [pending] = out.pop("__interrupt__")
    assert isinstance(pending, Interrupt)
    assert pending.value == {"question": "approve?", "x": 1}
    assert re.fullmatch(r"[0-9a-f]{32}", pending.id)
    assert out == {"log": ["a"], "x": 1}

    done = await graphs.invoke("ask", Command(resume="yes"), thread_id=thread)
    assert done == {"log": ["a", "ask=yes", "b"], "x": 1, "human": "yes"}


async def test_static_breakpoint_then_none_continues(graphs: GraphClient, thread: str) -> None:
    first = await graphs.invoke("chain_before_b", {"log": []}, thread_id=thread)
    assert first == {"log": ["a"]}  # no __interrupt__ at a static breakpoint
    state = await graphs.get_state(thread)
    assert (state.status, state.next, state.interrupts) == ("interrupted", ["b"], [])
    assert await graphs.invoke("chain_before_b", None, thread_id=thread) == {"log": ["a", "b", "c"]}
