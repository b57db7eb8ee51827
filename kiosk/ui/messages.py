"""What the feedback card says: words, tone (colour), icon and sound from one place.

Outcomes and verdicts carry codes; this module turns them into translated sentences, so a
code is never shown raw and a colour never stands alone (every tone has words and an icon).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QCoreApplication

from kiosk.core.recorder import Outcome, OutcomeKind, RefuseReason

_T = QCoreApplication  # lupdate reads the literal _T.translate("Card", ...) calls below


class Tone(str, enum.Enum):
    OK = "ok"  # green, check mark, bright chime
    INFO = "info"  # blue, clock/cloud, soft chime
    WARN = "warn"  # amber, exclamation, soft chime
    ERROR = "error"  # red, cross, low buzz


TONE_COLOURS = {
    Tone.OK: "#1b7f3b",
    Tone.INFO: "#1f5fa8",
    Tone.WARN: "#a35f00",
    Tone.ERROR: "#b3261e",
}
TONE_ICONS = {Tone.OK: "ok", Tone.INFO: "info", Tone.WARN: "warn", Tone.ERROR: "error"}
TONE_SOUNDS = {Tone.OK: "ok", Tone.INFO: "info", Tone.WARN: "info", Tone.ERROR: "error"}


@dataclass(frozen=True)
class CardMessage:
    title: str
    detail: str = ""
    name: str = ""
    tone: Tone = Tone.INFO
    event_id: str | None = None
    sound: bool = True  # a verdict that refines "Recorded" does not beep twice


def _refusal_title(reason: RefuseReason | None) -> str:
    return {
        RefuseReason.NOT_A_BADGE: _T.translate("Card", "Not a badge"),
        RefuseReason.REVOKED: _T.translate("Card", "Badge revoked"),
        RefuseReason.EXPIRED: _T.translate("Card", "Badge expired"),
        RefuseReason.NOT_YET_VALID: _T.translate("Card", "Badge not valid yet"),
        RefuseReason.INVALID: _T.translate("Card", "Badge not valid"),
    }.get(reason, _T.translate("Card", "Badge not valid"))  # type: ignore[arg-type]


def for_outcome(outcome: Outcome, offline: bool = False) -> CardMessage:
    """The card for what the terminal itself decided (before any server answer)."""
    name = outcome.name or ""
    if outcome.kind is OutcomeKind.RECORDED:
        if offline:
            return saved_offline(outcome)
        return CardMessage(_T.translate("Card", "Recorded"), _T.translate("Card", "at %1").replace("%1", outcome.local_time or ""),
                           name, Tone.OK, outcome.event_id)
    if outcome.kind is OutcomeKind.ALREADY:
        return CardMessage(
            _T.translate("Card", "Already recorded at %1").replace("%1", outcome.local_time or ""),
            _T.translate("Card", "No need to scan again."), name, Tone.INFO,
        )
    if outcome.kind is OutcomeKind.STORAGE_ERROR:
        return CardMessage(_T.translate("Card", "NOT recorded – storage problem, please tell IT"),
                           _T.translate("Card", "Your punch was not saved. Please tell IT."), name, Tone.ERROR)
    detail = {
        RefuseReason.NOT_A_BADGE: _T.translate("Card", "This code is not an employee badge."),
        RefuseReason.REVOKED: _T.translate("Card", "This badge was blocked. Please see reception."),
        RefuseReason.EXPIRED: _T.translate("Card", "This badge has expired. Please see reception."),
        RefuseReason.NOT_YET_VALID: _T.translate("Card", "This badge is not active yet."),
        RefuseReason.INVALID: _T.translate("Card", "This badge could not be verified. Please see reception."),
    }.get(outcome.reason, "")  # type: ignore[arg-type]
    return CardMessage(_refusal_title(outcome.reason), detail, "", Tone.ERROR)


def saved_offline(outcome: Outcome) -> CardMessage:
    return CardMessage(
        _T.translate("Card", "Saved on this terminal – will sync"),
        _T.translate("Card", "Recorded at %1. The server will get it when the network is back.").replace(
            "%1", outcome.local_time or ""),
        outcome.name or "", Tone.INFO, outcome.event_id, sound=True,
    )


def reject_reason(reason: Any) -> str:
    """A server's reject code in words (the card, the status panel's rejected list)."""
    code = getattr(reason, "value", reason) or ""
    return {
        "badge_malformed": _T.translate("Card", "not a badge"),
        "badge_unknown_key": _T.translate("Card", "badge not valid"),
        "badge_bad_signature": _T.translate("Card", "badge not valid"),
        "badge_expired": _T.translate("Card", "badge expired"),
        "badge_not_yet_valid": _T.translate("Card", "badge not valid yet"),
        "badge_revoked": _T.translate("Card", "badge revoked"),
        "employee_unknown": _T.translate("Card", "employee unknown"),
        "employee_inactive": _T.translate("Card", "employee no longer active"),
        "wrong_site": _T.translate("Card", "not allowed at this site"),
        "time_implausible": _T.translate("Card", "terminal clock is wrong"),
        "terminal_mismatch": _T.translate("Card", "terminal mismatch"),
        "terminal_revoked": _T.translate("Card", "terminal blocked"),
        "conflict": _T.translate("Card", "conflicting punch"),
    }.get(code, _T.translate("Card", "refused by the server"))


def for_verdict(verdict: Any, name: str = "", local_time: str = "") -> CardMessage:
    """The card for the server's answer (replaces "Recorded" when it arrives in time).

    ``local_time`` is the scan's time as the terminal saw it; the server's own
    ``local_time`` (site time) wins when the verdict has one.
    """
    at = getattr(verdict, "local_time", None) or local_time
    msg, timed = _verdict_card(verdict, name, at)
    if at and not timed:
        msg = replace(msg, detail=f"{at} · {msg.detail}" if msg.detail else at)
    return msg


def duration_text(minutes: int) -> str:
    """245 -> "4 h 05 min", 35 -> "35 min" (translated): long spans read at a glance."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _T.translate("Card", "%1 min").replace("%1", str(rest))
    return (_T.translate("Card", "%1 h %2 min").replace("%1", str(hours))
            .replace("%2", f"{rest:02d}"))


def _verdict_card(verdict: Any, name: str, at: str) -> tuple[CardMessage, bool]:
    """The card, and whether its title already shows the time."""
    event_id = str(verdict.event_id)
    status = getattr(verdict.status, "value", verdict.status)
    if status == "rejected":
        return CardMessage(
            _T.translate("Card", "Not accepted: %1").replace("%1", reject_reason(verdict.reason)),
            _T.translate("Card", "Please see reception."), name, Tone.ERROR, event_id, sound=True,
        ), False
    direction = getattr(verdict.direction, "value", verdict.direction)
    if direction == "repeat":
        since = getattr(verdict, "checked_in_at", None) or at
        return CardMessage(_T.translate("Card", "Already checked in at %1").replace("%1", since),
                           _T.translate("Card", "This scan is not a check-out."), name, Tone.INFO,
                           event_id, sound=False), True
    if direction == "check_out":
        title = (_T.translate("Card", "Checked out at %1").replace("%1", at) if at
                 else _T.translate("Card", "Checked out"))
        if verdict.early_leave_min > 0:
            early = duration_text(verdict.early_leave_min)
            detail = (_T.translate("Card", "left %1 early, shift ends %2").replace("%1", early)
                      .replace("%2", verdict.shift_end) if verdict.shift_end
                      else _T.translate("Card", "left %1 early").replace("%1", early))
            return CardMessage(title, detail, name, Tone.WARN, event_id, sound=False), True
        return CardMessage(title, _T.translate("Card", "Goodbye!"), name, Tone.OK, event_id,
                           sound=False), True
    return _check_in_card(verdict, name, event_id, direction), False


def _check_in_card(verdict: Any, name: str, event_id: str, direction: Any) -> CardMessage:
    if verdict.late_min > 0:
        title = _T.translate("Card", "Late %1").replace("%1", duration_text(verdict.late_min))
        detail = ""
        if verdict.shift_start:
            detail = (_T.translate("Card", "shift %1, grace %2").replace("%1", verdict.shift_start)
                      .replace("%2", str(verdict.grace_min or 0)))
        return CardMessage(title, detail, name, Tone.WARN, event_id, sound=False)
    if direction == "check_in" and verdict.shift_start:
        return CardMessage(_T.translate("Card", "Checked in – on time"), _T.translate("Card", "Welcome!"), name, Tone.OK,
                           event_id, sound=False)
    if direction == "check_in":
        return CardMessage(_T.translate("Card", "Checked in"), _T.translate("Card", "Welcome!"), name, Tone.OK, event_id,
                           sound=False)
    return CardMessage(_T.translate("Card", "Recorded"), _T.translate("Card", "Accepted by the server."), name, Tone.OK,
                       event_id, sound=False)


def idle(camera: bool = True) -> CardMessage:
    """What the card says between scans; without a working camera, where to scan instead."""
    if not camera:
        return CardMessage(_T.translate("Card", "Scan your badge at the badge scanner"), "", "",
                           Tone.INFO)
    return CardMessage(_T.translate("Card", "Show your badge to the camera"), "", "", Tone.INFO)


def correction_queued(name: str) -> CardMessage:
    """A make-up request is on the terminal's disk, on its way to the server."""
    return CardMessage(_T.translate("Card", "Request saved – sending…"),
                       _T.translate("Card", "It is sent as soon as the server can be reached."),
                       name, Tone.INFO, sound=False)


def correction_sent(name: str, work_date: str) -> CardMessage:
    return CardMessage(_T.translate("Card", "Request sent – waiting for approval"),
                       _T.translate("Card", "Make-up punch for %1; HR will decide.").replace(
                           "%1", work_date), name, Tone.OK)


def correction_refused(name: str, code: str) -> CardMessage:
    """The server's (or the terminal's) refusal of a make-up request, by its code."""
    detail = {
        "quota_exceeded": _T.translate("Card", "The monthly limit of make-up requests is reached."),
        "too_old": _T.translate("Card", "That day is too long ago for a make-up request."),
        "in_future": _T.translate("Card", "That time has not come yet."),
        "duplicate": _T.translate("Card", "This make-up punch was requested already."),
        "wrong_site": _T.translate("Card", "You do not belong to this terminal's site."),
        "not_stored": _T.translate("Card", "The terminal could not save the request. Please tell IT."),
    }.get(code, _T.translate("Card", "The server refused the request. Please see HR."))
    return CardMessage(_T.translate("Card", "Request not accepted"), detail, name, Tone.WARN)
