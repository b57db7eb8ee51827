"""The real LinuxpyDevice (linuxpy's ioctl wrappers, real mmap) against a driver emulated at
the ioctl boundary: everything but the kernel's answers is the production code."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest
from PIL import Image

from kiosk.scan.decoder import ScanPipeline
from kiosk.scan.v4l2_capture import FrameFormat, V4l2Capture, v4l2_unavailable
from tests.helpers.v4l2 import qr_scene

pytestmark = pytest.mark.skipif(bool(v4l2_unavailable()), reason="V4L2 needs Linux and linuxpy")

W, H = 320, 240
WEBCAM = {"YUYV": [(W, H, [30, 15]), (640, 480, [10])], "MJPG": [(640, 480, [30])]}


@pytest.fixture
def camera(tmp_path, monkeypatch):
    from linuxpy.video import device as v4l2

    from tests.helpers.v4l2_driver import IoctlCamera

    def make(formats=WEBCAM, **kw) -> IoctlCamera:
        cam = IoctlCamera(tmp_path, formats, **kw)
        monkeypatch.setattr(v4l2, "ioctl", cam.ioctl)
        return cam

    return make


@pytest.fixture(scope="module")
def qr_luma(token) -> np.ndarray:
    return qr_scene(token, W, H, background=180)


def _yuyv(luma: np.ndarray, pad: int) -> bytes:
    h, w = luma.shape
    rows = np.full((h, w * 2 + pad), 0x80, np.uint8)
    rows[:, 0 : w * 2 : 2] = luma
    rows[:, w * 2 :] = 0xEE
    return rows.tobytes()


def _open_fds(path) -> int:
    return sum(1 for fd in os.listdir("/proc/self/fd") if _points_to(fd, path))


def _points_to(fd: str, path) -> bool:
    try:
        return os.readlink(f"/proc/self/fd/{fd}") == str(path)
    except OSError:
        return False


def test_streams_yuyv_through_real_mmap_and_decodes(camera, qr_luma, token):
    cam = camera(padding=32)
    cap = V4l2Capture(0, path=str(cam.path), timeout_s=0.05)
    assert cap.is_open() and cap.name == "Emulated Cam"
    cap.configure(W, H, 30)
    assert cap.format == FrameFormat("YUYV", W, H, W * 2 + 32)
    assert cam.fps_set == 30 and cam.streaming and len(cam.queued) == 4
    assert cam.calls[-1] == "STREAMON"
    assert cam.deliver(_yuyv(qr_luma, 32))
    frame = cap.read()
    assert np.array_equal(frame, qr_luma)
    assert [d.text for d in ScanPipeline().decode(frame)] == [token]
    assert len(cam.queued) == 4
    cap.release()
    assert _open_fds(cam.path) == 0


def test_newest_frame_through_real_buffers(camera):
    cam = camera()
    cap = V4l2Capture(0, path=str(cam.path), timeout_s=0.05)
    cap.configure(W, H, 30)
    for value in (11, 22, 33):
        assert cam.deliver(_yuyv(np.full((H, W), value, np.uint8), 0))
    assert cap.read()[5, 5] == 33
    assert len(cam.queued) == 4 and not cam.done
    assert cap.read() is None  # nothing new: no backlog
    cap.release()


def test_mjpeg_when_raw_cannot_reach_the_rate(camera):
    cam = camera()
    cap = V4l2Capture(0, path=str(cam.path), timeout_s=0.05)
    cap.configure(640, 480, 30)
    assert cap.format.fourcc == "MJPG" and cam.fps_set == 30
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 90, 90)).save(out, "JPEG")
    cam.deliver(out.getvalue())
    frame = cap.read()
    assert frame.shape == (480, 640) and abs(int(frame[100, 100]) - 90) <= 2
    cap.release()


def test_reconfigure_frees_the_buffers_before_the_new_format(camera):
    cam = camera()
    cap = V4l2Capture(0, path=str(cam.path), timeout_s=0.05)
    cap.configure(W, H, 30)
    cam.calls.clear()
    cap.configure(640, 480, 10)
    assert cap.is_open(), cap.error  # the emulated driver refuses S_FMT while buffers exist
    assert cam.calls[:2] == ["STREAMOFF", "REQBUFS"]
    assert cam.calls.index("S_FMT") > 1
    assert cap.format == FrameFormat("YUYV", 640, 480, 1280) and cam.fps_set == 10
    cap.release()


def test_unplugged_device_is_released(camera):
    cam = camera()
    cap = V4l2Capture(0, path=str(cam.path), timeout_s=0.05)
    cap.configure(W, H, 30)
    cam.deliver(_yuyv(np.zeros((H, W), np.uint8), 0))
    cam.gone = True
    assert cap.read() is None
    assert not cap.is_open() and cap.error == f"{cam.path} was disconnected"
    assert _open_fds(cam.path) == 0


def test_metadata_node_is_not_a_camera(camera):
    from linuxpy.video import raw

    cam = camera(capabilities=raw.Capability.META_CAPTURE | raw.Capability.STREAMING)
    cap = V4l2Capture(1, path=str(cam.path))
    assert not cap.is_open()
    assert cap.error.startswith(f"{cam.path} is not a video capture device (a USB camera's second node")
    assert _open_fds(cam.path) == 0


def test_no_readable_format(camera):
    cam = camera({"H264": [(1280, 720, [30])]})
    cap = V4l2Capture(0, path=str(cam.path))
    cap.configure(1280, 720, 30)
    assert not cap.is_open()
    assert "offers no picture format the kiosk can read (it offers none;" in cap.error
    assert _open_fds(cam.path) == 0


def test_ioctls_do_not_flood_a_debug_log(caplog):
    """linuxpy logs each ioctl at DEBUG (100+ lines a second while streaming): the device
    turns that logger down, so a kiosk at [log] level = "DEBUG" keeps a readable log."""
    import logging

    with caplog.at_level(logging.DEBUG):
        cap = V4l2Capture(0, path="/dev/null")  # one real ioctl (QUERYCAP), refused
    assert not cap.is_open()
    assert "not a V4L2 video device" in cap.error
    assert not [r for r in caplog.records if r.name == "linuxpy.ioctl"]
