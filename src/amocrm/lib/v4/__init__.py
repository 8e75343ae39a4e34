"""Hand-written helpers of the API v4 models (see :mod:`amocrm.lib.v4.mixins`)."""
