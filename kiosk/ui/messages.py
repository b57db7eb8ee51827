"""What the feedback card says: words, tone (colour), icon and sound from one place.

Outcomes and verdicts carry codes; this module turns them into translated sentences, so a
code is never shown raw and a colour never stands alone (every tone has words and an icon).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication

from kiosk.recorder import Outcome, OutcomeKind, RefuseReason


def _tr(text: str) -> str:
    return QCoreApplication.translate("Card", text)


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
        RefuseReason.NOT_A_BADGE: _tr("Not a badge"),
        RefuseReason.REVOKED: _tr("Badge revoked"),
        RefuseReason.EXPIRED: _tr("Badge expired"),
        RefuseReason.NOT_YET_VALID: _tr("Badge not valid yet"),
        RefuseReason.INVALID: _tr("Badge not valid"),
    }.get(reason, _tr("Badge not valid"))  # type: ignore[arg-type]


def for_outcome(outcome: Outcome, offline: bool = False) -> CardMessage:
    """The card for what the terminal itself decided (before any server answer)."""
    name = outcome.name or ""
    if outcome.kind is OutcomeKind.RECORDED:
        if offline:
            return saved_offline(outcome)
        return CardMessage(_tr("Recorded"), _tr("at %1").replace("%1", outcome.local_time or ""),
                           name, Tone.OK, outcome.event_id)
    if outcome.kind is OutcomeKind.ALREADY:
        return CardMessage(
            _tr("Already recorded at %1").replace("%1", outcome.local_time or ""),
            _tr("No need to scan again."), name, Tone.INFO,
        )
    if outcome.kind is OutcomeKind.STORAGE_ERROR:
        return CardMessage(_tr("NOT recorded – storage problem, please tell IT"),
                           _tr("Your punch was not saved. Please tell IT."), name, Tone.ERROR)
    detail = {
        RefuseReason.NOT_A_BADGE: _tr("This code is not an employee badge."),
        RefuseReason.REVOKED: _tr("This badge was blocked. Please see reception."),
        RefuseReason.EXPIRED: _tr("This badge has expired. Please see reception."),
        RefuseReason.NOT_YET_VALID: _tr("This badge is not active yet."),
        RefuseReason.INVALID: _tr("This badge could not be verified. Please see reception."),
    }.get(outcome.reason, "")  # type: ignore[arg-type]
    return CardMessage(_refusal_title(outcome.reason), detail, "", Tone.ERROR)


def saved_offline(outcome: Outcome) -> CardMessage:
    return CardMessage(
        _tr("Saved on this terminal – will sync"),
        _tr("Recorded at %1. The server will get it when the network is back.").replace(
            "%1", outcome.local_time or ""),
        outcome.name or "", Tone.INFO, outcome.event_id, sound=True,
    )


def _reject_reason(reason: Any) -> str:
    code = getattr(reason, "value", reason) or ""
    return {
        "badge_malformed": _tr("not a badge"),
        "badge_unknown_key": _tr("badge not valid"),
        "badge_bad_signature": _tr("badge not valid"),
        "badge_expired": _tr("badge expired"),
        "badge_not_yet_valid": _tr("badge not valid yet"),
        "badge_revoked": _tr("badge revoked"),
        "employee_unknown": _tr("employee unknown"),
        "employee_inactive": _tr("employee no longer active"),
        "wrong_site": _tr("not allowed at this site"),
        "time_implausible": _tr("terminal clock is wrong"),
        "terminal_mismatch": _tr("terminal mismatch"),
        "terminal_revoked": _tr("terminal blocked"),
        "conflict": _tr("conflicting punch"),
    }.get(code, _tr("refused by the server"))


def for_verdict(verdict: Any, name: str = "") -> CardMessage:
    """The card for the server's answer (replaces "Recorded" when it arrives in time)."""
    event_id = str(verdict.event_id)
    status = getattr(verdict.status, "value", verdict.status)
    if status == "rejected":
        return CardMessage(
            _tr("Not accepted: %1").replace("%1", _reject_reason(verdict.reason)),
            _tr("Please see reception."), name, Tone.ERROR, event_id, sound=True,
        )
    direction = getattr(verdict.direction, "value", verdict.direction)
    if direction == "check_out":
        if verdict.early_leave_min > 0:
            title = _tr("Early leave %1 min").replace("%1", str(verdict.early_leave_min))
            detail = (_tr("shift ends %1").replace("%1", verdict.shift_end)
                      if verdict.shift_end else "")
            return CardMessage(title, detail, name, Tone.WARN, event_id, sound=False)
        return CardMessage(_tr("Checked out"), _tr("Goodbye!"), name, Tone.OK, event_id,
                           sound=False)
    if verdict.late_min > 0:
        title = _tr("Late %1 min").replace("%1", str(verdict.late_min))
        detail = ""
        if verdict.shift_start:
            detail = (_tr("shift %1, grace %2").replace("%1", verdict.shift_start)
                      .replace("%2", str(verdict.grace_min or 0)))
        return CardMessage(title, detail, name, Tone.WARN, event_id, sound=False)
    if direction == "check_in" and verdict.shift_start:
        return CardMessage(_tr("Checked in – on time"), _tr("Welcome!"), name, Tone.OK,
                           event_id, sound=False)
    if direction == "check_in":
        return CardMessage(_tr("Checked in"), _tr("Welcome!"), name, Tone.OK, event_id,
                           sound=False)
    return CardMessage(_tr("Recorded"), _tr("Accepted by the server."), name, Tone.OK,
                       event_id, sound=False)


def idle() -> CardMessage:
    return CardMessage(_tr("Show your badge to the camera"), "", "", Tone.INFO)
