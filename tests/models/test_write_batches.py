"""Write rules over whole batches: the batch-wide (C-level) passes decide exactly as the per-object rules.

``check_<model>`` looks at a whole batch at once and only falls back to a loop over the objects when
one of them may be refused; these tests pin that the fallback still names the right object, that
mixed batches (tracked and built objects, lists and other values) are checked as before, and that
the fast paths of the generated writers send what the general conversions send.
"""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from amocrm._core.save import Entry, plan
from amocrm.errors import ConfigError
from amocrm.lib.base import mark_clean
from amocrm.models import UNSET
from amocrm.v2.models import CustomField, CustomFieldValue, Lead, LinkedEntity, LinkedIds
from amocrm.v2.writes import check_lead, write_lead

AnyLead: Any = Lead


def _bodies(leads: list[Any]) -> list[dict[str, Any]]:
    chunks = plan(leads, write_lead, len(leads), string_request_ids=False, checker=check_lead,
                  what="Lead")
    return [msgspec.to_builtins(e.item) for e in chunks[0].entries]


def test_a_read_only_value_on_a_new_object_in_a_batch_of_updates_is_refused() -> None:
    updates = [Lead(id=i + 1, name=f"l{i}", account_id=7) for i in range(5)]  # the server's own values
    assert len(_bodies(updates)) == 5
    batch = [*updates[:2], Lead(name="new", account_id=7), *updates[2:]]
    with pytest.raises(ConfigError, match=r"Lead.account_id is read only"):
        _bodies(batch)
    # a new object without read-only values passes, however many updates hold theirs
    assert _bodies([*updates, Lead(name="new")])[-1]["name"] == "new"


def test_the_first_ill_typed_object_of_a_batch_is_named() -> None:
    batch = [AnyLead(name=f"l{i}", sale=i) for i in range(4)]
    batch[2].sale = "lots"
    with pytest.raises(ConfigError, match=r"Lead.sale \(object #2\): expected int"):
        _bodies(batch)


def test_nested_values_are_checked_in_mixed_batches() -> None:
    bad = CustomFieldValue(value="x", enum=1.5)
    cases: list[Any] = [
        [AnyLead(name="a", custom_fields=[CustomField(id=1, values=[bad])])],
        [AnyLead(name="a", custom_fields=None), AnyLead(name="b", custom_fields=(CustomField(id=1, values=[bad]),))],
        [AnyLead(name="a"), AnyLead(name="b", custom_fields=[CustomField(id=1, values=(bad,))])],
    ]
    for batch in cases:
        with pytest.raises(ConfigError, match=r"CustomFieldValue.enum|custom_fields.*enum"):
            _bodies(batch)


def test_tracked_objects_are_checked_in_their_changed_fields_only() -> None:
    read = [msgspec.json.decode(b'{"id": %d, "name": "n", "sale": 1}' % (i + 1), type=Lead) for i in range(3)]
    mark_clean(read)
    msgspec.structs.force_setattr(read[0], "name", 5)  # as if the server had sent it: not checked again
    built = AnyLead(name="built", sale=2)
    assert [b.get("name") for b in _bodies([*read, built])] == [5, "n", "n", "built"]
    read[1].sale = "x"
    with pytest.raises(ConfigError, match=r"Lead.sale: expected int"):
        _bodies([*read, built])


@pytest.mark.parametrize("ident", [UNSET, None])
def test_links_without_an_id_are_not_sent(ident: Any) -> None:
    lead = Lead(name="a", company=LinkedEntity(id=ident), contacts=LinkedIds(id=ident),
                pipeline=LinkedEntity(id=ident))
    assert _bodies([lead]) == [{"name": "a", "request_id": 0}]


def test_entries_compare_by_identity() -> None:
    a, b = Entry(0, None, None, "add"), Entry(0, None, None, "add")
    assert a != b and a == a and [a, b].index(b) == 1


def test_tracked_objects_in_groups_keep_the_per_object_rules() -> None:
    import enum

    class Level(enum.IntEnum):
        HIGH = 3

    read = [msgspec.json.decode(b'{"id": %d, "name": "n", "sale": 1}' % (i + 1), type=Lead) for i in range(4)]
    mark_clean(read)
    for lead in read:
        lead.sale = 5
    read[2].sale = Level.HIGH  # not an exact int: the batch pass gives way to the per-object rules
    assert [b["sale"] for b in _bodies(read)] == [5, 5, 3, 5]
    read[3].custom_fields = [CustomField(id=1, values=[CustomFieldValue(value="x", enum=1.5)])]
    with pytest.raises(ConfigError, match=r"CustomFieldValue.enum|custom_fields.*enum"):
        _bodies(read)
    read[3].custom_fields = [CustomField(id=1, values=[CustomFieldValue(value="x", enum=1)])]
    read[1].name = 7
    with pytest.raises(ConfigError, match=r"^Lead.name: expected str \(or None\), got int 7; nothing was sent$"):
        _bodies(read)
