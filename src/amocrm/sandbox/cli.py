"""Command line: ``python -m amocrm.sandbox [--port 0] [--tls] ...``; prints one JSON line, serves until a signal."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from .options import FaultSettings, SandboxOptions

__all__ = ["main", "parse_args", "options_to_argv"]


def _rate(text: str) -> float | None:
    if text.lower() in ("off", "none", "0"):
        return None
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("rate limit must be > 0 or 'off'")
    return value


def _opt_float(text: str) -> float | None:
    return None if text.lower() in ("off", "none") else float(text)


def _opt_int(text: str) -> int | None:
    return None if text.lower() in ("off", "none") else int(text)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m amocrm.sandbox", description="Local amoCRM account emulator (API v2 and v4)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--tls", action="store_true", help="HTTPS with a throw-away CA (needs amocrm[sandbox])")
    p.add_argument("--subdomain", default="sandbox")
    p.add_argument("--redirect-uri", default="https://example.com/amocrm/oauth",
                   help="the integration's redirect URI (where the consent step sends the browser)")
    p.add_argument("--token-lifetime", type=float, default=86400.0)
    p.add_argument("--code-lifetime", type=float, default=1200.0)
    p.add_argument("--session-lifetime", type=float, default=900.0)
    p.add_argument("--rate-limit", type=_rate, default=7.0, help="requests/s, or 'off'")
    p.add_argument("--block-after", type=int, default=100, help="consecutive 429s before a 403 block")
    p.add_argument("--block-seconds", type=float, default=10.0)
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.add_argument("--latency-jitter-ms", type=float, default=0.0)
    p.add_argument("--batch-504-above", type=_opt_int, default=None)
    p.add_argument("--max-body-bytes", type=int, default=2 * 1024 * 1024)
    p.add_argument("--read-timeout", type=float, default=10.0)
    p.add_argument("--empty-as-object", action="store_true", help="emit {} for empty tags/custom_fields")
    p.add_argument("--seed", dest="seed", action="store_true", default=True)
    p.add_argument("--no-seed", dest="seed", action="store_false")
    p.add_argument("--no-webhook-delivery", dest="deliver_webhooks", action="store_false", default=True,
                   help="record webhook subscriptions but never POST to subscribers")
    p.add_argument("--request-deadline", type=_opt_float, default=30.0,
                   help="seconds a client may take to send one whole request, or 'off'")
    p.add_argument("--max-connections", type=int, default=256, help="connections served at once")
    p.add_argument("--platform", choices=("amocrm", "kommo"), default="amocrm")
    p.add_argument("--v4-over-limit", choices=("clamp", "error"), default="clamp",
                   help="API v4 limit above the cap: clamp it, or answer 400")
    p.add_argument("--v4-partial-batches", dest="v4_atomic_batches", action="store_false", default=True,
                   help="API v4 batch writes apply their valid items even when others fail validation")
    p.add_argument("--v4-cf-create", choices=("embedded", "object"), default="embedded",
                   help="custom field create answers 200 _embedded.custom_fields, or 201 with the bare field")
    p.add_argument("--v4-loss-reason", choices=("object", "array"), default="object",
                   help="shape of a lead's _embedded.loss_reason")
    p.add_argument("--v4-events-max-limit", type=int, default=100, help="largest limit of /api/v4/events")
    p.add_argument("--duplicate-control", action="store_true", default=False,
                   help="leads/complex merges a lead into an open one whose contact shares a phone or e-mail")
    p.add_argument("--v4-unsorted-chats", action="store_true", default=False,
                   help="POST /api/v4/leads/unsorted/chats adds incoming chats (the docs say only forms and sip)")
    p.add_argument("--customers-mode", choices=("unavailable", "disabled", "segments", "periodicity"),
                   default="segments")
    p.add_argument("--no-bonus-points", dest="bonus_points", action="store_false", default=True,
                   help="the loyalty program (customers' bonus points) is off")
    p.add_argument("--faults", default=None, help='JSON object of fault settings, e.g. {"error_rate":0.1,"seed":1}')
    return p


def parse_args(argv: Sequence[str] | None = None) -> SandboxOptions:
    parser = build_parser()
    ns = parser.parse_args(argv)
    try:
        return options_from(ns)
    except (ValueError, TypeError) as exc:
        parser.error(str(exc))


def options_from(ns: argparse.Namespace) -> SandboxOptions:
    """The options of parsed arguments; ``ValueError`` (or ``TypeError``) names a bad one."""
    kwargs: dict[str, Any] = {k: v for k, v in vars(ns).items() if k != "faults"}
    if ns.faults:
        try:
            kwargs["faults"] = FaultSettings.from_mapping(json.loads(ns.faults))
        except (ValueError, TypeError) as exc:
            raise ValueError(f"--faults: {exc}") from None
    return SandboxOptions.from_kwargs(**kwargs)


def options_to_argv(o: SandboxOptions) -> list[str]:
    argv = ["--host", o.host, "--port", str(o.port), "--subdomain", o.subdomain, "--redirect-uri", o.redirect_uri,
            "--token-lifetime", repr(o.token_lifetime), "--code-lifetime", repr(o.code_lifetime),
            "--session-lifetime", repr(o.session_lifetime),
            "--rate-limit", "off" if o.rate_limit is None else repr(o.rate_limit),
            "--block-after", str(o.block_after), "--block-seconds", repr(o.block_seconds),
            "--max-body-bytes", str(o.max_body_bytes), "--read-timeout", repr(o.read_timeout),
            "--request-deadline", "off" if o.request_deadline is None else repr(o.request_deadline),
            "--max-connections", str(o.max_connections), "--platform", o.platform,
            "--v4-over-limit", o.v4_over_limit, "--v4-cf-create", o.v4_cf_create,
            "--v4-loss-reason", o.v4_loss_reason, "--v4-events-max-limit", str(o.v4_events_max_limit),
            "--customers-mode", o.customers_mode]
    if not o.v4_atomic_batches:
        argv.append("--v4-partial-batches")
    if not o.bonus_points:
        argv.append("--no-bonus-points")
    if o.duplicate_control:
        argv.append("--duplicate-control")
    if o.v4_unsorted_chats:
        argv.append("--v4-unsorted-chats")
    if o.tls:
        argv.append("--tls")
    if o.batch_504_above is not None:
        argv += ["--batch-504-above", str(o.batch_504_above)]
    if o.empty_as_object:
        argv.append("--empty-as-object")
    if not o.seed:
        argv.append("--no-seed")
    if not o.deliver_webhooks:
        argv.append("--no-webhook-delivery")
    if o.faults != FaultSettings():
        argv += ["--faults", json.dumps(o.faults.to_dict())]
    return argv


def main(argv: Sequence[str] | None = None) -> int:
    serve(parse_args(argv))
    return 0


def serve(options: SandboxOptions) -> None:
    """Start a sandbox, print its info as one JSON line, serve until SIGINT/SIGTERM, stop it."""
    from .app import Sandbox

    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    sandbox = Sandbox(**{f: getattr(options, f) for f in options.__dataclass_fields__})
    sandbox.start()
    try:
        sys.stdout.write(json.dumps(sandbox.info()) + "\n")
        sys.stdout.flush()
        sandbox.serve_until(stop)
    finally:
        sandbox.stop()
