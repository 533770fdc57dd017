"""A run's config and context as the Agent Server makes them, on plain dicts: one
implementation for the HTTP API (run_executor.run_invocation, assistant_catalog.merged_run_body)
and a cron's firing (_activities/cron_firing.py, which reads a created assistant afresh at each
firing). No HTTP, no Temporal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The Agent Server's answer when a run gives both (langgraph-api, agents.md §3).
BOTH_CONFIGURABLE_AND_CONTEXT = (
    "Cannot specify both configurable and context. Prefer setting context alone. Context was "
    "introduced in LangGraph 0.6.0 and is the long term planned replacement for configurable."
)
# configurable keys that name the run rather than configure it: never user keys.
RUN_CONFIGURABLE = frozenset({"thread_id", "checkpoint_id", "checkpoint_ns"})
# The config metadata key naming a created assistant's runs' assistant.
ASSISTANT_KEY = "assistant_id"


class BothConfigurableAndContextError(ValueError):
    def __init__(self) -> None:
        super().__init__(BOTH_CONFIGURABLE_AND_CONTEXT)


def invocation(
    config: Mapping[str, Any] | None,
    context: Mapping[str, Any] | None,
    metadata: Mapping[str, Any] | None,
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The config and context a run passes to its nodes, mirrored as the Agent Server does:
    `configurable` alone also becomes the context; `context` alone is also copied into
    `configurable`; both is an error. The run's `metadata` joins config["metadata"]."""
    config = config or {}
    configurable = {
        k: v for k, v in (config.get("configurable") or {}).items() if k not in RUN_CONFIGURABLE
    }
    if context and configurable:
        raise BothConfigurableAndContextError()
    values = dict(context) if context else dict(configurable)
    run_config: dict[str, Any] = {}
    if values:
        run_config["configurable"] = dict(values)
    merged_metadata = {**(config.get("metadata") or {}), **(metadata or {})}
    if merged_metadata:
        run_config["metadata"] = merged_metadata
    if config.get("tags"):
        run_config["tags"] = list(config["tags"])
    if config.get("run_name"):
        run_config["run_name"] = config["run_name"]
    return run_config or None, values


def merge_assistant(
    config: Mapping[str, Any] | None,
    context: Mapping[str, Any] | None,
    assistant_config: Mapping[str, Any],
    assistant_context: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """A run's config (its JSON keys) and context over a created assistant's, as the Agent
    Server merges them: keys of the run win; tags add up. The assistant's configurable and
    context are one set of values (Tempograph mirrors one into the other) that goes where the
    run sends its own."""
    run = config or {}
    values = {**(assistant_config.get("configurable") or {}), **assistant_context}
    configurable = run.get("configurable")
    merged_context = dict(context) if context is not None else None
    if context:
        merged_context = {**values, **context}
    elif configurable:
        configurable = {**values, **configurable}
    elif assistant_context:
        merged_context = values or None
    else:
        configurable = values or None
    tags = list(dict.fromkeys([*(assistant_config.get("tags") or []), *(run.get("tags") or [])]))
    metadata = {**(assistant_config.get("metadata") or {}), **(run.get("metadata") or {})}
    merged = {
        "tags": tags or None,
        "recursion_limit": run.get("recursion_limit") or assistant_config.get("recursion_limit"),
        "configurable": configurable,
        "metadata": metadata or None,
        "run_name": run.get("run_name") or assistant_config.get("run_name"),
    }
    return {k: v for k, v in merged.items() if v is not None}, merged_context
