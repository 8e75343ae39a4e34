"""One worker of test_entity_lock: adds 100 to a lead's price N times, each a locked read-modify-write."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from amocrm import AmoClient, FileLocker, LongLivedToken


def main() -> None:
    args = json.loads(sys.argv[1])
    client = AmoClient(args["subdomain"], base_url=args["base_url"], auth=LongLivedToken(args["token"]),
                       throttle=None, locker=FileLocker(args["locks"], attempts=200, wait=0.05))
    sync = Path(args["sync"])
    (sync / f"ready-{args['worker']}").touch()
    while not (sync / "go").exists():
        time.sleep(0.005)
    for _ in range(args["n"]):
        with client.lock("lead", args["lead_id"]):
            lead = client.v4.leads.get(args["lead_id"])
            time.sleep(0.002)  # widen the window a lost update would need
            lead.price = (lead.price or 0) + 100
            client.v4.leads.save(lead)
    print(json.dumps({"done": args["n"]}))


if __name__ == "__main__":
    main()
