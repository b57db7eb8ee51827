"""The enrolment QR's text: round trip, case, layout mix-ups, damage, and what is not one."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from kiosk.core.layouts import read_typed
from kiosk.core.protocol.enrolment import (
    EnrolmentCodeError,
    EnrolmentCodeErrorReason,
    enrolment_text,
    parse_enrolment,
)
from kiosk.scan.decoder import ScanPipeline
from server_stub.badge_print import enrolment_png
from tests.core.test_layouts import typed_on

URL, CODE = "https://attendance.example.com:8443/kiosk", "ABCD-EFGH-JKLM-NPQR"
QR_ALPHANUMERIC = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


def test_round_trip_and_alphanumeric():
    text = enrolment_text(URL, CODE)
    assert set(text) <= QR_ALPHANUMERIC and text.startswith("KE1.")
    got = parse_enrolment(text)
    assert (got.server_url, got.code) == (URL, CODE)
    assert parse_enrolment(text.lower() + "\r\n").code == CODE  # Caps Lock, a scanner's Enter


def test_a_wedge_text_through_a_layout_mix_up_is_read_by_its_checksum():
    text = enrolment_text(URL, CODE)
    for code in ("qwertz", "azerty_fr", "azerty_be"):
        typed = typed_on(code, text)
        assert typed != text
        with pytest.raises(EnrolmentCodeError):
            parse_enrolment(typed)
        got, fix = read_typed(typed, parse_enrolment, EnrolmentCodeError)
        assert got.code == CODE and fix is not None and fix.code == code


@pytest.mark.parametrize("pos", [4, 10, 30, -1])
def test_a_changed_character_is_damaged_never_another_enrolment(pos):
    text = enrolment_text(URL, CODE)
    other = "B" if text[pos] != "B" else "C"
    with pytest.raises(EnrolmentCodeError) as err:
        parse_enrolment(text[:pos] + other + text[pos + 1 :] if pos != -1 else text[:-1] + other)
    assert err.value.reason is EnrolmentCodeErrorReason.DAMAGED


@pytest.mark.parametrize("text", ["https://example.com", "KB2.AAAA", "", None, 42, "KE1" + "A" * 2000])
def test_other_codes_are_not_enrolment(text):
    with pytest.raises(EnrolmentCodeError) as err:
        parse_enrolment(text)
    assert err.value.reason is EnrolmentCodeErrorReason.NOT_ENROLMENT


def test_only_http_addresses():
    with pytest.raises(EnrolmentCodeError) as err:
        enrolment_text("ftp://example.com", CODE)
    assert err.value.reason is EnrolmentCodeErrorReason.BAD_ADDRESS
    with pytest.raises(ValueError):
        enrolment_text(URL, "")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_garbage_raises_only_the_one_error(text):
    for candidate in (text, "KE1." + text, "ke1." + text.upper()):
        try:
            parse_enrolment(candidate)
        except EnrolmentCodeError:
            pass


def test_the_printed_qr_decodes_to_the_enrolment():
    png = enrolment_png(enrolment_text(URL, CODE), "Door (HQ)")
    frame = __import__("numpy").asarray(Image.open(io.BytesIO(png)).convert("L"))
    (found,) = ScanPipeline().decode(frame)
    assert parse_enrolment(found.text).code == CODE
