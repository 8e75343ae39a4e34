"""Shared pieces of the API v4 face: the request context, errors, validation, paging and envelopes.

Errors are ``application/problem+json`` (:func:`~amocrm.sandbox.wire.problem`); a refused write is
400 with ``validation-errors`` (one entry per failing item, keyed by its ``request_id``, each error
with a ``code``, a dotted ``path`` relative to the item and a ``detail``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..seed import SEED
from ..wire import INT_MAX, INT_MIN, Request, Response, dumps, loads_json, no_content, problem

if TYPE_CHECKING:
    from ..core import SandboxCore
    from ..store import Store

__all__ = ["V4Error", "Invalid", "ValidationFailed", "Ctx", "hal", "MAX_LIMIT", "DEFAULT_LIMIT",
           "INVALID_TYPE", "NOT_CHOICE", "NOT_BLANK", "TOO_MANY", "RANGE", "as_int", "opt_int", "ids_of",
           "range_of", "one_or_many", "page_params", "listing", "paged", "Page"]

MAX_LIMIT = 250
DEFAULT_LIMIT = 50

INVALID_TYPE = "InvalidType"
NOT_CHOICE = "NotSupportedChoice"
NOT_BLANK = "NotBlank"
TOO_MANY = "TooMany"
RANGE = "Range"
_DETAILS = {NOT_CHOICE: "The value you selected is not a valid choice.", NOT_BLANK: "This value should not be blank."}


class V4Error(Exception):
    """A whole-request refusal: becomes a problem+json answer (405 answers have an empty body)."""

    def __init__(self, status: int, detail: str, title: str | None = None) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail
        self.title = title

    def response(self) -> Response:
        if self.status == 405:
            return Response(405, b"", None)
        return problem(self.status, self.detail, self.title)


class Invalid:
    """The validation errors of one item (``request_id`` as the client sent it, or its index)."""

    def __init__(self, request_id: str) -> None:
        self.request_id = request_id
        self.errors: list[dict[str, str]] = []

    def add(self, code: str, path: str, detail: str | None = None) -> None:
        self.errors.append({"code": code, "path": path, "detail": detail or _DETAILS.get(code, code)})

    def type_error(self, path: str, expected: str) -> None:
        self.add(INVALID_TYPE, path, f"This value should be of type {expected}.")

    def __bool__(self) -> bool:
        return bool(self.errors)


class ValidationFailed(Exception):
    """400 ``Request validation failed`` with the per-item errors."""

    def __init__(self, items: list[Invalid]) -> None:
        super().__init__(f"{len(items)} invalid item(s)")
        self.items: list[Invalid] = [i for i in items if i.errors]

    def response(self) -> Response:
        body = {"validation-errors": [{"request_id": i.request_id, "errors": i.errors} for i in self.items],
                "title": "Bad Request", "type": "https://httpstatus.es/400", "status": 400,
                "detail": "Request validation failed"}
        return Response(400, dumps(body), "application/problem+json; charset=utf-8")


def hal(obj: Any, status: int = 200) -> Response:
    return Response(status, dumps(obj), "application/hal+json; charset=utf-8")


@dataclass
class Ctx:
    """One v4 request: the core (its store, options and auth), the request, path parameters."""

    core: SandboxCore
    req: Request
    params: dict[str, str] = field(default_factory=dict)

    @property
    def store(self) -> Store:
        return self.core.store

    @property
    def q(self) -> dict[str, Any]:
        return self.req.query

    @property
    def filter(self) -> dict[str, Any]:
        """``filter[...]`` of the query (empty when absent or not a nested key)."""
        value = self.q.get("filter")
        return value if isinstance(value, dict) else {}

    @property
    def order(self) -> dict[str, Any]:
        value = self.q.get("order")
        return value if isinstance(value, dict) else {}

    @property
    def user_id(self) -> int:
        return SEED.USER_ADMIN

    @property
    def base(self) -> str:
        """``scheme://host`` the client used: hrefs are absolute on the account host it talks to."""
        host = self.req.headers.get("host") or f"{self.core.options.subdomain}.{self.core.domain}"
        return ("https://" if self.core.options.tls else "http://") + host

    def href(self, path: str, query: str | None = None) -> str:
        return f"{self.base}/api/v4/{path}" + (f"?{query}" if query else "")

    def link(self, path: str, echo: bool = False) -> dict[str, Any]:
        """``{"self": {"href": …}}``; ``echo`` appends the list's query string, as the real service does."""
        return {"self": {"href": self.href(path, self.req.raw_query if echo else None)}}

    def pid(self, name: str = "id") -> int:
        raw = self.params[name]
        value = int(raw)
        if value > INT_MAX:
            raise V4Error(404, "Not found")
        return value

    def body(self) -> Any:
        """The JSON body; 400 for anything else (wrong type, bad JSON, nesting too deep)."""
        ctype = self.req.content_type
        if self.req.body.strip() and ctype not in ("application/json", "application/hal+json", "text/json", ""):
            raise V4Error(415 if ctype else 400, f"Content-Type {ctype!r} is not supported: send application/json")
        try:
            return loads_json(self.req.body)
        except ValueError as exc:
            raise V4Error(400, f"Request body is not valid JSON ({exc})") from None

    def array_body(self, limit: int | None = None) -> list[Any]:
        """A JSON array of objects (batch writes); 400 otherwise."""
        data = self.body()
        if isinstance(data, dict) and data and all(k.isdigit() for k in data):
            data = list(data.values())
        if not isinstance(data, list) or not data:
            raise V4Error(400, "Request body must be a non-empty JSON array of objects")
        if limit is not None and len(data) > limit:
            inv = Invalid("0")
            inv.add(TOO_MANY, "", f"This collection should contain {limit} elements or less.")
            raise ValidationFailed([inv])
        return data

    def object_body(self, required: bool = True) -> dict[str, Any]:
        data = self.body()
        if data is None and not required:
            return {}
        if not isinstance(data, dict):
            raise V4Error(400, "Request body must be a JSON object")
        return data


# -- typed reads of JSON values ------------------------------------------------------------------
def as_int(value: Any) -> int | None:
    """An int from a JSON int (or an integral float / numeric string, as PHP casts it); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        out = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        out = int(value)
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value) < 25:
        out = int(value)
    else:
        return None
    return out if INT_MIN <= out <= INT_MAX else None


def opt_int(item: dict[str, Any], key: str, inv: Invalid, prefix: str = "", nullable: bool = True,
            minimum: int | None = None) -> int | None:
    """``item[key]`` as an int; records InvalidType (or Range) in ``inv`` and returns None when it is not."""
    if key not in item:
        return None
    value = item[key]
    if value is None:
        if not nullable:
            inv.type_error(prefix + key, "int")
        return None
    out = as_int(value)
    if out is None:
        inv.type_error(prefix + key, "int")
        return None
    if minimum is not None and out < minimum:
        inv.add(RANGE, prefix + key, f"This value should be {minimum} or more.")
        return None
    return out


# -- query parameters ----------------------------------------------------------------------------
def one_or_many(value: Any) -> list[Any]:
    """``filter[x]=1``, ``filter[x][]=1&…``, ``filter[x][0]=1`` and comma lists, as one list."""
    if value is None or value == "":
        return []
    if isinstance(value, dict):
        return [v for v in value.values() if v != ""]
    if isinstance(value, list):
        return [v for v in value if v != ""]
    if isinstance(value, str) and "," in value:
        return [v.strip() for v in value.split(",") if v.strip()]
    return [value]


def ids_of(value: Any, name: str) -> set[int]:
    out: set[int] = set()
    for v in one_or_many(value):
        n = as_int(v)
        if n is None:
            raise V4Error(400, f"{name} must be an integer or a list of integers, got {v!r}")
        out.add(n)
    return out


def range_of(value: Any, name: str) -> tuple[int | None, int | None]:
    """``filter[x]=ts`` (from ts on), or ``filter[x][from]=…&filter[x][to]=…`` (inclusive)."""
    if value is None or value == "":
        return None, None
    if isinstance(value, dict):
        lo, hi = value.get("from"), value.get("to")
        out: list[int | None] = []
        for part, raw in (("from", lo), ("to", hi)):
            if raw in (None, ""):
                out.append(None)
                continue
            n = as_int(raw)
            if n is None:
                raise V4Error(400, f"{name}[{part}] must be an integer, got {raw!r}")
            out.append(n)
        return out[0], out[1]
    n = as_int(value)
    if n is None:
        raise V4Error(400, f"{name} must be an integer or a from/to range, got {value!r}")
    return n, None


def in_range(value: Any, bounds: tuple[int | None, int | None]) -> bool:
    lo, hi = bounds
    if lo is None and hi is None:
        return True
    if value is None:
        return False
    return (lo is None or value >= lo) and (hi is None or value <= hi)


@dataclass
class Page:
    number: int
    limit: int


def page_params(ctx: Ctx, max_limit: int = MAX_LIMIT, default: int = DEFAULT_LIMIT) -> Page:
    """``page`` (1-based; 0 and below read as 1) and ``limit`` (default 50; above the cap clamped or 400)."""
    q = ctx.q
    page = as_int(q.get("page", 1)) if q.get("page") not in (None, "") else 1
    if page is None:
        raise V4Error(400, f"page must be an integer, got {q.get('page')!r}")
    limit = as_int(q.get("limit")) if q.get("limit") not in (None, "") else default
    if limit is None:
        raise V4Error(400, f"limit must be an integer, got {q.get('limit')!r}")
    if limit > max_limit:
        if ctx.core.options.v4_over_limit == "error":
            raise V4Error(400, f"limit must be at most {max_limit}, got {limit}")
        limit = max_limit
    if limit < 1:
        raise V4Error(400, f"limit must be 1..{max_limit}, got {limit}")
    return Page(max(page, 1), limit)


def _next_query(raw: str, page: int) -> str:
    parts = [p for p in raw.split("&") if p and p.split("=", 1)[0] != "page"] if raw else []
    parts.append(f"page={page}")
    return "&".join(parts)


def listing(ctx: Ctx, path: str, key: str, rows: list[Any], render: Callable[[Any], dict[str, Any]],
            page: Page | None = None, extra: dict[str, Any] | None = None, paged_keys: bool = True) -> Response:
    """The list envelope: ``_page``, ``_links`` (``next`` only when there is one), ``_embedded.<key>``.

    204 with an empty body when nothing matches or the page is past the end.
    """
    page = page or page_params(ctx)
    start = (page.number - 1) * page.limit
    chunk = rows[start:start + page.limit]
    if not chunk:
        return no_content()
    links: dict[str, Any] = {"self": {"href": ctx.href(path, ctx.req.raw_query or None)}}
    if len(rows) > start + page.limit:
        links["next"] = {"href": ctx.href(path, _next_query(ctx.req.raw_query, page.number + 1))}
    if page.number > 1:
        links["prev"] = {"href": ctx.href(path, _next_query(ctx.req.raw_query, page.number - 1))}
    body: dict[str, Any] = {}
    if extra:
        body.update(extra)
    if paged_keys:
        body["_page"] = page.number
    body["_links"] = links
    body["_embedded"] = {key: [render(r) for r in chunk]}
    return hal(body)


def paged(rows: Iterable[Any]) -> list[Any]:
    return list(rows)


def quote_query(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{quote(k, safe='[]')}={quote(v, safe='')}" for k, v in pairs)
