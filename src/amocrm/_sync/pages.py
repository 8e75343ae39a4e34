"""Pages of a list call: one class per paging style, each iterable over every item of every page.

``client.v2.leads.list(...)`` fetches the first page and returns it as an :class:`OffsetPage`
(``NumberPage`` for page numbers, ``LinksPage`` for v4's ``_links.next``)::

    page = client.v2.leads.list(status=[142])
    page.items                 # this page's objects
    for lead in page: ...      # every object, this page and the following ones
    for p in page.pages(): ... # this page and the following ones
    page.next_page()           # the next page, or None

Prefetch (``client.config.prefetch`` = k > 0): once a page comes back full, the following pages
are requested while the caller consumes it, each on its own short-lived thread; the throttle still
spaces every start. The depth ramps up: one page ahead at first (two for offset and page-number
paging), one more for every page that comes back with more to follow, up to k -- a v4 list of two
pages costs at most one request past its end --
and nothing more is requested once the page after the current one has come back as the last. Pages reach the caller in order and a failed page raises when the caller asks
for it. After the last page, or when the caller stops early (``break``, ``close()``, garbage
collection), requests still waiting for a throttle slot are not sent, and the iteration waits for
those on the wire, so no thread outlives it; their answers are thrown away (``resource.stats``).
Every multi-page iteration costs at most ``prefetch`` requests past the end.
"""

from __future__ import annotations

import functools
import threading
from collections import deque
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from amocrm._core.paging import Cursor
from amocrm._core.response import PageBody
from amocrm._core.wire import Response
from amocrm._sync.tasks import Task, was_cancelled

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["LinksPage", "NumberPage", "OffsetPage", "PageFetcher", "SyncPage"]

T = TypeVar("T")


class PageFetcher:
    """Fetches page *k* of one list call (built by the resource; shared by its pages)."""

    def __init__(
        self,
        fetch: Callable[[dict[str, Any], threading.Event | None], tuple[PageBody, Response]],
        cursor: Cursor,
        prefetch: int,
        stats: Any,
        name: str,
    ) -> None:
        self.fetch = fetch
        self.cursor = cursor
        self.prefetch = prefetch
        self.stats = stats
        self.name = name

    def get(self, index: int, cancel: threading.Event | None = None) -> tuple[PageBody, Response]:
        return self.fetch(self.cursor.query(index), cancel)


class SyncPage(Generic[T]):
    """One page of a list call, and the way to the pages after it (see the module docstring)."""

    __slots__ = ("_fetcher", "_index", "_body", "_continues", "response", "items")

    def __init__(self, fetcher: PageFetcher, index: int, body: PageBody, response: Response | None) -> None:
        self._fetcher = fetcher
        self._index = index
        self._body = body
        #: This page's objects.
        self.items: list[T] = body.items
        #: The raw answer of this page (``None`` for a page the server answered with nothing).
        self.response: Response | None = response
        self._continues = fetcher.cursor.goes_on(body.items, body.next_href, index)

    @property
    def index(self) -> int:
        """0 for the first page of this call, 1 for the next..."""
        return self._index

    def has_next_page(self) -> bool:
        """Whether a page may follow (this one is full, not repeated, and, for v4, has ``_links.next``)."""
        return self._continues

    def next_page(self) -> Self | None:
        """The next page (one request), or ``None`` after the last one."""
        if not self._continues:
            return None
        body, response = self._fetcher.get(self._index + 1)
        if self._fetcher.cursor.repeats(body.items) or not body.items:
            self._continues = False
            return None
        return type(self)(self._fetcher, self._index + 1, body, response)

    def pages(self) -> Iterator[Self]:
        """This page and every page after it, fetched ahead per ``client.config.prefetch``."""
        depth = self._fetcher.prefetch
        if not self._continues or depth <= 0:
            page: Self | None = self
            while page is not None:
                yield page
                page = page.next_page()
            return
        yield from self._prefetched(depth)

    def _prefetched(self, depth: int) -> Iterator[Self]:
        fetcher = self._fetcher
        stats = fetcher.stats
        cancel = threading.Event()
        tasks: deque[Task[tuple[PageBody, Response]]] = deque()
        following = self._index + 1

        def top_up(outstanding: int) -> None:
            nonlocal following
            while len(tasks) < outstanding:
                call: Callable[[], tuple[PageBody, Response]] = functools.partial(fetcher.get, following, cancel)
                tasks.append(Task(call, name=f"amocrm-prefetch-{fetcher.name}-{following}"))
                following += 1

        def ended(current: int) -> bool:
            """Whether the page after ``current`` has come back already, as the last one."""
            head = tasks[0] if tasks else None
            if head is None or not head.done() or head.wait() is not None:
                return False
            body = head.result()[0]
            return not body.items or not fetcher.cursor.goes_on(body.items, body.next_href, current + 1)

        index = self._index
        #: Pages that came back with more to follow: how far ahead to fetch (ramps up to ``depth``).
        #: ``_links.next`` paging (v4, 250 rows a page) starts one page ahead, so a two-page list costs at
        #: most one request past its end; offset and page-number paging (v2, up to 500 slower rows a
        #: page) starts two ahead, which keeps the rate limit busy from the first page on.
        received = 1 if fetcher.cursor.paging.style == "links" else 2
        try:
            top_up(min(depth, received))  # fetched while the caller consumes this page
            stats.pages += 1
            yield self
            if not ended(index):
                top_up(min(depth, received) + 1)
            while tasks:
                body, response = tasks.popleft().result()
                index += 1
                if not body.items or fetcher.cursor.repeats(body.items):
                    return
                page = type(self)(fetcher, index, body, response)
                if page._continues:
                    received += 1
                    if not ended(index):
                        top_up(min(depth, received))  # fetched while the caller consumes this page
                stats.pages += 1
                yield page
                if not page._continues:
                    return
                if not ended(index):
                    top_up(min(depth, received) + 1)  # the one the caller now waits for, and more
        finally:
            cancel.set()
            for task in tasks:
                error = task.wait()
                if error is None:
                    stats.discarded += 1
                elif was_cancelled(error, cancel):
                    stats.cancelled += 1

    def __iter__(self) -> Iterator[T]:
        """Every object of this page and the following ones."""
        for page in self.pages():
            yield from page.items

    def __repr__(self) -> str:
        more = ", more" if self._continues else ""
        return f"<{type(self).__name__} {self._fetcher.name} #{self._index}: {len(self.items)} items{more}>"


class OffsetPage(SyncPage[T]):
    """A page of an offset-paged list (v2 ``limit_rows``/``limit_offset``)."""

    __slots__ = ()

    @property
    def offset(self) -> int:
        """Offset of this page's first item."""
        value = self._fetcher.cursor.query(self._index).get(self._fetcher.cursor.paging.offset_param or "", 0)
        return int(value)


class NumberPage(SyncPage[T]):
    """A page of a list paged by page number."""

    __slots__ = ()

    @property
    def page(self) -> int:
        """This page's number (from 1)."""
        return self._fetcher.cursor.start + self._index


class LinksPage(SyncPage[T]):
    """A page of a v4 list: page numbers, and ``_links.next`` tells whether another follows."""

    __slots__ = ()

    @property
    def page(self) -> int:
        """This page's number (from 1)."""
        number = self._body.page
        return number if isinstance(number, int) else self._fetcher.cursor.start + self._index

    @property
    def links(self) -> dict[str, Any]:
        """The page's ``_links`` (``self``, ``next``...)."""
        return self._body.links
