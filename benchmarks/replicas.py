"""Two ``kiosk-server serve`` processes on one database, terminals failing over between them.

Used by ``tests/server/test_replica_kills.py`` and ``benchmarks.server_scale``:

- :class:`Replica`: one real ``serve`` process on a 127.0.0.1 port; ``kill()`` is SIGKILL,
  ``start()`` waits until ``GET /api/v1/health`` says 200 (``launch()`` then ``wait_ready()``
  start several at once). :class:`ForkedReplica`: the same, forked from a
  :class:`ReplicaForker` that imported the server once, so a restart takes a fraction of a
  cold start (the kill is the same SIGKILL of a serve process).
- :class:`FailoverTerminal`: the kiosk's own :class:`kiosk.sync.client.SyncClient` with both
  URLs (failover on a refused connection, back to the first after ``failback_s``); it keeps
  every punch until a verdict for it arrives, and resends a batch whose answer was lost,
  as the outbox does.
- :func:`run_kills`: terminals upload while one replica is killed and restarted N times;
  then the table is compared with what the terminals created: ``lost``, ``duplicates``
  (a second row for an event id or a sequence number) and ``gaps`` must all be 0.
- :func:`replays_accepted`: signed requests answered by one replica, replayed to the other.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import requests

from benchmarks.forkserver import ForkServerPipe
from kiosk.core.clock import SystemClock
from kiosk.core.protocol import API_PREFIX, Punch, sign_request
from kiosk.sync.client import SyncClient, SyncError
from kiosk.sync.clock_offset import ClockOffset

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Replica:
    """One ``kiosk-server serve`` process for ``data`` on a fixed port."""

    def __init__(self, data: Path, port: int | None = None, workers: int = 1) -> None:
        self.data = data
        self.port = port or free_port()
        self.workers = workers
        self.proc: subprocess.Popen[bytes] | None = None
        self.kills = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 60.0) -> None:
        self.launch()
        self.wait_ready(timeout_s)

    def serve_args(self) -> list[str]:
        return ["serve", "--data", str(self.data), "--port", str(self.port),
                "--log-level", "error", "--workers", str(self.workers)]

    def launch(self) -> None:
        """Start the process; returns at once (it takes seconds to import and bind)."""
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "server_stub.cli", *self.serve_args()],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def exited(self) -> str | None:
        """None while the process runs; else what it said on its way out."""
        if self.proc is None:
            return "not started"
        if self.proc.poll() is None:
            return None
        return self.proc.stderr.read().decode(errors="replace")[-500:] if self.proc.stderr else ""

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        """Until ``/health`` says 200. Refused connections are answered at once, so the
        poll is tight: the replica counts as back the moment it is."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            err = self.exited()
            if err is not None:
                raise RuntimeError(f"replica on {self.port} exited: {err}")
            try:
                if requests.get(self.url + API_PREFIX + "/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"replica on {self.port} did not become healthy in {timeout_s:g} s")

    def kill(self) -> None:
        """SIGKILL: no shutdown, answers in flight are lost (its children too)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
            self.kills += 1
        self._close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._close()

    def _close(self) -> None:
        if self.proc is not None and self.proc.stderr is not None:
            self.proc.stderr.close()
        self.proc = None


class ReplicaForker(ForkServerPipe):
    """One ``python -m benchmarks.forkserver`` process (see there); ``fork(argv)`` starts a
    ``kiosk-server`` child and returns its pid. Its children's stderr goes to ``log``."""

    def __init__(self, log: Path) -> None:
        self._log = log.open("ab")
        super().__init__(stderr=self._log)

    def fork(self, argv: list[str]) -> int:
        self._send(argv)
        return int(self._line(60))

    def close(self) -> None:
        super().close()
        self._log.close()


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


class ForkedReplica(Replica):
    """A :class:`Replica` whose process is forked by ``forker`` (one worker process)."""

    def __init__(self, data: Path, forker: ReplicaForker, port: int | None = None) -> None:
        super().__init__(data, port)
        self.forker = forker
        self.pid: int | None = None

    def launch(self) -> None:
        self.pid = self.forker.fork(self.serve_args())

    def exited(self) -> str | None:
        if self.pid is None:
            return "not started"
        return "(its stderr is in the fork server's log)" if _gone(self.pid) else None

    def kill(self) -> None:
        if self.pid is not None and not _gone(self.pid):
            os.kill(self.pid, signal.SIGKILL)
            self._wait_gone(10)
            self.kills += 1
        self.pid = None

    def stop(self) -> None:
        if self.pid is not None and not _gone(self.pid):
            os.kill(self.pid, signal.SIGTERM)
            if not self._wait_gone(10):
                os.kill(self.pid, signal.SIGKILL)
                self._wait_gone(10)
        self.pid = None

    def _wait_gone(self, timeout_s: float) -> bool:
        assert self.pid is not None
        deadline = time.monotonic() + timeout_s
        while not _gone(self.pid):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True


class FailoverTerminal(threading.Thread):
    """A terminal uploading up to ``total`` punches in batches (until stopped or the
    deadline), keeping each batch until it has a verdict for it. ``pause_s``: the wait
    after an acknowledged batch (0: a closed loop, as fast as the servers answer; a real
    door sends when people punch, and a test leaves the cores to the replica restarting)."""

    def __init__(self, urls: list[str], terminal_id: str, secret: str, tokens: list[str],
                 total: int, batch: int, deadline: float, failback_s: float = 0.5,
                 pause_s: float = 0.0) -> None:
        super().__init__(daemon=True, name=f"terminal-{terminal_id}")
        clock = SystemClock()
        self.client = SyncClient(urls, terminal_id, secret, clock, ClockOffset(clock, 0.0),
                                 connect_timeout_s=2.0, read_timeout_s=10.0,
                                 failback_s=failback_s)
        self.terminal_id = terminal_id
        self.tokens = tokens
        self.total, self.batch, self.deadline = total, batch, deadline
        self.pause_s = pause_s
        self.created: list[str] = []  # event ids, in seq order
        self.acknowledged = 0
        self.resent = 0  # batches sent again after no answer (same event ids)
        self.duplicates_answered = 0  # a batch stored before its answer was lost
        self.failed_over = 0  # batches answered by a URL other than the first
        self.error: str | None = None
        self.stop_event = threading.Event()  # set: send what is pending, then stop

    def _punch(self) -> Punch:
        seq = len(self.created) + 1
        event_id = uuid.uuid4()
        self.created.append(str(event_id))
        return Punch(event_id=event_id, terminal_id=self.terminal_id, seq=seq,
                     badge=self.tokens[seq % len(self.tokens)],
                     wall_time=datetime.now(timezone.utc), clock_offset_s=0.0,
                     source="camera", app_version="replicas")

    def run(self) -> None:
        pending: list[Punch] = []
        try:
            while time.monotonic() < self.deadline:
                if not pending:
                    if len(self.created) >= self.total or self.stop_event.is_set():
                        return
                    n = min(self.batch, self.total - len(self.created))
                    pending = [self._punch() for _ in range(n)]
                try:
                    result = self.client.send_batch(pending)
                except SyncError:
                    self.resent += 1
                    time.sleep(0.05)  # both down for a moment: the outbox would back off
                    continue
                self.failed_over += self.client.last_url != self.client.urls[0]
                done = {str(v.event_id) for v in result.results}
                self.duplicates_answered += sum(1 for v in result.results if v.duplicate)
                if done != {str(p.event_id) for p in pending}:
                    raise RuntimeError("the answer does not cover the batch")
                self.acknowledged += len(pending)
                pending = []
                if self.pause_s:
                    self.stop_event.wait(self.pause_s)
            if pending:
                self.error = "deadline reached before every punch was acknowledged"
        except Exception as exc:  # noqa: BLE001 - reported by the caller
            self.error = repr(exc)


def verify(terminals: list[FailoverTerminal], rows: list[tuple[str, str, int]]) -> dict[str, int]:
    """``rows``: (event_id, terminal_id, seq) of every stored punch."""
    ids = Counter(r[0] for r in rows)
    per_seq = Counter((r[1], r[2]) for r in rows)
    created = {e for t in terminals for e in t.created}
    gaps = 0
    for t in terminals:
        seqs = {s for (tid, s) in per_seq if tid == t.terminal_id}
        gaps += sum(1 for s in range(1, max(seqs, default=0) + 1) if s not in seqs)
    return {
        "created": len(created),
        "stored": len(ids),
        "lost": len(created - set(ids)),
        "duplicates": sum(n - 1 for n in ids.values()) + sum(n - 1 for n in per_seq.values()),
        "gaps": gaps,
        "unexpected": len(set(ids) - created),
    }


def stored_rows(engine: Any, terminal_ids: list[str]) -> list[tuple[str, str, int]]:
    from sqlalchemy import select

    from server_stub import db

    p = db.punches.c
    with engine.connect() as conn:
        return [(r[0], r[1], int(r[2])) for r in conn.execute(
            select(p.event_id, p.terminal_id, p.seq).where(p.terminal_id.in_(terminal_ids)))]


def run_kills(victim: Replica, terminals: list[FailoverTerminal], kills: int,
              down_s: float = 0.3, deadline: float | None = None) -> int:
    """Start the terminals, SIGKILL and restart ``victim`` ``kills`` times while they upload
    (each kill after at least two more batches were acknowledged), then let the terminals
    send what they hold and stop; returns the kills done."""
    for t in terminals:
        t.start()
    deadline = deadline or min(t.deadline for t in terminals)
    done = 0
    try:
        for _ in range(kills):
            before = sum(t.acknowledged for t in terminals)
            while time.monotonic() < deadline and any(t.is_alive() for t in terminals) and \
                    sum(t.acknowledged for t in terminals) < before + 2 * terminals[0].batch:
                time.sleep(0.02)
            if time.monotonic() >= deadline or not any(t.is_alive() for t in terminals):
                break
            victim.kill()
            done += 1
            time.sleep(down_s)
            victim.start()
    finally:
        for t in terminals:
            t.stop_event.set()
        for t in terminals:
            t.join(max(0.0, (deadline or time.monotonic()) - time.monotonic()) + 30)
    return done


def enrol(url: str, code: str) -> tuple[str, str]:
    r = requests.post(url + API_PREFIX + "/enroll", json={"code": code, "app_version": "r"},
                      timeout=30)
    r.raise_for_status()
    body = r.json()
    return body["terminal_id"], body["secret"]


def replays_accepted(a: str, b: str, terminal_id: str, secret: str, token: str,
                     tries: int = 10) -> int:
    """Signed requests answered 200 by ``a`` and replayed byte for byte to ``b``: how many
    ``b`` accepted (must be 0)."""
    accepted = 0
    with requests.Session() as s:
        for i in range(tries):
            body = json.dumps({"app_version": "r", "pending": i}).encode()
            path = API_PREFIX + "/heartbeat"
            h = sign_request(terminal_id, secret, "POST", path, body, int(time.time()))
            h["Content-Type"] = "application/json"
            if s.post(a + path, data=body, headers=h, timeout=30).status_code != 200:
                raise RuntimeError("the first replica refused a fresh request")
            accepted += s.post(b + path, data=body, headers=h, timeout=30).status_code == 200
    return accepted
