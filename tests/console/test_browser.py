"""The console in a real browser (Debian's Chromium via Playwright) against a live server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from server_stub import db
from server_stub.console import sessions
from tests.helpers.browser import chromium, sign_in, why_no_browser

from .conftest import PASSWORD

pytestmark = pytest.mark.skipif(why_no_browser() is not None, reason=str(why_no_browser()))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="en-US")
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    context.close()


def test_sign_in_then_a_punch_shows_on_today_within_5_s(page, admins, term) -> None:
    page.goto(admins.url + "/console/")
    assert "/console/login" in page.url
    sign_in(page, admins.url, "hr1", PASSWORD)
    assert page.get_by_role("heading", name="Today").is_visible()
    in_now = page.locator('[data-site="HQ"] [data-kind="in"]')
    assert "Ana Souza" not in in_now.inner_text()
    admins.clock.advance(60)
    started = time.monotonic()
    assert term.verdicts([term.punch(admins.tokens["E1"])])[0]["status"] == "accepted"
    in_now.get_by_text("Ana Souza").wait_for(timeout=5_000)  # no reload: the live view
    assert time.monotonic() - started < 5
    assert page.url.endswith("/console/")
    hq = page.locator('[data-site="HQ"]')
    assert "Completeness" in hq.locator(".watermark").inner_text()  # the site's watermark
    assert hq.locator(".last-punch time").inner_text().count(":") == 2  # and freshness
    # while nothing changes, the polls are bodiless 304s (the ETag the script sends back)
    statuses: list[int] = []
    page.on("response", lambda r: statuses.append(r.status) if "/today/live" in r.url else None)
    page.wait_for_timeout(2_500)
    assert statuses and set(statuses) <= {200, 304} and 304 in statuses, statuses


def test_a_list_the_viewer_folded_stays_folded_across_live_updates(page, admins, term) -> None:
    """Today's lists are <details> (long ones start folded, for phones); the live view
    swaps the fragment in every change, and keeps what the viewer opened or folded."""
    sign_in(page, admins.url, "hr1", PASSWORD)
    hq = page.locator('[data-site="HQ"]')
    not_in = hq.locator('[data-kind="not_in"] details')
    assert not_in.get_attribute("open") is not None  # short lists start open
    not_in.locator("summary").click()
    assert not_in.get_attribute("open") is None
    assert term.verdicts([term.punch(admins.tokens["E4"])])[0]["status"] == "accepted"
    hq.locator('[data-kind="in"]').get_by_text("No Shift").wait_for(timeout=5_000)  # swapped
    assert not_in.get_attribute("open") is None and "Ana Souza" in not_in.text_content()
    assert hq.locator('[data-kind="in"] details').get_attribute("open") is not None


def test_csv_with_a_bad_row_stores_nothing(page, admins) -> None:
    sign_in(page, admins.url, "hr1", PASSWORD)
    page.goto(admins.url + "/console/employees/import")
    page.get_by_label("CSV file").set_input_files(files=[{
        "name": "staff.csv", "mimeType": "text/csv",
        "buffer": b"employee_id,name,site\nB1,Fine,HQ\nB2,Wrong Site,MOON\n"}])
    page.get_by_role("button", name="Import").click()
    assert page.get_by_role("alert").inner_text().startswith("Nothing was imported")
    row = page.locator('#problems tr[data-line="3"]')
    assert "unknown site" in row.inner_text()
    with admins.srv.admin.engine.connect() as conn:
        ids = set(conn.execute(select(db.employees.c.employee_id)).scalars())
    assert "B1" not in ids and "B2" not in ids


def test_revoke_a_badge(page, admins, term) -> None:
    sign_in(page, admins.url, "hr1", PASSWORD)
    badge = admins.badge_ids["E1"]
    page.goto(admins.url + "/console/employees/E1")
    page.locator(f'tr[data-badge="{badge}"]').get_by_role("button", name="Revoke").click()
    assert "Revoked" in page.locator(f'tr[data-badge="{badge}"]').inner_text()
    assert badge in term.request("GET", "/roster").json()["revoked"]


def test_wrong_password_until_the_limit_answers(page, admins) -> None:
    page.goto(admins.url + "/console/")
    for _ in range(sessions.MAX_FAILS_PER_USER):
        page.get_by_label("Username").fill("hr1")
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
        assert page.get_by_role("alert").inner_text() == "Wrong username or password."
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert "Too many failed sign-ins" in page.get_by_role("alert").inner_text()
    assert "/console/login" in page.url


def test_readable_on_a_phone(browser, admins) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN")
    pg = context.new_page()
    pg.goto(admins.url + "/console/")
    assert pg.get_by_role("button", name="登录").is_visible()  # Accept-Language: zh-CN
    pg.get_by_label("用户名").fill("hr1")
    pg.get_by_label("密码").fill(PASSWORD)
    pg.get_by_role("button", name="登录").click()
    pg.wait_for_url("**/console/")
    for path in ("/", "/attendance", "/employees", "/employees/E1", "/employees/import",
                 "/corrections", "/audit"):
        pg.goto(admins.url + "/console" + path)
        width = pg.evaluate("document.documentElement.scrollWidth")
        assert width <= 380, (path, width)  # wide tables scroll inside their box
    context.close()
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="en-US")
    pg = context.new_page()
    sign_in(pg, admins.url, "it1", PASSWORD)  # IT's pages: the overview, a new terminal's QR
    pg.goto(admins.url + "/console/terminals")
    assert pg.evaluate("document.documentElement.scrollWidth") <= 380
    pg.get_by_label("Name", exact=True).fill("Side door")
    pg.get_by_role("button", name="Add").click()
    assert pg.locator(".qr img").is_visible()
    assert pg.evaluate("document.documentElement.scrollWidth") <= 380
    context.close()


def test_approve_a_make_up_request_and_download_the_xlsx(page, admins, term) -> None:
    import io
    from datetime import timedelta

    from openpyxl import load_workbook

    from server_stub import corrections

    from .conftest import T0

    term.verdicts([term.punch(admins.tokens["E1"])])  # in at 09:00, never out
    admins.clock.advance(10 * 3600)
    c = corrections.request(admins.srv.admin.engine, "E1", T0 + timedelta(hours=8), "check_out",
                            "forgot to scan", requested_by="terminal:T1", now=admins.clock.now())
    sign_in(page, admins.url, "hr1", PASSWORD)
    report = admins.url + "/console/attendance?from=2026-11-02&to=2026-11-02&employee=E1"
    page.goto(report)
    assert "Missing check-out" in page.locator("#days").inner_text() or \
        "missing_check_out" in page.locator("#days").inner_text()
    page.goto(admins.url + "/console/corrections")
    row = page.locator(f'tr[data-correction="{c.id}"]')
    row.get_by_label("Note").fill("ok")
    row.get_by_role("button", name="Approve").click()
    assert page.locator(f'tr[data-correction="{c.id}"]').count() == 0
    page.goto(report)
    assert "present" in page.locator("#days").inner_text()
    with page.expect_download() as dl:
        page.locator("#download-xlsx").click()
    book = load_workbook(io.BytesIO(open(dl.value.path(), "rb").read()), read_only=True)
    rows = list(book["Days 明细"].iter_rows(values_only=True))
    assert any("E1" in r and "present" in r for r in rows), rows
