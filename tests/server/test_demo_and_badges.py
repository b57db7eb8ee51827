"""The demo seed works end to end, and printed badges decode back to their tokens."""

from __future__ import annotations

import io
from datetime import timedelta

import zxingcpp
from PIL import Image

from server_stub.badge_print import PrintableBadge, badge_png, sheet_html, sheet_png
from server_stub.demo_data import seed_demo

from .conftest import T0
from .terminal_client import enroll


def test_demo_seed_gives_a_working_site(tmp_path, clock):
    from tests.helpers.live_server import live_server

    with live_server(tmp_path, clock=clock) as srv:
        seed = seed_demo(srv.admin)
        assert len(seed.tokens) == 6 and "王芳" in seed.names.values()
        term = enroll(srv.url, seed.enrol_code, clock)
        try:
            roster = term.request("GET", "/roster").json()
            assert set(roster["employees"]) == set(seed.tokens)
            assert seed.revoked_badge_id in roster["revoked"]
            assert roster["timezone"] == "Europe/Berlin"
            clock.advance(60)
            punches = [term.punch(t, T0 + timedelta(seconds=i))
                       for i, t in enumerate(seed.tokens.values())]
            punches += [term.punch(seed.revoked_token), term.punch(seed.expired_token)]
            verdicts = term.verdicts(punches)
            assert all(v["status"] == "accepted" for v in verdicts[:6])
            assert [v["reason"] for v in verdicts[6:]] == ["badge_revoked", "badge_expired"]
        finally:
            term.close()
        again = seed_demo(srv.admin)  # a second seed adds badges and a code, no errors
        assert again.enrol_code != seed.enrol_code


def _badges(n: int) -> list[PrintableBadge]:
    from tests.helpers.badges import make_signer, make_token

    signer = make_signer()
    names = ["Ana Souza", "王芳", "Jonas Becker", "Priya Natarajan"]
    return [PrintableBadge(names[i % 4], f"E{i:07d}", f"b{i:05d}",
                           make_token(signer, f"E{i:07d}", f"b{i:05d}")) for i in range(n)]


def test_badge_png_decodes_to_its_token():
    (b,) = _badges(1)
    img = Image.open(io.BytesIO(badge_png(b)))
    (code,) = zxingcpp.read_barcodes(img)
    assert code.text == b.token


def test_sheet_png_holds_every_badge():
    badges = _badges(5)
    img = Image.open(io.BytesIO(sheet_png(badges, columns=3)))
    found = {c.text for c in zxingcpp.read_barcodes(img)}
    assert found == {b.token for b in badges}


def test_sheet_html_is_self_contained():
    badges = _badges(3)
    page = sheet_html(badges)
    assert page.count("data:image/png;base64,") == 3
    assert "王芳" in page and "<script" not in page
