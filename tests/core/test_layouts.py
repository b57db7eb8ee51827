"""Layout mix-ups between a wedge scanner and the terminal: a typed badge is taken after a
mapping only when its signature verifies."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kiosk.core.layouts import FIXES, candidates, guess_layout, swap_letter_case
from kiosk.core.scan_check import ScanReason, classify_scan
from tests.helpers.badges import T0, make_signer, make_token, verifier_for

BY_CODE = {fix.code: fix for fix in FIXES}


def typed_on(code: str, meant: str) -> str:
    """What a US-set scanner's ``meant`` text arrives as on a terminal with that mix-up."""
    fix = BY_CODE[code]
    back = {v: k for k, v in fix.table.items()}
    typed = "".join(back.get(c, c) for c in meant)
    return swap_letter_case(typed) if fix.caps_lock else typed


@pytest.mark.parametrize("fix", FIXES, ids=lambda f: f.code)
def test_each_table_is_one_to_one(fix):
    assert len(set(fix.table.values())) == len(fix.table)


def test_the_belgian_digit_row_from_odoo_214407():
    assert BY_CODE["azerty_be"].apply('àà&"è\'!ç&&') == "0013748911"


@pytest.mark.parametrize("version", ["KB2", "KB1"])
@pytest.mark.parametrize("code", [f.code for f in FIXES if f.code != "caps_lock"])
def test_a_badge_typed_through_a_layout_mix_up_is_read_and_the_layout_named(signer, verifier, version, code):
    token = signer.issue("b00001", "E0000001", T0 - timedelta(days=1), T0 + timedelta(days=9), version=version)
    typed = typed_on(code, token)
    assert typed != token
    assert not classify_scan(typed, verifier, T0).ok  # as it came: no badge
    v = classify_scan(typed, verifier, T0, typed=True)
    assert v.ok and v.badge is not None and v.badge.token == token
    assert v.layout is not None and v.layout.apply(typed).upper() == token.upper()
    assert v.layout.code.split("+")[0] == code.split("+")[0]


def test_caps_lock_on_a_kb1_badge(signer, verifier):
    token = signer.issue("b00001", "E0000001", T0 - timedelta(days=1), T0 + timedelta(days=9), version="KB1")
    v = classify_scan(token.swapcase(), verifier, T0, typed=True)
    assert v.ok and v.layout is not None and v.layout.code == "caps_lock"


def test_kb2_needs_no_fix_for_caps_lock(token, verifier):
    v = classify_scan(token.lower(), verifier, T0, typed=True)
    assert v.ok and v.layout is None


def test_camera_texts_are_never_remapped(token, verifier):
    typed = typed_on("qwertz", token)
    assert classify_scan(typed, verifier, T0).reason is ScanReason.DAMAGED
    assert classify_scan(typed, verifier, T0, typed=False).layout is None


def test_a_mapping_never_makes_a_forgery_a_badge(verifier):
    forged = make_token(make_signer("k1"))  # the right key id, someone else's key
    for code in BY_CODE:
        v = classify_scan(typed_on(code, forged), verifier, T0, typed=True)
        assert not v.ok and v.layout is None and v.reason in (ScanReason.DAMAGED, ScanReason.NOT_A_BADGE)


def test_a_genuine_but_expired_badge_says_expired_and_names_the_layout(signer):
    token = make_token(signer, badge_id="b77", days=2)
    v = classify_scan(typed_on("azerty_fr", token), verifier_for(signer), T0 + timedelta(days=30), typed=True)
    assert v.reason is ScanReason.EXPIRED and v.layout is not None and v.layout.code == "azerty_fr"


def test_unknown_key_is_not_a_verified_mapping(signer):
    stranger = make_token(make_signer("k9"))
    v = classify_scan(typed_on("qwertz", stranger), verifier_for(signer), T0, typed=True)
    assert v.layout is None and not v.ok


def test_candidates_are_distinct_and_bounded():
    out = candidates("KB2.ABCYZ234")
    texts = [t for _, t in out]
    assert len(texts) == len(set(texts)) <= len(FIXES) and "KB2.ABCYZ234" not in texts


def test_guess_layout_from_characters_alone():
    assert guess_layout('àà&"è\'!ç&&') == "azerty_be"
    assert guess_layout("&é\"'(-è_çà") == "azerty_fr"
    assert guess_layout("E-ßTRAßE") == "qwertz"
    assert guess_layout("https://example.com/menu") == ""
