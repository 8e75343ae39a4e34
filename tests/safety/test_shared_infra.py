"""One implementation of each shared piece (Redis release script, lock polling, Redis client factory),
the package importing where ``fcntl`` is missing, and the machine-wide default throttle in real processes.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from amocrm import _poll, _redisutil
from amocrm.errors import ConfigError

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "amocrm"
HERE = Path(__file__).resolve().parent

# -- one implementation each -----------------------------------------------------------------------


def _sources() -> dict[str, str]:
    skip = {"sandbox", "_generated", "models", "facade"}
    return {
        str(p.relative_to(PACKAGE)): p.read_text("utf-8")
        for p in PACKAGE.rglob("*.py")
        if not (set(p.relative_to(PACKAGE).parts) & skip)
    }


def test_the_release_script_the_poll_loop_and_the_redis_factory_exist_once() -> None:
    sources = _sources()
    release = [name for name, text in sources.items() if "redis.call('GET', KEYS[1]) == ARGV[1]" in text]
    assert release == ["_redisutil.py"]
    factories = [name for name, text in sources.items() if "def redis_client(" in text]
    assert factories == ["_redisutil.py"]
    flocks = sorted(name for name, text in sources.items() if "fcntl.flock(" in text)
    assert flocks == ["_fs.py", "_logging.py"]  # _logging: the debug log file's append lock
    assert sorted(name for name, text in sources.items() if "fcntl.LOCK_NB" in text) == ["_fs.py"]
    # the polling loops of the token storages and the entity lockers are _poll.poll_until
    assert [name for name in ("tokens.py", "locking.py") if "time.sleep(" in sources[name]] == []
    import amocrm.locking
    import amocrm.throttle
    import amocrm.tokens

    assert amocrm.tokens.redis_client is amocrm.locking.redis_client is _redisutil.redis_client
    assert amocrm.throttle.redis_client is _redisutil.redis_client


def test_no_module_imports_fcntl_at_import_time() -> None:
    offenders = []
    for name, text in _sources().items():
        for node in ast.parse(text).body:  # module level only
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            if "fcntl" in names:
                offenders.append(name)
    assert offenders == []


_SHIM = r"""
import json, sys, tempfile
sys.modules["fcntl"] = None  # what Windows looks like: `import fcntl` raises ImportError
import amocrm
from amocrm import AmoClient, FileLocker, FileThrottle, FileTokenStorage, LongLivedToken, OAuth2
import amocrm.client, amocrm.tokens, amocrm.locking, amocrm.throttle, amocrm.auth, amocrm._logging, amocrm._fs
from amocrm.errors import ConfigError
from amocrm.tokens import MemoryTokenStorage, Tokens

out = {}
client = AmoClient("acme", auth=LongLivedToken("long-lived-token-1"), throttle=None)
out["client"] = client.domain
storage = MemoryTokenStorage()
storage.save("acme.amocrm.ru", Tokens(access_token="access-1234"))
with storage.lock("acme.amocrm.ru"):
    out["memory"] = storage.load("acme.amocrm.ru").access_token
folder = sys.argv[1]
for name, use in (
    ("locker", lambda: FileLocker(folder).lock("acme.amocrm.ru/lead/1").__enter__()),
    ("throttle", lambda: FileThrottle(7, folder + "/t.json").acquire("k")),
    ("tokens", lambda: FileTokenStorage(folder + "/tokens").lock("acme.amocrm.ru").__enter__()),
):
    try:
        use()
        out[name] = "no error"
    except ConfigError as exc:
        out[name] = str(exc)
print(json.dumps(out))
"""


def test_the_package_imports_and_works_without_fcntl(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(SRC))
    proc = subprocess.run([sys.executable, "-c", _SHIM, str(tmp_path)], env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["client"] == "acme.amocrm.ru" and out["memory"] == "access-1234"
    for name in ("locker", "throttle", "tokens"):  # file locks need flock: a clear, typed error
        assert "fcntl.flock" in out[name] and "Redis" in out[name], out


def test_poll_until_gives_up_in_time_and_calls_at_least_twice() -> None:
    calls: list[float] = []

    def never() -> bool:
        calls.append(time.monotonic())
        return False

    started = time.monotonic()
    assert _poll.poll_until(never, 0.05) is False
    assert 0.05 <= time.monotonic() - started < 1.0 and len(calls) >= 2
    assert _poll.poll_until(lambda: True, 0) is True


@pytest.mark.parametrize("bad", [None, "", 5, object()])
def test_redis_client_factory_refuses_what_is_not_a_client(bad: object) -> None:
    with pytest.raises(ConfigError, match="Redis"):
        _redisutil.redis_client(bad, what="the Redis client or URL")


@pytest.mark.redis
def test_one_release_script_serves_lockers_and_token_storage(redis_server: str) -> None:
    import redis

    from amocrm.locking import RedisLocker
    from amocrm.tokens import RedisTokenStorage

    client = redis.Redis.from_url(redis_server)
    assert _redisutil.try_lock(client, "infra:k", "owner-a", 5.0)
    assert not _redisutil.try_lock(client, "infra:k", "owner-b", 5.0)
    assert not _redisutil.release_lock(client, "infra:k", "owner-b")  # not the owner: nothing deleted
    assert client.get("infra:k") == b"owner-a"
    assert _redisutil.release_lock(client, "infra:k", "owner-a") and client.get("infra:k") is None
    with RedisLocker(client, prefix="infra:lock:").lock("acme.amocrm.ru/lead/1"):
        assert client.exists("infra:lock:acme.amocrm.ru/lead/1")
    assert not client.exists("infra:lock:acme.amocrm.ru/lead/1")
    with RedisTokenStorage(client, prefix="infra:tok:").lock("acme.amocrm.ru"):
        assert client.exists("infra:tok:acme.amocrm.ru:lock")
    assert not client.exists("infra:tok:acme.amocrm.ru:lock")


# -- the machine-wide default throttle ------------------------------------------------------------


def _spawn(args: dict[str, object], tmpdir: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), str(HERE)]), TMPDIR=str(tmpdir))
    return subprocess.Popen([sys.executable, str(HERE / "_worker.py"), "default-throttle", json.dumps(args)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_default_throttle_is_shared_by_all_processes_of_the_user(private_tmp: Path, tmp_path: Path) -> None:
    rate, workers, n = 25.0, 4, 5
    sync = tmp_path / "sync"
    sync.mkdir()
    procs = [_spawn({"rate": rate, "n": n, "key": "acme.amocrm.ru", "sync": str(sync)}, private_tmp)
             for _ in range(workers)]
    deadline = time.monotonic() + 30
    while len(list(sync.glob("ready-*"))) < workers:
        for p in procs:
            assert p.poll() is None, p.stderr.read().decode() if p.stderr else ""
        assert time.monotonic() < deadline, "workers did not start"
        time.sleep(0.005)
    t0 = time.time()  # every slot is reserved after this
    (sync / "go").touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err.decode()
        results.append(json.loads(out.decode().strip().splitlines()[-1]))
    expected = private_tmp / f"amocrm-{os.geteuid()}" / "throttle" / "throttle.json"
    assert {r["path"] for r in results} == {str(expected)}  # every process found the same default file
    starts = sorted(t for r in results for t in r["starts"])
    assert len(starts) == workers * n
    # Together the processes stay within the rate: the j-th start (in time order) is never before
    # t0 + j/rate. Slots are 1/rate apart from the first (which is after t0), and every start is recorded
    # after its slot, so a late wake-up or a late recording cannot make this fail; a burst would.
    for j, start in enumerate(starts):
        assert start >= t0 + j / rate - 0.002, (j, start - t0)
