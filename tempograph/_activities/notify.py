"""The notify activity: one webhook POST, signed, retried by Temporal with backoff.

The workflow starts it in a background task and never waits for it to go on (see
GraphRun._notify); the retry policy there bounds the attempts. A 4xx answer (other than 408 and
429) is final: retrying the same body cannot change the receiver's mind.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import urllib.error
import urllib.request

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from tempograph.messages import NOTIFY_ACTIVITY, Notification
from tempograph.notifications import (
    EVENT_HEADER,
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    WEBHOOK_SECRET_ENV,
    sign,
)

log = structlog.get_logger("tempograph.notify")

# One attempt's HTTP timeout (the activity's start-to-close timeout is longer).
REQUEST_TIMEOUT_SECONDS = 10.0
RETRYABLE_CLIENT_ERRORS = frozenset({408, 425, 429})
_warned_unsigned = False


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:  # noqa: S310
        return int(response.status)


@activity.defn(name=NOTIFY_ACTIVITY)
async def send_notification(notification: Notification) -> int:
    """POST the notification; its HTTP status on success."""
    global _warned_unsigned
    body = json.dumps(notification.body, separators=(",", ":"), default=str).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "tempograph-webhook",
        EVENT_HEADER: notification.event,
        EVENT_ID_HEADER: notification.event_id,
    }
    secret = os.environ.get(WEBHOOK_SECRET_ENV)
    if secret:
        headers[SIGNATURE_HEADER] = sign(secret, int(time.time()), body)
    elif not _warned_unsigned:
        _warned_unsigned = True
        log.warning("webhooks are sent unsigned", missing=WEBHOOK_SECRET_ENV)
    if not notification.url.startswith(("http://", "https://")):
        raise ApplicationError(
            f"Webhook URL {notification.url!r} is not http(s)",
            type="BadWebhook",
            non_retryable=True,
        )
    try:
        status = await asyncio.to_thread(_post, notification.url, body, headers)
    except urllib.error.HTTPError as exc:
        message = f"{notification.url} answered HTTP {exc.code}"
        if 400 <= exc.code < 500 and exc.code not in RETRYABLE_CLIENT_ERRORS:
            raise ApplicationError(message, type="WebhookRefused", non_retryable=True) from None
        raise ApplicationError(message, type="WebhookFailed") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ApplicationError(
            f"{notification.url} unreachable: {reason}", type="WebhookFailed"
        ) from None
    log.info("webhook delivered", kind=notification.event, url=notification.url, status=status)
    return status
