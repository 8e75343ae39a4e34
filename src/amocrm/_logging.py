"""The ``amocrm`` logger and the seed's debug lines, always passed through :func:`redact`.

Message formats follow andrey-tech's debug output (``[N] GET: url``, ``[N] RESPONSE 0.1234s (200):``,
``[N] THROTTLE``, ``LOCK``, ``RE OAUTH2``) so its users recognise them. Bodies of the token and login
endpoints are never written, in either direction, only their size. :func:`enable_debug` and
:class:`DebugFileLogger` reproduce the seed's ``*** uid [timestamp]`` framing on stdout or in a file.
"""

from __future__ import annotations

import logging
import os
import random
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from amocrm._redact import redact
from amocrm.errors import ConfigError

__all__ = [
    "DebugFileLogger",
    "SECRET_PATHS",
    "debug",
    "disable_debug",
    "enable_debug",
    "is_secret_url",
    "log_failure",
    "log_lock",
    "log_lock_exceeded",
    "log_reauth",
    "log_refresh",
    "log_relogin",
    "log_request",
    "log_response",
    "log_retry",
    "log_throttle",
    "logger",
    "warning",
]

logger = logging.getLogger("amocrm")

#: Endpoints whose bodies carry credentials in both directions: logged by size only.
SECRET_PATHS = ("/oauth2/access_token", "/private/api/auth.php")

_MAX_BODY = 4000
_EVENT = "amocrm_event"


def is_secret_url(url: str) -> bool:
    """Whether ``url`` is the token or login endpoint (case-insensitive, as the seed checks)."""
    low = url.lower()
    return any(p in low for p in SECRET_PATHS)


def _text(body: bytes | str | None) -> str:
    if not body:
        return ""
    raw = body.encode("utf-8", "replace") if isinstance(body, str) else body
    text = raw[:_MAX_BODY].decode("utf-8", "replace")
    if len(raw) > _MAX_BODY:
        text += f"... ({len(raw)} bytes)"
    return redact(text)


def _size(body: bytes | str | None) -> str:
    n = len(body.encode("utf-8", "replace") if isinstance(body, str) else body or b"")
    return f"<{n} bytes, not logged>"


def _n(n: int | None) -> str:
    return f"[{n}] " if n is not None else ""


def debug(message: str, *args: object, event: str = "debug") -> None:
    """Log ``message % args`` at DEBUG, redacted."""
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("%s", redact(message % args if args else message), extra={_EVENT: event})


def warning(message: str, *args: object, event: str = "warning") -> None:
    """Log ``message % args`` at WARNING, redacted."""
    logger.warning("%s", redact(message % args if args else message), extra={_EVENT: event})


def log_request(
    n: int | None,
    method: str,
    url: str,
    body: bytes | str | None = None,
    content_type: str | None = None,
    *,
    secret: bool = False,
) -> None:
    """``[N] GET: url``, ``[N] POST: url`` + body, ``[N] POST (AJAX): url`` + form body."""
    if not logger.isEnabledFor(logging.DEBUG):
        return
    ajax = method == "POST" and content_type == "application/x-www-form-urlencoded"
    label = "POST (AJAX)" if ajax else method
    head = f"{_n(n)}{label}: {redact(url)}"
    if body:
        head += "\n" + (_size(body) if secret or is_secret_url(url) else _text(body))
    logger.debug("%s", head, extra={_EVENT: "request"})


def log_response(
    n: int | None,
    status: int,
    elapsed: float,
    data: bytes | str | None,
    *,
    secret_body: bool = False,
    url: str = "",
) -> None:
    """``[N] RESPONSE 0.1234s (200):`` + body (size only for the token and login endpoints)."""
    if not logger.isEnabledFor(logging.DEBUG):
        return
    body = _size(data) if secret_body or (url and is_secret_url(url)) else _text(data)
    logger.debug("%s", f"{_n(n)}RESPONSE {elapsed:.4f}s ({status}):\n{body}", extra={_EVENT: "response"})


def log_throttle(n: int | None, waited: float, rate: float | None = None, key: str = "") -> None:
    """``[N] THROTTLE (7.0) 0.1234s``."""
    if not logger.isEnabledFor(logging.DEBUG):
        return
    rate_part = f" ({rate:g})" if rate is not None else ""
    key_part = f" {redact(key)}" if key else ""
    logger.debug("%s", f"{_n(n)}THROTTLE{rate_part} {waited:.4f}s{key_part}", extra={_EVENT: "throttle"})


def log_lock(name: str, attempt: int, wait: float, n: int | None = None) -> None:
    """``LOCK name #attempt (wait s)``: one failed attempt to take an entity lock."""
    logger.debug("%s", f"{_n(n)}LOCK {redact(name)} #{attempt} ({wait:g}s)", extra={_EVENT: "lock"})


def log_lock_exceeded(name: str, attempts: int, *, proceeding: bool, n: int | None = None) -> None:
    """``LOCK name attempts exceeded (N)``, at WARNING: the caller raises or goes on unlocked."""
    tail = ", proceeding WITHOUT the lock" if proceeding else ""
    logger.warning(
        "%s", f"{_n(n)}LOCK {redact(name)} attempts exceeded ({attempts}){tail}", extra={_EVENT: "lock"}
    )


def log_reauth(n: int | None, kind: str) -> None:
    """``[N] RE OAUTH2`` or ``[N] RE AUTH``: the server answered 401, credentials are renewed."""
    logger.info("%s", f"{_n(n)}RE {'OAUTH2' if kind == 'oauth2' else 'AUTH'}", extra={_EVENT: "reauth"})


def log_refresh(domain: str, outcome: str) -> None:
    """One OAuth2 refresh decision for ``domain`` (never the tokens)."""
    logger.info("%s", redact(f"RE OAUTH2 {domain}: {outcome}"), extra={_EVENT: "refresh"})


def log_relogin(domain: str, outcome: str) -> None:
    """One API-key login or re-login decision for ``domain`` (never the key or the cookie)."""
    logger.info("%s", redact(f"RE AUTH {domain}: {outcome}"), extra={_EVENT: "relogin"})


def log_failure(n: int | None, exc: BaseException) -> None:
    logger.warning("%s", f"{_n(n)}{type(exc).__name__}: {redact(str(exc))}", extra={_EVENT: "failure"})


def log_retry(n: int | None, attempt: int, delay: float, reason: str) -> None:
    logger.warning(
        "%s", f"{_n(n)}RETRY #{attempt} after {redact(reason)} in {delay:.3f}s", extra={_EVENT: "retry"}
    )


# -- the seed's debug framing --------------------------------------------------------------------

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_UID = "".join(random.sample(_ALPHABET, 7))


def _timestamp(created: float) -> str:
    """``2026-11-29 11:30:06.404790 +03:00`` (PHP ``Y-m-d H:i:s.u P``) in local time."""
    moment = datetime.fromtimestamp(created).astimezone()
    offset = moment.strftime("%z")
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f ") + f"{offset[:3]}:{offset[3:]}"


class SeedFormatter(logging.Formatter):
    """``*** uid [timestamp]`` + EOL + message + EOL + EOL, the message redacted once more."""

    def format(self, record: logging.LogRecord) -> str:
        return f"*** {_UID} [{_timestamp(record.created)}]\n{redact(record.getMessage())}\n"


def enable_debug(stream: IO[str] | None = None) -> logging.Handler:
    """The seed's ``AmoAPI::$debug = true``: every debug line to ``stream`` (stdout by default).

    Returns the handler; pass it to :func:`disable_debug` to switch the output off again.
    """
    handler = logging.StreamHandler(stream if stream is not None else sys.stdout)
    handler.setFormatter(SeedFormatter())
    handler.setLevel(logging.DEBUG)
    handler.terminator = "\n"
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    return handler


def disable_debug(handler: logging.Handler) -> None:
    """Remove a handler added by :func:`enable_debug` or a :class:`DebugFileLogger`."""
    logger.removeHandler(handler)


class DebugFileLogger(logging.Handler):
    """The seed's ``AmoAPIDebugLogger``: append each framed debug line to ``log_file``.

    Each write holds ``fcntl.LOCK_EX`` on the file so several processes can share it. The path is
    relative to the working directory (the seed's library-relative path is a quirk). Attach it with
    ``amocrm._logging.logger.addHandler(DebugFileLogger())`` or call :meth:`debug` directly.
    """

    def __init__(self, log_file: str | os.PathLike[str] = "logs/debug.log") -> None:
        super().__init__(logging.DEBUG)
        self.path: Path = Path(log_file)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot create the log directory {self.path.parent}: {exc.strerror}") from None
        self.setFormatter(SeedFormatter())
        self._write_lock = threading.Lock()

    def debug(self, message: str) -> None:
        """Append ``message`` (redacted, framed) to the file; raises :class:`OSError` on failure."""
        record = logging.LogRecord("amocrm", logging.DEBUG, __file__, 0, "%s", (message,), None)
        self._append(self.format(record) + "\n")

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._append(self.format(record) + "\n")
        except Exception:  # logging handlers must not raise into the caller
            self.handleError(record)

    def _append(self, text: str) -> None:
        data = text.encode("utf-8")
        with self._write_lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                try:
                    import fcntl  # imported here: the package must import where fcntl is missing
                except ImportError:  # pragma: no cover - Windows: O_APPEND writes, without the lock
                    pass
                else:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
            finally:
                os.close(fd)  # closing drops the flock


def describe(value: Any) -> str:
    """``repr`` of ``value`` with secrets masked (for log and error messages)."""
    return redact(repr(value))
