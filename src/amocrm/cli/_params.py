"""``-p KEY=VALUE`` filters of ``export``: bracket keys, JSON values, ISO dates, required parameters.

Keys name a keyword of the resource's ``list()`` by its Python or API name (``with`` is ``with_``);
brackets go into mappings (``-p 'filter[date_create][from]=2024-01-01'``) and ``[]`` appends
(``-p 'status[]=142' -p 'status[]=143'``). A value starting with ``{`` or ``[`` is JSON
(``-p 'filter={"tasks": 1}'``). Values are converted by the parameter's type: ids and numbers from
text, ``142,143`` lists, dates in ISO 8601 (``2024-01-31``, ``2024-01-31T10:00:00+03:00``; without an
offset in the machine's time zone) for timestamps, date ranges and ``modified_since``.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import click

__all__ = ["build_kwargs", "parse_since", "parse_time", "split_key"]

_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)((?:\[[^\[\]]*\])*)$")


def split_key(key: str) -> list[str]:
    """``filter[date_create][from]`` -> ``["filter", "date_create", "from"]`` (``""`` for ``[]``)."""
    match = _KEY.match(key.strip())
    if match is None:
        raise click.BadParameter(f"{key!r} is not a parameter name (name or name[key][...])", param_hint="-p/--param")
    head, rest = match.group(1), match.group(2)
    return [head, *re.findall(r"\[([^\[\]]*)\]", rest)]


def _value_text(text: str) -> Any:
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        try:
            return json.loads(stripped)
        except ValueError as exc:
            raise click.BadParameter(f"{text!r} is not valid JSON: {exc}", param_hint="-p/--param") from None
    return text


def _place(tree: dict[str, Any], path: list[str], value: Any, shown: str) -> None:
    node: Any = tree
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if part == "":
            if not isinstance(node, list):
                raise click.BadParameter(f"{shown}: [] after a key that holds a mapping", param_hint="-p/--param")
            if last:
                node.append(value)
                return
            child: dict[str, Any] = {}
            node.append(child)
            node = child
            continue
        if not isinstance(node, dict):
            raise click.BadParameter(f"{shown}: [{part}] after a key that holds a list", param_hint="-p/--param")
        if last:
            if part in node and isinstance(node[part], (dict, list)) and not isinstance(value, (dict, list)):
                raise click.BadParameter(f"{shown}: {part} is given both as a value and with brackets",
                                         param_hint="-p/--param")
            node[part] = value
            return
        nxt = path[i + 1]
        if part not in node:
            node[part] = [] if nxt == "" else {}
        node = node[part]


def parse_time(text: str, what: str) -> _dt.datetime | int:
    """Unix seconds, or an ISO 8601 date/time (naive = this machine's time zone) as an aware datetime."""
    raw = text.strip()
    if re.fullmatch(r"-?\d+", raw):
        return int(raw)
    value = raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw
    try:
        moment = _dt.datetime.fromisoformat(value)
    except ValueError:
        try:
            moment = _dt.datetime.strptime(raw, "%d.%m.%Y")
        except ValueError:
            raise click.BadParameter(
                f"{text!r} is not a date: use ISO 8601 (2024-01-31, 2024-01-31T10:00:00+03:00) or unix seconds",
                param_hint=what) from None
    if moment.tzinfo is None:
        moment = moment.astimezone()  # the machine's local time zone
    return moment


def parse_since(text: str) -> _dt.datetime:
    """``--since``: an ISO 8601 date or date-time (unix seconds too) as an aware datetime."""
    value = parse_time(text, "--since")
    if isinstance(value, int):
        return _dt.datetime.fromtimestamp(value, _dt.timezone.utc)
    return value


def _scalar_text(value: Any, shown: str) -> str:
    if isinstance(value, (dict, list)):
        raise click.BadParameter(f"{shown}: expected one value, got {json.dumps(value)}", param_hint="-p/--param")
    return value if isinstance(value, str) else json.dumps(value)


def _int(value: Any, shown: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = _scalar_text(value, shown).strip()
    if not re.fullmatch(r"-?\d+", text):
        raise click.BadParameter(f"{shown}: {text!r} is not an integer", param_hint="-p/--param")
    return int(text)


def _items(value: Any, shown: str) -> list[Any]:
    if isinstance(value, list):
        return value
    text = _scalar_text(value, shown)
    return [p.strip() for p in text.split(",") if p.strip()]


def _literal(value: Any, values: Sequence[Any], shown: str) -> Any:
    text = _scalar_text(value, shown).strip()
    for allowed in values:
        if str(allowed) == text:
            return allowed
    raise click.BadParameter(f"{shown}: {text!r} is not one of {', '.join(str(v) for v in values)}",
                             param_hint="-p/--param")


def convert(kind: str, value: Any, values: Sequence[Any], fields: Mapping[str, Any] | None, shown: str) -> Any:
    """One parameter value from the command line, converted for a parameter of ``kind``."""
    if kind in ("id", "int"):
        return _int(value, shown)
    if kind == "ids":
        parts = _items(value, shown)
        ids = [_int(p, shown) for p in parts]
        return ids[0] if len(ids) == 1 and not isinstance(value, list) else ids
    if kind == "number":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        text = _scalar_text(value, shown).strip()
        try:
            return int(text) if re.fullmatch(r"-?\d+", text) else float(text)
        except ValueError:
            raise click.BadParameter(f"{shown}: {text!r} is not a number", param_hint="-p/--param") from None
    if kind == "str":
        return _scalar_text(value, shown)
    if kind == "strs":
        return value if isinstance(value, list) else _scalar_text(value, shown)
    if kind == "bool":
        text = _scalar_text(value, shown).strip().lower()
        if text in ("1", "true", "yes", "y"):
            return True
        if text in ("0", "false", "no", "n"):
            return False
        raise click.BadParameter(f"{shown}: {text!r} is not true/false", param_hint="-p/--param")
    if kind == "literal":
        return _literal(value, values, shown)
    if kind in ("literals", "csv"):
        return [_literal(v, values, shown) for v in _items(value, shown)]
    if kind in ("timestamp", "http_date", "time"):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return parse_time(_scalar_text(value, shown), shown)
    if kind in ("range", "int_range"):
        if not isinstance(value, dict):
            raise click.BadParameter(f"{shown}: expected {shown}[from]=… and/or {shown}[to]=…",
                                     param_hint="-p/--param")
        inner = "int" if kind == "int_range" else "time"
        return {k: convert(inner, v, (), None, f"{shown}[{k}]") for k, v in value.items()}
    if kind == "pairs":
        if isinstance(value, list):
            return value
        if isinstance(value, dict):  # brackets: filter[statuses][0][pipeline_id]=3001&...[0][status_id]=142
            found: list[tuple[int, int]] = []
            for key, entry in sorted(value.items(), key=lambda kv: (len(str(kv[0])), str(kv[0]))):
                if not isinstance(entry, dict) or set(entry) != {"pipeline_id", "status_id"}:
                    raise click.BadParameter(
                        f"{shown}[{key}]: expected [pipeline_id]=… and [status_id]=…, got {json.dumps(entry)}",
                        param_hint="-p/--param")
                found.append((_int(entry["pipeline_id"], f"{shown}[{key}][pipeline_id]"),
                              _int(entry["status_id"], f"{shown}[{key}][status_id]")))
            return found
        pairs: list[tuple[int, int]] = []
        for part in _items(value, shown):
            left, sep, right = str(part).partition(":")
            if not sep:
                raise click.BadParameter(f"{shown}: expected pipeline:status pairs (3001:30011,3002:30021)",
                                         param_hint="-p/--param")
            pairs.append((_int(left, shown), _int(right, shown)))
        return pairs
    if kind == "object":
        if not isinstance(value, dict):
            raise click.BadParameter(f"{shown}: expected {shown}[key]=… or a JSON object", param_hint="-p/--param")
        if fields is None:
            return value
        out: dict[str, Any] = {}
        for key, item in value.items():
            spec = fields.get(key)
            if spec is None:
                raise click.BadParameter(f"{shown}: unknown key {key!r} (known: {', '.join(sorted(fields))})",
                                         param_hint="-p/--param")
            out[key] = convert(spec.kind, item, spec.values, spec.fields, f"{shown}[{key}]")
        return out
    if kind == "json":
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value
    return value


def describe_param(param: Any) -> str:
    """``type=contact|lead|company`` or ``catalog_id=ID``: how to give a parameter."""
    if param.values:
        return f"{param.name}={'|'.join(str(v) for v in param.values)}"
    return f"{param.name}=" + ("ID" if param.kind in ("id", "ids") else "VALUE")


def build_kwargs(op: Any, entity: str, pairs: Sequence[str], *, since: _dt.datetime | None = None,
                 interactive: bool | None = None) -> dict[str, Any]:
    """The keyword arguments of ``list()`` for the ``-p`` pairs (and ``--since``), converted and checked.

    A required parameter that is missing is asked for by name when stdin is a terminal, else it is a
    one-line error naming it and its values.
    """
    params = {p.name: p for p in op.params}
    wires = {p.wire: p.name for p in op.params if p.where != "header"}
    tree: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{pair!r} is not key=value", param_hint="-p/--param")
        path = split_key(key)
        name = path[0] if path[0] in params else wires.get(path[0], path[0])
        if name not in params and f"{name}_" in params:  # with -> with_
            name = f"{name}_"
        if name not in params:
            known = ", ".join(params)
            raise click.BadParameter(f"unknown filter {path[0]} for {entity}; known: {known}",
                                     param_hint="-p/--param")
        _place(tree, [name, *path[1:]], _value_text(text), key)
    kwargs: dict[str, Any] = {}
    for name, raw in tree.items():
        param = params[name]
        kwargs[name] = convert(param.kind, raw, param.values, param.fields, name)
    if since is not None:
        if "modified_since" in params:
            kwargs["modified_since"] = since
        elif "filter" in params and params["filter"].fields and "updated_at" in params["filter"].fields:
            flt = dict(kwargs.get("filter") or {})
            flt["updated_at"] = {**flt.get("updated_at", {}), "from": since}
            kwargs["filter"] = flt
        else:
            raise click.BadParameter(f"{entity} cannot be filtered by change time", param_hint="--since")
    missing = [p for p in op.params if p.required and p.name not in kwargs]
    if missing:
        ask = sys.stdin.isatty() if interactive is None else interactive
        if not ask:
            shown = " ".join(f"-p {describe_param(p)}" for p in missing)
            raise click.UsageError(f"{entity} needs {shown}")
        for p in missing:
            choice: Any = click.Choice([str(v) for v in p.values]) if p.values else str
            answer = click.prompt(f"{p.name} (required for {entity})", type=choice, err=True)
            kwargs[p.name] = convert(p.kind, answer, p.values, p.fields, p.name)
    return kwargs
