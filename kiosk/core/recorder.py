"""Turns one decoded text into an Outcome: verify -> cooldown -> durable append -> "Recorded".

Qt-free on purpose: the Qt service only hosts it on a worker thread. The order of the steps
is the product's promise: the punch is marked in the cooldown only after ``outbox.append``
returned (it is durable), so a failed write never hides the next attempt behind
"already recorded", and "Recorded" is never claimed for a punch that is not on disk.

The Outcome carries codes, never sentences: the window translates them.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Protocol

from kiosk.core.clock import Clock
from kiosk.core.policies import Cooldown
from kiosk.core.problems import KioskError, Problem, problem_of
from kiosk.core.protocol import BadgeError, BadgeVerifier, Punch, Source, parse_badge
from kiosk.core.scan_check import ScanReason, classify_scan

log = logging.getLogger("kiosk.recorder")


class OutcomeKind(str, enum.Enum):
    RECORDED = "recorded"
    ALREADY = "already"  # same badge inside the cooldown window
    REFUSED = "refused"  # not a badge, forged, expired, revoked: nothing was stored
    STORAGE_ERROR = "storage_error"  # the outbox could not store it: NOT recorded


class RefuseReason(str, enum.Enum):
    NOT_A_BADGE = "not_a_badge"
    INVALID = "invalid"  # unknown key or bad signature: forged or altered
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    REVOKED = "revoked"


_REASONS = {
    ScanReason.NOT_A_BADGE: RefuseReason.NOT_A_BADGE,
    ScanReason.UNKNOWN_KEY: RefuseReason.INVALID,
    ScanReason.DAMAGED: RefuseReason.INVALID,
    ScanReason.EXPIRED: RefuseReason.EXPIRED,
    ScanReason.NOT_YET_VALID: RefuseReason.NOT_YET_VALID,
    ScanReason.REVOKED: RefuseReason.REVOKED,
}


@dataclass(frozen=True)
class Outcome:
    """What happened to one scan. ``event_id`` matches the server's verdict to the card.

    Attributes:
        local_time: "HH:MM" on the site's clock: the punch time, or for ALREADY the time
            of the earlier punch that the repeat was folded into.
        problem: for STORAGE_ERROR, why the outbox could not store it.
    """

    kind: OutcomeKind
    source: str
    frame_ts: float | None = None
    reason: RefuseReason | None = None
    badge_id: str | None = None
    employee_id: str | None = None
    name: str | None = None
    event_id: str | None = None
    seq: int | None = None
    local_time: str | None = None
    problem: Problem | None = None
    layout: str | None = None  # a wedge scan read after undoing this layout mix-up (LayoutFix.code)


class OutboxLike(Protocol):
    """What the recorder needs of :class:`kiosk.store.Outbox` (core does not import store)."""

    def append(self, *, terminal_id: str, badge: str, badge_id: str, source: Source,
               wall_time: datetime, clock_offset_s: float, app_version: str) -> Punch: ...


def _site_time(when: datetime, tz: tzinfo) -> str:
    return when.astimezone(tz).strftime("%H:%M")


class Recorder:
    """One decoded text in, one :class:`Outcome` out. Not thread-safe: one worker calls it.

    Collaborators are callables so that the roster (which the sync loop refreshes) and the
    clock offset (which it measures) are read fresh for every scan.
    """

    def __init__(
        self,
        outbox: OutboxLike,
        *,
        terminal_id: str,
        app_version: str,
        clock: Clock,
        cooldown: Cooldown,
        verifier: Callable[[], BadgeVerifier | None],
        display_name: Callable[[str], str | None],
        site_tz: Callable[[], tzinfo] = lambda: timezone.utc,
        clock_offset: Callable[[], float] = lambda: 0.0,
        last_punch_time: Callable[[str], datetime | None] | None = None,
    ) -> None:
        self._outbox = outbox
        self._terminal_id = terminal_id
        self._app_version = app_version
        self._clock = clock
        self._cooldown = cooldown
        self._verifier = verifier
        self._display_name = display_name
        self._site_tz = site_tz
        self._clock_offset = clock_offset
        self._last_punch_time = last_punch_time

    def record(self, text: str, source: str | Source, frame_ts: float | None = None) -> Outcome:
        src = Source(source).value
        now = self._clock.now()
        offset = self._safe_offset()
        server_now = now + timedelta(seconds=offset)
        verifier = self._verifier()
        layout: str | None = None
        if verifier is not None:
            verdict = classify_scan(text, verifier, server_now, typed=src == Source.WEDGE.value)
            badge, why = verdict.badge, verdict.reason
            layout = verdict.layout.code if verdict.layout is not None else None
            if layout is not None:
                log.warning("wedge scanner types in another layout than this terminal's (%s): "
                            "read after undoing it", layout)
        else:  # no roster yet (first start, never reached the server): the server verifies
            try:
                badge, why = parse_badge(text.strip("\r\n")), ScanReason.OK
            except BadgeError:
                badge, why = None, ScanReason.NOT_A_BADGE
        if badge is None:
            reason = _REASONS.get(why, RefuseReason.INVALID)
            badge_id = self._badge_id_of(text)
            log.info("scan refused (%s) %s source=%s", reason.value,
                     f"badge_id={badge_id}" if badge_id else "(no badge id)", src)
            return Outcome(OutcomeKind.REFUSED, src, frame_ts, reason=reason, badge_id=badge_id,
                           layout=layout)
        name = self._safe_name(badge.employee_id)
        tz = self._safe_tz()

        previous = self._previous(badge.badge_id, now)
        if previous is not None:
            log.info("repeat inside cooldown badge_id=%s", badge.badge_id)
            return Outcome(
                OutcomeKind.ALREADY, src, frame_ts, badge_id=badge.badge_id,
                employee_id=badge.employee_id, name=name,
                local_time=_site_time(previous + timedelta(seconds=offset), tz),
                layout=layout,
            )

        problem: Problem | None = None
        try:
            punch = self._outbox.append(
                terminal_id=self._terminal_id, badge=badge.token, badge_id=badge.badge_id,
                source=Source(src), wall_time=now, clock_offset_s=offset,
                app_version=self._app_version,
            )
        except KioskError as exc:  # the outbox's coded errors: disk full, read-only...
            log.error("punch NOT recorded badge_id=%s: %s", badge.badge_id, exc)
            problem = exc.problem
        except Exception as exc:  # a bug: still say NOT recorded, but log it as one
            log.exception("punch NOT recorded badge_id=%s: bug in the outbox append",
                          badge.badge_id)
            problem = problem_of(exc)
        if problem is not None:
            return Outcome(
                OutcomeKind.STORAGE_ERROR, src, frame_ts, badge_id=badge.badge_id,
                employee_id=badge.employee_id, name=name, problem=problem, layout=layout,
            )
        self._cooldown.mark(badge.badge_id, now)  # only after the append is durable
        event_id, seq = str(punch.event_id), punch.seq
        log.info("punch recorded badge_id=%s seq=%s source=%s", badge.badge_id, seq, src)
        return Outcome(
            OutcomeKind.RECORDED, src, frame_ts, badge_id=badge.badge_id,
            employee_id=badge.employee_id, name=name, event_id=event_id, seq=seq,
            local_time=_site_time(server_now, tz), layout=layout,
        )

    def _previous(self, badge_id: str, now: datetime) -> datetime | None:
        """This badge's punch inside the cooldown window (terminal wall time), or None:
        memory first, then the outbox on disk, so a restart does not make a second punch."""
        seen = self._cooldown.last_seen(badge_id)
        if seen is not None:
            return seen
        if self._last_punch_time is None:
            return None
        try:
            when = self._last_punch_time(badge_id)
        except Exception:  # a read problem must not block a punch
            log.warning("could not read the last punch time from the outbox", exc_info=True)
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        age = (now - when).total_seconds()
        return when if 0 <= age < self._cooldown.window_s else None

    def _safe_offset(self) -> float:
        try:
            return float(self._clock_offset() or 0.0)
        except Exception:  # recorded as 0 s, the same as a terminal that never synced
            log.warning("clock offset unavailable: recording 0 s", exc_info=True)
            return 0.0

    def _safe_name(self, employee_id: str) -> str | None:
        try:
            return self._display_name(employee_id)
        except Exception:
            log.warning("display name lookup failed", exc_info=True)
            return None

    def _safe_tz(self) -> tzinfo:
        try:
            return self._site_tz()
        except Exception:
            log.warning("site timezone unavailable: showing UTC", exc_info=True)
            return timezone.utc

    @staticmethod
    def _badge_id_of(text: str) -> str | None:
        """The badge id for the log when the text at least looks like a badge."""
        try:
            return parse_badge(text).badge_id
        except BadgeError:
            return None
