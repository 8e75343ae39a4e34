"""A minimal amoCRM webhook receiver on the standard library's WSGI server.

    python examples/webhook_wsgi.py --port 0      # prints the URL it listens on

POST bodies are decoded with :func:`amocrm.webhooks.parse_webhook`. A good delivery gets 200; a
malformed one gets 400 with the reason (amoCRM retries anything outside 100-299, so a handler
failure answers 500 to get the delivery again). Each event is logged and passed to ``on_event``.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import make_server

from amocrm.webhooks import MAX_BYTES, WebhookError, WebhookEvent, WebhookPayload, parse_webhook

log = logging.getLogger("amocrm.webhooks.example")

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
EventHandler = Callable[[WebhookEvent, WebhookPayload], None]


def _reply(start_response: StartResponse, status: str, text: str) -> list[bytes]:
    body = (text + "\n").encode("utf-8")
    start_response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    )
    return [body]


def make_app(on_event: EventHandler | None = None, *, max_bytes: int = MAX_BYTES) -> WSGIApp:
    """A WSGI app that parses webhook POSTs and calls ``on_event(event, payload)`` for each event."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return _reply(start_response, "405 Method Not Allowed", "POST only")
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return _reply(start_response, "411 Length Required", "Content-Length required")
        if length < 0 or length > max_bytes:
            return _reply(start_response, "413 Content Too Large", f"body over {max_bytes} bytes")
        body = environ["wsgi.input"].read(length) if length else b""
        try:
            payload = parse_webhook(body, content_type=environ.get("CONTENT_TYPE"), max_bytes=max_bytes)
        except WebhookError as exc:
            log.warning("rejected webhook: %s", exc)
            return _reply(start_response, "400 Bad Request", str(exc))
        for event in payload.events:
            log.info("%s: %s %s id=%d", payload.account.subdomain, event.entity, event.action, event.id)
            if on_event is not None:
                try:
                    on_event(event, payload)
                except Exception:
                    log.exception("handler failed on %s", event.path)
                    return _reply(start_response, "500 Internal Server Error", "handler failed")
        return _reply(start_response, "200 OK", f"ok {len(payload.events)}")

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    with make_server(args.host, args.port, make_app()) as server:
        print(f"listening on http://{args.host}:{server.server_port}/", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
