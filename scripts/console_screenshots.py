"""Screenshots of every console page in English and Simplified Chinese, for the README.

    python scripts/console_screenshots.py        # writes docs/screenshots/console-<page>-<lang>.png

A live server on loopback with a small world (two sites, staff, punches uploaded through
the signed API, a terminal with a heartbeat), Debian's Chromium through Playwright.
"""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server_stub import corrections, daysoff, db  # noqa: E402
from tests.console.conftest import PASSWORD, _password_hash  # noqa: E402
from tests.helpers.browser import chromium, sign_in, why_no_browser  # noqa: E402
from tests.helpers.clock import FakeClock  # noqa: E402
from tests.helpers.live_server import live_server  # noqa: E402
from tests.server.terminal_client import enroll  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
T0 = datetime(2026, 11, 2, 8, 40, tzinfo=timezone.utc)  # Monday 09:40 in Berlin
STAFF = [("E1001", "Ana Souza", "day"), ("E1002", "Jonas Becker", "day"),
         ("E1003", "王芳", "day"), ("E1004", "Priya Natarajan", "day"),
         ("E1005", "Mateo García", "day"), ("E1006", "李伟", "early")]
PAGES = [("today", "/"), ("attendance", "/attendance?from=2026-10-26&to=2026-11-02"),
         ("employees", "/employees"), ("employee", "/employees/E1001"),
         ("corrections", "/corrections"), ("terminals", "/terminals"), ("audit", "/audit")]
IT_PAGES = ("terminals",)


def main() -> int:
    why = why_no_browser()
    if why:
        print(f"cannot take screenshots: {why}", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    clock = FakeClock(T0 - timedelta(days=7))
    with tempfile.TemporaryDirectory() as tmp, live_server(Path(tmp), clock=clock) as srv:
        a = srv.admin
        a.add_site("HQ", "Head office", "Europe/Berlin")
        a.add_shift("day", "09:00", "17:00", 5)
        a.add_shift("early", "06:00", "14:00", 5)
        for emp, name, shift in STAFF:
            a.add_employee(emp, name, "HQ", shift)
        tokens = {emp: a.issue_badge(emp).token for emp, _, _ in STAFF}
        with db.write_txn(a.engine) as conn:
            conn.execute(db.admins.insert().values(
                username="hr.lead", role="hr", password_hash=_password_hash(),
                created_at=0.0, password_changed_at=0.0))
            conn.execute(db.admins.insert().values(
                username="it.desk", role="it", password_hash=_password_hash(),
                created_at=0.0, password_changed_at=0.0))
        term = enroll(srv.url, a.add_terminal("Front door", "HQ"), clock)
        a.add_terminal("Warehouse gate", "HQ")
        for back in range(7, 0, -1):  # a week of history
            day = T0 - timedelta(days=back)
            if day.weekday() < 5:
                term.verdicts([term.punch(tokens[e], day.replace(hour=7, minute=50 + i * 3))
                               for i, e in enumerate(["E1001", "E1002", "E1003", "E1004"])])
                term.verdicts([term.punch(tokens[e], day.replace(hour=16, minute=5))
                               for e in ["E1001", "E1002", "E1003", "E1004"]])
        clock.set(T0)
        term.verdicts([term.punch(tokens["E1001"], T0.replace(hour=7, minute=55)),
                       term.punch(tokens["E1002"], T0.replace(hour=8, minute=22)),
                       term.punch(tokens["E1003"], T0.replace(hour=8, minute=3)),
                       term.punch(tokens["E1006"], T0.replace(hour=4, minute=58)),
                       term.punch(tokens["E1006"], T0.replace(hour=8, minute=30))])
        daysoff.add_leave(a.engine, "E1005", T0.date(), T0.date(), "annual", actor="cli",
                          now=T0)
        corrections.request(a.engine, "E1004", T0.replace(hour=7, minute=58), "check_in",
                            "Badge left at home", requested_by="cli", now=T0)
        hb = {"app_version": "0.1.0", "pending": 0, "clock_offset_s": 0.4,
              "camera_state": "ok", "last_seq": term.seq}
        term.request("POST", "/heartbeat", json.dumps(hb).encode())
        with chromium() as browser:
            for lang in ("en", "zh_CN"):
                hr_pages = [p for p in PAGES if p[0] not in IT_PAGES]
                it_pages = [p for p in PAGES if p[0] in IT_PAGES]
                for user, pages in (("hr.lead", hr_pages), ("it.desk", it_pages)):
                    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
                    page = ctx.new_page()
                    sign_in(page, srv.url, user, PASSWORD)
                    for name, path in pages:
                        sep = "&" if "?" in path else "?"
                        page.goto(f"{srv.url}/console{path}{sep}lang={lang}")
                        page.screenshot(path=str(OUT / f"console-{name}-{lang}.png"), full_page=True)
                    ctx.close()
                ctx = browser.new_context(viewport={"width": 390, "height": 760})
                page = ctx.new_page()
                page.goto(f"{srv.url}/console/login?lang={lang}")
                page.screenshot(path=str(OUT / f"console-login-{lang}.png"))
                ctx.close()
                ctx = browser.new_context(viewport={"width": 390, "height": 760})
                page = ctx.new_page()
                sign_in(page, srv.url, "hr.lead", PASSWORD)  # (the form in English)
                page.goto(f"{srv.url}/console/?lang={lang}")
                page.screenshot(path=str(OUT / f"console-today-phone-{lang}.png"), full_page=True)
                ctx.close()
        term.close()
    print(f"screenshots in {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
