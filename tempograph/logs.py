"""structlog set-up for the CLI, worker.py and starter.py (library code only calls get_logger).

TEMPOGRAPH_LOG_FORMAT: `console` (default: readable lines) or `json` (one JSON object per line,
for log collectors). In JSON, the standard library's records (Temporal's workflow.logger and
activity.logger, uvicorn) are rendered the same way, and Temporal's workflow/activity details
become top-level keys: `thread_id` (the workflow id), `run_id`, `attempt`; a node's logs also
carry `graph` and `node` (bound by tempograph.observability while the node runs).
"""

from __future__ import annotations

import logging
import os
from collections.abc import MutableMapping
from typing import Any

import structlog
from temporalio import activity, workflow

LOG_FORMAT_ENV = "TEMPOGRAPH_LOG_FORMAT"
LOG_FORMATS = ("console", "json")


def log_format(value: str | None = None) -> str:
    """`value`, else TEMPOGRAPH_LOG_FORMAT, else console; anything else: ValueError."""
    chosen = (value if value is not None else os.environ.get(LOG_FORMAT_ENV, "")).strip().lower()
    chosen = chosen or "console"
    if chosen not in LOG_FORMATS:
        raise ValueError(f"{LOG_FORMAT_ENV}={chosen!r}: use one of {', '.join(LOG_FORMATS)}")
    return chosen


def temporal_context(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Lift Temporal's logger details (the `temporal_workflow` / `temporal_activity` extras)
    to the keys Tempograph's own logs use."""
    details = event.pop("temporal_workflow", None) or event.pop("temporal_activity", None)
    if isinstance(details, dict):
        thread = details.get("workflow_id")
        run = details.get("run_id") or details.get("workflow_run_id")
        if thread is not None:
            event.setdefault("thread_id", thread)
        if run is not None:
            event.setdefault("run_id", run)
        for key in ("attempt", "workflow_type", "activity_type", "update_name", "update_id"):
            if details.get(key) is not None:
                event.setdefault(key, details[key])
    event.pop("workflow_info", None)
    return event


def configure_logging(level: str = "INFO", fmt: str | None = None) -> None:
    """Logs at `level` on stderr, as console lines or JSON (`fmt`, else TEMPOGRAPH_LOG_FORMAT)."""
    fmt = log_format(fmt)
    numeric = logging.getLevelName(level.upper())
    if fmt == "console":
        logging.basicConfig(level=numeric, format="%(message)s")
        structlog.configure(
            wrapper_class=structlog.make_filtering_bound_logger(numeric),
            processors=[
                structlog.contextvars.merge_contextvars,
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="%H:%M:%S"),
                structlog.dev.ConsoleRenderer(),
            ],
        )
        return
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        processors=[
            *shared,
            structlog.processors.dict_tracebacks,
            structlog.processors.JSONRenderer(),
        ],
    )
    # The standard library's records, in the same JSON: their `extra` keys included.
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            *shared,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.ExtraAdder(),
            temporal_context,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.dict_tracebacks,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric)
    # The details are keys of the JSON object: not also appended to the message.
    workflow.logger.workflow_info_on_message = False
    activity.logger.activity_info_on_message = False
