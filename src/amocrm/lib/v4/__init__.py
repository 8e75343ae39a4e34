"""Hand-written helpers of the API v4 models.

:mod:`amocrm.lib.v4.mixins` holds the helper methods the generated models inherit (custom fields,
tags); :mod:`amocrm.lib.v4.fields` the typed custom-field values: a builder per field type for
writes (``Select("Ads")``, ``Phone([...])``, ``Date(...)``) that is also the kind of a typed read
(``lead.get_value(field, Numeric)``).
"""
