"""When a failed request may be sent again, and how long to wait first: :meth:`RetryPolicy.decide`.

One decision for every transport (I/O-free; the request pipeline asks it after each failed try):

- 429: the server refused before doing anything, so any request may go again, as often as the
  time budget (``total_timeout``) allows, after ``Retry-After`` when the server gives it. A
  ``Retry-After`` longer than what is left of the budget ends the call at once with
  :class:`~amocrm.errors.RateLimitError` (``retry_after`` set) instead of sleeping the budget away.
  Without a budget, 429s are bounded by ``attempts`` like everything else.
- 502/503/504 and transport errors: within ``attempts`` and the budget, for idempotent requests
  only, because a write may already have been applied; a write goes again only if it provably never
  reached the server (``sent is False``, e.g. connection refused) or with ``retry_writes=True``.
- Anything else is final. ``attempts=1`` (:data:`NO_RETRY`) never retries.

Token requests are retried by ``OAuth2`` under its own ``TokenRetry`` (429, 5xx, connection
refused); login requests are never retried.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from dataclasses import dataclass

from amocrm.errors import ConfigError

__all__ = ["NO_RETRY", "Decision", "RetryPolicy", "parse_retry_after"]

_TRANSIENT = frozenset({502, 503, 504})


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds, fractional allowed, or an HTTP date)."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def _number(name: str, value: object, *, minimum: float = 0.0, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < minimum:
        raise ConfigError(f"RetryPolicy.{name} must be a finite number >= {minimum:g}, got {value!r}")


@dataclass(frozen=True)
class Decision:
    """What to do after a failed try: ``retry`` after ``delay`` seconds, or stop (``reason`` says why)."""

    retry: bool
    delay: float = 0.0
    reason: str = ""


@dataclass(frozen=True)
class RetryPolicy:
    """How many times (``attempts``, the first try included) and how long (``total_timeout``) to retry.

    ``split_on_504`` lets batch writers halve a batch answered 504 ("reduce the batch") instead of
    failing; ``retry_after_max`` caps a server's ``Retry-After`` hint.
    """

    attempts: int = 3
    total_timeout: float | None = 60.0
    backoff: float = 0.5
    backoff_max: float = 8.0
    jitter: float = 0.25
    retry_writes: bool = False
    split_on_504: bool = False
    retry_after_max: float = 60.0

    def __post_init__(self) -> None:
        if isinstance(self.attempts, bool) or not isinstance(self.attempts, int) or self.attempts < 1:
            raise ConfigError(f"RetryPolicy.attempts must be an integer >= 1, got {self.attempts!r}")
        _number("total_timeout", self.total_timeout, allow_none=True)
        _number("backoff", self.backoff)
        _number("backoff_max", self.backoff_max)
        _number("retry_after_max", self.retry_after_max)
        _number("jitter", self.jitter)
        if self.jitter > 1:
            raise ConfigError(f"RetryPolicy.jitter must be between 0 and 1, got {self.jitter!r}")

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (1 = the first retry).

        A ``Retry-After`` hint wins (capped at ``retry_after_max``); otherwise
        ``backoff * 2**(attempt-1)`` capped at ``backoff_max``, scaled by a random ``1 ± jitter``.
        """
        hinted = parse_retry_after(retry_after)
        if hinted is not None:
            return min(hinted, self.retry_after_max)
        base = min(self.backoff_max, self.backoff * 2.0 ** max(0, attempt - 1))
        if self.jitter:
            base *= random.uniform(1.0 - self.jitter, 1.0 + self.jitter)
        return max(0.0, min(base, self.backoff_max))

    def decide(
        self,
        *,
        attempt: int,
        elapsed: float,
        status: int | None,
        sent: bool | None,
        idempotent: bool,
        retry_after: str | None = None,
    ) -> Decision:
        """Whether try number ``attempt`` (1 = the first), which got ``status`` (``None``: a transport
        failure) after ``elapsed`` seconds of this call, is followed by another, and after how long."""
        if self.attempts <= 1:
            return Decision(False, reason="retries are off")
        left = None if self.total_timeout is None else self.total_timeout - elapsed
        if status == 429:
            if left is None and attempt >= self.attempts:
                return Decision(False, reason=f"{attempt} attempts made")
            hinted = parse_retry_after(retry_after)
            delay = self.delay(attempt, retry_after)
            if left is not None and delay >= left:
                if hinted is not None:
                    return Decision(False, reason=f"Retry-After {hinted:g}s exceeds the {max(left, 0.0):.1f}s left "
                                                  f"of the {self.total_timeout:g}s budget")
                return Decision(False, reason=f"the {self.total_timeout:g}s time budget is spent")
            return Decision(True, delay)
        if not self.should_retry(idempotent=idempotent, status=status, sent=sent):
            return Decision(False)
        if attempt >= self.attempts:
            return Decision(False, reason=f"{attempt} attempts made")
        delay = self.delay(attempt, retry_after)
        if left is not None:
            if left <= 0:
                return Decision(False, reason=f"the {self.total_timeout:g}s time budget is spent")
            delay = min(delay, left)
        return Decision(True, delay)

    def should_retry(self, *, idempotent: bool, status: int | None, sent: bool | None) -> bool:
        """Whether a request that got ``status`` (None: transport error) may be sent again at all
        (the kind-of-failure part of :meth:`decide`; attempts and the budget are checked there)."""
        if self.attempts <= 1:
            return False
        if status == 429:
            return True
        if status is not None and status not in _TRANSIENT:
            return False
        if status is None and sent is False:
            return True
        return idempotent or self.retry_writes

    def allows(self, attempt: int, elapsed: float, next_delay: float = 0.0) -> bool:
        """Whether try number ``attempt + 1`` fits: attempts left and within ``total_timeout`` (the
        budget part of :meth:`decide`, for failures other than 429)."""
        if attempt >= self.attempts:
            return False
        return self.total_timeout is None or elapsed + next_delay < self.total_timeout

    def should_split(self, status: int | None) -> bool:
        """Whether a batch write answered ``status`` should be split in halves and re-sent."""
        return self.split_on_504 and status == 504


#: Never retry (one attempt).
NO_RETRY = RetryPolicy(attempts=1, total_timeout=None)
