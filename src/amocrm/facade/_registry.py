"""The facade's shared state: one :class:`~amocrm.client.AmoClient` per account, and the raw
operations the seed-style calls are made of.

``AmoAPI`` (settings, class methods) and the ``Amo*`` models both use this module; neither
imports the other, so there is no cycle. Every call here gets the raw answer of its own request
(from the page, the save result or the call itself), never the client-wide ``last_response``,
which another thread, a prefetch or a save worker may have replaced meanwhile.
"""

# The facade is the runtime's own user: it reads the generated operation descriptors.
# pyright: reportPrivateUsage=false

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from amocrm._core.ops import Operation
from amocrm.client import AmoClient, resolve_domain
from amocrm.facade._errors import NotAuthorizedError

__all__ = ["REGISTRY", "Registry", "items_of", "operation"]


class Registry:
    """Accounts by full domain, the last one used, and the settings the models need."""

    def __init__(self) -> None:
        self.clients: dict[str, AmoClient] = {}
        self.last_domain: str | None = None
        self.last_client: AmoClient | None = None
        self.guard = threading.RLock()
        #: Mirrors of ``AmoAPI`` settings (kept equal by ``AmoAPI``).
        self.amo_domain = "amocrm.ru"
        self.updated_at_delta = 5

    def domain(self, subdomain: str) -> str:
        return resolve_domain(subdomain, self.amo_domain)

    def use(self, subdomain: str | None) -> AmoClient:
        """The client of ``subdomain`` (None: the account authorised last); remembered for get_last_response."""
        with self.guard:
            if subdomain is None:
                if self.last_domain is None:
                    raise NotAuthorizedError("authorization required: call AmoAPI.oauth2() or AmoAPI.auth() first")
                domain = self.last_domain
            else:
                domain = self.domain(subdomain)
            client = self.clients.get(domain)
            if client is None:
                raise NotAuthorizedError(
                    f"not authorised for subdomain {subdomain!r} ({domain}): call AmoAPI.oauth2() or AmoAPI.auth() first"
                )
            self.last_client = client
            return client

    def register(self, domain: str, client: AmoClient) -> None:
        with self.guard:
            old = self.clients.get(domain)
            self.clients[domain] = client
            self.last_domain = domain
            self.last_client = client
        if old is not None and old is not client:
            old.close()

    def reset(self) -> None:
        with self.guard:
            clients = list(self.clients.values())
            self.clients.clear()
            self.last_domain = None
            self.last_client = None
        for client in clients:
            client.close()


REGISTRY = Registry()


def operation(client: AmoClient, resource: str, name: str) -> Any:
    """The generated descriptor of ``client.v2.<resource>.<name>`` (its path comes from the spec)."""
    res = getattr(client.v2, resource)
    return type(res)._operations[name]


def path_of(resource: str, name: str = "list") -> str:
    """The API path of a v2 operation, read from the generated resource class."""
    import importlib

    module = importlib.import_module(f"amocrm.v2.resources.{resource}")
    cls = next(v for k, v in vars(module).items() if k.endswith("Resource") and isinstance(v, type)
               and hasattr(v, "_operations"))
    path: str = cls._operations[name].path
    return path


def items_of(answer: Any, op: Operation | None = None) -> Any:
    """The items of a v2 answer (``_embedded.items``, or ``widgets`` for the widget list), or None."""
    if not isinstance(answer, Mapping):
        return None
    if op is not None and op.result.at:
        node: Any = answer
        for key in op.result.at:
            node = node.get(key) if isinstance(node, Mapping) else None
        return node
    embedded = answer.get("_embedded")
    if isinstance(embedded, Mapping) and "items" in embedded:
        return embedded["items"]
    return answer.get("widgets")


def get_raw(client: AmoClient, resource: str, params: Mapping[str, Any], name: str = "list") -> Any:
    """One GET of a v2 list operation with the caller's params as they are; the decoded answer (None on 204)."""
    op = operation(client, resource, name)
    return client.request("GET", op.path, dict(params))


def pages_raw(client: AmoClient, resource: str, params: Mapping[str, Any], *, page_size: int | None,
              start: int | None) -> Iterator[Any]:
    """The decoded answers of every page of a v2 list, through the generated pages, one request per
    page as the seed's generators (no prefetch)."""
    res = getattr(client.v2, resource)
    op = type(res)._operations["list"]
    first = res._list_raw(op, params, page_size, start, prefetch=0)
    for page in first.pages():
        if page.response is None or page.response.no_content:
            return
        yield page.response.json()


def save_raw(client: AmoClient, resource: str, models: Sequence[Any]) -> Any:
    """Save ``models`` in one request through the resource (ids written back); that request's answer."""
    result = getattr(client.v2, resource).save(list(models), batch_size=max(1, len(models)))
    return result.responses[-1].json() if result.responses else None


def call_raw(client: AmoClient, resource: str, name: str, args: Mapping[str, Any]) -> tuple[Any, Any]:
    """A v2 operation with ``args``; its result and the decoded answer of its (last) request."""
    res = getattr(client.v2, resource)
    op = type(res)._operations[name]
    value, responses = res._call_raw(op, args)
    answer = responses[-1].json() if responses and not responses[-1].no_content else None
    return value, answer
