"""Per-account typed custom fields: generate a module whose ``fields(lead).<name>`` reads and writes them.

``amocrm fields -o myproject/amo_fields.py`` (the command line) and ``python -m codegen account``
(in a checkout) both run this generator; see :mod:`amocrm.fields._generator` for the module it writes.
"""

from __future__ import annotations

from amocrm.fields._generator import (
    KINDS,
    AccountSourceError,
    FieldSpec,
    field_specs,
    load_account,
    main,
    render_module,
    safe_name,
)

__all__ = ["KINDS", "AccountSourceError", "FieldSpec", "field_specs", "load_account", "main", "render_module",
           "safe_name"]
