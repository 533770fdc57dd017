"""Size of one workflow's Temporal history, measured the same way for every system: serialized
size of all events (payloads plus Temporal's metadata per event) and the activity payloads.
Imports temporalio and the stdlib only, so the main venv (bench.common) and the Temporal peers'
drivers share it."""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client


async def history_stats(client: Client, workflow_id: str) -> dict[str, Any]:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    events = history.events
    inputs = [
        sum(p.ByteSize() for p in e.activity_task_scheduled_event_attributes.input.payloads)
        for e in events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]
    results = [
        sum(p.ByteSize() for p in e.activity_task_completed_event_attributes.result.payloads)
        for e in events
        if e.HasField("activity_task_completed_event_attributes")
    ]
    by_type = Counter(EventType.Name(e.event_type).removeprefix("EVENT_TYPE_") for e in events)
    return {
        "events": len(events),
        "bytes": sum(e.ByteSize() for e in events),
        "activities": len(inputs),
        "activity_input_bytes": statistics.mean(inputs) if inputs else 0.0,
        "activity_result_bytes": statistics.mean(results) if results else 0.0,
        "last_activity_input_bytes": float(inputs[-1]) if inputs else 0.0,
        "by_type": dict(by_type),
    }
