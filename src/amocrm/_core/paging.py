"""Paging state: the query of page *k*, and whether iteration goes on after a page.

Three styles, one cursor each:

- ``offset`` (v2 ``limit_rows``/``limit_offset``): page *k* starts at ``start + k * size``; a short
  page ends the iteration.
- ``page`` (page numbers, optionally with a size): page *k* is number ``start + k``; a short page
  ends it when the size is known.
- ``links`` (v4 ``page``/``limit``): as ``page``, and a page without ``_links.next`` is the last.

Every style also ends on 204/an empty page, and on a page that repeats the previous one: a server
that ignores the offset or the page number would otherwise be read forever. Because page *k*'s
query is known in advance, the shell can request pages ahead of the one being read (prefetch)
and drop what lies past the end.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import msgspec

from amocrm._core.ops import Paging
from amocrm.errors import ConfigError

__all__ = ["Cursor", "fingerprint"]


def fingerprint(items: list[Any]) -> tuple[Any, ...]:
    """What identifies a page's content: ids of its first and last items (encoded items without ids)."""
    if not items:
        return ()

    def key(item: Any) -> Any:
        ident = getattr(item, "id", None)
        if ident is None or ident is msgspec.UNSET:
            ident = getattr(item, "uid", None)
        if ident is None or ident is msgspec.UNSET:
            try:
                return msgspec.json.encode(item)
            except (TypeError, msgspec.EncodeError):
                return id(item)
        return ident

    return (len(items), key(items[0]), key(items[-1]))


class Cursor:
    """Where the pages of one list call are: ``query(k)`` for page *k*, ``goes_on(...)`` after each."""

    def __init__(self, paging: Paging, *, page_size: int | None, start: int | None, op: str) -> None:
        self.paging = paging
        self.op = op
        if page_size is not None and (isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1):
            raise ConfigError(f"{op}(page_size): expected a positive int, got {page_size!r}")
        if start is not None and (isinstance(start, bool) or not isinstance(start, int) or start < 0):
            raise ConfigError(f"{op}: the start offset/page must be a non-negative int, got {start!r}")
        self.size: int | None = min(page_size, paging.max) if page_size is not None else None
        self.start: int
        if paging.style == "offset":
            self.start = start or 0
        else:
            if start == 0:
                raise ConfigError(f"{op}(page): pages are numbered from 1")
            self.start = start or 1
        self._previous: tuple[Any, ...] | None = None
        #: Whether iteration ended on a page repeating the previous one (a server ignoring the paging).
        self.repeated: bool = False

    def with_default_size(self, default: int) -> None:
        """Use ``default`` (the client's ``config.page_size``) when no page size was given."""
        if self.size is None and (self.paging.size_param is not None):
            self.size = min(default, self.paging.max)

    def query(self, index: int) -> dict[str, Any]:
        """The paging part of the query of page number ``index`` (0 = the first page of this call)."""
        p = self.paging
        out: dict[str, Any] = {}
        if p.style == "offset":
            assert p.size_param is not None and p.offset_param is not None and self.size is not None
            out[p.size_param] = self.size
            out[p.offset_param] = self.start + index * self.size
            return out
        assert p.page_param is not None
        out[p.page_param] = self.start + index
        if p.size_param is not None and self.size is not None:
            out[p.size_param] = self.size
        return out

    def full(self, items: list[Any]) -> bool:
        """Whether a page is as long as the page size (so another may follow)."""
        return self.size is None or len(items) >= self.size

    def repeats(self, items: list[Any]) -> bool:
        """Whether this page holds what the previous one did (a server ignoring the offset/page):
        such a page is dropped and the iteration ends. Call it once per page, in order."""
        mark = fingerprint(items)
        if items and mark == self._previous:
            self.repeated = True
            return True
        self._previous = mark
        return False

    def goes_on(self, items: list[Any], next_href: str | None, index: int) -> bool:
        """Whether a page follows page ``index`` that held ``items`` (and ``_links.next``)."""
        if not items:
            return False
        if not self.full(items):
            return False
        if self.paging.style == "links":
            if next_href is None:
                return False
            wanted = self.paging.page_param
            if wanted:
                numbers = parse_qs(urlsplit(next_href).query).get(wanted)
                if numbers and numbers[0].isdigit() and int(numbers[0]) != self.start + index + 1:
                    # the server points elsewhere than the next number: stop rather than guess
                    return False
        return True
