"""Per-account typed custom fields: generate a module whose ``fields(lead).<name>`` reads and writes them.

``amocrm fields -o myproject/amo_fields.py`` (the command line) and ``python -m codegen account``
(in a checkout) both run this generator; see :mod:`amocrm.fields._generator` for the module it writes.
"""

from __future__ import annotations

from amocrm.fields._generator import (
    DEFAULT_VERSION,
    KINDS,
    AccountSourceError,
    FieldSpec,
    fetch_v4_definitions,
    field_specs,
    field_specs_v4,
    load_account,
    load_v4_definitions,
    main,
    render_module,
    render_module_v4,
    safe_name,
)

__all__ = ["DEFAULT_VERSION", "KINDS", "AccountSourceError", "FieldSpec", "fetch_v4_definitions", "field_specs",
           "field_specs_v4", "load_account", "load_v4_definitions", "main", "render_module", "render_module_v4",
           "safe_name"]
