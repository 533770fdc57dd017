"""TempographAssistant: a created assistant (a graph plus its configuration, versioned), as a
tiny long-lived workflow (id `tempograph-assistant-<assistant id>`), like the thread record.

Its state holds every version; its memo holds the current one (what `describe` and
`list_workflows` return without a worker), so every server process reads the same assistant.
Changes are updates, applied one at a time by the workflow: two processes updating the same
assistant both get a version of their own. Deleting it terminates the workflow (at once, with
or without a worker).
"""

from __future__ import annotations

from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from tempograph._workflows.common import BadArgumentsError, any_arity, decode_args

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

    from tempograph._assistants import (
        ASSISTANT_CHANGE_UPDATE,
        ASSISTANT_RECORD_WORKFLOW,
        ASSISTANT_VERSIONS_QUERY,
        AssistantChange,
        AssistantState,
        assistant_memo,
        changed,
    )
    from tempograph.messages import ErrorKind, InvalidMessageError, parse_message

M = TypeVar("M", bound=BaseModel)


def _parse(model: type[M], args: tuple[Any, ...], what: str) -> M:
    try:
        raw, _ = decode_args(args, what)
        return parse_message(model, raw)
    except (BadArgumentsError, InvalidMessageError) as exc:
        raise ApplicationError(
            str(exc), type=str(getattr(exc, "kind", ErrorKind.INVALID_INPUT)), non_retryable=True
        ) from None


@workflow.defn(name=ASSISTANT_RECORD_WORKFLOW)
class AssistantRecord:
    @workflow.init
    @any_arity
    def __init__(self, *args: Any) -> None:
        self.input_error: ApplicationError | None = None
        try:
            self.state: AssistantState | None = _parse(
                AssistantState, args, "The assistant's start input"
            )
        except ApplicationError as exc:
            self.input_error = exc
            self.state = None

    @workflow.run
    @any_arity
    async def run(self, *args: Any) -> None:
        if self.input_error is not None or self.state is None:
            raise self.input_error or ApplicationError("no start input", non_retryable=True)
        # Each change adds a few events; start afresh (same id, same memo) long before the
        # history limits, once no change is in flight.
        await workflow.wait_condition(workflow.info().is_continue_as_new_suggested)
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(self.state, memo=assistant_memo(self.state))

    @workflow.update(name=ASSISTANT_CHANGE_UPDATE)
    @any_arity
    def change(self, *args: Any) -> AssistantState:
        """Apply a change, mirror the current version in the memo, return every version."""
        assert self.state is not None  # the validator refused a change without a state
        new = changed(self.state, _parse(AssistantChange, args, "The change"), workflow.now())
        self.state = new
        workflow.upsert_memo(assistant_memo(new))
        return new

    @change.validator
    @any_arity
    def _validate_change(self, *args: Any) -> None:
        if self.state is None:
            raise ValueError("the assistant has no state (its start input was refused)")
        change = _parse(AssistantChange, args, "The change")
        if change.set_current is not None and not any(
            v.version == change.set_current for v in self.state.versions
        ):
            raise ValueError(f"version {change.set_current} does not exist")

    @workflow.query(name=ASSISTANT_VERSIONS_QUERY)
    def versions(self) -> AssistantState | None:
        return self.state
