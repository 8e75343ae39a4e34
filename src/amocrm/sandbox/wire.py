"""Wire helpers: PHP-style query/form parsing, multipart parsing, and response building."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

__all__ = [
    "Request", "Response", "BadInput", "parse_php_query", "parse_multipart", "json_response",
    "legacy_error", "html_page", "no_content", "dumps", "ERROR_TEXTS", "int_param", "id_list", "problem",
    "loads_json", "INT_MIN", "INT_MAX", "HTTP_TITLES",
]

#: Integers the real backend (PHP, 64-bit) can hold; anything outside is refused, never stored.
INT_MAX = 2**63 - 1
INT_MIN = -(2**63)

HTTP_TITLES: dict[int, str] = {
    400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 408: "Request Timeout", 411: "Length Required", 413: "Payload Too Large",
    415: "Unsupported Media Type", 422: "Unprocessable Entity", 429: "Too Many Requests",
    500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
}

ERROR_TEXTS: dict[int, str] = {
    101: "Аккаунт не найден", 102: "POST-параметры должны передаваться в формате JSON",
    103: "Параметры не переданы", 104: "Запрашиваемый метод API не найден",
    110: "Неправильный логин или пароль", 201: "Добавление контактов: пустой массив",
    204: "Добавление контактов: дополнительное поле не найдено",
    206: "Добавление/Обновление контактов: пустой запрос",
    207: "Добавление/Обновление контактов: неверный запрашиваемый метод",
    208: "Обновление контактов: пустой массив",
    209: "Обновление контактов: требуются параметры \u201cid\u201d и \u201cupdated_at\u201d",
    211: "Обновление контактов: дополнительное поле не найдено",
    212: "Обновление контактов: контакт не обновлён",
    213: "Добавление сделок: пустой массив", 214: "Добавление/Обновление сделок: пустой запрос",
    215: "Добавление/Обновление сделок: неверный запрашиваемый метод", 216: "Обновление сделок: пустой массив",
    217: "Обновление сделок: требуются параметры \u201cid\u201d, \u201cupdated_at\u201d, \u201cstatus_id\u201d, \u201cname\u201d",
    218: "Добавление событий: пустой массив", 221: "Список событий: требуется тип",
    222: "Добавление/Обновление событий: пустой запрос",
    223: "Добавление/Обновление событий: неверный запрашиваемый метод (GET вместо POST)",
    224: "Обновление событий: пустой массив", 225: "Обновление событий: события не найдены",
    226: "Добавление событий: элемент события данной сущности не найден",
    227: "Добавление задач: пустой массив", 228: "Добавление/Обновление задач: пустой запрос",
    229: "Добавление/Обновление задач: неверный запрашиваемый метод", 230: "Обновление задач: пустой массив",
    231: "Обновление задач: задачи не найдены",
    232: "Добавление событий: ID элемента или тип элемента пустые либо неккоректные",
    235: "Добавление задач: не указан тип элемента",
    236: "Добавление задач: по данному ID элемента не найдены некоторые контакты",
    237: "Добавление задач: по данному ID элемента не найдены некоторые сделки",
    240: "Добавление/Обновление сделок: неверный параметр \u201cid\u201d дополнительного поля",
    244: "Добавление/Обновление/Удаление: нет прав",
    282: "Элемент не найден в аккаунте.", 283: "Неверный запрос, данные не переданы.",
    284: "Неверный запрос, передан не массив.", 285: "Требуемое поле не передано.",
    330: "Количество привязанных сущностей слишком большое",
    400: "Неверная структура массива передаваемых данных, либо не верные идентификаторы кастомных полей",
    403: "Аккаунт заблокирован, за неоднократное превышение количества запросов в секунду",
    405: "Метод передачи запроса неверный",
    429: "Превышено допустимое количество запросов в секунду",
}


class BadInput(Exception):
    """A request the API refuses as a whole; becomes the legacy error body."""

    def __init__(self, code: int, status: int = 400, detail: str | None = None) -> None:
        self.code = code
        self.status = status
        self.detail: str = detail or ERROR_TEXTS.get(code, "Неизвестная ошибка")
        super().__init__(f"{code}: {self.detail}")


@dataclass
class Request:
    """One parsed HTTP request as the router sees it."""

    method: str
    path: str
    raw_query: str
    query: dict[str, Any]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    auth_kind: str = "none"

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    def json_body(self) -> Any:
        """The JSON body; BadInput 102 unless it is JSON sent as application/json."""
        if self.content_type not in ("application/json", "application/hal+json", "text/json"):
            raise BadInput(102)
        try:
            return loads_json(self.body)
        except ValueError as exc:
            raise BadInput(102, detail=f"{ERROR_TEXTS[102]} ({exc})") from None

    def form_body(self) -> dict[str, Any]:
        """JSON, form-urlencoded or multipart body as a flat/nested dict."""
        ctype = self.content_type
        if ctype == "application/x-www-form-urlencoded" or (not ctype and b"=" in self.body):
            return parse_php_query(self.body.decode("utf-8", "replace"))
        if ctype == "multipart/form-data":
            return parse_multipart(self.body, self.headers.get("content-type", ""))
        if ctype in ("application/json", "text/json"):
            data = self.json_body()
            return data if isinstance(data, dict) else {}
        return {}


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = "application/hal+json"
    headers: list[tuple[str, str]] = field(default_factory=list)


def loads_json(raw: bytes) -> Any:
    """Parse a JSON body (None when blank); ValueError naming the problem for anything unparsable.

    Too deep nesting (which makes the parser recurse) and non-finite numbers are refused too.
    """
    if not raw.strip():
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"UnicodeDecodeError: {exc}") from None
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise ValueError(f"JSONDecodeError: {exc}") from None
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def _refuse_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not valid JSON", name, 0)


def problem(status: int, detail: str, title: str | None = None, **extra: Any) -> Response:
    """An API v4 error: ``application/problem+json`` with ``title``, ``type``, ``status``, ``detail``."""
    body: dict[str, Any] = dict(extra)
    body.update(title=title or HTTP_TITLES.get(status, "Error"), type=f"https://httpstatus.es/{status}",
                status=status, detail=detail)
    return Response(status, dumps(body), "application/problem+json; charset=utf-8")


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_response(obj: Any, status: int = 200, content_type: str = "application/hal+json",
                  headers: list[tuple[str, str]] | None = None) -> Response:
    hdrs = [("Runtime-Timestamp", str(int(time.time())))]
    if headers:
        hdrs.extend(headers)
    return Response(status, dumps(obj), content_type + "; charset=utf-8", hdrs)


def legacy_error(code: int, status: int = 400, detail: str | None = None, **extra: Any) -> Response:
    """``{"response": {"error": ..., "error_code": "<code>"}}`` — the v2 whole-request error body."""
    body: dict[str, Any] = {"error": detail or ERROR_TEXTS.get(code, "Неизвестная ошибка"), "error_code": str(code)}
    body.update(extra)
    return json_response({"response": body}, status, "application/json")


def html_page(status: int, title: str, text: str = "") -> Response:
    page = (f"<!DOCTYPE html><html><head><title>{title}</title></head><body><center><h1>{title}</h1></center>"
            f"{text}<hr><center>nginx</center></body></html>")
    return Response(status, page.encode("utf-8"), "text/html; charset=utf-8")


def no_content() -> Response:
    return Response(204, b"", None)


_KEY_RE = re.compile(r"\[([^\]]*)\]")


def _assign(root: dict[str, Any], key: str, value: str) -> None:
    base, _, rest = key.partition("[")
    if not base:
        return
    parts = [base] + (_KEY_RE.findall("[" + rest) if rest else [])
    node: Any = root
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            if last:
                node.append(value)
                return
            nxt_list: Any = [] if parts[i + 1] == "" else {}
            node.append(nxt_list)
            node = nxt_list
            continue
        if part == "":  # "[]" inside a dict: behave as the next numeric index
            part = str(len(node))
        if last:
            node[part] = value
            return
        child = node.get(part)
        want_list = parts[i + 1] == ""
        if child is None or not isinstance(child, (dict, list)):
            child = [] if want_list else {}
            node[part] = child
        elif want_list and isinstance(child, dict):
            pass
        node = child


def parse_php_query(qs: str) -> dict[str, Any]:
    """Parse ``a[b][]=1&c=2`` the PHP way into nested dicts/lists (values stay strings)."""
    root: dict[str, Any] = {}
    if not qs:
        return root
    for pair in qs.split("&"):
        if not pair:
            continue
        k, _, v = pair.partition("=")
        _assign(root, unquote_plus(k), unquote_plus(v))
    return root


def parse_multipart(body: bytes, content_type: str) -> dict[str, Any]:
    """Text fields of a multipart/form-data body (files are ignored)."""
    m = re.search(r'boundary="?([^";]+)"?', content_type)
    if not m:
        raise BadInput(400, detail="multipart body without boundary")
    boundary = b"--" + m.group(1).encode("latin-1")
    root: dict[str, Any] = {}
    for part in body.split(boundary)[1:]:
        if part.startswith(b"--"):
            break
        head, _, value = part.lstrip(b"\r\n").partition(b"\r\n\r\n")
        nm = re.search(rb'name="([^"]*)"', head)
        if not nm or b"filename=" in head:
            continue
        if value.endswith(b"\r\n"):
            value = value[:-2]
        _assign(root, nm.group(1).decode("utf-8", "replace"), value.decode("utf-8", "replace"))
    return root


def int_param(value: Any, name: str) -> int:
    """An int from an int or numeric string; BadInput 400 naming the field otherwise."""
    out: int | None = None
    if isinstance(value, bool):
        out = int(value)
    elif isinstance(value, int):
        out = value
    elif isinstance(value, float) and value.is_integer():
        out = int(value)
    elif isinstance(value, str) and len(value) < 40 and re.fullmatch(r"\s*-?\d+\s*", value):
        out = int(value)
    if out is None:
        raise BadInput(400, detail=f"{ERROR_TEXTS[400]}: field {name!r} must be an integer, got {value!r}")
    if not INT_MIN <= out <= INT_MAX:
        raise BadInput(400, detail=f"{ERROR_TEXTS[400]}: field {name!r} is out of range ({value!r})")
    return out


def id_list(value: Any, name: str) -> list[int]:
    """Ids from a scalar, a list, a PHP-indexed dict or a comma string."""
    if value is None or value == "":
        return []
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, str):
        value = [v for v in value.split(",") if v.strip()]
    if not isinstance(value, list):
        value = [value]
    return [int_param(v, name) for v in value]
