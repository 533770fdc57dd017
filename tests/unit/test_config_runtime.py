"""tempograph.config / tempograph.runtime without a server: what a node's parameters receive,
the context schema, the bounded custom events, the config an invocation sends."""

from __future__ import annotations

import dataclasses
from typing import Any, TypedDict

import pytest
from pydantic import BaseModel, ValidationError

from tempograph.client import _invocation
from tempograph.config import (
    MAX_CUSTOM_BYTES,
    MAX_CUSTOM_EVENTS,
    CustomEvents,
    RunnableConfig,
    get_config,
    get_stream_writer,
    node_context,
)
from tempograph.graph import StateGraph, call_args, injected_params
from tempograph.runtime import Runtime, coerce_context, get_runtime

INJECTED = {"config": "CFG", "runtime": "RT", "writer": "W", "store": None}


@dataclasses.dataclass
class Ctx:
    user_id: str = "anon"
    model: str = "m"


class PCtx(BaseModel):
    user_id: str


class TCtx(TypedDict):
    user_id: str


def _state_only(state: Any) -> None: ...
def _positional_config(state: Any, cfg: Any) -> None: ...
def _named_config(state: Any, config: Any) -> None: ...
def _runtime_by_name(state: Any, runtime: Any) -> None: ...
def _runtime_by_annotation(state: Any, rt: Runtime[Ctx]) -> None: ...
def _config_by_annotation(state: Any, c: RunnableConfig) -> None: ...
def _both(state: Any, config: Any, runtime: Runtime[Ctx]) -> None: ...
def _keyword_only(state: Any, *, runtime: Any, writer: Any, store: Any) -> None: ...
def _defaulted(state: Any, other: int = 3) -> None: ...
def _positional_only(state: Any, config: Any, /) -> None: ...


@pytest.mark.parametrize(
    ("fn", "args", "kwargs"),
    [
        (_state_only, ["S"], {}),
        (_positional_config, ["S"], {"cfg": "CFG"}),
        (_named_config, ["S"], {"config": "CFG"}),
        (_runtime_by_name, ["S"], {"runtime": "RT"}),
        (_runtime_by_annotation, ["S"], {"rt": "RT"}),
        (_config_by_annotation, ["S"], {"c": "CFG"}),
        (_both, ["S"], {"config": "CFG", "runtime": "RT"}),
        (_keyword_only, ["S"], {"runtime": "RT", "writer": "W", "store": None}),
        (_defaulted, ["S"], {}),
        (_positional_only, ["S", "CFG"], {}),
        (lambda s: None, ["S"], {}),
        (lambda s, c: None, ["S"], {"c": "CFG"}),
    ],
)
def test_call_args(fn: Any, args: list[Any], kwargs: dict[str, Any]) -> None:
    assert call_args(fn, "S", INJECTED) == (args, kwargs)


def test_string_annotations_are_read() -> None:
    # This module has `from __future__ import annotations`: the annotations are strings.
    assert injected_params(_runtime_by_annotation) == (("rt", "runtime", False),)


def test_coerce_context() -> None:
    assert coerce_context(Ctx, {"user_id": "u", "thread_id": "x"}) == Ctx("u", "m")
    assert coerce_context(PCtx, {"user_id": "u"}) == PCtx(user_id="u")
    assert coerce_context(TCtx, {"user_id": "u"}) == {"user_id": "u"}
    assert coerce_context(None, {"a": 1}) == {"a": 1}
    assert coerce_context(Ctx, None) is None
    with pytest.raises(ValidationError):
        coerce_context(PCtx, {})


def test_state_graph_keeps_context_schema() -> None:
    def compiled(**kw: Any) -> Any:
        builder = StateGraph(TCtx, **kw).add_node("n", _state_only)
        return builder.add_edge("__start__", "n").compile()

    assert compiled(context_schema=Ctx).context_schema is Ctx
    assert compiled().context_schema is None


def test_custom_events_bounded() -> None:
    events = CustomEvents(node="n")
    for i in range(MAX_CUSTOM_EVENTS + 5):
        events.write({"i": i})
    assert len(events.events) == MAX_CUSTOM_EVENTS and events.dropped == 5

    big = CustomEvents(node="n")
    chunk = "x" * (MAX_CUSTOM_BYTES // 3)
    for _ in range(4):
        big.write(chunk)
    assert len(big.events) == 2 and big.dropped == 2
    with pytest.raises(TypeError, match="JSON-serializable"):
        big.write(object())


def test_outside_a_node() -> None:
    for fn in (get_config, get_stream_writer, get_runtime):
        with pytest.raises(RuntimeError, match="outside of a runnable context"):
            fn()


def test_node_context() -> None:
    events = CustomEvents()
    runtime = Runtime(context=Ctx(), stream_writer=events.write)
    with node_context({"configurable": {"a": 1}}, events.write, runtime):
        assert get_config() == {"configurable": {"a": 1}}
        get_stream_writer()("hi")
        assert get_runtime() is runtime
    assert events.events == ["hi"]
    with pytest.raises(RuntimeError):
        get_config()


def test_invocation_config() -> None:
    config, context = _invocation(
        {
            "configurable": {"thread_id": "t", "checkpoint_id": "c", "user_id": "u"},
            "tags": ("a",),
            "recursion_limit": 5,
            "metadata": {"m": 1},
        },
        Ctx("x"),
    )
    assert config == {"configurable": {"user_id": "u"}, "tags": ["a"], "metadata": {"m": 1}}
    assert context == {"user_id": "x", "model": "m"}
    assert _invocation({"configurable": {"thread_id": "t"}}, None) == (None, None)
    assert _invocation(None, PCtx(user_id="p")) == (None, {"user_id": "p"})
    with pytest.raises(TypeError, match="callbacks"):
        _invocation({"callbacks": [object()]}, None)
    with pytest.raises(TypeError, match="context"):
        _invocation(None, "nope")
