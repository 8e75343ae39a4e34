"""``python -m codegen account``: the per-account typed custom-field module generator.

The generator lives in the installed package now, as ``amocrm.fields._generator`` (run from a wheel as
``amocrm fields``). This module is that module under its old name, so ``python -m codegen account``
and ``from codegen.account import ...`` keep working in a checkout.
"""

from __future__ import annotations

import sys

from amocrm.fields import _generator

sys.modules[__name__] = _generator
