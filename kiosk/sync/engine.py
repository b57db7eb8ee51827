"""The drain loop: pending punches go to the server oldest first, each verdict is kept.

:meth:`SyncEngine.run` loops on a stop event (one worker thread, or the ``kiosk sync``
process). It wakes at once on :meth:`SyncEngine.wake` and on a timer. Failures that may
pass (no answer, 5xx, 429) keep the punches pending and back off exponentially with full
jitter, honouring ``Retry-After``; a 4xx with a reason settles the punch as rejected; a
revoked terminal stops sending and keeps its outbox. While no answer comes at all, the
backoff sleep is cut into ``interval_s`` slices, each ending in one small unsigned ``GET
/time``: when the server answers again, the engine logs that the connection is back, resets
the backoff and drains at once (a successful heartbeat or roster fetch resets it as well).
Everything the engine learns goes to
the optional ``listener`` (``on_verdicts``, ``on_state``, ``on_roster``) and to the
outbox's meta table, so ``kiosk status`` in another process sees the same state.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

import requests

from kiosk import __version__
from kiosk.core.clock import Clock
from kiosk.core.config import Config
from kiosk.core.problems import Problem, ProblemCode
from kiosk.core.protocol import (
    CorrectionRequest,
    Heartbeat,
    Punch,
    Roster,
    Verdict,
    VerdictStatus,
)
from kiosk.core.protocol.models import OutboxReplaced
from kiosk.store import Outbox, OutboxError

from .client import (
    AuthFailed,
    Refused,
    ServerBusy,
    SyncClient,
    SyncError,
    TerminalRevoked,
    TransportError,
)
from .clock_offset import ClockOffset
from .corrections import CorrectionQueue, CorrectionResult, QueueFull, send_pending
from .roster import RosterCache
from .secrets import SecretStore, SecretStoreError
from .tls import make_session

log = logging.getLogger(__name__)

MAX_RETRY_AFTER_S = 3600.0
PURGE_EVERY_S = 3600.0


@dataclass(frozen=True)
class SyncState:
    """What the status panel shows about the link to the server."""

    online: bool = False
    server_url: str | None = None
    last_sync: datetime | None = None
    problem: Problem | None = None  # why the last pass failed (None: it worked)
    clock_offset_s: float = 0.0
    terminal_revoked: bool = False
    pending: int = 0
    oldest_pending_age_s: float | None = None
    rejected: int = 0
    # server URL -> the last problem trying it (None: it answered); untried URLs are absent
    server_errors: dict[str, Problem | None] = field(default_factory=dict)


@dataclass
class SyncReport:
    """The outcome of one :meth:`SyncEngine.sync_once`."""

    sent: int = 0
    accepted: int = 0
    rejected: int = 0
    pending: int = 0
    problem: Problem | None = None  # what went wrong (None: nothing)
    retry_after_s: float | None = None  # the server asked for this pause
    revoked: bool = False
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def error(self) -> str | None:
        """The problem's English text, for the log and ``kiosk sync``."""
        return self.problem.raw if self.problem is not None else None

    @property
    def ok(self) -> bool:
        return self.problem is None and not self.revoked


class SyncListener(Protocol):
    """Told what the engine learns, on the engine's thread (the Qt service re-emits)."""

    def on_verdicts(self, verdicts: list[Verdict]) -> None: ...

    def on_state(self, state: SyncState) -> None: ...

    def on_roster(self, roster: Roster) -> None: ...


def backoff_delay(attempt: int, base_s: float, cap_s: float, rng: random.Random) -> float:
    """Exponential backoff with full jitter: uniform(0, min(cap, base * 2**attempt))."""
    return rng.uniform(0.0, min(cap_s, base_s * (2 ** min(attempt, 30))))


class SyncEngine:
    """Drains one outbox to the server; also heartbeat and roster refresh.

    ``status_provider`` returns the terminal's camera state (a string, or a mapping with
    ``camera_state``) for the heartbeat.
    """

    def __init__(
        self,
        config: Config,
        outbox: Outbox,
        secret_store: SecretStore,
        clock: Clock,
        session: requests.Session | None = None,
        listener: SyncListener | None = None,
        status_provider: Callable[[], str | Mapping[str, str]] | None = None,
        *,
        roster: RosterCache | None = None,
        rng: random.Random | None = None,
        app_version: str = __version__,
        corrections: CorrectionQueue | None = None,
    ) -> None:
        self.config = config
        self.corrections = corrections  # make-up requests filed at the kiosk (None: off)
        self._filed: list[CorrectionRequest] = []  # handed over by the GUI, not on disk yet
        self._filed_lock = threading.Lock()
        self.outbox = outbox
        self._secrets = secret_store
        self._clock = clock
        self._session = session or make_session(config.sync.pin_sha256)
        self._listener = listener
        self._status_provider = status_provider
        self.roster = roster or RosterCache(outbox.path.parent / "roster.json")
        self._rng = rng or random.Random()
        self._app_version = app_version
        self._saved_offset = outbox.meta_float("clock_offset_s")
        self.offset = ClockOffset(clock, self._saved_offset)
        self._wake = threading.Event()
        self._client: SyncClient | None = None
        self._attempt = 0
        self._next_heartbeat = 0.0
        self._next_roster = 0.0
        self._next_purge = 0.0
        self._full_roster = False
        self._revoked = outbox.meta("terminal_revoked") == config.terminal.id != ""
        self._online = False
        self._extras_failed = False  # a roster or heartbeat failure in the current pass
        # The link as last logged (None: not known yet), since when it is down (monotonic),
        # and whether the last failure was no answer at all (then probing is worth it).
        self._link_up: bool | None = None
        self._down_since: float | None = None
        self._no_answer = False
        self._probe_failed_drain = False  # /time answered but the drain still got none
        self._state = SyncState(terminal_revoked=self._revoked,
                                clock_offset_s=self.offset.offset_s)

    # -- public -------------------------------------------------------------------------
    @property
    def clock_offset_s(self) -> float:
        """The offset to record on each new punch (server time - wall time)."""
        return self.offset.offset_s

    def file_correction(self, req: CorrectionRequest) -> None:
        """Queue a make-up request (any thread, returns at once): the sync thread writes it
        to the durable queue at its next pass, which starts now, then sends it."""
        with self._filed_lock:
            self._filed.append(req)
        self.wake()

    def wake(self) -> None:
        """Drain now (called after an append); safe from any thread."""
        self._wake.set()

    def state(self) -> SyncState:
        return self._state

    def refresh_roster(self, *, full: bool = False) -> None:
        """Fetch the roster in the next pass (now); ``full``: without the ETag, so the whole
        roster comes even if the server thinks it unchanged. Safe from any thread."""
        self._next_roster = 0.0
        if full:
            self._full_roster = True
        self._wake.set()

    def run(self, stop: threading.Event) -> None:
        """Loop until ``stop`` is set; never raises, never waits longer than a short slice."""
        while not stop.is_set():
            self._wake.clear()
            try:
                report = self.sync_once(stop)
            except Exception:  # a bug must not kill the worker silently
                log.exception("sync pass failed")
                report = SyncReport(problem=Problem(ProblemCode.INTERNAL,
                                                    raw="internal error (see log)"))
                self._attempt += 1
            if report.retry_after_s is not None:
                delay, wakeable = min(report.retry_after_s, MAX_RETRY_AFTER_S), False
            elif report.revoked or self._client is None:
                # Nothing to retry over the network (revoked, not enrolled, no secret):
                # look again on the timer, or at once when woken.
                delay, wakeable = self.config.sync.interval_s, True
            elif report.problem is not None:
                if self._no_answer and not self._probe_failed_drain:
                    self._sleep_probing(stop, self._backoff())
                    continue
                delay, wakeable = self._backoff(), True
            else:
                delay, wakeable = self.config.sync.interval_s, True
            self._sleep(stop, delay, wakeable)

    def sync_once(self, stop: threading.Event | None = None) -> SyncReport:
        """One pass: time, roster and heartbeat when due, then drain everything pending."""
        report = SyncReport()
        self._store_filed()
        client = self._get_client(report)
        if client is not None and not self._revoked:
            answers = client.answers
            self._extras_failed = False
            try:
                now = self._clock.monotonic()
                if not self.offset.precise:
                    client.get_time()
                if self.roster.roster is None:  # badges cannot be verified without it
                    self._refresh_roster(client, now)
                self._drain(client, report, stop)  # punches first; extras only if it worked
                if report.problem is None and self.corrections is not None \
                        and len(self.corrections):
                    self._corrections_answered(send_pending(self.corrections, client))
                if report.problem is None and now >= self._next_roster:
                    self._refresh_roster(client, now)
                if report.problem is None and now >= self._next_heartbeat:
                    self._heartbeat(client)
                    self._next_heartbeat = now + self.config.sync.heartbeat_s
            except TerminalRevoked as exc:
                self._mark_revoked(exc)
            except SyncError as exc:
                self._fail(report, exc, [])
            except OutboxError as exc:  # the outbox cannot be read: nothing was sent
                self._online = False
                report.problem = exc.problem
                self._attempt += 1
            if report.problem is None and not self._revoked and not self._extras_failed \
                    and client.answers > answers:
                self._online = True  # the server answered this pass; else keep what we knew
        self._purge_if_due()
        report.revoked = self._revoked
        if self._revoked and report.problem is None:
            report.problem = Problem(ProblemCode.REVOKED, raw="terminal revoked by the server; "
                                                              "punches are kept, not sent")
        self._publish(report)
        return report

    # -- the steps ----------------------------------------------------------------------
    def _store_filed(self) -> None:
        with self._filed_lock:
            filed, self._filed = self._filed, []
        for req in filed:
            try:
                if self.corrections is None:
                    raise QueueFull("make-up requests are off on this terminal")
                self.corrections.add(req)
            except (OSError, QueueFull) as exc:
                log.error("make-up request not stored: %s", exc)
                self._corrections_answered([CorrectionResult(req.request_id,
                                                             refused="not_stored")])

    def _corrections_answered(self, results: list[CorrectionResult]) -> None:
        notify = getattr(self._listener, "on_corrections", None)
        if results and notify is not None:
            notify(results)

    def _get_client(self, report: SyncReport) -> SyncClient | None:
        if self._client is not None:
            return self._client
        cfg = self.config
        if not cfg.enrolled:
            report.problem = Problem(ProblemCode.NOT_ENROLLED, raw="not enrolled: run 'kiosk "
                                                                   "enroll --server URL --code CODE'")
            return None
        try:
            secret = self._secrets.get(cfg.terminal.id)
        except SecretStoreError as exc:
            report.problem = exc.problem
            return None
        if not secret:
            report.problem = Problem(ProblemCode.NO_SECRET, raw=(
                f"no secret for terminal {cfg.terminal.id} in the "
                f"{self._secrets.description}; enrol the terminal again"))
            return None
        self._client = SyncClient.from_config(cfg, secret, self._clock, self.offset,
                                              self._session)
        return self._client

    def _drain(self, client: SyncClient, report: SyncReport,
               stop: threading.Event | None) -> None:
        size = self.config.sync.batch_size
        while stop is None or not stop.is_set():
            batch = self.outbox.pending(size)
            if not batch:
                break
            try:
                settled = self._send(client, batch, report)
            except (TransportError, ServerBusy, AuthFailed) as exc:
                self._fail(report, exc, batch)
                break
            except OutboxError as exc:  # the verdicts could not be written: try again later
                self._online = False
                report.problem = exc.problem
                self._attempt += 1
                break
            if settled == 0:  # an answer without our verdicts: never loop on it
                self._fail(report, SyncError("the server's answer had no verdict for the "
                                             "punches sent", code=ProblemCode.BAD_ANSWER),
                           batch)
                break
            self._attempt = 0
            if len(batch) < size:
                break

    def _send(self, client: SyncClient, batch: list[Punch], report: SyncReport) -> int:
        """Send one batch and settle what the server answered; returns rows settled."""
        try:
            result = client.send_batch(batch)
        except Refused as exc:
            if len(batch) > 1:  # find the one the server objects to; send the rest
                return sum(self._send(client, [punch], report) for punch in batch)
            n = self.outbox.mark_rejected([str(batch[0].event_id)], exc.error, str(exc),
                                          exc.problem)
            report.rejected += 1
            report.sent += 1
            log.warning("punch seq %d refused for good: %s", batch[0].seq, exc.error)
            return n
        sent_ids = {p.event_id for p in batch}
        verdicts = [v for v in result.results if v.event_id in sent_ids]
        settled = self.outbox.mark_verdicts(verdicts)
        self._remember_offset()
        report.sent += len(verdicts)
        report.verdicts.extend(verdicts)
        for v in verdicts:
            if v.status is VerdictStatus.ACCEPTED:
                report.accepted += 1
            else:
                report.rejected += 1
        self._notify(lambda listener: listener.on_verdicts(verdicts))
        return settled

    def _refresh_roster(self, client: SyncClient, now: float) -> None:
        self._next_roster = now + self.config.sync.roster_refresh_s
        try:
            full, self._full_roster = self._full_roster, False
            roster, etag = client.get_roster(None if full else self.roster.etag)
        except (TransportError, ServerBusy) as exc:
            log.info("roster refresh failed: %s", exc)
            self._online = False
            self._extras_failed = True
            return
        self._attempt = 0  # the server answered: whatever failed before, it is reachable
        if roster is not None:
            self.roster.update(roster, etag)
            self._notify(lambda listener: listener.on_roster(roster))

    def _heartbeat(self, client: SyncClient) -> None:
        stats = self.outbox.stats()
        camera = "unknown"
        if self._status_provider is not None:
            try:
                status = self._status_provider()
                camera = status.get("camera_state", "unknown") if isinstance(status, dict) \
                    else str(status)
            except Exception:
                log.exception("status provider failed")
        reported = [r for r in self.outbox.replacement_report()
                    if r.get("terminal_id") in (None, self.config.terminal.id)][:20]
        replaced = []
        for r in reported:
            try:
                replaced.append(OutboxReplaced(
                    moved_to=str(r["moved_to"])[:200], first_seq=max(1, int(r["first_seq"])),
                    last_seq=int(r["last_seq"]), at=r["at"]))
            except (KeyError, TypeError, ValueError) as exc:  # damaged: say so, drop it
                log.error("a replaced outbox's report is damaged (%s); dropped", exc)
        beat = Heartbeat(
            app_version=self._app_version[:40], pending=stats.pending,
            oldest_pending_age_s=stats.oldest_pending_age_s, rejected=stats.rejected,
            last_error=(stats.last_error or None) and stats.last_error[:500],
            last_sync=stats.last_sync, clock_offset_s=self.offset.offset_s,
            camera_state=str(camera)[:40], last_seq=stats.last_seq, v=2,
            outbox_replaced=replaced,
        )
        try:
            answer = client.heartbeat(beat)
        except (TransportError, ServerBusy, Refused) as exc:
            log.info("heartbeat failed: %s", exc)
            self._online = False
            self._extras_failed = True
            return
        self._attempt = 0
        tid = self.config.terminal.id
        self.outbox.note_server_seq(tid, answer.last_seq_stored)
        if reported:
            self.outbox.clear_replacement_report(reported)
            log.warning("reported %d replaced outbox(es) to the server", len(reported))

    def _purge_if_due(self) -> None:
        now = self._clock.monotonic()
        if now < self._next_purge:
            return
        self._next_purge = now + PURGE_EVERY_S
        try:
            n = self.outbox.purge_sent(self.config.storage.retention_days)
        except OutboxError as exc:
            log.error("retention purge failed: %s", exc)
            return
        if n:
            log.info("purged %d sent punches older than %d days", n,
                     self.config.storage.retention_days)

    # -- bookkeeping --------------------------------------------------------------------
    def _fail(self, report: SyncReport, exc: SyncError, batch: list[Punch]) -> None:
        self._online = False
        report.problem = exc.problem
        self._no_answer = isinstance(exc, TransportError)
        if isinstance(exc, ServerBusy) and exc.retry_after_s is not None:
            report.retry_after_s = exc.retry_after_s
        self._attempt += 1
        try:
            if batch:
                self.outbox.record_failure([str(p.event_id) for p in batch], exc.problem)
            else:
                self.outbox.note_problem(exc.problem)
        except OutboxError as oexc:
            log.error("could not record the failure: %s", oexc)
        if isinstance(exc, AuthFailed):
            self._client = None  # re-read the secret next time (re-enrolment)

    def _mark_revoked(self, exc: TerminalRevoked) -> None:
        log.error("terminal %s revoked by the server: %s", self.config.terminal.id, exc)
        self._revoked = True
        self._online = False
        try:
            self.outbox.note_problem(Problem(exc.code, exc.arg, f"terminal revoked: {exc}"),
                                     terminal_revoked=self.config.terminal.id)
        except OutboxError as exc:
            log.error("could not record the revocation: %s", exc)

    def _remember_offset(self) -> None:
        """Keep the offset for the next start (punches recorded offline still get one)."""
        value = self.offset.offset_s
        if self._saved_offset is None or abs(value - self._saved_offset) > 0.05:
            self.outbox.set_meta(clock_offset_s=f"{value:.3f}")
            self._saved_offset = value

    def _backoff(self) -> float:
        s = self.config.sync
        return backoff_delay(max(self._attempt - 1, 0), s.backoff_base_s, s.backoff_cap_s,
                             self._rng)

    def _sleep_probing(self, stop: threading.Event, delay: float) -> None:
        """Back off for ``delay``, but ask the server's time every ``interval_s``: the first
        answer ends the wait (connection back: drain now). A wake() ends it too."""
        deadline = time.monotonic() + delay
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._sleep(stop, min(left, self.config.sync.interval_s), True)
            if stop.is_set() or self._wake.is_set() or time.monotonic() >= deadline:
                return
            if self._probe():
                return

    def _probe(self) -> bool:
        """One unsigned ``GET /time``; True (and the backoff reset) when it was answered."""
        if self._client is None:
            return False
        try:
            self._client.get_time()
        except SyncError:
            return False
        self._attempt = 0
        self._probe_failed_drain = True  # until the drain that follows gets an answer too
        log.info("server %s answers again; sending the pending punches now",
                 self._client.last_url)
        return True

    def _log_link(self) -> None:
        """Say once when the connection is lost and once when it is back (with how long)."""
        up = self._online
        if up == self._link_up:
            return
        now = self._clock.monotonic()
        url = self._client.last_url if self._client else None
        if up:
            if self._down_since is not None:
                log.warning("connection to the server is back (%s, after %.0f s without); "
                            "%d punch(es) pending", url, now - self._down_since,
                            self._state.pending)
            else:
                log.info("connected to the server %s", url)
            self._down_since = None
        elif self._client is not None and self._state.problem is not None:
            self._down_since = now
            log.warning("no connection to the server: %s; punches are kept and sent when "
                        "it is back", self._state.problem.raw)
        else:
            return
        self._link_up = up

    def _sleep(self, stop: threading.Event, delay: float, wakeable: bool) -> None:
        # Real waiting uses the real monotonic clock (a fake clock would never move on).
        deadline = time.monotonic() + delay
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            if self._wake.wait(min(left, 0.1)) and wakeable:
                return

    def _publish(self, report: SyncReport) -> None:
        try:
            stats = self.outbox.stats()
        except OutboxError as exc:
            log.error("outbox stats failed: %s", exc)
            return
        self._state = replace(
            self._state,
            online=self._online,
            server_url=self._client.last_url if self._client else None,
            last_sync=stats.last_sync,
            problem=report.problem or (stats.last_problem if not self._online else None),
            clock_offset_s=self.offset.offset_s,
            terminal_revoked=self._revoked,
            pending=stats.pending,
            oldest_pending_age_s=stats.oldest_pending_age_s,
            rejected=stats.rejected,
            server_errors={url: None if exc is None else exc.problem
                           for url, exc in self._client.url_errors.items()}
            if self._client else {},
        )
        if self._online or report.problem is not None:
            self._probe_failed_drain = self._probe_failed_drain and not self._online
            if self._online:
                self._no_answer = False
            self._log_link()
        state = self._state
        self._notify(lambda listener: listener.on_state(state))

    def _notify(self, tell: Callable[[SyncListener], None]) -> None:
        if self._listener is None:
            return
        try:
            tell(self._listener)
        except Exception:  # a listener's bug must not stop the drain loop
            log.exception("sync listener failed")


__all__ = ["SyncEngine", "SyncReport", "SyncState", "Roster", "backoff_delay"]
