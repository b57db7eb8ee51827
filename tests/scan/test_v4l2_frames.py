"""V4L2 frame conversions on real QR images (decoded by the real pipeline), and the mode choice."""

from __future__ import annotations

import io
import logging

import numpy as np
import pytest
import qrcode
from PIL import Image

from kiosk.scan.decoder import ScanPipeline
from kiosk.scan.v4l2_frames import (
    Mode,
    choose_mode,
    fourcc_text,
    frame_to_gray,
    frame_to_rgb_half,
    jpeg_to_gray,
    packed_to_gray,
    plane_to_gray,
)

W, H = 320, 240


@pytest.fixture(scope="module")
def pipeline() -> ScanPipeline:
    return ScanPipeline()


@pytest.fixture(scope="module")
def luma(token) -> np.ndarray:
    """A badge's QR on a mid-gray scene, W x H, as the camera's Y plane would hold it."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=2, border=4)
    qr.add_data(token)
    code = np.array(qr.make_image().get_image().convert("L"), dtype=np.uint8)
    assert code.shape[0] <= H and code.shape[1] <= W, code.shape
    scene = np.full((H, W), 128, np.uint8)
    y, x = (H - code.shape[0]) // 2, (W - code.shape[1]) // 2
    scene[y : y + code.shape[0], x : x + code.shape[1]] = code
    return scene


def _chroma(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    # noise, not a constant: reading a chroma byte as luma must break the picture
    return rng.integers(0, 256, shape, dtype=np.uint8)


def _packed(luma: np.ndarray, y_offset: int, pad: int) -> bytes:
    rng = np.random.default_rng(1)
    h, w = luma.shape
    row = np.empty((h, w * 2 + pad), np.uint8)
    row[:, : w * 2] = _chroma(rng, (h, w * 2))
    row[:, y_offset : w * 2 : 2] = luma
    row[:, w * 2 :] = 0x55
    return row.tobytes()


def _decodes(pipeline: ScanPipeline, gray: np.ndarray, token: str) -> bool:
    return [d.text for d in pipeline.decode(gray)] == [token]


def _tinted(luma: np.ndarray) -> Image.Image:
    rgb = np.stack([luma, luma, luma], axis=2).copy()
    rgb[..., 0] = np.clip(rgb[..., 0].astype(int) + 40, 0, 255)  # tinted, so chroma is not empty
    return Image.fromarray(rgb, "RGB")


def _jpeg(luma: np.ndarray, quality: int = 85) -> bytes:
    """A colour JPEG (YCbCr 4:2:0), as webcams send: the gray decode must drop the chroma."""
    out = io.BytesIO()
    _tinted(luma).save(out, "JPEG", quality=quality)
    return out.getvalue()


# ---------------------------------------------------------------- raw formats


@pytest.mark.parametrize("fourcc,y_offset", [("YUYV", 0), ("UYVY", 1)])
@pytest.mark.parametrize("pad", [0, 64])
def test_packed_422_to_gray_is_the_luma_and_decodes(fourcc, y_offset, pad, luma, pipeline, token):
    data = _packed(luma, y_offset, pad)
    gray = frame_to_gray(fourcc, data, W, H, W * 2 + pad)
    assert gray.shape == (H, W) and gray.dtype == np.uint8
    assert np.array_equal(gray, luma)
    assert gray.flags.c_contiguous and gray.flags.owndata  # the driver's buffer goes back at once
    assert _decodes(pipeline, gray, token)


def test_wrong_luma_offset_does_not_give_the_picture(luma):
    """The tests above would pass for any offset if the chroma were flat; it is not."""
    data = _packed(luma, 0, 0)
    assert not np.array_equal(packed_to_gray(data, W, H, y_offset=1), luma)


@pytest.mark.parametrize("fourcc", ["NV12", "NV21", "YU12", "GREY"])
@pytest.mark.parametrize("pad", [0, 32])
def test_planar_y_plane_to_gray_skips_padding_and_chroma(fourcc, pad, luma, pipeline, token):
    rng = np.random.default_rng(2)
    plane = np.full((H, W + pad), 0xAA, np.uint8)
    plane[:, :W] = luma
    chroma = b"" if fourcc == "GREY" else _chroma(rng, (H // 2, W + pad)).tobytes()
    gray = frame_to_gray(fourcc, plane.tobytes() + chroma, W, H, W + pad)
    assert np.array_equal(gray, luma)
    assert _decodes(pipeline, gray, token)


def test_last_row_without_padding_is_enough(luma):
    pad = 16
    plane = np.zeros((H, W + pad), np.uint8)
    plane[:, :W] = luma
    data = plane.tobytes()[:-pad]  # some drivers leave the last row's padding out
    assert np.array_equal(plane_to_gray(data, W, H, W + pad), luma)


@pytest.mark.parametrize("fourcc", ["YUYV", "GREY", "NV12"])
def test_short_frame_is_none(fourcc, luma, caplog):
    full = _packed(luma, 0, 0) if fourcc == "YUYV" else luma.tobytes()
    with caplog.at_level(logging.DEBUG, logger="kiosk.scan.v4l2_frames"):
        assert frame_to_gray(fourcc, full[: len(full) // 2], W, H) is None
    assert "too short" in caplog.text


def test_memoryview_of_a_driver_buffer_is_copied(luma):
    buf = bytearray(_packed(luma, 0, 0))
    gray = frame_to_gray("YUYV", memoryview(buf), W, H)
    buf[:] = bytes(len(buf))  # the driver reuses its buffer
    assert np.array_equal(gray, luma)


def test_unknown_format_is_a_value_error():
    with pytest.raises(ValueError, match="RGB3"):
        frame_to_gray("RGB3", b"\0" * 12, 2, 2)


def test_fourcc_text():
    assert fourcc_text(0x56595559) == "YUYV"
    assert fourcc_text(int.from_bytes(b"MJPG", "little")) == "MJPG"


# ---------------------------------------------------------------- MJPEG


def test_mjpeg_frame_to_gray_decodes(luma, pipeline, token):
    gray = jpeg_to_gray(_jpeg(luma))
    assert gray.shape == (H, W) and gray.dtype == np.uint8
    want = np.array(_tinted(luma).convert("L"), dtype=int)  # the frame's Y (BT.601, as JPEG)
    assert np.abs(gray.astype(int) - want).mean() < 3  # lossy, but the Y plane
    assert _decodes(pipeline, gray, token)
    assert frame_to_gray("MJPG", memoryview(_jpeg(luma)), W, H) is not None


def _without_huffman_tables(jpeg: bytes) -> bytes:
    """The JPEG with its DHT segments cut out, as many webcams send MJPEG."""
    out, i = bytearray(jpeg[:2]), 2
    while i < len(jpeg):
        assert jpeg[i] == 0xFF
        marker = jpeg[i + 1]
        length = int.from_bytes(jpeg[i + 2 : i + 4], "big")
        if marker == 0xDA:  # start of scan: the rest is entropy-coded data
            out += jpeg[i:]
            break
        if marker != 0xC4:
            out += jpeg[i : i + 2 + length]
        i += 2 + length
    return bytes(out)


def test_mjpeg_without_huffman_tables_decodes(luma, pipeline, token):
    jpeg = _jpeg(luma, quality=75)  # Pillow writes the standard tables at this setting
    stripped = _without_huffman_tables(jpeg)
    assert b"\xff\xc4" not in stripped[: stripped.index(b"\xff\xda")]
    gray = jpeg_to_gray(stripped)
    assert gray is not None and _decodes(pipeline, gray, token)


@pytest.mark.parametrize(
    "damage",
    [
        lambda j: j[: len(j) // 2],  # truncated: the camera's buffer half filled
        lambda j: j[:2] + bytes(200),  # a start marker and nothing sensible
        lambda j: b"\xff\xd8",
        lambda j: b"",
        lambda j: b"not a jpeg at all",
        lambda j: j[:20] + bytes([0xFF]) * 100 + j[120:],  # a mangled header
    ],
    ids=["truncated", "zeros", "marker-only", "empty", "not-jpeg", "mangled"],
)
def test_corrupt_mjpeg_is_none_with_a_debug_log(damage, luma, caplog):
    with caplog.at_level(logging.DEBUG, logger="kiosk.scan.v4l2_frames"):
        assert jpeg_to_gray(damage(_jpeg(luma))) is None
    assert "MJPEG frame dropped" in caplog.text


# ---------------------------------------------------------------- mode choice

WEBCAM = [
    Mode("YUYV", 640, 480, 30),
    Mode("YUYV", 640, 480, 15),
    Mode("YUYV", 1280, 720, 10),
    Mode("YUYV", 1920, 1080, 5),
    Mode("MJPG", 640, 480, 30),
    Mode("MJPG", 1280, 720, 30),
    Mode("MJPG", 1920, 1080, 30),
    Mode("H264", 1280, 720, 30),  # cannot be read: never chosen
]


@pytest.mark.parametrize(
    "modes,want,chosen",
    [
        # the raw format cannot reach 720p at 30: MJPEG can
        (WEBCAM, (1280, 720, 30), Mode("MJPG", 1280, 720, 30)),
        # raw reaches 640x480 at 30: raw wins over MJPEG at the same size
        (WEBCAM, (640, 480, 30), Mode("YUYV", 640, 480, 30)),
        # a lower rate asked: the slowest raw mode that reaches it
        (WEBCAM, (640, 480, 15), Mode("YUYV", 640, 480, 15)),
        (WEBCAM, (1280, 720, 10), Mode("YUYV", 1280, 720, 10)),
        # smaller than anything offered: the smallest mode that reaches it
        (WEBCAM, (320, 240, 30), Mode("YUYV", 640, 480, 30)),
        # larger than anything: the one that falls least short
        (WEBCAM, (3840, 2160, 30), Mode("MJPG", 1920, 1080, 30)),
        # a raw-only camera that cannot reach the rate: the closest
        ([Mode("YUYV", 1280, 720, 10), Mode("YUYV", 640, 480, 30)], (1280, 720, 30),
         Mode("YUYV", 1280, 720, 10)),
        ([Mode("YUYV", 1280, 720, 5), Mode("YUYV", 640, 480, 30)], (1280, 720, 30),
         Mode("YUYV", 640, 480, 30)),
        # rates are not exact: 29.97 is 30
        ([Mode("NV12", 1280, 720, 29.97), Mode("MJPG", 1280, 720, 30)], (1280, 720, 30),
         Mode("NV12", 1280, 720, 29.97)),
        # a driver that tells no rate (0): taken as fast enough
        ([Mode("GREY", 752, 480, 0)], (640, 480, 30), Mode("GREY", 752, 480, 0)),
        # only MJPEG: MJPEG
        ([Mode("MJPG", 1280, 720, 30)], (640, 480, 30), Mode("MJPG", 1280, 720, 30)),
    ],
)
def test_choose_mode(modes, want, chosen):
    assert choose_mode(modes, *want) == chosen


def test_choose_mode_nothing_readable_is_none():
    assert choose_mode([Mode("H264", 1280, 720, 30), Mode("RGB3", 640, 480, 30)], 1280, 720, 30) is None
    assert choose_mode([], 1280, 720, 30) is None


# ---------------------------------------------------------------- colour preview

# BT.601 video-range YCbCr of pure colours, as a webcam sends them
COLOURS = {"red": ((81, 90, 240), (255, 0, 0)), "green": ((145, 54, 34), (0, 255, 0)),
           "blue": ((41, 240, 110), (0, 0, 255)), "gray": ((126, 128, 128), (128, 128, 128))}


def _packed_colour(fourcc: str, ycc: tuple[int, int, int], w: int, h: int, pad: int = 0) -> bytes:
    y, u, v = ycc
    group = {"YUYV": (y, u, y, v), "YVYU": (y, v, y, u), "UYVY": (u, y, v, y)}[fourcc]
    rows = np.zeros((h, w * 2 + pad), np.uint8)
    rows[:, : w * 2] = np.tile(np.array(group, np.uint8), w // 2)
    return rows.tobytes()


@pytest.mark.parametrize("fourcc", ["YUYV", "YVYU", "UYVY"])
@pytest.mark.parametrize("colour", list(COLOURS))
def test_packed_preview_is_half_size_and_in_colour(fourcc, colour):
    ycc, rgb = COLOURS[colour]
    out = frame_to_rgb_half(fourcc, _packed_colour(fourcc, ycc, 64, 48, pad=8), 64, 48, 64 * 2 + 8)
    assert out.shape == (24, 32, 3) and out.dtype == np.uint8
    assert np.abs(out.astype(int) - rgb).max() <= 6, (out[0, 0], rgb)


def test_mjpeg_preview_is_half_size_and_in_colour():
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 30, 40)).save(buf, "JPEG", quality=90)
    out = frame_to_rgb_half("MJPG", buf.getvalue(), 640, 480)
    assert out.shape == (240, 320, 3)
    assert np.abs(out[100, 100].astype(int) - (200, 30, 40)).max() <= 6
    assert frame_to_rgb_half("MJPG", buf.getvalue()[:300], 640, 480) is None


def test_gray_formats_have_no_colour_preview():
    assert frame_to_rgb_half("NV12", bytes(64 * 48 * 3 // 2), 64, 48) is None
    assert frame_to_rgb_half("GREY", bytes(64 * 48), 64, 48) is None
