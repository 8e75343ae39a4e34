"""One call on its own short-lived daemon thread (prefetched pages, chunks of a concurrent save).

A thread per request (not a pool) means nothing idles after the work is done: a stopped iteration
joins its tasks and leaves no thread behind.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from amocrm.errors import TransportError

__all__ = ["Task", "was_cancelled"]

T = TypeVar("T")


class Task(Generic[T]):
    """``call()`` on a daemon thread; :meth:`result` joins it and re-raises its exception."""

    __slots__ = ("_call", "_result", "_error", "_thread")

    def __init__(self, call: Callable[[], T], name: str) -> None:
        self._call = call
        self._result: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._result = self._call()
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc

    def done(self) -> bool:
        """Whether the call has returned (or raised)."""
        return not self._thread.is_alive()

    def wait(self) -> BaseException | None:
        """Join the thread; the exception the call raised, if any."""
        self._thread.join()
        return self._error

    def result(self) -> T:
        error = self.wait()
        if error is not None:
            raise error
        return self._result  # type: ignore[return-value]


def was_cancelled(error: BaseException | None, cancel: threading.Event) -> bool:
    """True when ``error`` is the pipeline refusing to send because ``cancel`` was set."""
    return cancel.is_set() and isinstance(error, TransportError) and error.sent is False
