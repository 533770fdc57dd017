"""Example graphs served by worker.py, by name (the name runs are started with)."""

from graphs import (
    approval,
    ask_age,
    edit_text,
    hitl_middleware,
    inbox_review,
    review_tool_calls,
    revise,
    steps,
    tool_review,
    wait_for_user_input,
)
from tempograph.graph import CompiledGraph

GRAPHS: dict[str, CompiledGraph] = {
    "revise": revise.graph,
    "steps": steps.graph,
    "approval": approval.graph,
    "edit_text": edit_text.graph,
    "tool_review": tool_review.graph,
    "ask_age": ask_age.graph,
    "review_tool_calls": review_tool_calls.graph,
    "inbox_review": inbox_review.graph,
    "hitl_middleware": hitl_middleware.graph,
    "wait_for_user_input": wait_for_user_input.graph,
}
