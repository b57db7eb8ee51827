"""The v4l2 backend inside the camera source and the scan worker; choosing the backend."""

from __future__ import annotations

import errno
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import qrcode
from PySide6.QtGui import QImage

from kiosk.scan import sources
from kiosk.scan.decoder import ScanPipeline
from kiosk.scan.sources import (
    CameraSource,
    SourceError,
    camera_backend,
    open_source,
    prepare_camera_backend,
)
from kiosk.scan.v4l2_capture import V4l2Capture, v4l2_unavailable
from kiosk.scan.v4l2_frames import Mode
from kiosk.scan.worker import ScanWorker
from tests.helpers.clock import FakeClock
from tests.helpers.v4l2 import FakeV4l2Device

linux_only = pytest.mark.skipif(bool(v4l2_unavailable()), reason="V4L2 needs Linux and linuxpy")
on_linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="V4L2 capture is Linux only")

W, H = 320, 240


class Port:
    """A USB port: each open gets a fresh fake camera while one is plugged in."""

    def __init__(self, **device_kw) -> None:
        self.device_kw = device_kw
        self.plugged = True
        self.devices: list[FakeV4l2Device] = []

    def open(self, path: str) -> FakeV4l2Device:
        if not self.plugged:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        dev = FakeV4l2Device([Mode("YUYV", W, H, 30)], **self.device_kw)
        self.devices.append(dev)
        return dev.factory(path)

    def capture(self, index: int) -> V4l2Capture:
        return V4l2Capture(index, timeout_s=0.02, device_factory=self.open)

    def close_all(self) -> None:
        for dev in self.devices:
            dev.close()


@pytest.fixture
def port():
    p = Port()
    yield p
    p.close_all()


def _yuyv(luma: np.ndarray) -> bytes:
    row = np.full((luma.shape[0], luma.shape[1] * 2), 0x80, np.uint8)
    row[:, 0::2] = luma
    return row.tobytes()


@pytest.fixture(scope="module")
def qr_frame(token) -> bytes:
    qr = qrcode.QRCode(box_size=2, border=4)
    qr.add_data(token)
    code = np.array(qr.make_image().get_image().convert("L"), dtype=np.uint8)
    scene = np.full((H, W), 190, np.uint8)
    y, x = (H - code.shape[0]) // 2, (W - code.shape[1]) // 2
    scene[y : y + code.shape[0], x : x + code.shape[1]] = code
    return _yuyv(scene)


# ---------------------------------------------------------------- no camera here, for real


@linux_only
def test_camera_source_without_the_camera_reports_and_retries_never_raises():
    if Path("/dev/video7").exists():
        pytest.skip("this machine has a /dev/video7")
    clock = FakeClock()
    cam = CameraSource(7, backend="v4l2", clock=clock.monotonic, backoff_base_s=0.5)
    for _ in range(3):
        assert cam.read() is None
        assert cam.state == "disconnected"
        clock.advance(5.0)
    assert cam.state_detail == "Camera 7: no camera at /dev/video7 (is it plugged in?); retrying in 2.0 s."
    cam.close()


@linux_only
def test_open_source_picks_v4l2_for_a_camera_number_on_linux():
    cam = open_source("7", backend="auto")
    assert isinstance(cam, CameraSource) and cam._factory is V4l2Capture
    cam.close()


# ---------------------------------------------------------------- the source over a fake camera


@on_linux
def test_unplug_and_replug_through_the_camera_source(port, qr_frame):
    clock = FakeClock()
    cam = CameraSource(0, width=W, height=H, fps=30, capture_factory=port.capture, clock=clock.monotonic)
    assert cam.read() is None  # streaming, no frame yet
    port.devices[0].deliver(qr_frame)
    frame = cam.read()
    assert frame.shape == (H, W) and cam.state == "ok"
    assert cam.state_detail == "Camera 0 (Fake Webcam) is working."
    assert port.devices[0].started[0][0] == Mode("YUYV", W, H, 30)

    port.devices[0].unplug()
    port.plugged = False
    assert cam.read() is None
    # the capture closed itself: no need to wait for five misses
    assert cam.state == "disconnected"
    assert cam.state_detail == "Camera 0 (Fake Webcam): /dev/video0 was disconnected; retrying in 0.5 s."
    assert port.devices[0].closes == 1

    clock.advance(0.5)
    assert cam.read() is None
    assert cam.state_detail == "Camera 0: no camera at /dev/video0 (is it plugged in?); retrying in 1.0 s."

    port.plugged = True
    clock.advance(1.0)
    assert cam.read() is None  # reopened and streaming
    port.devices[-1].deliver(qr_frame)
    assert cam.read() is not None
    assert cam.state == "ok" and cam.reconnects == 1
    cam.close()
    assert port.devices[-1].closes == 1


@on_linux
def test_busy_camera_is_said_and_retried(port):
    port.device_kw = {"start_error": OSError(errno.EBUSY, "Device or resource busy")}
    clock = FakeClock()
    cam = CameraSource(0, capture_factory=port.capture, clock=clock.monotonic)
    assert cam.read() is None
    assert cam.state == "disconnected"
    assert cam.state_detail == "Camera 0: /dev/video0 is busy (another program is using the camera); retrying in 0.5 s."
    assert port.devices[0].closes == 1
    port.device_kw = {}
    clock.advance(0.5)
    assert cam.read() is None and len(port.devices) == 2
    cam.close()


@on_linux
def test_permission_denied_is_said(port):
    def denied(path: str):
        raise PermissionError(errno.EACCES, "Permission denied", path)

    cam = CameraSource(0, capture_factory=lambda i: V4l2Capture(i, device_factory=denied))
    assert cam.read() is None
    assert cam.state_detail == ("Camera 0: permission denied on /dev/video0 (add the kiosk user to "
                                "the 'video' group); retrying in 0.5 s.")


# ---------------------------------------------------------------- in the scan worker


@on_linux
def test_worker_decodes_badges_from_a_v4l2_camera(qtbot, workers, port, qr_frame, token):
    worker = ScanWorker(lambda: CameraSource(0, width=W, height=H, capture_factory=port.capture),
                        ScanPipeline())
    workers.append(worker)
    codes: list[str] = []
    previews: list = []
    worker.code_decoded.connect(lambda text, polygon, ts: codes.append(text), type=_direct())
    worker.frame_ready.connect(lambda image: previews.append(image), type=_direct())
    stop = threading.Event()

    def camera() -> None:  # the camera films the badge, ~30 frames a second, bounded
        for _ in range(600):
            if stop.is_set():
                return
            if port.devices and port.devices[-1].started:
                port.devices[-1].deliver(qr_frame)
            time.sleep(0.03)

    feeder = threading.Thread(target=camera, name="fake-camera")
    feeder.start()
    try:
        worker.start()
        qtbot.waitUntil(lambda: bool(codes), timeout=15_000)
    finally:
        stop.set()
        feeder.join()
    assert worker.stop()
    assert codes == [token]
    assert port.devices[-1].closes == 1
    # the preview is the capture's colour picture, at the frame's size
    assert previews and previews[0].format() == QImage.Format.Format_RGB888
    assert (previews[0].width(), previews[0].height()) == (W, H)


@on_linux
def test_worker_stops_while_the_camera_sends_nothing(qtbot, workers, port):
    """read() waits on the descriptor with a timeout, so the worker's stop stays prompt."""
    port_capture = lambda i: V4l2Capture(i, timeout_s=1.0, device_factory=port.open)  # noqa: E731
    worker = ScanWorker(lambda: CameraSource(0, width=W, height=H, capture_factory=port_capture),
                        ScanPipeline())
    workers.append(worker)
    worker.start()
    qtbot.waitUntil(lambda: bool(port.devices) and bool(port.devices[0].started), timeout=10_000)
    assert worker.stop(timeout_s=5.0)
    assert port.devices[0].closes == 1


def _direct():
    from PySide6.QtCore import Qt

    return Qt.ConnectionType.DirectConnection


# ---------------------------------------------------------------- choosing the backend


@linux_only
@pytest.mark.parametrize("name", ["auto", "v4l2"])
def test_v4l2_is_the_backend_on_linux(name):
    assert camera_backend(name) is V4l2Capture


def test_v4l2_elsewhere_is_a_sentence(monkeypatch):
    monkeypatch.setattr(sys, "platform", "win32")
    with pytest.raises(SourceError, match=r"works on Linux only \(this system is win32\)"):
        camera_backend("v4l2")
    assert camera_backend("auto") is not V4l2Capture


def test_v4l2_without_linuxpy_is_a_sentence(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setitem(sys.modules, "linuxpy.video.device", None)  # as if not installed
    with pytest.raises(SourceError, match="needs the linuxpy package"):
        camera_backend("v4l2")
    assert camera_backend("auto") is not V4l2Capture


def test_unknown_backend_names_v4l2():
    with pytest.raises(SourceError, match="use auto, v4l2, qt or opencv"):
        camera_backend("directshow")


@linux_only
def test_auto_on_linux_does_not_start_qt_multimedia(monkeypatch):
    from kiosk.scan import qt_capture

    called = []
    monkeypatch.setattr(qt_capture, "prepare", lambda: called.append("prepare"))
    prepare_camera_backend("auto")
    assert called == []
    prepare_camera_backend("qt")
    assert called == ["prepare"]
    assert sources.BACKENDS == ("auto", "v4l2", "qt", "opencv")
