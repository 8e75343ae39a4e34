"""Per-account token bucket (burst = rate) with a temporary 403 block after repeated 429s."""

from __future__ import annotations

import time

__all__ = ["RateLimiter"]


class RateLimiter:
    """``check()`` returns 0 (allowed), 429 (over the rate) or 403 (blocked); callers hold the lock."""

    def __init__(self, rate: float | None, block_after: int, block_seconds: float) -> None:
        self.rate = rate
        self.block_after = block_after
        self.block_seconds = block_seconds
        self.reset()

    def reset(self) -> None:
        self.tokens: float = float(self.rate or 0.0)
        self.stamp: float = time.monotonic()
        self.consecutive: int = 0
        self.blocked_until: float = 0.0

    def check(self) -> int:
        if self.rate is None:
            return 0
        now = time.monotonic()
        if now < self.blocked_until:
            return 403
        burst = max(self.rate, 1.0)
        self.tokens = min(burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            self.consecutive = 0
            return 0
        self.consecutive += 1
        if self.consecutive >= self.block_after:
            self.blocked_until = now + self.block_seconds
            self.consecutive = 0
            return 403
        return 429
