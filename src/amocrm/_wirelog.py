"""Request/response log lines of the pipeline, under the ``amocrm`` logger, always redacted.

The formats follow the seed's debug messages (``[N] GET: url``, ``[N] RESPONSE 0.1234s (200):``)
so its users recognise them; secrets are masked by :func:`amocrm._redact.redact` and bodies of
the token and login endpoints are never written, only their size.
"""

from __future__ import annotations

import logging

from amocrm._redact import redact

log = logging.getLogger("amocrm")

_MAX_BODY = 4000


def _body_text(body: bytes | None) -> str:
    if not body:
        return ""
    text = body[:_MAX_BODY].decode("utf-8", "replace")
    if len(body) > _MAX_BODY:
        text += f"... ({len(body)} bytes)"
    return redact(text)


def log_request(
    n: int, method: str, url: str, body: bytes | None, content_type: str | None, *, secret: bool = False
) -> None:
    if not log.isEnabledFor(logging.DEBUG):
        return
    label = "POST (AJAX)" if content_type == "application/x-www-form-urlencoded" and method == "POST" else method
    if secret or not body:
        log.debug("[%d] %s: %s", n, label, redact(url), extra={"amocrm_event": "request"})
    else:
        log.debug("[%d] %s: %s\n%s", n, label, redact(url), _body_text(body), extra={"amocrm_event": "request"})


def log_response(n: int, status: int, elapsed: float, data: bytes, *, secret_body: bool = False) -> None:
    if not log.isEnabledFor(logging.DEBUG):
        return
    body = f"<{len(data)} bytes, not logged>" if secret_body else _body_text(data)
    log.debug("[%d] RESPONSE %.4fs (%d):\n%s", n, elapsed, status, body, extra={"amocrm_event": "response"})


def log_throttle(n: int, waited: float) -> None:
    log.debug("[%d] THROTTLE %.4fs", n, waited, extra={"amocrm_event": "throttle"})


def log_failure(n: int, exc: BaseException) -> None:
    log.warning("[%d] %s: %s", n, type(exc).__name__, redact(str(exc)), extra={"amocrm_event": "failure"})


def log_reauth(n: int, kind: str) -> None:
    log.info("[%d] RE %s", n, "OAUTH2" if kind == "oauth2" else "AUTH", extra={"amocrm_event": "reauth"})


def log_retry(n: int, attempt: int, delay: float, reason: str) -> None:
    log.warning(
        "[%d] RETRY #%d after %s in %.3fs", n, attempt, reason, delay, extra={"amocrm_event": "retry"}
    )
