"""Webhook delivery: one background thread POSTs queued bodies to subscribers and records every attempt.

The API thread only calls :meth:`Deliverer.submit`, which never blocks: when the bounded queue is
full the delivery is recorded as dropped. A slow or dead subscriber costs at most ``timeout``
seconds of the delivery thread per POST, never an API answer. Failures are recorded, never raised.
amoCRM's retry schedule (+5 min, +15 min, ...) is not emulated: each delivery is tried once.
"""

from __future__ import annotations

import collections
import http.client
import queue
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = ["Deliverer", "DELIVERY_TIMEOUT", "QUEUE_SIZE", "RECORD_LIMIT"]

DELIVERY_TIMEOUT = 3.0
QUEUE_SIZE = 1000
RECORD_LIMIT = 10000
_USER_AGENT = "amoCRM-Webhooks/2.0 (amocrm.sandbox)"


@dataclass(frozen=True)
class _Job:
    url: str
    event: str
    body: bytes
    generation: int


class Deliverer:
    """Queue + worker thread + attempt records. Thread-safe; the thread starts on the first submit."""

    def __init__(self, timeout: float = DELIVERY_TIMEOUT, queue_size: int = QUEUE_SIZE) -> None:
        self.timeout = timeout
        self._queue: queue.Queue[_Job | None] = queue.Queue(maxsize=queue_size)
        self._lock = threading.Lock()
        self._records: collections.deque[dict[str, Any]] = collections.deque(maxlen=RECORD_LIMIT)
        self._generation = 0
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def running(self) -> bool:
        """Whether the delivery thread is alive."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    # -- API side ------------------------------------------------------------------------------
    def submit(self, url: str, event: str, body: bytes) -> None:
        """Queue one POST; never blocks. A full queue or a closed deliverer records the drop."""
        with self._lock:
            job = _Job(url, event, body, self._generation)
            if self._closed:
                self._record_locked(job, None, "deliverer stopped", 0.0)
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="amocrm-sandbox-webhooks", daemon=True)
                self._thread.start()
            try:
                self._queue.put_nowait(job)
            except queue.Full:
                self._record_locked(job, None, f"delivery queue full ({self._queue.maxsize} pending): dropped", 0.0)

    def records(self) -> list[dict[str, Any]]:
        """Every attempt so far, oldest first (copies)."""
        with self._lock:
            return [dict(r) for r in self._records]

    def clear(self) -> None:
        """Forget records and pending jobs; a POST in flight is not recorded afterwards."""
        with self._lock:
            self._generation += 1
            self._records.clear()
            self._drain()

    def close(self, timeout: float | None = None) -> None:
        """Stop the thread: pending jobs are dropped, a POST in flight may finish (bounded by ``timeout``)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._drain()
            thread = self._thread
            if thread is not None:
                self._queue.put_nowait(None)
        if thread is not None:
            thread.join(self.timeout + 2.0 if timeout is None else timeout)

    def _drain(self) -> None:
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return

    def _record_locked(self, job: _Job, status: int | None, error: str | None, started: float,
                       duration_ms: float = 0.0) -> None:
        self._records.append({"time": started or time.time(), "url": job.url, "event": job.event,
                              "status": status, "ok": status is not None and 100 <= status <= 299,
                              "error": error, "body_size": len(job.body), "duration_ms": round(duration_ms, 3)})

    # -- delivery thread -------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            started, t0 = time.time(), time.perf_counter()
            status, error = self._post(job)
            with self._lock:
                if job.generation == self._generation:
                    self._record_locked(job, status, error, started, (time.perf_counter() - t0) * 1000.0)

    def _post(self, job: _Job) -> tuple[int | None, str | None]:
        """One POST; (status, None) on any HTTP answer, (None, reason) when there was none."""
        try:
            parts = urlsplit(job.url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                return None, f"not an http(s) URL: {job.url!r}"
            conn: http.client.HTTPConnection
            if parts.scheme == "https":
                conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=self.timeout,
                                                   context=ssl.create_default_context())
            else:
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=self.timeout)
            try:
                target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
                conn.request("POST", target, body=job.body, headers={
                    "Content-Type": "application/x-www-form-urlencoded", "User-Agent": _USER_AGENT})
                resp = conn.getresponse()
                resp.read(65536)
                return resp.status, None
            finally:
                conn.close()
        except Exception as exc:  # a subscriber can never break the sandbox
            return None, f"{type(exc).__name__}: {exc}"
