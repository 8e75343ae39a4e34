"""Parse amoCRM webhook deliveries (v2 form format) into typed events.

>>> payload = parse_webhook(request_body, content_type=request_content_type)
>>> for event in payload.events:
...     if event.entity == "lead" and event.action == "status":
...         print(event.id, event.old_status_id, "->", event.status_id)

:func:`parse_form` is the PHP ``parse_str`` decoder underneath, usable on its own.
"""

from __future__ import annotations

from amocrm.webhooks._events import (
    WebhookAccount,
    WebhookAction,
    WebhookCustomField,
    WebhookCustomFieldValue,
    WebhookEntity,
    WebhookEvent,
    WebhookPayload,
    WebhookTag,
    WebhookTaskResult,
)
from amocrm.webhooks._form import MAX_BYTES, MAX_DEPTH, WebhookError, parse_form
from amocrm.webhooks._parse import parse_webhook, payload_from_mapping

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "WebhookAccount",
    "WebhookAction",
    "WebhookCustomField",
    "WebhookCustomFieldValue",
    "WebhookEntity",
    "WebhookError",
    "WebhookEvent",
    "WebhookPayload",
    "WebhookTag",
    "WebhookTaskResult",
    "parse_form",
    "parse_webhook",
    "payload_from_mapping",
]
