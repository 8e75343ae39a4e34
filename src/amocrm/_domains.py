"""Strict host-name validation for account domains (they name token files, lock keys and URLs).

The check runs on the text as given, BEFORE any case folding: ``str.lower()`` maps some non-ASCII
letters onto ASCII ones (KELVIN SIGN ``\\u212a`` becomes ``k``) and leaves look-alikes such as
LATIN SMALL LETTER LONG S ``\\u017f`` in place, so folding first would accept names that are not
what they look like. Rules: ASCII only; labels of 1 to 63 characters from ``[a-z0-9-]`` (any case)
that neither start nor end with ``-``; no empty labels (``a..b``, a leading or trailing dot);
253 characters at most; optionally ``:port`` with a port from 1 to 65535.
"""

from __future__ import annotations

import re

from amocrm.errors import ConfigError

__all__ = ["validate_host"]

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_PORT = re.compile(r"[0-9]{1,5}")
_SHOWN = 80  # characters of a bad value repeated in the message


def _shown(value: str) -> str:
    text = ascii(value)  # escapes look-alikes and control characters so the reader sees them
    return text if len(text) <= _SHOWN else text[: _SHOWN - 4] + "...'"


def validate_host(value: object, *, what: str = "account domain", allow_port: bool = True) -> str:
    """``value`` stripped of surrounding spaces and lower-cased, or :class:`ConfigError` naming ``what``.

    ``acme.amocrm.ru`` and ``ACME.amocrm.ru`` pass (as ``acme.amocrm.ru``); ``127.0.0.1:8080`` passes
    when ``allow_port``. Refused, with the reason: non-strings, empty text, non-ASCII characters
    (``\\u017fandbox``, ``\\u212aey``), empty labels, labels longer than 63 characters or with
    characters outside ``[a-z0-9-]``, a leading or trailing ``-`` in a label, more than 253 characters.
    """
    if not isinstance(value, str):
        raise ConfigError(f"{what} must be a string, got {type(value).__name__}")
    text = value.strip()
    if not text:
        raise ConfigError(f"{what} must be a non-empty host name like 'acme.amocrm.ru', got {_shown(value)}")
    if not text.isascii():
        raise ConfigError(
            f"invalid {what} {_shown(value)}: it contains non-ASCII characters "
            "(use the ASCII or punycode form of the host name)"
        )
    host, port = text, None
    if allow_port and ":" in text:
        host, _, port = text.rpartition(":")
        if not _PORT.fullmatch(port) or not 1 <= int(port) <= 65535:
            raise ConfigError(f"invalid {what} {_shown(value)}: the port must be a number from 1 to 65535")
    host = host.lower()
    if len(host) > 253:
        raise ConfigError(f"invalid {what} {_shown(value)}: longer than 253 characters")
    for label in host.split("."):
        if not label:
            raise ConfigError(f"invalid {what} {_shown(value)}: it has an empty label (two dots in a row, "
                              "or a dot at the start or end)")
        if len(label) > 63:
            raise ConfigError(f"invalid {what} {_shown(value)}: the label {label[:20]!r}... is longer than 63 characters")
        if not _LABEL.fullmatch(label):
            raise ConfigError(
                f"invalid {what} {_shown(value)}: the label {_shown(label)} may hold only letters, digits and '-', "
                "and must not start or end with '-'"
            )
    return host if port is None else f"{host}:{port}"
