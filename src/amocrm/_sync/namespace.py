"""``client.v2``, ``client.v4``: the resources of one API version, each built once on first use."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

if TYPE_CHECKING:
    from amocrm._core.profiles import Profile
    from amocrm._sync.resource import SyncResource

__all__ = ["VersionNamespace"]

R = TypeVar("R", bound="SyncResource")


class VersionNamespace:
    """Base of the generated ``V2``/``V4`` namespaces."""

    version: ClassVar[str] = ""

    def __init__(self, client: Any, profile: Profile) -> None:
        self._client = client
        self._profile = profile
        self._resources: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def profile(self) -> Profile:
        """How this version writes, reports errors and authorises."""
        return self._profile

    def _resource(self, name: str, cls: type[R]) -> R:
        found = self._resources.get(name)
        if found is None:
            with self._lock:
                found = self._resources.get(name)
                if found is None:
                    found = self._resources[name] = cls(self._client, self._profile)
        result: R = found
        return result

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"
