"""The v4 switches as options, CLI flags and the subprocess form (admin API included)."""

from __future__ import annotations

import pytest

from amocrm.sandbox import SEED, Sandbox, SandboxOptions, SandboxProcess
from amocrm.sandbox.cli import options_to_argv, parse_args

from .conftest import V4


def test_every_switch_round_trips_through_the_cli() -> None:
    options = SandboxOptions(v4_over_limit="error", v4_atomic_batches=False, v4_cf_create="object",
                             v4_loss_reason="array", v4_events_max_limit=250, customers_mode="periodicity",
                             bonus_points=False, duplicate_control=True, v4_unsorted_chats=True, platform="kommo",
                             request_deadline=None, max_connections=9)
    assert parse_args(options_to_argv(options)) == options
    assert parse_args([]) == SandboxOptions()


@pytest.mark.parametrize("bad", [{"v4_over_limit": "wrap"}, {"v4_cf_create": "both"}, {"v4_loss_reason": "list"},
                                 {"v4_events_max_limit": 251}, {"customers_mode": "dynamic"}, {"platform": "bitrix"},
                                 {"request_deadline": 0}, {"max_connections": 0}])
def test_bad_switch_values_are_named(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=next(iter(bad))):
        Sandbox(**bad)


def test_subprocess_over_tls_serves_v4_and_its_admin_api() -> None:
    with SandboxProcess(rate_limit=None, tls=True, customers_mode="periodicity") as sp:
        token = sp.issue_long_lived_token(lifetime=3600)
        v4 = V4(sp.base_url, token, sp.ca_file)
        assert v4.one("account")["customers_mode"] == "periodicity"
        [lid] = v4.add("leads", {"name": "из подпроцесса"})
        assert any(r["id"] == lid for r in sp.entities("leads"))
        assert [e["type"] for e in sp.entities("events")] == ["lead_added"]
        assert {p["id"] for p in sp.entities("pipelines")} == {SEED.PIPELINE_MAIN, SEED.PIPELINE_SECOND}
        assert any(f["code"] == "PHONE" for f in sp.entities("custom_fields"))
        assert v4.rows("customers/statuses", "statuses")
        sp.reset()
        assert sp.entities("events") == []
        assert v4.get("account").status == 200  # the long-lived token survives a reset


def test_pytest_plugin_fixtures_serve_v4(amocrm_sandbox: Sandbox, amocrm_token: str) -> None:
    v4 = V4(amocrm_sandbox.base_url, amocrm_token, amocrm_sandbox.ca_file)
    assert v4.one(f"leads/{SEED.LEAD_FIRST}")["id"] == SEED.LEAD_FIRST
    [lid] = v4.add("leads", {"name": "plugin"})
    r = v4.get("/api/v2/leads", {"id": str(lid)})
    assert r.json()["_embedded"]["items"][0]["name"] == "plugin"
