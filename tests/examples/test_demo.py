"""``make demo`` (examples/demo.py) runs end to end against its own bundled sandbox: API v4 first, as the
default version (``client.leads``), then API v2 through ``client.v2``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_demo_walks_through_v4_then_v2() -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "demo.py")], env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    out = proc.stdout
    assert proc.stderr == "" and out.rstrip().endswith("done"), proc.stderr
    steps = [line[3:] for line in out.splitlines() if line.startswith("== ")]
    v4 = [i for i, s in enumerate(steps) if s.startswith("API v4 (default)")]
    v2 = [i for i, s in enumerate(steps) if s.startswith("API v2")]
    assert len(v4) == 4 and len(v2) == 3 and max(v4) < min(v2), steps
    assert "read back: 'Иван Иванов', phones ['+79990001122'], e-mails ['ivan@example.com']" in out
    assert "price 175000, tags ['vip', 'demo']" in out
    assert "custom fields: text 'из демо', select 'Option 2'" in out
    assert "renamed: 'Поставка (подписано)'" in out
    assert re.search(r"saved 600 leads in chunks of 250 .*; first id \d+", out)
    assert "603 leads, 250 a page" in out
    events = re.findall(r"^  (\w+) \(lead #\d+\)$", out, re.M)
    assert events[-1] == "lead_added" and "sale_field_changed" in events and "name_field_changed" in events
    assert "sale 175000, text field 'из демо'" in out  # the v4 lead read through client.v2
    assert "ConflictError: " in out and "older than in database" in out
    assert re.search(r"requests \d+, 429s 0, code exchanges 1", out)
