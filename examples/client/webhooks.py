"""AmoClient, API v2 (``client.v2``): working with webhooks."""

from __future__ import annotations

from _client import connect
from _env import sandbox_info

from amocrm.v2.models import Webhook

with sandbox_info() as sb, connect(sb) as client:
    print(client.v2.webhooks.list())
    client.v2.webhooks.subscribe("https://example.com/webhook/", ["add_lead"])
    client.v2.webhooks.unsubscribe("https://example.com/webhook/", ["add_lead"])
    client.v2.webhooks.subscribe_many([Webhook(url="https://example1.com/webhook/", events=["add_lead"]),
                                    Webhook(url="https://example2.com/webhook/", events=["update_lead"]),
                                    Webhook(url="https://example3.com/webhook/", events=["add_contact"])])
    client.v2.webhooks.unsubscribe_many([Webhook(url="https://example1.com/webhook/", events=["add_lead"]),
                                      Webhook(url="https://example2.com/webhook/", events=["update_lead"])])
    print(client.v2.webhooks.list())
