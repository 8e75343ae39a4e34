"""Run the type-checked usage script (usage.py) against a sandbox, so it stays true to the runtime."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from amocrm.sandbox import SEED, Sandbox

HERE = Path(__file__).resolve().parent


def _load_usage() -> ModuleType:
    spec = importlib.util.spec_from_file_location("amocrm_typing_usage", HERE / "usage.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def test_usage_script_runs_against_the_sandbox(amocrm_sandbox: Sandbox, tmp_path: Path) -> None:
    usage = _load_usage()
    sb = amocrm_sandbox
    summary = usage.run(
        subdomain=sb.subdomain, base_url=sb.base_url, client_id=sb.client_id, client_secret=sb.client_secret,
        redirect_uri=sb.redirect_uri, code=sb.mint_code(), token_dir=tmp_path / "tokens",
        select_field=SEED.CF_LEAD_MULTISELECT, select_enum=SEED.enum_id(SEED.CF_LEAD_MULTISELECT, 2),
        phone_field=SEED.CF_CONTACT_PHONE,
    )
    assert summary.account_id == SEED.ACCOUNT_ID
    assert summary.budget == 2500 and summary.tags == ["python"]
    assert summary.phone == "+79990001122"
    assert summary.options == [SEED.enum_id(SEED.CF_LEAD_MULTISELECT, 2)]
    assert summary.filtered_names == ["Typed lead"]  # filter={"price": {"from": 2000, "to": 3000}}
    assert summary.pages >= 2  # page_size=2 over the seeded leads plus ours
    assert summary.missing_error == "NotFoundError"
    assert summary.v2_sale == 2500 and summary.v2_notes == 1  # the v4 lead through client.v2
    assert summary.webhook_status == (142, 30011)
    assert summary.bad_webhook == "WebhookError"
    assert summary.stored_tokens
    assert (tmp_path / "tokens" / f"{sb.subdomain}.amocrm.ru.json").exists()
