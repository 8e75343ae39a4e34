"""PHP ``parse_str`` in Python: decode an amoCRM webhook form body into nested dicts and lists.

amoCRM posts webhooks as ``application/x-www-form-urlencoded`` with PHP bracket keys
(``leads[status][0][custom_fields][0][values][0][value]=x``). :func:`parse_form` rebuilds the
structure PHP would see in ``$_POST`` and returns it as ``json_decode(json_encode($_POST), true)``
would: maps whose keys are exactly ``0..n-1`` in order become lists, other keys become strings.

Well-formed input decodes exactly as PHP does (``+`` is a space, ``a[]`` appends, the last
duplicate scalar wins, spaces and dots in the top-level name become ``_``). Input PHP would
silently mangle is refused with :class:`WebhookError` instead: unbalanced brackets, text after
``]``, bad percent-escapes, non-UTF-8 bytes, a key used both as a scalar and as a container,
nesting deeper than :data:`MAX_DEPTH`, and bodies over ``max_bytes``. One pass, linear time.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_to_bytes

from amocrm.errors import AmoError

__all__ = ["MAX_BYTES", "MAX_DEPTH", "WebhookError", "parse_form"]

#: Deepest bracket nesting accepted (amoCRM's deepest real key has 6 levels).
MAX_DEPTH = 32
#: Default body size limit, PHP's default ``post_max_size`` (8 MiB).
MAX_BYTES = 8 * 1024 * 1024

_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_CANONICAL_INT = re.compile(r"-?(?:0|[1-9][0-9]{0,18})\Z")
_INT64_MAX = 2**63 - 1


class WebhookError(AmoError, ValueError):
    """A webhook body could not be decoded; the message names the offending key or position."""


class _Map(dict[Any, Any]):
    """A PHP array under construction: ordered keys (``int`` or ``str``) and its next append index."""

    __slots__ = ("next_index",)

    def __init__(self) -> None:
        super().__init__()
        self.next_index = 0


def _show(text: str) -> str:
    return repr(text if len(text) <= 80 else text[:77] + "...")


def _decode(raw: str, what: str, pair_no: int, offset: int) -> str:
    bad = _BAD_ESCAPE.search(raw)
    if bad is not None:
        raise WebhookError(
            f"bad percent-escape {raw[bad.start() : bad.start() + 3]!r} in the {what} of pair #{pair_no} "
            f"(body offset {offset + bad.start()})"
        )
    data = unquote_to_bytes(raw.replace("+", " "))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WebhookError(
            f"the {what} of pair #{pair_no} (body offset {offset}) is not UTF-8 "
            f"(byte {exc.start} of the decoded {what})"
        ) from None


def _php_key(segment: str) -> int | str:
    """PHP turns canonical decimal integers within int64 into integer keys; everything else stays text."""
    if _CANONICAL_INT.match(segment):
        number = int(segment)
        if -_INT64_MAX - 1 <= number <= _INT64_MAX:
            return number
    return segment


def _split_key(key: str, pair_no: int) -> tuple[str, list[str | None]]:
    """``a[b][]`` -> ``("a", ["b", None])``; ``None`` marks an append (``[]``)."""
    key = key.lstrip(" ")
    open_at = key.find("[")
    base = key if open_at < 0 else key[:open_at]
    if "]" in base:
        raise WebhookError(f"unbalanced brackets in key {_show(key)} of pair #{pair_no}: ']' before '['")
    base = base.replace(" ", "_").replace(".", "_")
    if not base:
        raise WebhookError(f"empty name in key {_show(key)} of pair #{pair_no}")
    segments: list[str | None] = []
    pos = open_at
    while 0 <= pos < len(key):
        if key[pos] != "[":
            raise WebhookError(
                f"unexpected text {_show(key[pos:])} after ']' in key {_show(key)} of pair #{pair_no}"
            )
        close = key.find("]", pos + 1)
        if close < 0:
            raise WebhookError(f"unbalanced brackets in key {_show(key)} of pair #{pair_no}: '[' not closed")
        if len(segments) == MAX_DEPTH:
            raise WebhookError(f"key {_show(key)} of pair #{pair_no} nests deeper than {MAX_DEPTH} levels")
        inner = key[pos + 1 : close]
        segments.append(inner if inner else None)
        pos = close + 1
    return base, segments


def _store(root: _Map, base: str, segments: list[str | None], value: str, pair_no: int) -> None:
    node = root
    path = base
    count = len(segments)
    for depth, segment in enumerate([base, *segments]):
        if segment is None:
            key: int | str = node.next_index
        else:
            key = _php_key(segment) if depth > 0 else segment
        if isinstance(key, int):
            node.next_index = max(node.next_index, key + 1)
        if depth > 0:
            path += f"[{key}]"
        existing = node.get(key)
        if depth == count:
            if isinstance(existing, _Map):
                raise WebhookError(
                    f"key {_show(path)} of pair #{pair_no} is a scalar here but a container in an earlier pair"
                )
            node[key] = value
            return
        if existing is None:
            child = _Map()
            node[key] = child
            node = child
        elif isinstance(existing, _Map):
            node = existing
        else:
            raise WebhookError(
                f"key {_show(path)} of pair #{pair_no} is a container here but a scalar in an earlier pair"
            )


def _finish(node: Any) -> Any:
    """``json_encode`` semantics: ``0..n-1`` in order -> list, otherwise a dict with string keys."""
    if not isinstance(node, _Map):
        return node
    if all(k == i and isinstance(k, int) for i, k in enumerate(node)) and node:
        return [_finish(v) for v in node.values()]
    return {str(k): _finish(v) for k, v in node.items()}


def parse_form(body: bytes | str, *, max_bytes: int = MAX_BYTES) -> dict[str, Any]:
    """Decode a form-encoded body with PHP bracket keys into nested dicts and lists.

    Raises :class:`WebhookError` naming the pair (1-based) and key on malformed input.
    """
    size = len(body) if isinstance(body, bytes) else len(body.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise WebhookError(f"body is {size} bytes, over the {max_bytes}-byte limit")
    if isinstance(body, bytes):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WebhookError(f"body is not UTF-8 (invalid byte at offset {exc.start})") from None
    else:
        text = body
    root = _Map()
    offset = 0
    for pair_no, pair in enumerate(text.split("&"), start=1):
        if pair:
            raw_key, eq, raw_value = pair.partition("=")
            key = _decode(raw_key, "key", pair_no, offset)
            value = _decode(raw_value, "value", pair_no, offset + len(raw_key) + len(eq))
            if key.strip(" "):
                base, segments = _split_key(key, pair_no)
                _store(root, base, segments, value, pair_no)
        offset += len(pair) + 1
    return {str(k): _finish(v) for k, v in root.items()}
