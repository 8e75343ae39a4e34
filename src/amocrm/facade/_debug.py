"""The seed's debug switches: ``AmoAPI.debug`` (framed lines on stdout) and ``AmoAPI.debug_logger``.

Both attach handlers to the SDK's ``amocrm`` logger, so they see exactly what the SDK logs (redacted:
no tokens, keys or secrets). ``debug_logger`` accepts a ``logging.Handler`` (such as
:class:`AmoAPIDebugLogger`) or any object with a ``debug(str)`` method (PSR-3 style).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from amocrm import _logging
from amocrm.errors import ConfigError

__all__ = ["AmoAPIDebugLogger", "DebugSwitch"]


class AmoAPIDebugLogger(_logging.DebugFileLogger):
    """The seed's file logger: appends framed debug lines to ``log_file`` under an exclusive lock.

    The path is relative to the working directory (the seed put it under the library directory).
    """

    def __init__(self, log_file: str | os.PathLike[str] = "logs/debug.log") -> None:
        super().__init__(log_file)


class _CurrentStdout:
    """Writes to whatever ``sys.stdout`` is at the time (so redirection and capture work)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


class _CallbackHandler(logging.Handler):
    """Passes each framed line to ``target.debug(text)``."""

    def __init__(self, target: Any) -> None:
        super().__init__(logging.DEBUG)
        self.target = target
        self.setFormatter(_logging.SeedFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.target.debug(self.format(record) + "\n")
        except Exception:  # a logger must not break the request
            self.handleError(record)


class DebugSwitch:
    """Installs and removes the facade's handlers on the ``amocrm`` logger."""

    def __init__(self) -> None:
        self._stdout: logging.Handler | None = None
        self._logger: logging.Handler | None = None
        self._saved_level: int | None = None

    @staticmethod
    def check_logger(value: Any) -> None:
        if value is not None and not isinstance(value, logging.Handler) and not callable(getattr(value, "debug", None)):
            raise ConfigError(
                f"debug_logger must be None, a logging.Handler or an object with a debug(str) method, "
                f"got {type(value).__name__}"
            )

    def apply(self, debug: bool, debug_logger: Any) -> None:
        logger = _logging.logger
        level_before = logger.level
        if debug and self._stdout is None:
            self._stdout = _logging.enable_debug(_CurrentStdout())  # type: ignore[arg-type]
        elif not debug and self._stdout is not None:
            _logging.disable_debug(self._stdout)
            self._stdout = None
        current = getattr(self._logger, "target", self._logger)
        if current is not debug_logger:
            if self._logger is not None:
                logger.removeHandler(self._logger)
                self._logger = None
            if debug_logger is not None:
                handler = debug_logger if isinstance(debug_logger, logging.Handler) else _CallbackHandler(debug_logger)
                logger.addHandler(handler)
                self._logger = handler
        active = self._stdout is not None or self._logger is not None
        if active and self._saved_level is None:
            self._saved_level = level_before
            logger.setLevel(logging.DEBUG)
        elif not active and self._saved_level is not None:
            logger.setLevel(self._saved_level)
            self._saved_level = None
