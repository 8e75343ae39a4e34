"""Token storages: atomic files under concurrent readers and kill -9, 0600, corrupt-file errors, Redis."""

from __future__ import annotations

import json
import os
import signal
import stat
import threading
import time
from pathlib import Path

import pytest
from _support import finish, spawn

from amocrm.errors import ConfigError, TokenStorageError
from amocrm.tokens import FileTokenStorage, MemoryTokenStorage, RedisTokenStorage, Tokens

DOMAIN = "acme.amocrm.ru"


def sample(n: int = 1) -> Tokens:
    return Tokens(
        client_id="cid",
        client_secret=f"secret-{n}-xyz",
        redirect_uri="https://example.test/cb",
        access_token=f"access-{n}-abc",
        refresh_token=f"refresh-{n}-abc",
        expires_at=1_900_000_000.5,
    )


def test_file_roundtrip_mode_and_seed_key_order(tmp_path: Path) -> None:
    storage = FileTokenStorage(tmp_path / "tokens")
    assert storage.load(DOMAIN) is None and not storage.has_tokens(DOMAIN)
    storage.save(DOMAIN, sample())
    path = tmp_path / "tokens" / f"{DOMAIN}.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert text.startswith('{\n    "client_id": "cid",\n    "client_secret"')  # pretty, seed order
    assert list(json.loads(text))[:5] == ["client_id", "client_secret", "redirect_uri", "access_token", "refresh_token"]
    assert storage.load(DOMAIN) == sample() and storage.has_tokens(DOMAIN)
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize("bad", ["../x", "a/b", "..", "", "acme.amocrm.ru/../../etc", "x\x00y", "a b"])
def test_domain_is_validated(tmp_path: Path, bad: str) -> None:
    storage = FileTokenStorage(tmp_path)
    with pytest.raises(ConfigError, match="domain"):
        storage.save(bad, sample())
    with pytest.raises(ConfigError):
        storage.load(bad)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("content", "what"),
    [(b"{not json", "not valid JSON"), (b'{"access_token": 5}', "invalid"), (b"[]", "invalid"), (b"", "not valid JSON")],
)
def test_corrupt_file_raises_naming_it_and_keeps_it(tmp_path: Path, content: bytes, what: str) -> None:
    storage = FileTokenStorage(tmp_path)
    path = tmp_path / f"{DOMAIN}.json"
    path.write_bytes(content)
    with pytest.raises(TokenStorageError, match=what) as info:
        storage.load(DOMAIN)
    assert str(path) in str(info.value)
    assert path.read_bytes() == content  # never deleted or repaired behind the user's back


def test_repr_masks_secrets() -> None:
    text = repr(sample()) + str(sample())
    for secret in ("secret-1-xyz", "access-1-abc", "refresh-1-abc"):
        assert secret not in text
    assert "cid" in text


def test_expires_within() -> None:
    assert not Tokens(access_token="a1234").expires_within(10**9)  # unknown expiry: never "expiring"
    soon = Tokens(access_token="a1234", expires_at=time.time() + 30)
    assert soon.expires_within(60) and not soon.expires_within(10)


def test_reader_never_sees_a_partial_file(tmp_path: Path) -> None:
    storage = FileTokenStorage(tmp_path)
    storage.save(DOMAIN, sample())
    writer = spawn(["save-loop", json.dumps({"folder": str(tmp_path), "domain": DOMAIN, "count": 3000})])
    path = tmp_path / f"{DOMAIN}.json"
    reads = bad = 0
    seen = set()
    while writer.poll() is None:
        data = path.read_bytes()
        reads += 1
        try:
            seen.add(json.loads(data)["expires_at"])
        except ValueError:
            bad += 1
    finish([writer])
    assert bad == 0
    assert reads > 50 and len(seen) > 10  # the reader really overlapped many saves
    loaded = storage.load(DOMAIN)
    assert loaded is not None and loaded.expires_at == 3000


def test_kill_9_mid_write_leaves_a_valid_file(tmp_path: Path) -> None:
    storage = FileTokenStorage(tmp_path)
    for _ in range(3):
        (tmp_path / "started").unlink(missing_ok=True)
        writer = spawn(["save-loop", json.dumps({"folder": str(tmp_path), "domain": DOMAIN, "count": -1})])
        deadline = time.monotonic() + 10
        while not (tmp_path / "started").exists() and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(0.15)  # hundreds of saves in flight
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(5)
        assert writer.returncode == -signal.SIGKILL
        tokens = storage.load(DOMAIN)
        assert tokens is not None and tokens.access_token.startswith("access-")
        assert json.loads((tmp_path / f"{DOMAIN}.json").read_bytes())["refresh_token"].startswith("refresh-")


def test_file_lock_excludes_other_holders(tmp_path: Path) -> None:
    storage = FileTokenStorage(tmp_path, lock_timeout=0.2)
    with storage.lock(DOMAIN):
        with pytest.raises(TokenStorageError, match="still held"):
            with storage.lock(DOMAIN):  # a second open file description: excluded like another process
                pass
    with storage.lock(DOMAIN):  # released
        pass


def test_memory_storage_copies_and_locks_threads() -> None:
    storage = MemoryTokenStorage()
    tokens = sample()
    storage.save(DOMAIN, tokens)
    tokens.access_token = "changed-after-save"
    loaded = storage.load(DOMAIN)
    assert loaded is not None and loaded.access_token == "access-1-abc"
    inside = []
    overlap = []

    def work() -> None:
        with storage.lock(DOMAIN):
            inside.append(1)
            overlap.append(len(inside))
            time.sleep(0.005)
            inside.pop()

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlap == [1] * 8


@pytest.mark.redis
def test_redis_storage_roundtrip_lock_and_corruption(redis_server: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_server)
    storage = RedisTokenStorage(client, prefix="t1:")
    assert storage.load(DOMAIN) is None and not storage.has_tokens(DOMAIN)
    storage.save(DOMAIN, sample())
    assert storage.load(DOMAIN) == sample() and storage.has_tokens(DOMAIN)
    other = RedisTokenStorage(redis_server, prefix="t1:", lock_timeout=0.2)
    with storage.lock(DOMAIN):
        with pytest.raises(TokenStorageError, match="still held"):
            with other.lock(DOMAIN):
                pass
    with other.lock(DOMAIN):
        pass
    client.set("t1:" + DOMAIN, b"{broken")
    with pytest.raises(TokenStorageError, match=f"t1:{DOMAIN}"):
        storage.load(DOMAIN)
    with pytest.raises(ConfigError):
        storage.load("../x")


def test_redis_down_is_a_storage_error() -> None:
    pytest.importorskip("redis")
    storage = RedisTokenStorage("redis://127.0.0.1:1/0")  # nothing listens on port 1
    with pytest.raises(TokenStorageError, match="Redis read"):
        storage.load(DOMAIN)
