"""The API v4 face: authentication (Bearer only), the route table, and error mapping.

Every handler gets a :class:`~.base.Ctx` and returns a :class:`~amocrm.sandbox.wire.Response`;
:class:`~.base.V4Error` and :class:`~.base.ValidationFailed` become problem+json answers. The core
calls :meth:`V4Face.handle` under its lock, after rate limits and fault injection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..wire import BadInput, Request, Response, loads_json, problem
from . import activities, catalogs, crm, customers, events, fields, links, misc, pipelines, unsorted
from .base import Ctx, V4Error, ValidationFailed
from .router import Router

if TYPE_CHECKING:
    from ..core import SandboxCore

__all__ = ["V4Face", "UNAUTHORIZED_DETAIL"]

#: what the real service answers on /api/v4 without a valid Bearer token (API key, cookie, nothing)
UNAUTHORIZED_DETAIL = "Неверный логин или пароль"


def build_router() -> Router:
    router = Router()
    # order matters only where a fixed segment could also match a parameter: fixed paths first
    for module in (misc, events, pipelines, unsorted, customers, catalogs, fields, links, activities, crm):
        for method, pattern, handler in module.ROUTES:
            router.add(method, pattern, handler)
    return router


class V4Face:
    """Answers ``/api/v4/...`` (and the drive's ``/v1.0/...``) for one core."""

    def __init__(self, core: SandboxCore) -> None:
        self.core: SandboxCore = core
        self.router: Router = build_router()
        self.drive: Router = misc.drive_router()

    def authenticate(self, req: Request) -> Response | None:
        authz = req.headers.get("authorization", "")
        if authz[:7].lower() == "bearer ":
            state = self.core.auth.bearer_state(authz[7:].strip())
            if state == "ok":
                req.auth_kind = "oauth"
                return None
            return problem(401, "Access token has expired" if state == "expired" else "Invalid access token")
        return problem(401, UNAUTHORIZED_DETAIL)

    def handle(self, req: Request) -> Response:
        denied = self.authenticate(req)
        if denied is not None:
            return denied
        drive = req.path.startswith("/v1.0/")
        path = req.path[len("/v1.0/"):] if drive else req.path[len("/api/v4/"):]
        path = path.strip("/")
        ctx = Ctx(self.core, req)
        try:
            handler, params = (self.drive if drive else self.router).resolve(req.method, path)
            ctx.params = params
            resp = handler(ctx)
        except ValidationFailed as exc:
            return exc.response()
        except V4Error as exc:
            if exc.status == 404 and exc.detail.startswith("Cannot "):
                prefix = "/v1.0/" if drive else "/api/v4/"
                return problem(404, f"Cannot {req.method} {ctx.base}{prefix}{path}!")
            return exc.response()
        except BadInput as exc:
            return problem(exc.status if exc.status >= 400 else 400, exc.detail)
        if req.method == "HEAD":
            return Response(resp.status, b"", resp.content_type, resp.headers)
        return resp

    @staticmethod
    def batch_size(req: Request) -> int:
        """Items in a JSON-array body (0 for anything else): what ``batch_504_above`` counts."""
        if not req.body.lstrip().startswith(b"["):
            return 0
        try:
            data = loads_json(req.body)
        except ValueError:
            return 0
        return len(data) if isinstance(data, list) else 0

    def record(self) -> None:
        """Turn the request's journal into events (called after every request, v2 writes included)."""
        events.record(self.core.store, self.core.store.journal.take())
