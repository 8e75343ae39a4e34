"""Sandbox settings: one frozen dataclass shared by the thread, the subprocess and the CLI."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

__all__ = ["SandboxOptions", "FaultSettings"]


@dataclass
class FaultSettings:
    """Injected failures. Shares are probabilities in 0..1, rolled per matching request.

    ``path_prefix``/``methods`` limit which requests are affected; ``seed`` makes the rolls
    reproducible. ``force_401`` answers 401 to the next N matching requests.
    """

    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (502, 503, 504)
    drop_before_rate: float = 0.0
    drop_after_rate: float = 0.0
    truncate_rate: float = 0.0
    non_json_rate: float = 0.0
    html_rate: float = 0.0
    force_401: int = 0
    path_prefix: str | None = None
    methods: tuple[str, ...] | None = None
    seed: int | None = None

    _RATES = ("error_rate", "drop_before_rate", "drop_after_rate", "truncate_rate", "non_json_rate", "html_rate")

    def __post_init__(self) -> None:
        for name in self._RATES:
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"fault {name} must be a number in 0..1, got {value!r}")
        for name in ("latency_ms", "latency_jitter_ms"):
            if float(getattr(self, name)) < 0:
                raise ValueError(f"fault {name} must be >= 0, got {getattr(self, name)!r}")
        if int(self.force_401) < 0:
            raise ValueError(f"fault force_401 must be >= 0, got {self.force_401!r}")
        statuses = tuple(int(s) for s in self.error_statuses)
        if not statuses or any(not 400 <= s <= 599 for s in statuses):
            raise ValueError(f"fault error_statuses must be HTTP error codes, got {self.error_statuses!r}")
        self.error_statuses = statuses
        if self.methods is not None:
            self.methods = tuple(m.upper() for m in self.methods)

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> FaultSettings:
        """Build from a JSON-ish mapping, naming any unknown key in the error."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown fault option(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        kwargs = dict(data)
        for key in ("error_statuses", "methods"):
            if kwargs.get(key) is not None:
                kwargs[key] = tuple(kwargs[key])
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["error_statuses"] = list(self.error_statuses)
        out["methods"] = list(self.methods) if self.methods is not None else None
        return out


@dataclass
class SandboxOptions:
    """Everything a sandbox instance can be told at start. Times are in seconds."""

    host: str = "127.0.0.1"
    port: int = 0
    tls: bool = False
    subdomain: str = "sandbox"
    #: the integration's registered redirect URI: the consent step sends the browser there and the
    #: token endpoint accepts no other (an http://127.0.0.1:PORT/... URI suits a loopback listener)
    redirect_uri: str = "https://example.com/amocrm/oauth"
    token_lifetime: float = 86400.0
    code_lifetime: float = 1200.0
    session_lifetime: float = 900.0
    refresh_lifetime: float = 90 * 86400.0
    rate_limit: float | None = 7.0
    block_after: int = 100
    block_seconds: float = 10.0
    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    batch_504_above: int | None = None
    max_body_bytes: int = 2 * 1024 * 1024
    empty_as_object: bool = False
    seed: bool = True
    read_timeout: float = 10.0
    deliver_webhooks: bool = True
    #: whole-request deadline (request line, headers and body) in seconds; a slower sender is cut off
    request_deadline: float | None = 30.0
    #: connections served at once; one more is answered 503 (plain HTTP) or closed (TLS) at once
    max_connections: int = 256
    #: "amocrm" (hosts ``*.amocrm.ru``, consent ``platform=1``) or "kommo" (``*.kommo.com``, ``platform=2``)
    platform: str = "amocrm"
    # -- API v4 choices where the real service's behaviour is not documented ----------------------
    #: ``limit`` above the cap: "clamp" to the cap, or "error" (400)
    v4_over_limit: str = "clamp"
    #: a batch write with any invalid item writes nothing (True) or writes the valid items (False)
    v4_atomic_batches: bool = True
    #: custom-field create answers "embedded" (200 ``_embedded.custom_fields``) or "object" (201, the bare field)
    v4_cf_create: str = "embedded"
    #: ``_embedded.loss_reason`` of a lead as an "object" or a one-element "array"
    v4_loss_reason: str = "object"
    #: the largest ``limit`` of ``/api/v4/events`` (100 per the Russian docs, 250 per the English ones)
    v4_events_max_limit: int = 100
    #: duplicate control for ``leads/complex``: a lead whose new contact shares a phone or e-mail with an
    #: open lead's contact in the same pipeline is merged into that lead (``merged: true``)
    duplicate_control: bool = False
    #: ``POST /api/v4/leads/unsorted/chats`` accepted (True) or refused with 400 as the docs say (False)
    v4_unsorted_chats: bool = False
    #: customers mode at start: "unavailable", "disabled", "segments" or "periodicity"
    customers_mode: str = "segments"
    #: whether the loyalty program (customers' bonus points) is on
    bonus_points: bool = True
    faults: FaultSettings = field(default_factory=FaultSettings)

    _CHOICES = {"platform": ("amocrm", "kommo"), "v4_over_limit": ("clamp", "error"),
                "v4_cf_create": ("embedded", "object"), "v4_loss_reason": ("object", "array"),
                "customers_mode": ("unavailable", "disabled", "segments", "periodicity")}

    def __post_init__(self) -> None:
        if self.rate_limit is not None and self.rate_limit <= 0:
            raise ValueError(f"rate_limit must be > 0 or None (off), got {self.rate_limit!r}")
        for name in ("token_lifetime", "code_lifetime", "session_lifetime", "refresh_lifetime", "read_timeout"):
            if float(getattr(self, name)) <= 0:
                raise ValueError(f"{name} must be > 0 seconds, got {getattr(self, name)!r}")
        if not 0 <= int(self.port) <= 65535:
            raise ValueError(f"port must be 0..65535, got {self.port!r}")
        if self.batch_504_above is not None and self.batch_504_above < 0:
            raise ValueError(f"batch_504_above must be >= 0 or None, got {self.batch_504_above!r}")
        if self.max_body_bytes <= 0:
            raise ValueError(f"max_body_bytes must be > 0, got {self.max_body_bytes!r}")
        if not self.subdomain or not self.subdomain.replace("-", "").isalnum():
            raise ValueError(f"subdomain must be letters, digits and '-', got {self.subdomain!r}")
        parts = urlsplit(self.redirect_uri) if isinstance(self.redirect_uri, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.fragment:
            raise ValueError(f"redirect_uri must be an http(s) URL with a host and no fragment, got {self.redirect_uri!r}")
        for name, allowed in self._CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {getattr(self, name)!r}")
        if self.request_deadline is not None and self.request_deadline <= 0:
            raise ValueError(f"request_deadline must be > 0 seconds or None (off), got {self.request_deadline!r}")
        if self.max_connections < 1:
            raise ValueError(f"max_connections must be >= 1, got {self.max_connections!r}")
        if not 1 <= self.v4_events_max_limit <= 250:
            raise ValueError(f"v4_events_max_limit must be 1..250, got {self.v4_events_max_limit!r}")
        if self.block_after < 1:
            raise ValueError(f"block_after must be >= 1, got {self.block_after!r}")
        if self.latency_ms or self.latency_jitter_ms:
            self.faults.latency_ms = float(self.latency_ms)
            self.faults.latency_jitter_ms = float(self.latency_jitter_ms)
            self.faults.__post_init__()

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> SandboxOptions:
        """Build from keyword arguments; unknown names raise a TypeError that lists the known ones."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise TypeError(f"unknown sandbox option(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        faults = kwargs.get("faults")
        if isinstance(faults, dict):
            kwargs["faults"] = FaultSettings.from_mapping(faults)
        return cls(**kwargs)
