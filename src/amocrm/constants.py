"""amoCRM constants: element, note and task types, webhook events, the error-code table.

Generated from ``spec/constants.yaml``; this module is their public home.
"""

from amocrm.v2 import constants as _constants
from amocrm.v2.constants import *  # noqa: F403

__all__: list[str] = []
__all__ += _constants.__all__
