"""Custom fields of leads: create the definitions, write values with the typed builders, read them back, clear one.

1. creates four lead fields in one request (``POST /api/v4/leads/custom_fields``), or reuses them
   when a field with the same code already exists (so the script can run again):
   a text field (code ``DELIVERY_NOTE``), a select with three options (``DELIVERY_METHOD``), a
   multiselect (``EXTRAS``) and a date (``DELIVERY_DATE``);
2. adds a lead with values written by the builders of :mod:`amocrm.v4.fields` (``Text``, ``Select``
   by option text, ``MultiSelect`` by text and by option id, ``Date``), each field named a
   different way (by id, by code);
3. reads the lead back and gets each value typed (``get_value(field, Select)`` is a ``Choice``, a
   date an aware UTC ``datetime``...) by id, by code and by name;
4. clears the text field with ``set_value(field, None)`` (sent as ``values: null``; only that field
   is sent, the others keep their values) and shows it is gone.

Run it: ``python examples/v4/custom_fields.py [--sandbox JSON] [--tokens DIR]``. It prints the field
ids and the values read back.
"""

from __future__ import annotations

import datetime

from _env import connect, parser, sandbox_info

from amocrm import AmoClient
from amocrm.v4.fields import Date, MultiSelect, Select, Text
from amocrm.v4.models import CustomField, CustomFieldEnum, Lead

DEFINITIONS = [
    CustomField(name="Delivery note", code="DELIVERY_NOTE", type="text", sort=510),
    CustomField(name="Delivery method", code="DELIVERY_METHOD", type="select", sort=520,
                enums=[CustomFieldEnum(value=v, sort=10 * n) for n, v in enumerate(("Courier", "Pickup", "Post"))]),
    CustomField(name="Extras", code="EXTRAS", type="multiselect", sort=530,
                enums=[CustomFieldEnum(value=v, sort=10 * n) for n, v in enumerate(("Gift wrap", "Insurance",
                                                                                     "Express"))]),
    CustomField(name="Delivery date", code="DELIVERY_DATE", type="date", sort=540),
]


def ensure_fields(client: AmoClient) -> dict[str, CustomField]:
    """The four definitions by code: the existing ones, and the missing ones created in one request."""
    have = {f.code: f for f in client.v4.custom_fields.list("leads") if isinstance(f.code, str)}
    missing = [d for d in DEFINITIONS if d.code not in have]
    if missing:
        client.v4.custom_fields.save(missing, "leads")  # ids (and the options' ids) written back
        have.update({str(d.code): client.v4.custom_fields.get("leads", d.id) for d in missing
                     if isinstance(d.id, int)})
    return {str(d.code): have[str(d.code)] for d in DEFINITIONS}


def main() -> None:
    args = parser(__doc__).parse_args()
    with sandbox_info(args.sandbox) as sb, connect(sb, args.tokens) as client:
        fields = ensure_fields(client)
        for code, f in fields.items():
            options = ", ".join(f"{e.value}={e.id}" for e in f.enums or [])
            print(f"field {f.id} {code} ({f.type})" + (f": {options}" if options else ""))
        note, method, extras, date = (fields[c] for c in ("DELIVERY_NOTE", "DELIVERY_METHOD", "EXTRAS",
                                                           "DELIVERY_DATE"))
        assert isinstance(note.id, int) and isinstance(extras.id, int) and extras.enums
        insurance = next(e.id for e in extras.enums if e.value == "Insurance" and isinstance(e.id, int))

        lead = Lead(name="Custom fields demo")
        lead.set_values({
            note.id: Text("Leave at the reception"),                       # by id
            "DELIVERY_METHOD": Select("Courier"),                          # by code, an option by its text
            extras.id: MultiSelect(["Gift wrap", insurance]),              # options by text and by id
            "DELIVERY_DATE": Date(datetime.date(2024, 3, 1)),              # sent as RFC 3339
        })
        client.v4.leads.save(lead)
        assert isinstance(lead.id, int)

        back = client.v4.leads.get(lead.id)
        print("text by id:", back.get_value(note.id, Text))
        print("select by code:", back.get_value("DELIVERY_METHOD", Select))
        print("multiselect by name:", [c.value for c in back.get_value("Extras", MultiSelect) or []])
        print("date by name:", back.get_value("Delivery date", Date))
        print("method by id, untyped:", back.get_value(method.id if isinstance(method.id, int) else 0))

        back.set_value(note.id, None)  # clears the field: only this entry is sent, values: null
        client.v4.leads.save(back)
        again = client.v4.leads.get(lead.id)
        print("text after clearing:", again.get_value(note.id, Text),
              "| date still:", again.get_value(date.id if isinstance(date.id, int) else 0, Date))
        print("lead", lead.id)


if __name__ == "__main__":
    main()
