"""Fault injection: latency, 5xx answers, dropped connections, broken bodies, forced 401s."""

from __future__ import annotations

import random
from dataclasses import dataclass

from .options import FaultSettings

__all__ = ["FaultPlan", "FaultInjector"]


@dataclass
class FaultPlan:
    """What to do to one request; decided before the body is read."""

    delay_s: float = 0.0
    kind: str | None = None  # drop_before | drop_after | error | truncate | non_json | html | force_401
    status: int = 0


class FaultInjector:
    """Rolls faults per request from a (seedable) RNG; callers hold the sandbox lock."""

    def __init__(self, settings: FaultSettings) -> None:
        self.configure(settings)

    def configure(self, settings: FaultSettings) -> None:
        self.settings = settings
        self.rng: random.Random = random.Random(settings.seed)
        self.remaining_401: int = int(settings.force_401)

    def _matches(self, method: str, path: str) -> bool:
        s = self.settings
        if s.path_prefix and not path.startswith(s.path_prefix):
            return False
        return s.methods is None or method.upper() in s.methods

    def plan(self, method: str, path: str) -> FaultPlan:
        s = self.settings
        plan = FaultPlan()
        if not self._matches(method, path):
            return plan
        if s.latency_ms or s.latency_jitter_ms:
            plan.delay_s = (s.latency_ms + self.rng.uniform(0.0, s.latency_jitter_ms)) / 1000.0
        if self.remaining_401 > 0:
            self.remaining_401 -= 1
            plan.kind = "force_401"
            return plan
        for kind, rate in (("drop_before", s.drop_before_rate), ("error", s.error_rate),
                           ("drop_after", s.drop_after_rate), ("truncate", s.truncate_rate),
                           ("non_json", s.non_json_rate), ("html", s.html_rate)):
            if rate > 0 and self.rng.random() < rate:
                plan.kind = kind
                if kind == "error":
                    plan.status = self.rng.choice(s.error_statuses)
                return plan
        return plan
