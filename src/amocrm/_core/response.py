"""Answers: decoding into an operation's result type, and status codes into typed errors.

Decoding goes straight from bytes to the result type with msgspec: for a result at dotted keys
(``_embedded.items``) a small wrapper Struct per level is built once and cached, so a 500-item
page is decoded in one pass without intermediate dicts. Lists also accept PHP's id-keyed objects
(``{"123": {...}}``) and ``[]``/``{}`` for empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Union, get_args, get_origin

import msgspec

from amocrm._core.ops import Result
from amocrm._core.wire import Response, safe_url
from amocrm.errors import (
    APIError,
    AuthError,
    BadRequestError,
    DecodeError,
    EntityErrors,
    ForbiddenError,
    NotFoundError,
    PaymentRequiredError,
    RateLimitError,
    ServerError,
    ValidationError,
    error_message,
)

__all__ = ["PageBody", "decode_page", "decode_result", "error_for", "is_list_type", "item_type", "wrapper_type"]

_WRAPPERS: dict[tuple[Any, tuple[str, ...], bool], Any] = {}


def is_list_type(tp: Any) -> bool:
    return get_origin(tp) is list


def item_type(tp: Any) -> Any:
    """``list[X]`` -> ``X``."""
    args = get_args(tp)
    return args[0] if args else Any


def _flex(tp: Any) -> Any:
    """Lists also decode from id-keyed maps (PHP) and dicts from ``[]`` (PHP's empty array)."""
    origin = get_origin(tp)
    if origin is list:
        inner: Any = get_args(tp)[0]
        return Union[list[inner], dict[str, inner]]  # noqa: UP007 - built at run time
    if origin is dict:
        return Union[tp, list[Any]]  # noqa: UP007
    return tp


def _default(tp: Any) -> Any:
    origin = get_origin(tp)
    if origin is list:
        return msgspec.field(default_factory=list)
    if origin is dict:
        return msgspec.field(default_factory=dict)
    return None


def wrapper_type(tp: Any, at: tuple[str, ...], paged: bool = False) -> Any:
    """The msgspec type that decodes an answer holding ``tp`` at the keys ``at`` (cached).

    With ``paged`` the outer level also keeps ``_links`` and ``_page`` (page number paging).
    """
    key = (tp, at, paged)
    cached = _WRAPPERS.get(key)
    if cached is not None:
        return cached
    inner: Any = _flex(tp)
    level_default: Any = _default(tp)
    name = getattr(item_type(tp) if is_list_type(tp) else tp, "__name__", "Value")
    for depth in range(len(at) - 1, -1, -1):
        fields: list[tuple[Any, ...]] = [("v", inner | None if level_default is None else inner, level_default)]
        if depth == 0 and paged:
            fields.append(("links", dict[str, Any] | list[Any] | None, None))
            fields.append(("page", int | None, None))
        rename = {"v": at[depth]}
        if depth == 0 and paged:
            rename.update({"links": "_links", "page": "_page"})
        struct = msgspec.defstruct(f"{name}At{depth}", fields, kw_only=True, rename=rename)
        # a level may come as PHP's [] for an empty object
        inner = Union[struct, list[Any]]  # noqa: UP007
        level_default = None
    if not at:
        inner = _flex(tp)
    _WRAPPERS[key] = inner
    return inner


def _unwrap(value: Any, depth: int) -> Any:
    for _ in range(depth):
        if value is None or isinstance(value, list):
            return None
        value = value.v
    return value


def _normalise(value: Any, tp: Any) -> Any:
    if is_list_type(tp):
        if value is None:
            return []
        if isinstance(value, dict):
            return list(value.values())
        return value
    if get_origin(tp) is dict:
        if value is None or isinstance(value, list):
            return {}
        return value
    return value


class PageBody:
    """One decoded page: its items, ``_links`` and ``_page`` (when the answer has them)."""

    __slots__ = ("items", "links", "page")

    def __init__(self, items: list[Any], links: Any, page: int | None) -> None:
        self.items: list[Any] = items
        self.links: dict[str, Any] = links if isinstance(links, dict) else {}
        self.page: int | None = page

    @property
    def next_href(self) -> str | None:
        nxt = self.links.get("next")
        href = nxt.get("href") if isinstance(nxt, Mapping) else None
        return href if isinstance(href, str) and href else None


def decode_page(response: Response, result: Result) -> PageBody:
    """A list answer of a paged operation; an empty page for 204."""
    if response.no_content:
        return PageBody([], None, None)
    tp = result.type
    decoded = response.decode(wrapper_type(tp, result.at, paged=bool(result.at)))
    if not result.at:
        return PageBody(_normalise(decoded, tp), None, None)
    if isinstance(decoded, list):
        return PageBody([], None, None)
    items = _normalise(_unwrap(decoded, len(result.at)), tp)
    return PageBody(items, decoded.links, decoded.page)


def decode_result(response: Response, result: Result, *, op_name: str, pick_value: Any = None) -> Any:
    """The result of a non-paged operation (see :class:`~amocrm._core.ops.Result`)."""
    tp = result.type
    if tp is None:
        return None
    if response.no_content:
        return _empty(response, result, op_name, pick_value)
    if result.check is not None:
        return _checked(response, result, op_name)
    if result.pick is not None:
        items = decode_page(response, Result(type=list[tp], at=result.at)).items  # type: ignore[valid-type]
        return _pick(response, items, result, op_name, pick_value)
    decoded = response.decode(wrapper_type(tp, result.at))
    value = _normalise(_unwrap(decoded, len(result.at)), tp)
    if value is None:
        return _empty(response, result, op_name, pick_value)
    return value


def _empty(response: Response, result: Result, op_name: str, pick_value: Any) -> Any:
    tp = result.type
    if result.empty == "empty":
        return {} if get_origin(tp) is dict else []
    if result.empty == "none":
        return None
    if result.empty == "default":
        return msgspec.convert({}, tp)
    what = getattr(tp, "__name__", "result")
    suffix = f" {pick_value!r}" if pick_value is not None else ""
    raise NotFoundError(
        f"{op_name}: {what}{suffix} not found ({response.method} {safe_url(response.url)} answered "
        f"{response.status}{' with no content' if response.no_content else ''})",
        status=404 if response.status in (200, 204) else response.status,
        method=response.method,
        url=response.url,
    )


def _pick(response: Response, items: list[Any], result: Result, op_name: str, pick_value: Any) -> Any:
    field = result.pick or "id"
    for item in items:
        if getattr(item, field, None) == pick_value:
            return item
    if items:
        found = getattr(items[0], field, None)
        what = getattr(result.type, "__name__", "result")
        raise NotFoundError(
            f"{op_name}: {what} {pick_value!r} not found (the server returned {field} {found!r})",
            status=404,
            method=response.method,
            url=response.url,
        )
    return _empty(response, result, op_name, pick_value)


def _checked(response: Response, result: Result, op_name: str) -> Any:
    """v2's ``{"status": "success", "data": ...}`` answers (incoming leads)."""
    data = response.json()
    if not isinstance(data, Mapping) or data.get("status") != "success":
        code = data.get("error_code") if isinstance(data, Mapping) else None
        message = data.get("error") if isinstance(data, Mapping) else None
        try:
            code_int = int(code) if code is not None else response.status
        except (TypeError, ValueError):
            code_int = response.status
        raise EntityErrors(
            f"{op_name}: {response.method} {safe_url(response.url)}: status is not success "
            f"({message or 'empty response'})",
            errors=data,
            code=code_int,
        )
    value: Any = data
    for key in result.at:
        value = value.get(key) if isinstance(value, Mapping) else None
    tp = result.type
    if value is None or (isinstance(value, list) and not value and get_origin(tp) is dict):
        return _normalise(None, tp) if get_origin(tp) in (list, dict) else _empty(response, result, op_name, None)
    try:
        return _normalise(msgspec.convert(value, _flex(tp), strict=False), tp)
    except msgspec.ValidationError as exc:
        raise DecodeError(
            f"{op_name}: {response.method} {safe_url(response.url)}: answer does not match: {exc}",
            body=response.data,
            status=response.status,
        ) from None


# ------------------------------------------------------------------------------------------ errors

#: Response headers kept on an :class:`APIError` (diagnostics, rate-limit hints; never cookies).
_KEPT_HEADERS = ("content-type", "retry-after", "x-request-id", "date", "server", "content-length")


def _kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() in _KEPT_HEADERS}


def _status_class(status: int) -> type[APIError]:
    if status == 400:
        return BadRequestError
    if status == 401:
        return AuthError
    if status == 402:
        return PaymentRequiredError
    if status == 403:
        return ForbiddenError
    if status == 404:
        return NotFoundError
    if status == 429:
        return RateLimitError
    if status >= 500:
        return ServerError
    return APIError


def error_for(resp: Response, *, note: str = "") -> APIError:
    """The typed exception for a non-success answer, with the server's explanation when it gave one.

    Both error formats are read: v2's ``{"response": {"error", "error_code"}}`` and RFC 7807
    problem+json (``title``, ``detail``, ``hint``; a 400 with ``validation-errors`` becomes
    :class:`~amocrm.errors.ValidationError` listing every failed item).
    """
    status = resp.status
    detail = ""
    api_code: int | None = None
    validation: list[Any] = []
    if resp.data and not resp.secret:
        try:
            body = resp.json()
        except DecodeError:
            body = None
        if isinstance(body, Mapping):
            legacy = body.get("response")
            if not isinstance(legacy, Mapping) and ("error" in body or "error_code" in body):
                legacy = body  # v2 incoming leads: {"status": "fail", "error": ..., "error_code": ...}
            if isinstance(legacy, Mapping) and ("error" in legacy or "error_code" in legacy):
                detail = str(legacy.get("error", ""))
                try:
                    api_code = int(legacy.get("error_code"))  # type: ignore[arg-type]
                except (TypeError, ValueError):
                    api_code = None
            else:
                parts = [str(body[k]) for k in ("title", "detail", "hint") if body.get(k)]
                detail = " - ".join(parts)
                raw = body.get("validation-errors")
                if isinstance(raw, list):
                    validation = raw
        elif resp.data.lstrip()[:1] == b"<":
            detail = "HTML page instead of JSON"
    elif resp.data and resp.secret:
        try:
            body = resp.json()
        except DecodeError:
            body = None
        if isinstance(body, Mapping):
            # token endpoint errors carry no secrets in these keys
            parts = [str(body[k]) for k in ("title", "detail", "hint") if isinstance(body.get(k), (str, int))]
            detail = " - ".join(parts)
    text = f"HTTP {status} {error_message(status)}"
    if api_code is not None:
        text += f" (amoCRM error {api_code} {error_message(api_code)})"
    if detail:
        text += f": {detail}"
    if validation:
        text += "; " + _validation_summary(validation)
    text += f" ({resp.method} {safe_url(resp.url)})"
    if note:
        text += f" [{note}]"
    cls: type[APIError] = ValidationError if status == 400 and validation else _status_class(status)
    error = cls(
        text,
        status=status,
        method=resp.method,
        url=safe_url(resp.url),
        body="" if resp.secret else resp.text,
        api_code=api_code,
        headers=_kept_headers(resp.headers),
    )
    if isinstance(error, ValidationError):
        from amocrm._core.fieldpath import failures

        error.validation_errors = validation
        error.failures = failures(validation, None)
    return error


def _validation_summary(entries: list[Any], limit: int = 3) -> str:
    lines: list[str] = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        rid = entry.get("request_id")
        for err in entry.get("errors") or []:
            if isinstance(err, Mapping):
                lines.append(f"request_id {rid}: {err.get('path')}: {err.get('code')} {err.get('detail')}")
    shown = lines[:limit]
    more = f" (+{len(lines) - limit} more)" if len(lines) > limit else ""
    return "; ".join(shown) + more
