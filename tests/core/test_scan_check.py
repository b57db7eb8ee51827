"""From decoded text to a verdict: every kind of bad input gets a reason, never a crash."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.core.protocol.badge import b32_decode, b32_encode
from kiosk.core.scan_check import MESSAGES, ScanReason, classify_scan
from kiosk.core.text import BINARY_MARKER
from kiosk.scan.decoder import ScanPipeline
from kiosk.scan.synthetic import PRESETS, qr_image, render_frame
from tests.helpers.badges import T0, make_signer, make_token, verifier_for


def test_valid_badge_is_accepted(token, verifier):
    v = classify_scan(token, verifier, T0)
    assert v.ok and v.badge is not None and v.badge.verified
    assert v.badge.employee_id == "E0000001"


def test_wedge_line_end_is_tolerated(token, verifier):
    assert classify_scan(token + "\r\n", verifier, T0).ok


@pytest.mark.parametrize(
    "text",
    ["https://example.com/", "", "KB3.k1.x", "hello\nworld", "X" * 3000, BINARY_MARKER + "ff00", "é" * 40],
)
def test_other_codes_are_not_a_badge(text, verifier):
    v = classify_scan(text, verifier, T0)
    assert v.reason is ScanReason.NOT_A_BADGE and v.message == "Not a badge" and v.badge is None


def test_non_text_is_not_a_badge(verifier):
    assert classify_scan(b"KB1", verifier, T0).reason is ScanReason.NOT_A_BADGE
    assert classify_scan(None, verifier, T0).reason is ScanReason.NOT_A_BADGE


def tampered(token: str, old: str, new: str) -> str:
    """A KB2 token with a field changed inside its packed bytes (the signature left as it was)."""


    raw = b32_decode(token[4:])
    assert old.encode() in raw
    return "KB2." + b32_encode(raw.replace(old.encode(), new.encode()))


def test_forged_and_damaged_badges(token, verifier):
    body, _, sig = token.rpartition(".")
    for text in ("KB2.k1.x", "kb2.", "KB1.k1.x"):
        assert classify_scan(text, verifier, T0).reason is ScanReason.DAMAGED
    tampered_id = tampered(token, "E0000001", "E0000002")
    assert classify_scan(tampered_id, verifier, T0).message == "Badge damaged or forged"
    assert classify_scan(tampered_id, verifier, T0, typed=True).reason is ScanReason.DAMAGED
    other = make_token(make_signer("k1"))  # same key id, different (attacker's) key
    assert classify_scan(other, verifier, T0).reason is ScanReason.DAMAGED
    truncated = token[:-10]
    assert classify_scan(truncated, verifier, T0).reason is ScanReason.DAMAGED
    flipped = body + "." + ("A" if sig[0] != "A" else "B") + sig[1:]
    assert classify_scan(flipped, verifier, T0).reason is ScanReason.DAMAGED


def test_revoked_expired_unknown_key(signer):
    token = make_token(signer, badge_id="b9")
    assert classify_scan(token, verifier_for(signer, revoked=("b9",)), T0).message == "Badge revoked"
    later = T0 + timedelta(days=400)
    assert classify_scan(token, verifier_for(signer), later).message == "Badge expired"
    stranger = make_token(make_signer("k9"))
    v = classify_scan(stranger, verifier_for(signer), T0)
    assert v.message == "Badge not recognised (unknown key)"
    future = make_token(signer, issued=T0 + timedelta(days=2))
    assert classify_scan(future, verifier_for(signer), T0).reason is ScanReason.NOT_YET_VALID


def test_every_reason_has_a_message():
    assert set(MESSAGES) == set(ScanReason)


# ------------------------------------------------------------------ images end to end


def test_forged_badge_image_end_to_end(token, verifier):
    forged = tampered(token, "E0000001", "E0000009")
    frame = render_frame(forged, perturb=PRESETS["tilt"])
    (found,) = ScanPipeline().decode(frame)
    assert classify_scan(found.text, verifier, T0).reason is ScanReason.DAMAGED


def test_url_qr_image_end_to_end(verifier):
    (found,) = ScanPipeline().decode(qr_image("https://example.com/menu"))
    assert classify_scan(found.text, verifier, T0).message == "Not a badge"


# ------------------------------------------------------------------ fuzz

_badge_alphabet = st.sampled_from("KB1.k1b0E9_-AZaz09+/=\x00é\r\n ")


def _mutations(token: str):
    positions = st.integers(0, len(token) - 1)
    return st.one_of(
        st.tuples(positions, st.characters()).map(lambda p: token[: p[0]] + p[1] + token[p[0] + 1 :]),
        st.tuples(positions, st.characters()).map(lambda p: token[: p[0]] + p[1] + token[p[0] :]),
        positions.map(lambda i: token[:i] + token[i + 1 :]),
        positions.map(lambda i: token[:i]),
        st.lists(st.text(_badge_alphabet, max_size=20), min_size=7, max_size=7).map(".".join),
    )


_fuzz = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@_fuzz
@given(data=st.data())
def test_fuzz_text_to_verdict_never_raises(data, token, verifier):
    text = data.draw(st.one_of(st.text(), st.text(_badge_alphabet), _mutations(token), st.binary().map(lambda b: b.decode("latin-1"))))
    now = data.draw(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(timezone.utc)))
    v = classify_scan(text, verifier, now, typed=data.draw(st.booleans()))
    assert v.message == MESSAGES[v.reason]
    assert (v.badge is not None) == v.ok
    if v.ok:
        assert v.badge.token == token  # only the genuine token is ever accepted


@_fuzz
@given(raw=st.binary(max_size=300))
def test_fuzz_decoded_bytes_to_verdict(raw, verifier):
    from kiosk.core.text import text_from_bytes

    v = classify_scan(text_from_bytes(raw), verifier, T0)
    assert not v.ok


def test_decoded_binary_qr_is_not_a_badge(verifier):
    import numpy as np
    import qrcode

    qr = qrcode.QRCode(box_size=6)
    qr.add_data(b"\x80\x81\xfe\xff" * 10, optimize=0)
    img = np.array(qr.make_image().convert("L"))
    (found,) = ScanPipeline().decode(np.repeat(img[:, :, None], 3, axis=2))  # as a BGR frame
    assert classify_scan(found.text, verifier, T0).reason is ScanReason.NOT_A_BADGE
