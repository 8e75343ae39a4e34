"""Progress of long iterations and saves: a callback, or plain iterators that tqdm can wrap.

Lists are iterators already, so ``tqdm(client.leads.list())`` works as it is. This module adds a
callback with count, total (when known) and rate, a printer for stderr, and saves in steps::

    from amocrm.progress import save_in_steps, track, StreamProgress

    for lead in track(client.leads.list(), StreamProgress("leads")):   # a line every 2 s on stderr
        ...

    for result in save_in_steps(client.contacts, contacts):            # one SaveResult per step
        bar.update(len(result))                                        # e.g. a tqdm bar of len(contacts)

    save_in_steps(..., progress=lambda p: print(p.done, p.total, p.rate))

:class:`StreamProgress` redraws one line on a terminal (at most 10 times a second) and, when the
stream is not a terminal (a log file, CI), writes a full line every ``interval`` seconds, so
progress is visible in both; it always ends with a summary line.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TextIO, TypeVar

from amocrm.errors import AmoError, ConfigError

__all__ = ["Progress", "ProgressCallback", "StreamProgress", "describe", "save_in_steps", "track"]

T = TypeVar("T")


@dataclass(frozen=True)
class Progress:
    """Where a long operation stands: ``done`` of ``total`` (``None``: not known), after ``elapsed`` s."""

    done: int
    total: int | None
    elapsed: float
    #: ``True`` for the last report of the operation.
    final: bool = False
    #: Which part of a longer job this is (``"read"``, ``"save"``), or ``""``.
    stage: str = ""

    @property
    def rate(self) -> float:
        """Items per second so far (0.0 before the first second's work is measurable)."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def fraction(self) -> float | None:
        """``done / total``, or ``None`` when the total is not known."""
        if not self.total:
            return None
        return min(1.0, self.done / self.total)

    @property
    def remaining(self) -> float | None:
        """Estimated seconds left (needs a total and a rate), else ``None``."""
        if self.total is None or self.rate <= 0:
            return None
        return max(0.0, (self.total - self.done) / self.rate)


#: What receives :class:`Progress` reports.
ProgressCallback = Callable[[Progress], None]


def _interval(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigError(f"{what} must be a number of seconds >= 0, got {value!r}")
    return float(value)


class _Clock:
    """Calls ``callback`` at most once per ``every`` seconds, and always for the final report."""

    def __init__(self, callback: ProgressCallback | None, total: int | None, every: float) -> None:
        self.callback = callback
        self.total = total
        self.every = every
        self.started = time.monotonic()
        self.last = self.started
        self.done = 0
        self.finished = False

    def step(self, n: int = 1) -> None:
        self.done += n
        if self.callback is None:
            return
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self.callback(Progress(self.done, self.total, now - self.started))

    def finish(self) -> None:
        if self.finished:
            return
        self.finished = True
        if self.callback is not None:
            self.callback(Progress(self.done, self.total, time.monotonic() - self.started, final=True))


def track(
    items: Iterable[T],
    progress: ProgressCallback | None = None,
    *,
    total: int | None = None,
    every: float = 0.0,
) -> Iterator[T]:
    """Yield every item of ``items``, reporting to ``progress`` after each one (at most once per ``every``
    seconds) and once more at the end (``final=True``), also when the loop stops early or fails.

    ``total`` defaults to ``len(items)`` when ``items`` has a length (a list; not a page of a list call,
    whose total the API does not say).
    """
    if total is None and isinstance(items, Sequence):
        total = len(items)
    clock = _Clock(progress, total, _interval(every, "every"))
    try:
        for item in items:
            yield item
            clock.step()
    finally:
        clock.finish()


def save_in_steps(
    resource: Any,
    objects: Iterable[Any],
    *,
    batch_size: int | None = None,
    step: int | None = None,
    continue_on_error: bool = False,
    progress: ProgressCallback | None = None,
) -> Iterator[Any]:
    """Save ``objects`` through ``resource.save`` a step at a time, yielding each step's ``SaveResult``.

    A step is ``step`` objects (default: ``batch_size`` × ``client.config.save_workers``, so each step
    sends its chunks concurrently as one ``save()`` would and the number of requests stays the same).
    ``progress`` gets the objects done so far of ``len(objects)``. A failed step raises its error (with
    ``error.outcome``) unless ``continue_on_error``: then its outcome is yielded and the next step goes on.
    Outcome indexes are positions within the step.
    """
    items = list(objects)
    config = getattr(getattr(resource, "_client", None), "config", None)
    size = batch_size if batch_size is not None else getattr(config, "batch_size", 250)
    workers = getattr(config, "save_workers", 1)
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ConfigError(f"batch_size must be a positive int, got {size!r}")
    if step is None:
        step = size * (workers if isinstance(workers, int) and workers > 0 else 1)
    if isinstance(step, bool) or not isinstance(step, int) or step < 1:
        raise ConfigError(f"step must be a positive int, got {step!r}")
    clock = _Clock(progress, len(items), 0.0)
    try:
        for start in range(0, len(items), step):
            part = items[start:start + step]
            try:
                result = resource.save(part, batch_size=size, continue_on_error=continue_on_error)
            except AmoError as exc:
                if not continue_on_error or exc.outcome is None:
                    raise
                result = exc.outcome
            clock.step(len(part))
            yield result
    finally:
        clock.finish()


def _seconds_text(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def describe(p: Progress, noun: str, verb: str = "") -> str:
    """``exported 1500 of 3000 leads (50%, 750/s, 2.0 s left)`` or ``exported 1500 leads (750/s)``."""
    head = f"{verb} " if verb else ""
    count = f"{p.done} of {p.total}" if p.total is not None else str(p.done)
    details: list[str] = []
    fraction = p.fraction
    if fraction is not None and not p.final:
        details.append(f"{fraction:.0%}")
    details.append(f"{p.rate:.0f}/s")
    if p.final:
        details.append(f"in {_seconds_text(p.elapsed)}")
    else:
        remaining = p.remaining
        if remaining is not None:
            details.append(f"{_seconds_text(remaining)} left")
    return f"{head}{count} {noun} ({', '.join(details)})"


class StreamProgress:
    """A :data:`ProgressCallback` that writes progress to ``stream`` (stderr by default).

    On a terminal the line is redrawn in place, at most every ``tty_interval`` seconds. Elsewhere
    (a pipe, a file, CI logs) a whole line is written every ``interval`` seconds. The final report
    is always written. ``verb`` and ``noun`` make the text: ``exported 1500 leads (750/s)``.
    """

    def __init__(self, noun: str = "items", verb: str = "", *, stream: TextIO | None = None,
                 interval: float = 2.0, tty_interval: float = 0.1) -> None:
        self.noun: str = noun
        self.verb: str = verb
        self.stream: TextIO = stream if stream is not None else sys.stderr
        self.interval: float = _interval(interval, "interval")
        self.tty_interval: float = _interval(tty_interval, "tty_interval")
        isatty = getattr(self.stream, "isatty", None)
        self.terminal: bool = bool(isatty()) if callable(isatty) else False
        self._last = time.monotonic()
        self._drawn = False

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        wait = self.tty_interval if self.terminal else self.interval
        if not p.final and now - self._last < wait:
            return
        self._last = now
        text = describe(p, self.noun, self.verb)
        if self.terminal:
            self.stream.write("\r\x1b[K" + text + ("\n" if p.final else ""))
            self._drawn = not p.final
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
