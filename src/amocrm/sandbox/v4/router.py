"""A small router table: (method, path pattern) -> handler.

Patterns are paths relative to ``/api/v4/`` with ``{name}`` segments (``{id}`` matches digits only,
``{entity}`` one of the entity path segments, ``{uid}``/``{code}``/``{uuid}`` any segment). A path
that some route matches with another method answers 405 with an empty body; a path no route
matches answers 404 problem+json.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..wire import Response
from .base import Ctx, V4Error

__all__ = ["Router", "Handler"]

Handler = Callable[[Ctx], Response]

_SEGMENTS = {
    "id": r"\d{1,19}",
    "pid": r"\d{1,19}",
    "sid": r"\d{1,19}",
    "eid": r"\d{1,19}",
    "cid": r"\d{1,19}",
    "tid": r"\d{1,19}",
    "rid": r"\d{1,19}",
    "entity": r"leads|contacts|companies|customers",
    "notes_entity": r"leads|contacts|companies|customers",
    "cf_entity": r"leads|contacts|companies|customers|customers/segments|catalogs/\d{1,19}",
    "files_entity": r"leads|contacts|companies|customers|catalogs/\d{1,19}",
    "follow_entity": r"leads|contacts|companies|customers",
    "bot": r"salesbot|marketingbot",
}


@dataclass(frozen=True)
class _Route:
    method: str
    regex: re.Pattern[str]
    handler: Handler
    pattern: str


class Router:
    """Routes in registration order; the first full match wins."""

    def __init__(self) -> None:
        self._routes: list[_Route] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        def group(m: re.Match[str]) -> str:
            name = m.group(1)
            return f"(?P<{name}>{_SEGMENTS.get(name, r'[^/]+')})"

        regex = re.compile("^" + re.sub(r"\{(\w+)\}", group, pattern) + "$")
        for m in method.split(","):
            self._routes.append(_Route(m.strip(), regex, handler, pattern))

    def resolve(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        """The handler and path parameters; V4Error 405 (known path) or 404 (unknown) otherwise."""
        known = False
        for route in self._routes:
            m = route.regex.match(path)
            if m is None:
                continue
            if route.method == method or (method == "HEAD" and route.method == "GET"):
                return route.handler, {k: v for k, v in m.groupdict().items() if v is not None}
            known = True
        if known:
            raise V4Error(405, "Method not allowed")
        raise V4Error(404, f"Cannot {method} {path}!")

    @property
    def patterns(self) -> list[tuple[str, str]]:
        return [(r.method, r.pattern) for r in self._routes]
