"""Seed README: working with webhooks."""

from __future__ import annotations

from _env import sandbox_info, scratch_dir

from amocrm import AmoAPI, AmoAPIException, FileStorage

with sandbox_info() as sb:
    try:
        AmoAPI.token_storage = FileStorage(scratch_dir())
        AmoAPI.throttle = None
        AmoAPI.oauth2(sb["subdomain"], sb["client_id"], sb["client_secret"], sb["redirect_uri"], sb["code"],
                      base_url=sb["base_url"])

        print(AmoAPI.get_webhooks())

        AmoAPI.add_webhooks({"url": "https://example.com/webhook/", "events": ["add_lead"]})
        AmoAPI.delete_webhooks({"url": "https://example.com/webhook/", "events": ["add_lead"]})

        AmoAPI.add_webhooks([
            {"url": "https://example1.com/webhook/", "events": ["add_lead"]},
            {"url": "https://example2.com/webhook/", "events": ["update_lead"]},
            {"url": "https://example3.com/webhook/", "events": ["add_contact"]},
        ])
        AmoAPI.delete_webhooks([
            {"url": "https://example1.com/webhook/", "events": ["add_lead"]},
            {"url": "https://example2.com/webhook/", "events": ["update_lead"]},
        ])
        print(AmoAPI.get_webhooks())
    except AmoAPIException as e:
        print(f"Ошибка ({e.code}): {e}")
        raise
