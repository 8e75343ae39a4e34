"""AmoClient: working with webhooks."""

from __future__ import annotations

from _client import connect
from _env import sandbox_info

with sandbox_info() as sb, connect(sb) as client:
    print(client.webhooks.list())
    client.webhooks.subscribe("https://example.com/webhook/", ["add_lead"])
    client.webhooks.unsubscribe("https://example.com/webhook/", ["add_lead"])
    client.webhooks.subscribe_many([("https://example1.com/webhook/", ["add_lead"]),
                                    ("https://example2.com/webhook/", ["update_lead"]),
                                    ("https://example3.com/webhook/", ["add_contact"])])
    client.webhooks.unsubscribe_many([("https://example1.com/webhook/", ["add_lead"]),
                                      ("https://example2.com/webhook/", ["update_lead"])])
    print(client.webhooks.list())
