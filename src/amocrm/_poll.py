"""The one polling loop behind every "try until it works or the time is up" wait of the SDK.

File locks (``flock`` with ``LOCK_NB``), Redis locks (``SET NX PX``) and the entity lockers' attempt
windows all wait the same way: call ``try_once()``, sleep a little longer each time (capped), and
give up when the deadline has passed. The last pause is cut to the time left, so a wait never
overruns its timeout by more than one ``try_once()``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from amocrm.errors import ConfigError

__all__ = ["poll_until", "seconds_arg"]


def poll_until(
    try_once: Callable[[], bool],
    timeout: float,
    *,
    first: float = 0.002,
    cap: float = 0.05,
    try_first: bool = True,
) -> bool:
    """Call ``try_once()`` until it returns True (then True) or ``timeout`` seconds have passed (False).

    Pauses start at ``first`` seconds and double up to ``cap``. With ``try_first=False`` the first
    call comes after the first pause (the caller has just tried). Exceptions of ``try_once`` propagate.
    """
    deadline = time.monotonic() + max(0.0, timeout)
    pause = first
    if try_first and try_once():
        return True
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(pause, left))
        pause = min(pause * 2, cap)
        if try_once():
            return True


def seconds_arg(name: str, value: object, *, allow_zero: bool = False) -> float:
    """``value`` as a float number of seconds, or :class:`ConfigError` naming ``name``.

    It must be an int or float (not a bool or a string), finite, and > 0 (>= 0 with ``allow_zero``).
    """
    if (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and (value >= 0 if allow_zero else value > 0)
    ):
        return float(value)
    bound = ">= 0" if allow_zero else "> 0"
    raise ConfigError(f"{name} must be a finite number of seconds {bound}, got {value!r}")
