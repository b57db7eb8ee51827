"""The decoder on real photos, generated codes under each perturbation, and bad input."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import qrcode

from kiosk.core.text import BINARY_MARKER, is_binary_text, text_from_bytes
from kiosk.scan.decoder import (
    Decoded,
    DecoderUnavailable,
    OpenCvDecoder,
    PyzbarDecoder,
    ScanPipeline,
    ZxingDecoder,
    make_raw_decoder,
    to_gray,
)
from kiosk.scan.sources import read_image
from kiosk.scan.synthetic import PRESETS, qr_image, render_frame

from .conftest import photo_cases, same_text


@pytest.fixture(scope="module")
def pipeline() -> ScanPipeline:
    return ScanPipeline()


@pytest.mark.needs_shared
def test_pipeline_reads_at_least_103_of_the_shared_photos(qr_photos, pipeline):
    cases = photo_cases(qr_photos)
    assert len(cases) == 110
    read = [p.name for p, want in cases if any(same_text(d.text, want) for d in pipeline.decode(read_image(p)))]
    assert len(read) >= 103, f"read only {len(read)} of 110"


@pytest.mark.needs_shared
def test_second_pass_reads_photos_raw_zxing_misses(qr_photos, pipeline):
    raw = ZxingDecoder()
    gained = 0
    for path, want in photo_cases(qr_photos):
        frame = read_image(path)
        raw_ok = any(same_text(d.text, want) for d in raw.decode_gray(to_gray(frame)))
        pipe_ok = any(same_text(d.text, want) for d in pipeline.decode(frame))
        assert pipe_ok or not raw_ok, f"pipeline lost {path.name}, which raw zxing-cpp reads"
        gained += pipe_ok and not raw_ok
    assert gained >= 3


def test_opencv_decoder_is_only_a_lazy_comparison(monkeypatch):
    monkeypatch.setitem(sys.modules, "cv2", None)
    with pytest.raises(DecoderUnavailable, match=r"checkin-kiosk\[video\]"):
        OpenCvDecoder()
    with pytest.raises(DecoderUnavailable):
        make_raw_decoder("opencv")


def test_opencv_decoder_reads_when_installed():
    pytest.importorskip("cv2")
    assert [d.text for d in OpenCvDecoder().decode_gray(qr_image("compare", box_size=4))] == ["compare"]


@pytest.mark.parametrize("preset", sorted(PRESETS))
@pytest.mark.parametrize("size", [(640, 480), (1280, 720)])
def test_generated_badge_is_read_under_each_perturbation(preset, size, pipeline, token):
    width, height = size
    for seed in range(3):
        frame = render_frame(token, width=width, height=height, perturb=PRESETS[preset], seed=seed)
        found = pipeline.decode(frame)
        assert [d.text for d in found] == [token], f"{preset} seed {seed}"
        xs = [x for x, _ in found[0].polygon]
        ys = [y for _, y in found[0].polygon]
        assert len(found[0].polygon) == 4
        assert 0 <= min(xs) < max(xs) <= width and 0 <= min(ys) < max(ys) <= height


def test_polygon_surrounds_the_code(pipeline, token):
    frame = render_frame(token, perturb=PRESETS["clean"], center=(200, 240))
    (found,) = pipeline.decode(frame)
    cx = sum(x for x, _ in found.polygon) / 4
    cy = sum(y for _, y in found.polygon) / 4
    assert abs(cx - 200) < 10 and abs(cy - 240) < 10


@pytest.mark.parametrize("preset", ["clean", "noise", "blur", "low_contrast", "glare"])
def test_frames_without_code_never_reach_the_second_pass(pipeline, preset):
    """The second pass must not cost anything on empty frames, which are most frames."""
    for seed in range(4):
        for width, height in ((640, 480), (1280, 720)):
            frame = render_frame(None, width=width, height=height, perturb=PRESETS[preset], seed=seed)
            assert pipeline.decode(frame) == []
            assert pipeline.last_pass == 0


def test_pyzbar_backend_reads_a_badge(token):
    pipe = ScanPipeline("pyzbar")
    assert [d.text for d in pipe.decode(render_frame(token))] == [token]


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown decoder"):
        ScanPipeline("wechat")


def test_missing_zbar_library_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyzbar.pyzbar", None)  # import now raises ImportError
    monkeypatch.delitem(sys.modules, "pyzbar", raising=False)
    with pytest.raises(DecoderUnavailable, match="zbar library"):
        PyzbarDecoder()
    with pytest.raises(DecoderUnavailable):
        ScanPipeline("pyzbar")
    # the default pipeline still works without zbar (it is only an optional extra reader)
    pipe = ScanPipeline()
    assert pipe.decode(render_frame("hello there")) [0].text == "hello there"


def _qr_bytes_image(data: bytes) -> np.ndarray:
    qr = qrcode.QRCode(border=4, box_size=6)
    qr.add_data(data, optimize=0)
    qr.make(fit=True)
    img = np.array(qr.make_image().convert("L"))
    return np.ascontiguousarray(img)


@pytest.mark.parametrize("backend", ["zxingcpp", "pyzbar"])
def test_binary_content_comes_back_marked(backend):
    data = bytes(range(256))[::3] + b"\xff\xfe\x00\x80"
    found = ScanPipeline(backend).decode(_qr_bytes_image(data))
    assert len(found) == 1
    assert found[0].binary and is_binary_text(found[0].text)


def test_huge_qr_is_decoded_whole(pipeline):
    text = "X" * 2000
    found = pipeline.decode(qr_image(text, box_size=3))
    assert [d.text for d in found] == [text]


@pytest.mark.parametrize(
    "frame",
    [
        np.zeros((0, 0, 3), np.uint8),
        np.zeros((10,), np.uint8),
        np.zeros((5, 5, 2), np.uint8),
        np.full((40, 40, 3), 300.0),
        np.zeros((1, 1), np.uint8),
        "not an array",
        None,
    ],
    ids=["empty", "1d", "2ch", "float", "1px", "str", "none"],
)
def test_bad_frames_never_raise(pipeline, frame):
    assert pipeline.decode(frame) == []


def test_bgra_and_gray_frames_are_read(pipeline):
    gray = qr_image("gray frame", box_size=5)
    assert pipeline.decode(gray)[0].text == "gray frame"
    bgra = np.dstack([gray, gray, gray, np.full_like(gray, 255)])
    assert pipeline.decode(bgra)[0].text == "gray frame"


def test_text_from_bytes():
    assert text_from_bytes("Grüße".encode()) == "Grüße"
    assert text_from_bytes(b"a\r\nb\tc") == "a\r\nb\tc"
    assert text_from_bytes(b"\xff\xfe").startswith(BINARY_MARKER)
    assert text_from_bytes(b"ok\x00nul").startswith(BINARY_MARKER)
    assert text_from_bytes(b"\xe9t\xe9", fallback="été") == "été"
    long = text_from_bytes(bytes(100) )
    assert long.startswith(BINARY_MARKER) and long.endswith("…")


def test_decoded_is_plain_data():
    d = Decoded("abc", [(1, 2)])
    assert not d.binary and d.polygon == [(1, 2)]


def test_second_pass_reads_a_defocused_badge_raw_zxing_cannot(pipeline, token):
    from kiosk.scan.synthetic import Perturb

    raw = ZxingDecoder()
    soft = Perturb(blur=2.2, scale=0.45)
    for seed in range(3):
        frame = render_frame(token, perturb=soft, seed=seed)
        assert raw.decode_gray(to_gray(frame)) == []
        assert [d.text for d in pipeline.decode(frame)] == [token]
        assert pipeline.last_pass == 2


def test_second_pass_can_be_switched_off(token):
    from kiosk.scan.synthetic import Perturb

    frame = render_frame(token, perturb=Perturb(blur=2.2, scale=0.45))
    assert ScanPipeline(second_pass=False).decode(frame) == []
