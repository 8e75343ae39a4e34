"""Redis helpers shared by the token storage, the entity locker and the throttle.

One client factory (a URL or a ready client), one owner-checked lock (``SET key token NX PX ttl``),
one compare-and-delete release script. ``redis`` is imported only when a URL has to be turned
into a client or its exception classes are needed, so the package works without it.
"""

from __future__ import annotations

from typing import Any

from amocrm.errors import ConfigError

__all__ = ["RELEASE_SCRIPT", "redis_client", "redis_errors", "release_lock", "try_lock"]

#: Delete ``KEYS[1]`` only if it still holds this owner's token ``ARGV[1]``; 1 if deleted, else 0.
RELEASE_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def redis_client(client_or_url: Any, *, what: str = "the Redis client or URL") -> Any:
    """A ``redis.Redis`` from a ``redis://`` URL string, or the client itself.

    :class:`ConfigError` naming ``what`` for None, an empty string, or an object that is not a
    Redis client (it must have ``set``, ``get`` and ``eval``).
    """
    if isinstance(client_or_url, str):
        if not client_or_url.strip():
            raise ConfigError(f"{what} must be a redis:// URL or a Redis client, got an empty string")
        try:
            import redis
        except ImportError:  # pragma: no cover - depends on the environment
            raise ConfigError("a Redis URL needs the 'redis' package: pip install 'amocrm[redis]'") from None
        try:
            return redis.Redis.from_url(client_or_url)
        except ValueError as exc:
            raise ConfigError(f"{what} is not a valid Redis URL: {exc}") from None
    if client_or_url is None:
        raise ConfigError(f"{what} is required")
    if not all(callable(getattr(client_or_url, name, None)) for name in ("set", "get", "eval")):
        raise ConfigError(
            f"{what} must be a redis:// URL or a redis.Redis client, got {type(client_or_url).__name__}"
        )
    return client_or_url


def redis_errors() -> tuple[type[BaseException], ...]:
    """The exception classes a Redis failure raises (empty if redis is not installed)."""
    try:
        import redis
    except ImportError:  # pragma: no cover
        return ()
    return (redis.RedisError,)


def try_lock(client: Any, key: str, token: str, ttl: float) -> bool:
    """One attempt at ``SET key token NX PX ttl``: True if this owner now holds ``key``."""
    return bool(client.set(key, token, nx=True, px=max(1, int(ttl * 1000))))


def release_lock(client: Any, key: str, token: str) -> bool:
    """Release ``key`` if ``token`` still owns it; False if it had expired (or another owner holds it)."""
    return bool(client.eval(RELEASE_SCRIPT, 1, key, token))
