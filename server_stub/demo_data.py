"""Sample data for ``kiosk demo`` and manual trials: a site, two shifts, six people.

Everything goes through the public :class:`~server_stub.admin.Admin` API, so the demo
exercises the same paths as a real installation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from .admin import Admin, AdminError

SITE = "HQ"
EMPLOYEES = (
    ("E1001", "Ana Souza", "day"),
    ("E1002", "Jonas Becker", "day"),
    ("E1003", "王芳", "day"),  # Wang Fang: the roster and the kiosk must show CJK names
    ("E1004", "Priya Natarajan", "day"),
    ("E1005", "Mateo García", "night"),
    ("E1006", "Fatima Haddad", "night"),
)


@dataclass(frozen=True)
class DemoSeed:
    site: str
    enrol_code: str
    terminal_name: str
    tokens: dict[str, str] = field(default_factory=dict)  # employee id -> a valid token
    names: dict[str, str] = field(default_factory=dict)  # employee id -> display name
    badge_ids: dict[str, str] = field(default_factory=dict)  # employee id -> valid badge id
    revoked_token: str = ""  # a genuine badge of E1005 that was revoked (lost card)
    revoked_badge_id: str = ""
    expired_token: str = ""  # a genuine badge of E1006 that has expired
    expired_badge_id: str = ""


def seed_demo(admin: Admin, timezone: str = "Europe/Berlin") -> DemoSeed:
    """Create the sample site, shifts and staff (once), badges and a fresh enrolment code."""
    _once(admin.add_site, SITE, "Head office", timezone)
    _once(admin.add_shift, "day", "09:00", "17:00", 5, weekdays="mon-fri")
    _once(admin.add_shift, "night", "22:00", "06:00", 10, weekdays="all")
    for emp_id, name, shift in EMPLOYEES:
        _once(admin.add_employee, emp_id, name, SITE, shift)
    tokens, badge_ids = {}, {}
    for emp_id, _name, _shift in EMPLOYEES:
        b = admin.issue_badge(emp_id)
        tokens[emp_id], badge_ids[emp_id] = b.token, b.badge_id
    lost = admin.issue_badge("E1005")
    admin.revoke_badge(lost.badge_id)
    old = admin.issue_badge(
        "E1006", days=30, issued_at=admin.clock.now() - timedelta(days=400)
    )
    terminal_name = "Front door"
    code = admin.add_terminal(terminal_name, SITE)
    return DemoSeed(
        site=SITE, enrol_code=code, terminal_name=terminal_name, tokens=tokens,
        names={e: n for e, n, _ in EMPLOYEES}, badge_ids=badge_ids,
        revoked_token=lost.token, revoked_badge_id=lost.badge_id,
        expired_token=old.token, expired_badge_id=old.badge_id,
    )


def _once(action: Callable[..., None], *args: Any, **kwargs: Any) -> None:
    """Run an add_* call, tolerating that a previous seed created the same thing."""
    try:
        action(*args, **kwargs)
    except AdminError as exc:
        if "exists already" not in str(exc):
            raise
