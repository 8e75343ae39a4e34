"""The API v4 face of the sandbox account (``/api/v4/...``, and the drive's ``/v1.0/...``).

Kept free of imports on purpose: :mod:`amocrm.sandbox.store` imports :mod:`.state` from here, and
the face itself (:mod:`.face`) imports the store. The core imports :class:`.face.V4Face`.
"""
