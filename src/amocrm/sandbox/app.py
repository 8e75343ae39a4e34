"""``Sandbox``: the emulator running in a background thread of this process."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

from .core import SandboxCore
from .options import FaultSettings, SandboxOptions
from .server import SandboxHTTPServer
from .tls import TLSMaterial, make_tls

__all__ = ["Sandbox", "SandboxBase"]


class SandboxBase:
    """The surface shared by :class:`Sandbox` and :class:`~amocrm.sandbox.process.SandboxProcess`."""

    _info: dict[str, Any] | None = None

    def _need_info(self) -> dict[str, Any]:
        if self._info is None:
            raise RuntimeError(f"{type(self).__name__} is not running; call start() or use it as a context manager")
        return self._info

    @property
    def base_url(self) -> str:
        """``http(s)://127.0.0.1:<port>``."""
        value: str = self._need_info()["base_url"]
        return value

    @property
    def subdomain(self) -> str:
        """The account subdomain the sandbox answers for."""
        value: str = self._need_info()["subdomain"]
        return value

    @property
    def client_id(self) -> str:
        """OAuth2 integration id."""
        value: str = self._need_info()["client_id"]
        return value

    @property
    def client_secret(self) -> str:
        """OAuth2 integration secret (do not log it)."""
        value: str = self._need_info()["client_secret"]
        return value

    @property
    def redirect_uri(self) -> str:
        """OAuth2 redirect URI."""
        value: str = self._need_info()["redirect_uri"]
        return value

    @property
    def code(self) -> str:
        """The authorization code minted at start."""
        value: str = self._need_info()["code"]
        return value

    @property
    def login(self) -> str:
        """Login of the admin user (API-key auth)."""
        value: str = self._need_info()["login"]
        return value

    @property
    def api_key(self) -> str:
        """API key of the admin user (do not log it)."""
        value: str = self._need_info()["api_key"]
        return value

    @property
    def ca_file(self) -> str | None:
        """CA bundle of a TLS sandbox, else None."""
        value: str | None = self._need_info().get("ca_file")
        return value

    @property
    def admin_token(self) -> str:
        """Token of the admin endpoints (do not log it)."""
        value: str = self._need_info()["admin_token"]
        return value

    @property
    def port(self) -> int:
        """The TCP port."""
        value: int = self._need_info()["port"]
        return value

    def info(self) -> dict[str, Any]:
        """The start-up JSON line as a dict (contains secrets: do not log it)."""
        return dict(self._need_info())

    def __repr__(self) -> str:
        where = self._info["base_url"] if self._info else "stopped"
        return f"{type(self).__name__}({where})"

    def __enter__(self) -> SandboxBase:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def start(self) -> SandboxBase:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError


class Sandbox(SandboxBase):
    """In-process emulator: ``with Sandbox(rate_limit=None) as sb: ... sb.base_url ...``.

    Keyword options are those of :class:`SandboxOptions`; ``faults`` may be a dict.
    """

    def __init__(self, **options: Any) -> None:
        self.options: SandboxOptions = SandboxOptions.from_kwargs(**options)
        self._core: SandboxCore | None = None
        self._server: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._tls: TLSMaterial | None = None

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    @property
    def core(self) -> SandboxCore:
        if self._core is None:
            raise RuntimeError("Sandbox is not running; call start() or use it as a context manager")
        return self._core

    def start(self) -> Sandbox:
        if self._server is not None:
            return self
        core = SandboxCore(self.options)
        ctx = None
        if self.options.tls:
            self._tls = make_tls(self.options.subdomain)
            ctx = self._tls.server_context()
        info: dict[str, Any] = {}
        try:
            server = SandboxHTTPServer((self.options.host, self.options.port), core, ctx, info)
        except BaseException:
            if self._tls is not None:
                self._tls.cleanup()
                self._tls = None
            raise
        host, port = str(server.server_address[0]), int(server.server_address[1])
        scheme = "https" if ctx else "http"
        shown = host if ":" not in host else f"[{host}]"
        info.update(base_url=f"{scheme}://{shown}:{port}", port=port, **core.info(), code=core.auth.mint_code(),
                    admin_token=core.creds.admin_token, ca_file=self._tls.ca_file if self._tls else None)
        self._core, self._server, self._info = core, server, info
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"amocrm-sandbox-{port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.close_all()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._core is not None:
            self._core.close()
        if self._tls is not None:
            self._tls.cleanup()
            self._tls = None
        self._info = None

    def serve_until(self, stop_event: threading.Event) -> None:
        """Block until ``stop_event`` is set (used by the CLI)."""
        while not stop_event.wait(0.2):
            pass

    # -- test helpers (direct calls under the lock) --------------------------------------------
    def mint_code(self) -> str:
        with self.core.lock:
            return self.core.auth.mint_code()

    def issue_tokens(self, lifetime: float | None = None) -> dict[str, Any]:
        with self.core.lock:
            return self.core.auth.issue_tokens(lifetime)

    def issue_long_lived_token(self, lifetime: float = 365 * 86400.0) -> str:
        """A long-lived token (a private integration's JWT, no refresh token): API v4 takes it as Bearer."""
        with self.core.lock:
            return self.core.auth.issue_long_lived(lifetime)

    def set_faults(self, **faults: Any) -> None:
        """Replace the fault settings (see :class:`FaultSettings`); unknown names raise ValueError."""
        settings = FaultSettings.from_mapping(faults)
        with self.core.lock:
            self.core.set_faults(settings)

    def clear_faults(self) -> None:
        with self.core.lock:
            self.core.set_faults(FaultSettings())

    def request_log(self) -> list[dict[str, Any]]:
        with self.core.lock:
            return [dict(e, headers=dict(e["headers"])) for e in self.core.log]

    def counters(self) -> dict[str, Any]:
        with self.core.lock:
            return self.core.counters()

    def reset(self) -> None:
        with self.core.lock:
            self.core.reset()

    def entities(self, kind: str) -> list[dict[str, Any]]:
        with self.core.lock:
            return self.core.entities(kind)

    def deliveries(self) -> list[dict[str, Any]]:
        """Webhook POST attempts: ``time, url, event, status, ok, error, body_size, duration_ms``."""
        return self.core.deliveries()
