"""What an IDE sees: jedi completions and docstrings on the client, resources and models."""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any

import pytest

jedi = pytest.importorskip("jedi")

SRC = Path(__file__).resolve().parents[2] / "src"
PRELUDE = (
    "from amocrm import AmoClient\n"
    "from amocrm.models import Lead\n"
    "client = AmoClient('acme')\n"
)


def _complete(tail: str) -> dict[str, object]:
    source = PRELUDE + tail
    lines = source.splitlines()
    return {c.name_with_symbols: c for c in _script(source).complete(len(lines), len(lines[-1]))}


@functools.cache
def _environment() -> Any:
    """The venv's interpreter in a subprocess, as an IDE uses it (an in-process environment would see the
    already imported ``amocrm`` as a compiled module and infer nothing through it)."""
    return jedi.create_environment(sys.executable, safe=False)


def _script(source: str) -> Any:
    return jedi.Script(source, project=jedi.Project(SRC.parent, added_sys_path=[str(SRC)]),
                       environment=_environment())


def test_resource_methods_complete() -> None:
    names = _complete("client.leads.")
    assert {"list", "get", "save", "stats"} <= set(names)
    public = {n for n in names if not n.startswith("_")}
    assert not {"attrname", "func", "lock"} & public  # no cached_property leftovers
    assert {"contacts", "companies", "leads", "account", "v2"} <= set(_complete("client."))
    assert {"list", "get", "save"} <= set(_complete("client.v2.leads."))
    page = set(_complete("client.leads.list().")) - {n for n in _complete("client.leads.list().") if n.startswith("_")}
    assert {"items", "pages", "next_page", "has_next_page", "response", "offset"} <= page


def test_model_keywords_complete() -> None:
    names = set(_complete("Lead("))
    assert {"name=", "sale=", "status_id=", "pipeline_id=", "responsible_user_id="} <= names
    assert {n for n in names if n.startswith("sta")} >= {"status_id="}


def test_filter_keyword_completes() -> None:
    names = set(_complete("client.leads.list(respo"))
    assert "responsible_user_id=" in names
    assert "status=" in set(_complete("client.v2.leads.list(sta"))


def test_docstrings_come_from_the_spec() -> None:
    source = PRELUDE + "client.leads.list"
    lines = source.splitlines()
    [name] = _script(source).infer(len(lines), len(lines[-1]))
    doc = name.docstring()
    # spec/resources/leads.yaml: the list operation's summary and the documented filters
    assert "Leads matching the filters, page by page." in doc
    assert "responsible_user_id: Responsible user id or ids." in doc
    [sale] = _script(PRELUDE + "Lead().sale").help(4, len("Lead().sa"))
    assert sale.docstring() == "Budget."  # spec/entities/lead.yaml
