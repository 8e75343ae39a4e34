"""Operation descriptors: what the generated resource methods hand to the runtime.

A generated method is a typed signature plus one call, for example::

    def get(self, id: int, *, with_: Sequence[Literal[...]] = ()) -> Lead:
        return self._call(_GET, {"id": id, "with_": with_})

where ``_GET`` is a module-level :class:`Operation`. Everything an operation does at run time
(argument checks, the URL, the body, decoding, paging) follows from these descriptors, so the
generated code holds no endpoint-specific logic.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Field", "Operation", "Paging", "Param", "Ref", "Result", "SaveOperation"]


@dataclass(frozen=True)
class Field:
    """One documented key of an ``object`` parameter (a filter): its wire name and value type."""

    wire: str
    kind: str
    values: tuple[Any, ...] = ()
    fields: Mapping[str, Field] | None = None


@dataclass(frozen=True)
class Param:
    """One argument: its Python name, wire name, place (query, path, header, body) and value type.

    ``kind`` is one of the types in :mod:`amocrm._core.params` (``id``, ``ids``, ``csv``, ``object``...).
    ``model``/``writer`` are set for ``model``/``models``/``refs``: the objects' class and the
    function that turns one into its write form. ``chunk`` splits a list-valued body parameter
    into several requests of at most that many items.
    """

    name: str
    wire: str
    where: str
    kind: str
    required: bool = False
    values: tuple[Any, ...] = ()
    fields: Mapping[str, Field] | None = None
    model: type[Any] | None = None
    writer: Callable[[Any], Any] | None = None
    chunk: int = 0
    checker: Callable[..., None] | None = None


@dataclass(frozen=True)
class Ref:
    """A placeholder in a body template: the value of parameter ``name`` goes here."""

    name: str


@dataclass(frozen=True)
class Paging:
    """How a list operation pages (see :mod:`amocrm._core.paging`)."""

    style: str
    max: int
    size_param: str | None = None
    offset_param: str | None = None
    page_param: str | None = None


@dataclass(frozen=True)
class Result:
    """What an answer holds: ``type`` at the dotted keys ``at``.

    ``pick`` names a query parameter: the answer is a list and the item whose field of that name
    equals the argument is the result. ``empty`` says what a 204 or an empty body means:
    ``error`` (:class:`~amocrm.errors.NotFoundError`), ``empty`` (``[]``/``{}``), ``none`` or
    ``default`` (the type built from ``{}``). ``check`` names a version-specific answer check
    (v2's ``{"status": "success", "data": ...}``). ``write_back`` = (models parameter, field):
    item *i* of the answer is stored in that field of object *i*.
    """

    type: Any = None
    at: tuple[str, ...] = ()
    pick: str | None = None
    empty: str = "none"
    check: str | None = None
    write_back: tuple[str, str] | None = None
    is_list: bool = False
    is_dict: bool = False


@dataclass(frozen=True)
class Operation:
    """One HTTP operation: ``METHOD path`` with its parameters, body template, result and paging."""

    name: str
    version: str
    method: str
    path: str
    params: tuple[Param, ...] = ()
    result: Result = field(default_factory=Result)
    paging: Paging | None = None
    #: The body with :class:`Ref` placeholders; ``None``: the body parameters form an object by wire name.
    body: Any = None

    @property
    def signature(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class SaveOperation:
    """A batch write: objects of ``model`` become write items with ``writer`` and are sent in chunks
    of at most ``batch_max`` in the version's write style; the answer lists the saved items at ``at``."""

    name: str
    version: str
    path: str
    model: type[Any]
    writer: Callable[[Any], Any]
    batch_max: int
    at: tuple[str, ...]
    lock_kind: str
    params: tuple[Param, ...] = ()
    #: Checks a batch of objects' field types before anything is built or sent.
    checker: Callable[..., None] | None = None
    #: Model attribute -> the write fields it fills (partial updates send only the changed ones).
    field_map: Mapping[str, tuple[str, ...]] | None = None
