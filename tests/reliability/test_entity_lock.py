"""``client.lock(kind, id)``: a read-modify-write of one field by several processes loses no update.

API v4 applies whatever an update carries (no ``updated_at`` precondition), so two workers that both
read a price of 100 and both write 200 lose one increment. Partial updates protect *different*
fields; for the same field the entity lock serialises the read and the write. The lock is the one
``save()`` takes for single-object updates, re-entrant within the thread that holds it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from amocrm import FileLocker, NoLocker
from amocrm.errors import ConfigError, LockError
from amocrm.sandbox import SEED, Sandbox
from amocrm.testing import client_for
from amocrm.v4.models import Lead

HERE = Path(__file__).resolve().parent
SRC = HERE.parents[1] / "src"
WORKERS, PER_WORKER = 4, 10


def test_four_processes_increment_one_price_without_losing_an_update(tmp_path: Path) -> None:
    locks, sync = tmp_path / "locks", tmp_path / "sync"
    sync.mkdir()
    with Sandbox(rate_limit=None) as sb:
        client = client_for(sb, auth="token")
        lead = Lead(name="counter", price=0)
        client.v4.leads.save(lead)
        assert isinstance(lead.id, int)
        args = {"subdomain": sb.subdomain, "base_url": sb.base_url, "token": sb.issue_long_lived_token(),
                "locks": str(locks), "sync": str(sync), "n": PER_WORKER, "lead_id": lead.id}
        env = dict(os.environ, PYTHONPATH=str(SRC))
        procs = [subprocess.Popen([sys.executable, str(HERE / "_rmw_worker.py"), json.dumps({**args, "worker": i})],
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for i in range(WORKERS)]
        deadline = time.monotonic() + 30
        while len(list(sync.glob("ready-*"))) < WORKERS:
            for p in procs:
                assert p.poll() is None, p.communicate()[1].decode()[-3000:]
            assert time.monotonic() < deadline, "workers did not start"
            time.sleep(0.01)
        (sync / "go").touch()
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err.decode()[-3000:]
        assert client.v4.leads.get(lead.id).price == WORKERS * PER_WORKER * 100


def test_saves_inside_the_block_reuse_the_lock(tmp_path: Path) -> None:
    with Sandbox(rate_limit=None) as sb:
        client = client_for(sb)
        client.locker = FileLocker(tmp_path, attempts=1, wait=0.01)  # a second take would fail at once
        with client.lock("lead", SEED.LEAD_FIRST):
            lead = client.v4.leads.get(SEED.LEAD_FIRST)
            lead.price = 4242
            client.v4.leads.save(lead)  # the update takes "lead" SEED.LEAD_FIRST: reused, not re-taken
            other = client_for(sb)
            other.locker = FileLocker(tmp_path, attempts=1, wait=0.01)
            with pytest.raises(LockError), other.lock("lead", SEED.LEAD_FIRST):
                pass  # another client (another worker) cannot take it meanwhile
        with other.lock("lead", SEED.LEAD_FIRST):  # released at the end of the block
            pass
        assert client.v4.leads.get(SEED.LEAD_FIRST).price == 4242
        client.locker = NoLocker()
        with client.lock("lead", 1):  # locks nothing, raises nothing
            pass


@pytest.mark.parametrize(("kind", "ident"), [("Lead!", 1), ("", 1), ("lead", 0), ("lead", "1"), ("lead", True)])
def test_bad_lock_arguments_are_refused(kind: object, ident: object) -> None:
    with Sandbox(rate_limit=None) as sb:
        client = client_for(sb)
        with pytest.raises(ConfigError, match="lock"), client.lock(kind, ident):  # type: ignore[arg-type]
            pass
