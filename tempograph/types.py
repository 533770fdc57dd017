"""The user's vocabulary, as in `langgraph.types`: interrupt, Command, Send, Interrupt."""

from __future__ import annotations

import contextvars
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import TypeAdapter, ValidationError

__all__ = ["Command", "GraphInterrupt", "Interrupt", "Send", "interrupt"]


@dataclass(frozen=True)
class Interrupt:
    """A pending question for a human, as returned under `"__interrupt__"`.

    `id` is 32 lowercase hex characters, stable for one (thread, step, task, call) so that a
    resume map `{id: answer}` can address it.
    """

    value: Any
    id: str
    response_schema: dict[str, Any] | None = None


@dataclass(frozen=True)
class Send:
    """Run `node` in the next step with `arg` as its input (instead of the state)."""

    node: str
    arg: Any


N = TypeVar("N")


@dataclass(frozen=True)
class Command(Generic[N]):
    """Resume a paused run (`resume`), and/or change state (`update`) or routing (`goto`).

    Returned from a node, `update` is the node's writes and `goto` adds targets to its edges.
    Subscriptable as in LangGraph: `def node(state) -> Command[Literal["a", "b"]]`.
    """

    PARENT: ClassVar[str] = "__parent__"

    resume: Any = None
    update: dict[str, Any] | None = None
    goto: str | Send | Sequence[str | Send] = field(default_factory=tuple)
    graph: str | None = None


class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Any = _NoDefault()


class GraphInterrupt(Exception):  # noqa: N818 - LangGraph's name
    """Raised by `interrupt()` to pause the run.

    Like LangGraph's, it derives from Exception: a bare `except Exception:` around `interrupt()`
    swallows the pause. Re-raise it if you catch broadly.
    """

    def __init__(
        self,
        value: Any,
        slot: int,
        response_schema: dict[str, Any] | None = None,
        *,
        validate_answer: bool = False,
        timeout: timedelta | None = None,
        default: Any = NO_DEFAULT,
        rejected: str | None = None,
        notify: str | None = None,
    ) -> None:
        super().__init__(value)
        self.value = value
        self.slot = slot
        self.response_schema = response_schema
        self.validate_answer = validate_answer
        self.timeout = timeout
        self.default = default
        # Set when the answer given for this slot failed the node's own validation.
        self.rejected = rejected
        self.notify = notify  # interrupt(..., notify=URL)


class _Scratchpad:
    """Per-task answers for interrupt() calls, matched by call order."""

    def __init__(self, resume: list[Any]) -> None:
        self.resume = resume
        self.calls = 0


_scratchpad: contextvars.ContextVar[_Scratchpad | None] = contextvars.ContextVar(
    "tempograph_scratchpad", default=None
)


def interrupt(
    value: Any,
    *,
    response_schema: type[Any] | dict[str, Any] | None = None,
    timeout: timedelta | float | None = None,
    default: Any = NO_DEFAULT,
    notify: str | None = None,
) -> Any:
    """Pause the run and show `value` to a human; return the human's answer once resumed.

    The node runs again from its start when the answer arrives; the k-th `interrupt()` call in
    the node returns the k-th answer. Code before the call therefore runs again: keep it
    idempotent.

    - `response_schema`: a pydantic model, dataclass or TypedDict (or a JSON Schema dict, shown
      but not enforced, as in LangGraph). Its JSON Schema is published with the interrupt; an
      answer that does not fit is refused at resume time and the run stays paused; the call
      returns the validated object.
    - `timeout` (seconds or timedelta) with `default`: when no answer comes in time, the run
      resumes with `default`; without a default it fails with InterruptTimeout.
    - `notify`: a webhook URL told when this question waits, is answered, or its deadline
      passes (instead of the graph's `compile(notify=...)`; see tempograph.notifications).
    """
    pad = _scratchpad.get()
    if pad is None:
        raise RuntimeError("interrupt() must be called inside a node of a running graph")
    slot = pad.calls
    pad.calls += 1
    schema, adapter = _schema_of(response_schema)
    if isinstance(timeout, int | float):
        timeout = timedelta(seconds=timeout)
    if notify is not None and not (
        isinstance(notify, str) and notify.startswith(("http://", "https://"))
    ):
        raise ValueError(f"interrupt(notify=...) takes an http(s) URL, got {notify!r}")
    if slot < len(pad.resume):
        answer = pad.resume[slot]
        if adapter is None:
            return answer
        try:
            return adapter.validate_python(answer)
        except ValidationError as exc:
            rejected = f"Answer rejected by the node's response_schema: {exc}"
            raise GraphInterrupt(
                value,
                slot,
                schema,
                validate_answer=True,
                timeout=timeout,
                default=default,
                rejected=rejected,
                notify=notify,
            ) from None
    raise GraphInterrupt(
        value,
        slot,
        schema,
        validate_answer=adapter is not None,
        timeout=timeout,
        default=default,
        notify=notify,
    )


def _schema_of(
    response_schema: type[Any] | dict[str, Any] | None,
) -> tuple[dict[str, Any] | None, TypeAdapter[Any] | None]:
    if response_schema is None:
        return None, None
    if isinstance(response_schema, dict):
        return response_schema, None
    adapter: TypeAdapter[Any] = TypeAdapter(response_schema)
    return adapter.json_schema(), adapter


def _enter_task(resume: list[Any]) -> contextvars.Token[_Scratchpad | None]:
    """Used by the node activity: make `interrupt()` see this task's answers."""
    return _scratchpad.set(_Scratchpad(resume))


def _exit_task(token: contextvars.Token[_Scratchpad | None]) -> None:
    _scratchpad.reset(token)
