"""AmoClient: working with webhooks."""

from __future__ import annotations

from _client import connect
from _env import sandbox_info

from amocrm.models import Webhook

with sandbox_info() as sb, connect(sb) as client:
    print(client.webhooks.list())
    client.webhooks.subscribe("https://example.com/webhook/", ["add_lead"])
    client.webhooks.unsubscribe("https://example.com/webhook/", ["add_lead"])
    client.webhooks.subscribe_many([Webhook(url="https://example1.com/webhook/", events=["add_lead"]),
                                    Webhook(url="https://example2.com/webhook/", events=["update_lead"]),
                                    Webhook(url="https://example3.com/webhook/", events=["add_contact"])])
    client.webhooks.unsubscribe_many([Webhook(url="https://example1.com/webhook/", events=["add_lead"]),
                                      Webhook(url="https://example2.com/webhook/", events=["update_lead"])])
    print(client.webhooks.list())
