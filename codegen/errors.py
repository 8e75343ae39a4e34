"""The one error type of the generator."""

from __future__ import annotations

__all__ = ["SpecError"]


class SpecError(Exception):
    """The spec is invalid; ``file`` and ``key`` (a dotted path inside the file) say where."""

    def __init__(self, file: str, key: str, message: str) -> None:
        self.file = file
        self.key = key
        self.reason = message
        where = f"{file}: {key}" if key else file
        super().__init__(f"{where}: {message}")
