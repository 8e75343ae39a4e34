"""Named constants agree with what the account serves: closing statuses 142/143, v2 field types."""

from __future__ import annotations

from typing import Any

from amocrm import AmoClient
from amocrm.v2.constants import FieldType
from amocrm.v2.constants import SystemStatus as V2SystemStatus
from amocrm.v4.constants import SystemStatus as V4SystemStatus


def test_won_and_lost_are_named_the_same_in_both_versions() -> None:
    assert (V2SystemStatus.WON, V2SystemStatus.LOST) == (142, 143)
    assert list(V2SystemStatus) == list(V4SystemStatus)


def test_every_pipeline_has_the_closing_statuses(amocrm_client: AmoClient) -> None:
    v2: Any = amocrm_client.request("GET", "/api/v2/pipelines")
    for pipeline in v2["_embedded"]["items"].values():
        assert {int(s) for s in pipeline["statuses"]} >= {V2SystemStatus.WON, V2SystemStatus.LOST}
    for pipeline in amocrm_client.v4.pipelines.list():
        ids = {s.id for s in (pipeline.embedded.statuses or [])} if pipeline.embedded else set()
        assert ids >= {V4SystemStatus.WON, V4SystemStatus.LOST}, pipeline.id


def test_v2_field_definitions_use_the_named_types(amocrm_client: AmoClient) -> None:
    account: Any = amocrm_client.request("GET", "/api/v2/account", {"with": "custom_fields"})
    seen: set[FieldType] = set()

    def walk(node: Any) -> None:  # entity -> {id: definition}; catalogs -> {catalog_id: {id: definition}}
        if isinstance(node, dict) and "field_type" in node:
            seen.add(FieldType(int(node["field_type"])))  # ValueError for an unnamed type
        elif isinstance(node, dict | list):
            for child in node.values() if isinstance(node, dict) else node:
                walk(child)

    walk(account["_embedded"]["custom_fields"])
    assert {FieldType.TEXT, FieldType.SELECT, FieldType.MULTITEXT} <= seen
    assert FieldType.SMART_ADDRESS == 13 and FieldType(17).name == "ORG_LEGAL_NAME"
