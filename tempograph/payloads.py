"""Payload size guard.

Every activity input and output is stored in Temporal history. A payload over 2 MiB does not
fail the run: the SDK fails the *workflow task*, which Temporal retries every 10 s forever, so
the run hangs. We check sizes ourselves, below that limit, and fail with a clear error instead.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic_core import to_json

# Temporal's hard limit is 2 MiB per payload; keep headroom for encoding and metadata.
MAX_PAYLOAD_BYTES = 1_800_000
# A node task carries the whole state up to this size; above it, only the delta from the state
# sent last (see tempograph.statedelta), so that history grows with what changed, not with the
# size of the thread.
INLINE_STATE_BYTES = 2048


def payload_size(model: BaseModel) -> int:
    """Bytes of `model` as the pydantic data converter writes it (JSON)."""
    return len(model.__pydantic_serializer__.to_json(model))


def check_size(model: BaseModel, what: str, limit: int = MAX_PAYLOAD_BYTES) -> None:
    check_bytes(payload_size(model), what, limit)


def json_size(value: Any) -> int:
    return len(to_json(value))


def check_bytes(size: int, what: str, limit: int = MAX_PAYLOAD_BYTES) -> None:
    if size > limit:
        raise ValueError(
            f"{what} is {size} bytes, over Tempograph's limit of {limit} bytes per payload "
            "(Temporal stores every payload in history and refuses payloads over 2 MiB). "
            "Keep large data outside the state (e.g. in object storage) and store a reference."
        )
