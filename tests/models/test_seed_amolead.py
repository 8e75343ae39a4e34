"""The seed's tests/Unit/AmoCRM/AmoLeadTest.php (13 tests), ported one to one.

PHP ``[]`` (no contacts / no company / empty unlink) maps to ``None`` for links and ``UNSET`` for
``unlink``; ``{id: [...]}`` maps to ``LinkedIds(id=[...])``.
"""

from __future__ import annotations

import pytest

from amocrm.models import UNSET
from amocrm.v2.models import Lead, LinkedEntity, LinkedIds, Unlink


@pytest.fixture
def lead() -> Lead:
    return Lead()


def contact_ids(lead: Lead) -> list[int] | None:
    return None if lead.contacts is None else lead.contacts.id  # type: ignore[union-attr,return-value]


def test_add_contacts_integer(lead: Lead) -> None:
    lead.add_contacts(12345678)
    assert lead.contacts == LinkedIds(id=[12345678])


def test_add_contacts_array(lead: Lead) -> None:
    lead.add_contacts([12345678, 23456789, 34567890])
    assert lead.contacts == LinkedIds(id=[12345678, 23456789, 34567890])


def test_add_contacts_integer_duplicate(lead: Lead) -> None:
    for _ in range(3):
        lead.add_contacts(12345678)
    assert lead.contacts == LinkedIds(id=[12345678])


def test_add_contacts_array_duplicate(lead: Lead) -> None:
    lead.add_contacts([12345678, 23456789, 34567890])
    lead.add_contacts([34567890, 12345678, 23456789, 45678901])
    assert lead.contacts == LinkedIds(id=[12345678, 23456789, 34567890, 45678901])


def test_remove_contacts_integer(lead: Lead) -> None:
    lead.contacts = LinkedIds(id=[12345678])
    lead.remove_contacts(12345678)
    assert lead.contacts is None
    assert lead.unlink == Unlink(contacts_id=[12345678])


def test_remove_contacts_array(lead: Lead) -> None:
    lead.contacts = LinkedIds(id=[1, 2, 3, 4, 5])
    lead.remove_contacts([2, 4])
    assert lead.contacts == LinkedIds(id=[1, 3, 5])
    assert lead.unlink == Unlink(contacts_id=[2, 4])


def test_add_and_remove_contacts(lead: Lead) -> None:
    lead.contacts = LinkedIds(id=[12345678])
    lead.add_contacts([1, 2, 3])
    lead.remove_contacts(2)
    lead.add_contacts(2)
    assert lead.contacts == LinkedIds(id=[12345678, 1, 3, 2])
    assert lead.unlink is UNSET


def test_remove_and_add_contacts(lead: Lead) -> None:
    lead.contacts = LinkedIds(id=[12345678])
    lead.remove_contacts(12345678)
    lead.add_contacts([1, 2, 12345678, 3])
    assert lead.contacts == LinkedIds(id=[1, 2, 12345678, 3])
    assert lead.unlink is UNSET


def test_add_company(lead: Lead) -> None:
    lead.add_company(12345678)
    assert lead.company == LinkedEntity(id=12345678)


def test_add_company_twice(lead: Lead) -> None:
    lead.add_company(12345678)
    lead.add_company(23456789)
    assert lead.company == LinkedEntity(id=23456789)


def test_remove_company(lead: Lead) -> None:
    lead.company = LinkedEntity(id=12345678)
    lead.remove_company(12345678)
    assert lead.company is None
    assert lead.unlink == Unlink(company_id=12345678)


def test_add_and_remove_company(lead: Lead) -> None:
    lead.company = LinkedEntity(id=12345678)
    lead.add_company(23456789)
    lead.remove_company(12345678)
    assert lead.company == LinkedEntity(id=23456789)
    assert lead.unlink == Unlink(company_id=12345678)


def test_remove_and_add_company(lead: Lead) -> None:
    lead.company = LinkedEntity(id=12345678)
    lead.remove_company(12345678)
    lead.add_company(12345678)
    assert lead.company == LinkedEntity(id=12345678)
    assert lead.unlink is UNSET


def test_string_ids_compare_loosely_as_in_php(lead: Lead) -> None:
    lead.add_contacts(["5", 5, "6"])
    assert contact_ids(lead) == [5, 6]
    with pytest.raises(ValueError, match="expected an int id"):
        lead.add_contacts("five")
    with pytest.raises(TypeError, match="expected an int id"):
        lead.add_company(1.5)  # type: ignore[arg-type]
