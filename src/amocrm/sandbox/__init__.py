"""Local emulator of one amoCRM account answering API v2 and API v4 (one store, two faces), for tests and demos.

``Sandbox(**options)`` runs it in a background thread, ``SandboxProcess(**options)`` in a
subprocess (``python -m amocrm.sandbox``); both are context managers with the same surface.
``SEED`` holds the fixed ids of the seeded account. TLS needs the ``sandbox`` extra (cryptography).
"""

from __future__ import annotations

from .app import Sandbox
from .options import FaultSettings, SandboxOptions
from .process import SandboxProcess
from .seed import SEED

__all__ = ["Sandbox", "SandboxProcess", "SandboxOptions", "FaultSettings", "SEED"]
