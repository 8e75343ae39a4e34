"""Hand-written helpers of the API v2 models (see :mod:`amocrm.lib.v2.mixins`)."""
