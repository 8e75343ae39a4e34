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


def _signature(tail: str) -> Any:
    source = PRELUDE + tail
    lines = source.splitlines()
    [signature] = _script(source).get_signatures(len(lines), len(lines[-1]))
    return signature


def test_resource_methods_complete() -> None:
    # client.leads is API v4's (the default version), as client.v4.leads
    for prefix in ("client.leads.", "client.v4.leads."):
        names = _complete(prefix)
        assert {"list", "get", "save", "update", "complex", "link", "unlink", "links", "tags", "stats"} <= set(names)
        public = {n for n in names if not n.startswith("_")}
        assert not {"attrname", "func", "lock"} & public, prefix  # no cached_property leftovers
    assert {n for n in _complete("client.leads.") if not n.startswith("_")} == {
        n for n in _complete("client.v4.leads.") if not n.startswith("_")}
    client = set(_complete("client."))
    assert {"contacts", "companies", "leads", "account", "events", "unsorted", "v2", "v4"} <= client
    assert "incoming_leads" not in client  # an API v2 resource: client.v2.incoming_leads
    v2 = _complete("client.v2.leads.")
    assert {"list", "get", "save"} <= set(v2) and "complex" not in v2
    assert not {"attrname", "func", "lock"} & {n for n in v2 if not n.startswith("_")}
    page = {n for n in _complete("client.leads.list().") if not n.startswith("_")}
    assert {"items", "pages", "next_page", "has_next_page", "response", "page", "links"} <= page
    v2_page = {n for n in _complete("client.v2.leads.list().") if not n.startswith("_")}
    assert {"items", "pages", "next_page", "has_next_page", "response", "offset"} <= v2_page


def test_model_keywords_complete() -> None:
    names = set(_complete("Lead("))  # amocrm.models.Lead: API v4's
    assert {"name=", "price=", "status_id=", "pipeline_id=", "responsible_user_id=", "custom_fields_values=",
            "embedded=", "tags_to_add="} <= names
    assert "sale=" not in names
    assert {n for n in names if n.startswith("sta")} >= {"status_id="}
    v2 = set(_complete("from amocrm.v2.models import Lead as V2Lead\nV2Lead("))
    assert {"name=", "sale=", "status_id=", "pipeline_id=", "responsible_user_id=", "custom_fields="} <= v2


def test_filter_keyword_completes() -> None:
    names = set(_complete("client.leads.list("))
    assert {"filter=", "query=", "order=", "with_=", "page_size=", "page="} <= names
    assert "filter=" in set(_complete("client.leads.list(fil"))
    assert "responsible_user_id=" in set(_complete("client.v2.leads.list(respo"))
    assert "status=" in set(_complete("client.v2.leads.list(sta"))
    # the signature an IDE shows while typing the filter names it and its TypedDict
    signature = _signature("client.leads.list(query='x', filter=")
    assert [p.name for p in signature.params] == ["with_", "query", "filter", "order", "page_size", "page"]
    assert signature.params[signature.index].name == "filter"
    assert "LeadsListFilter" in signature.params[signature.index].to_string()
    # ... whose keys complete
    keys = set(_complete("from amocrm.v4.resources.leads import LeadsListFilter\nf: LeadsListFilter = {}\nf['"))
    assert {"'id'", "'responsible_user_id'", "'statuses'", "'pipeline_id'", "'price'", "'updated_at'"} <= keys


def test_docstrings_come_from_the_spec() -> None:
    source = PRELUDE + "client.leads.list"
    lines = source.splitlines()
    [name] = _script(source).infer(len(lines), len(lines[-1]))
    doc = name.docstring()
    # spec/v4/resources/leads.yaml: the list operation's summary, path and parameters
    assert "Leads matching the filters, page by page." in doc and "GET /api/v4/leads" in doc
    assert "filter: Filters (combined with AND)." in doc
    [price] = _script(PRELUDE + "Lead().price").help(4, len("Lead().pr"))
    assert price.docstring() == "Budget."  # spec/v4/entities/lead.yaml
    source = PRELUDE + "client.v2.leads.list"
    lines = source.splitlines()
    [name] = _script(source).infer(len(lines), len(lines[-1]))
    doc = name.docstring()
    # spec/v2/resources/leads.yaml: the documented filters
    assert "Leads matching the filters, page by page." in doc and "GET /api/v2/leads" in doc
    assert "responsible_user_id: Responsible user id or ids." in doc
    v2_prelude = PRELUDE + "from amocrm.v2.models import Lead as V2Lead\n"
    [sale] = _script(v2_prelude + "V2Lead().sale").help(5, len("V2Lead().sa"))
    assert sale.docstring() == "Budget."  # spec/v2/entities/lead.yaml
