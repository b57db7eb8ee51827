"""V4l2Capture: the real not-present paths, and streaming from a fake V4L2 camera."""

from __future__ import annotations

import errno
import io
import logging
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from kiosk.scan.decoder import ScanPipeline
from kiosk.scan.v4l2_capture import V4l2Capture, open_error_reason, v4l2_unavailable
from kiosk.scan.v4l2_frames import Mode
from tests.helpers.v4l2 import FakeV4l2Device, qr_scene

linux_only = pytest.mark.skipif(bool(v4l2_unavailable()), reason="V4L2 needs Linux and linuxpy")
# the capture itself runs on Linux only (select.poll, /dev/video*); the fake camera needs no linuxpy
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="V4L2 is Linux only")

W, H = 320, 240
MODES = [Mode("YUYV", W, H, 30), Mode("YUYV", 640, 480, 10), Mode("MJPG", 640, 480, 30)]


@pytest.fixture
def devices():
    """Fake cameras made by a test; their pipes are closed afterwards, used or not."""
    made: list[FakeV4l2Device] = []

    def make(modes=MODES, **kw) -> FakeV4l2Device:
        dev = FakeV4l2Device(modes, **kw)
        made.append(dev)
        return dev

    yield make
    for dev in made:
        dev.close()


def _capture(dev: FakeV4l2Device, fps: float = 30, **kw) -> V4l2Capture:
    """Opened and configured, as CameraSource does."""
    kw.setdefault("timeout_s", 0.05)
    cap = V4l2Capture(0, device_factory=dev.factory, **kw)
    cap.configure(W, H, fps)
    return cap


def _yuyv(value: int) -> bytes:
    """A flat YUYV frame whose luma is ``value`` (chroma 0x80)."""
    row = np.full((H, W * 2), 0x80, np.uint8)
    row[:, 0::2] = value
    return row.tobytes()


@pytest.fixture(scope="module")
def qr_luma(token) -> np.ndarray:
    return qr_scene(token, W, H, background=200)


# ---------------------------------------------------------------- no camera here, for real


@linux_only
def test_absent_camera_is_not_open_and_says_so():
    if Path("/dev/video7").exists():
        pytest.skip("this machine has a /dev/video7")
    cap = V4l2Capture(7)
    assert not cap.is_open()
    assert cap.error == "no camera at /dev/video7 (is it plugged in?)"
    assert cap.read() is None
    cap.release()
    cap.release()


@linux_only
def test_a_device_that_is_not_v4l2_is_refused_by_the_real_ioctl():
    """/dev/null opens, but linuxpy's VIDIOC_QUERYCAP fails on it: not a camera."""
    cap = V4l2Capture(0, path="/dev/null")
    assert not cap.is_open()
    assert cap.error == "/dev/null is not a V4L2 video device"


@pytest.mark.parametrize(
    "exc,sentence",
    [
        (PermissionError(errno.EACCES, "Permission denied"),
         "permission denied on /dev/video0 (add the kiosk user to the 'video' group)"),
        (OSError(errno.EBUSY, "Device or resource busy"),
         "/dev/video0 is busy (another program is using the camera)"),
        (FileNotFoundError(errno.ENOENT, "No such file"), "no camera at /dev/video0 (is it plugged in?)"),
        (OSError(errno.ENOMEM, "Cannot allocate memory"), "cannot use /dev/video0 (Cannot allocate memory)"),
    ],
)
def test_open_errors_become_sentences(exc, sentence, devices):
    assert open_error_reason("/dev/video0", exc) == sentence
    cap = _capture(devices(open_error=exc))
    assert not cap.is_open() and cap.error == sentence and cap.read() is None


def test_busy_when_streaming_starts_closes_the_device(devices):
    dev = devices(start_error=OSError(errno.EBUSY, "Device or resource busy"))
    cap = _capture(dev)
    assert not cap.is_open()
    assert "busy" in cap.error
    assert dev.closes == 1


def test_camera_without_a_readable_format_is_not_open(devices):
    dev = devices([Mode("H264", 1280, 720, 30), Mode("RGB3", 640, 480, 30)])
    cap = _capture(dev)
    assert not cap.is_open()
    assert cap.error.startswith("/dev/video0 offers no picture format the kiosk can read (it offers H264, RGB3;")
    assert dev.closes == 1


# ---------------------------------------------------------------- streaming (fake camera)


def test_opening_does_not_stream_until_configured(devices):
    dev = devices()
    cap = V4l2Capture(0, device_factory=dev.factory)
    assert cap.is_open() and cap.name == "Fake Webcam" and dev.path == "/dev/video0"
    assert dev.started == []
    cap.configure(640, 480, 10)
    assert dev.started == [(Mode("YUYV", 640, 480, 10), 10, 4)]


def test_read_without_configure_streams_at_the_constructors_size(devices):
    dev = devices()
    cap = V4l2Capture(0, width=640, height=480, fps=30, timeout_s=0.02, device_factory=dev.factory)
    assert cap.read() is None
    assert dev.started == [(Mode("MJPG", 640, 480, 30), 30, 4)]


def test_frames_are_read_as_gray_and_decode(devices, qr_luma, token):
    dev = devices()
    cap = _capture(dev)
    assert cap.is_open() and cap.error == ""
    assert dev.started == [(Mode("YUYV", W, H, 30), 30, 4)]
    row = np.full((H, W * 2), 0x80, np.uint8)
    row[:, 0::2] = qr_luma
    dev.deliver(row.tobytes())
    frame = cap.read()
    assert np.array_equal(frame, qr_luma)
    assert [d.text for d in ScanPipeline().decode(frame)] == [token]
    assert cap.last_frame is frame
    assert len(dev.queued) == 4  # the buffer went back to the driver


def test_no_frame_within_the_timeout_is_none(devices):
    dev = devices()
    cap = _capture(dev, timeout_s=0.02)
    assert cap.read() is None
    assert cap.is_open() and cap.error == ""  # a late frame is not a lost camera
    dev.deliver(_yuyv(9))
    assert cap.read()[0, 0] == 9


def test_newest_frame_wins_and_older_buffers_go_back(devices):
    dev = devices()
    cap = _capture(dev)
    for value in (10, 20, 30):
        assert dev.deliver(_yuyv(value))
    frame = cap.read()
    assert frame[0, 0] == 30
    assert len(dev.queued) == 4 and not dev.done
    assert cap.read() is None  # the older two are not served later as a backlog


def test_a_slow_reader_gets_the_newest_of_what_the_driver_kept(devices):
    dev = devices()
    cap = _capture(dev, buffers=2)
    delivered = [dev.deliver(_yuyv(v)) for v in (1, 2, 3)]
    assert delivered == [True, True, False] and dev.dropped == 1
    assert cap.read()[0, 0] == 2


def test_unplugged_mid_stream_is_none_and_released(devices, caplog):
    dev = devices()
    cap = _capture(dev)
    dev.deliver(_yuyv(5))
    assert cap.read() is not None
    dev.unplug()
    with caplog.at_level(logging.INFO, logger="kiosk.scan.v4l2_capture"):
        assert cap.read() is None
    assert not cap.is_open()
    assert cap.error == "/dev/video0 was disconnected"
    assert dev.closes == 1
    assert cap.read() is None
    cap.release()
    assert dev.closes == 1  # release is idempotent


def test_corrupt_frames_are_skipped_without_losing_the_camera(devices, caplog):
    dev = devices([Mode("MJPG", W, H, 30)])
    cap = _capture(dev)
    with caplog.at_level(logging.DEBUG):
        dev.deliver(b"\xff\xd8" + bytes(300))  # a half-sent MJPEG frame
        assert cap.read() is None
        dev.deliver(b"\xff\xd8\xff", corrupt=True)  # one the driver flagged
        assert cap.read() is None
    assert "MJPEG frame dropped" in caplog.text
    assert "flagged a frame as corrupt" in caplog.text
    assert cap.is_open() and len(dev.queued) == 4  # both buffers went back
    out = io.BytesIO()
    Image.new("L", (W, H), 77).save(out, "JPEG")
    dev.deliver(out.getvalue())
    frame = cap.read()
    assert frame.shape == (H, W) and abs(int(frame[0, 0]) - 77) <= 2


def test_configure_switches_mode_only_when_asked_for_something_else(devices):
    dev = devices()
    cap = _capture(dev, fps=30)
    cap.configure(W, H, 30)
    assert dev.stops == 0 and len(dev.started) == 1
    cap.configure(640, 480, 30)
    assert dev.stops == 1
    assert dev.started[-1] == (Mode("MJPG", 640, 480, 30), 30, 4)
    assert cap.format.fourcc == "MJPG"
    cap.configure(640, 480, 10)
    assert dev.started[-1] == (Mode("YUYV", 640, 480, 10), 10, 4)


def test_rate_asked_is_capped_at_what_the_mode_does(devices):
    dev = devices([Mode("YUYV", W, H, 15)])
    _capture(dev, fps=30)
    assert dev.started == [(Mode("YUYV", W, H, 15), 15, 4)]


def test_release_closes_once_and_reading_after_is_none(devices):
    dev = devices()
    cap = _capture(dev)
    cap.release()
    cap.release()
    assert dev.closes == 1 and not cap.is_open()
    assert cap.read() is None


def test_release_closes_the_descriptor(devices):
    dev = devices()
    cap = _capture(dev, timeout_s=0.2)
    fd = dev.fileno()
    assert cap.read() is None
    cap.release()
    with pytest.raises(OSError):
        os.fstat(fd)  # the descriptor is really closed


# ---------------------------------------------------------------- colour preview


def test_preview_is_the_last_frame_in_colour_at_its_size(devices):
    dev = devices()
    cap = _capture(dev)
    assert cap.preview() is None  # nothing read yet
    red = np.tile(np.array([81, 90, 81, 240], np.uint8), W // 2 * H).tobytes()  # YUYV pure red
    dev.deliver(red)
    frame = cap.read()
    assert frame[0, 0] == 81  # the decoder still gets the luma
    image = cap.preview()
    assert (image.width(), image.height()) == (W, H)  # code outlines are in frame pixels
    colour = image.pixelColor(W // 2, H // 2)
    assert colour.red() >= 249 and colour.green() <= 6 and colour.blue() <= 6
    cap.release()
    assert cap.preview() is None


def test_gray_only_format_has_no_preview(devices):
    dev = devices([Mode("GREY", W, H, 30)])
    cap = _capture(dev)
    dev.deliver(bytes(W * H))
    assert cap.read() is not None
    assert cap.preview() is None  # the worker previews the gray frame itself


def test_stepwise_sizes_offer_the_wanted_size_fitted_and_the_largest():
    from types import SimpleNamespace

    from kiosk.scan.v4l2_device import _sizes

    step = SimpleNamespace(min_width=160, max_width=1920, step_width=16,
                           min_height=120, max_height=1080, step_height=8)
    ranged = SimpleNamespace(type=3, info=step)
    assert _sizes(ranged, 1, 1280, 720) == [(1280, 720), (1920, 1080)]
    assert _sizes(ranged, 1, 1000, 701) == [(992, 696), (1920, 1080)]  # down to the steps
    assert _sizes(ranged, 1, 4000, 3000) == [(1920, 1080)]
    assert _sizes(SimpleNamespace(type=1, info=SimpleNamespace(width=640, height=480)), 1, 1280, 720) == [(640, 480)]
