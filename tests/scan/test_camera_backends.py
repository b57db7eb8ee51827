"""Choosing the camera backend, the no-camera path, and QtMultimedia capture inside the real
scan worker: frames fed through a QVideoSink from the GUI thread, stop while a read waits.

This machine has no camera (QMediaDevices lists none), so the camera itself is the part
not exercised; everything from the QVideoSink on is (see docs/scan.md).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtGui import QImage

from kiosk.core.config import CameraSection, ConfigError, parse_config
from kiosk.scan import qt_capture
from kiosk.scan.cv_capture import OPENCV_MISSING, CvCapture, open_cv_capture
from kiosk.scan.decoder import ScanPipeline
from kiosk.scan.qt_capture import QtCapture, SinkCapture
from kiosk.scan.qt_frames import QVideoSink
from kiosk.scan.sources import CameraSource, SourceError, camera_backend, open_source
from kiosk.scan.worker import ScanWorker
from kiosk.services.camera import CameraService
from tests.helpers.clock import FakeClock
from tests.helpers.video_frames import make_frame, qr_luma

NO_RHI = pytest.mark.qt_log_ignore("No RHI backend")
REPO = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- choosing


def _block(monkeypatch, *modules: str) -> None:
    for name in modules:
        monkeypatch.setitem(sys.modules, name, None)  # "import name" raises ImportError
    if "PySide6.QtMultimedia" in modules:  # and forget the modules that imported it
        monkeypatch.delitem(sys.modules, "kiosk.scan.qt_capture")
        monkeypatch.delitem(sys.modules, "kiosk.scan.qt_frames")


def _no_v4l2(monkeypatch) -> None:
    """As on Windows or without linuxpy: ``auto`` no longer picks the v4l2 backend."""
    _block(monkeypatch, "linuxpy.video.device")


def test_auto_and_qt_choose_qtmultimedia(monkeypatch):
    assert camera_backend("qt") is QtCapture
    _no_v4l2(monkeypatch)
    assert camera_backend("auto") is QtCapture


def test_opencv_backend_when_cv2_is_installed():
    pytest.importorskip("cv2")
    assert camera_backend("opencv") is open_cv_capture


def test_opencv_chosen_without_cv2_is_a_clear_error(monkeypatch):
    _block(monkeypatch, "cv2")
    with pytest.raises(SourceError) as err:
        camera_backend("opencv")
    assert str(err.value) == OPENCV_MISSING
    assert str(err.value) == "The opencv camera backend needs OpenCV: pip install 'checkin-kiosk[video]'"
    with pytest.raises(SourceError, match="needs OpenCV"):
        open_source("0", backend="opencv")
    assert camera_backend("auto") is not open_cv_capture  # auto does not need cv2


def test_auto_falls_back_to_opencv_without_qtmultimedia(monkeypatch):
    pytest.importorskip("cv2")
    _no_v4l2(monkeypatch)
    _block(monkeypatch, "PySide6.QtMultimedia")
    assert camera_backend("auto") is open_cv_capture
    with pytest.raises(SourceError, match=r"qt camera backend cannot capture: QtMultimedia \(PySide6-Addons\) is not installed"):
        camera_backend("qt")


def test_no_backend_at_all_is_a_sentence(monkeypatch):
    _no_v4l2(monkeypatch)
    _block(monkeypatch, "PySide6.QtMultimedia", "cv2")
    with pytest.raises(SourceError, match="No camera backend: QtMultimedia .* is not installed .*, and OpenCV is not installed either"):
        camera_backend("auto")
    with pytest.raises(SourceError, match="No camera backend"):
        open_source("0")


def test_unknown_backend_is_a_sentence():
    with pytest.raises(SourceError, match="Unknown camera backend 'gstreamer'"):
        camera_backend("gstreamer")


def test_config_backend_default_and_bad_value():
    assert CameraSection().backend == "auto"
    assert parse_config({"camera": {"backend": "opencv"}}).camera.backend == "opencv"
    with pytest.raises(ConfigError, match="camera.backend"):
        parse_config({"camera": {"backend": "gstreamer"}})


# ---------------------------------------------------------------- no camera here


def test_qt_camera_source_without_a_camera_retries_and_never_raises(qapp):
    clock = FakeClock()
    cam = open_source("0", backend="qt", clock=clock.monotonic)
    assert isinstance(cam, CameraSource)
    assert cam.read() is None
    assert cam.state == "disconnected"
    assert cam.state_detail == "Camera 0 is not available; retrying in 0.5 s."
    for _ in range(3):  # waits out the backoff, tries again, still nothing
        clock.advance(5)
        assert cam.read() is None and cam.state == "disconnected"
    cam.close()
    assert cam.read() is None


def test_cv_capture_over_a_video_file(tmp_path):
    cv2 = pytest.importorskip("cv2")
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    for value in (40, 200):
        writer.write(np.full((48, 64, 3), value, np.uint8))
    writer.release()
    cap = CvCapture(cv2.VideoCapture(str(path)), cv2)
    assert cap.is_open() and cap.name == ""
    cap.configure(640, 480, 15)  # a file ignores it; must not raise
    frames = [cap.read() for _ in range(3)]
    assert [f is not None for f in frames] == [True, True, False]
    assert abs(int(frames[1][0, 0, 0]) - 200) < 8
    cap.release()
    assert not cap.is_open()


def test_opencv_camera_source_without_a_camera_retries(qapp):
    pytest.importorskip("cv2")
    cap = open_cv_capture(97)  # no such device
    assert not cap.is_open()
    cap.release()
    cam = CameraSource(97, backend="opencv", clock=FakeClock().monotonic)
    assert cam.read() is None and cam.state == "disconnected"
    cam.close()


# ---------------------------------------------------------------- in the scan worker


class Sink(QObject):
    """Receives the worker's signals in the GUI thread, as the window does."""

    def __init__(self, worker: ScanWorker) -> None:
        super().__init__()
        self.codes: list[str] = []
        self.frames: list[QImage] = []
        self.statuses: list[tuple[str, str]] = []
        worker.code_decoded.connect(self.on_code)
        worker.frame_ready.connect(self.on_frame)
        worker.camera_status_changed.connect(self.on_status)

    @Slot(str, list, float)
    def on_code(self, text, _polygon, _ts):
        self.codes.append(text)

    @Slot(QImage)
    def on_frame(self, image):
        self.frames.append(image)

    @Slot(str, str)
    def on_status(self, state, detail):
        self.statuses.append((state, detail))


def test_worker_with_qt_backend_and_no_camera_reports_and_stops(qtbot, workers):
    worker = ScanWorker(lambda: open_source("0", backend="qt"), ScanPipeline())
    workers.append(worker)
    sink = Sink(worker)
    worker.start()
    qtbot.waitUntil(lambda: ("disconnected" in [s for s, _ in sink.statuses]), timeout=10_000)
    assert "Camera 0 is not available; retrying" in dict(sink.statuses)["disconnected"]
    assert worker.stop(timeout_s=5)


@NO_RHI
def test_worker_decodes_qr_frames_fed_through_a_video_sink(qtbot, workers, token):
    """The whole path a camera takes, minus the camera: NV12 frames set on a QVideoSink in
    the GUI thread reach the capture in the worker thread, are read as gray, decoded, and
    the preview is the colour picture of the frame."""
    gui_sink = QVideoSink()
    made: list[SinkCapture] = []

    def factory(index: int) -> SinkCapture:
        cap = SinkCapture(gui_sink, timeout_s=1.0)
        cap.name = "Test Sink"
        made.append(cap)
        return cap

    worker = ScanWorker(lambda: CameraSource(0, capture_factory=factory), ScanPipeline(),
                        preview_fps=1000)
    workers.append(worker)
    sink = Sink(worker)
    luma = qr_luma(token, 320, 240)
    frames = [make_frame("Format_NV12", luma, chroma=(60, 220)) for _ in range(2)]
    fed = []
    feeder = QTimer()  # a camera at ~50 fps, in the GUI thread
    feeder.timeout.connect(lambda: (gui_sink.setVideoFrame(frames[len(fed) % 2]), fed.append(1)))
    feeder.start(20)
    worker.start()
    qtbot.waitUntil(lambda: bool(sink.codes and sink.frames), timeout=20_000)
    feeder.stop()
    assert worker.stop()
    assert sink.codes[0] == token
    assert ("ok", "Camera 0 (Test Sink) is working.") in sink.statuses
    preview = sink.frames[0]
    assert preview.width() == 320 and preview.format() != QImage.Format.Format_Grayscale8
    colour = preview.pixelColor(5, 5)
    assert colour.red() > colour.blue() + 40  # colour from the frame, not its gray plane
    assert made and made[0].error == "" and not made[0].is_open()  # released on stop


def test_stop_ends_a_read_that_is_waiting_for_a_frame(qtbot, workers):
    """QThread.quit() from stop() ends the nested event loop of a read that would otherwise
    wait a minute for a frame that never comes."""
    entered = threading.Event()
    results: list[object] = []

    class WaitingCapture(SinkCapture):
        def _before_read(self) -> None:
            entered.set()

        def read(self):
            results.append(super().read())
            return results[-1]

    worker = ScanWorker(
        lambda: CameraSource(0, capture_factory=lambda i: WaitingCapture(timeout_s=60)),
        ScanPipeline())
    workers.append(worker)
    worker.start()
    qtbot.waitUntil(entered.is_set, timeout=10_000)
    time.sleep(0.05)  # let it settle into the wait
    assert worker.stop(timeout_s=10)  # far less than the read's 60 s
    assert results and results[-1] is None


def test_camera_service_with_qt_backend_and_no_camera(qtbot, monkeypatch):
    prepared_in: list[int] = []
    real_prepare = qt_capture.prepare
    monkeypatch.setattr(qt_capture, "prepare",
                        lambda: (prepared_in.append(threading.get_ident()), real_prepare())[1])
    camera = CameraSection(backend="qt")
    service = CameraService("0", camera)
    states: list[str] = []

    class States(QObject):
        @Slot(str)
        def on_state(self, state):
            states.append(state)

    receiver = States()
    service.camera_state_changed.connect(receiver.on_state)
    service.start()
    try:
        qtbot.waitUntil(lambda: "disconnected" in states, timeout=10_000)
    finally:
        service.stop()
    assert service.worker is None
    # first in the GUI thread (by the service), then by the capture in the worker thread
    assert prepared_in[0] == threading.get_ident() and len(set(prepared_in)) == 2


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="builds a symlinked PySide6")
def test_without_qts_media_plugin_qt_says_so_and_auto_falls_back(tmp_path):
    """A PySide6 without plugins/multimedia — what a bundle that drops Qt's FFmpeg backend
    ships: QtMultimedia imports, but cannot capture. A real PySide6 seen through symlinks,
    minus that one folder, in a subprocess."""
    import PySide6

    real = Path(PySide6.__file__).resolve().parent
    farm = tmp_path / "PySide6"
    for src_dir, dst_dir, skip in ((real, farm, "Qt"), (real / "Qt", farm / "Qt", "plugins"),
                                   (real / "Qt" / "plugins", farm / "Qt" / "plugins", "multimedia")):
        dst_dir.mkdir()
        for entry in src_dir.iterdir():
            if entry.name != skip:
                (dst_dir / entry.name).symlink_to(entry)
    script = (
        "from PySide6.QtCore import QCoreApplication\n"
        "app = QCoreApplication([])\n"
        "from kiosk.scan.sources import SourceError, camera_backend\n"
        "try:\n"
        "    camera_backend('qt')\n"
        "except SourceError as exc:\n"
        "    print('QT:', exc)\n"
        "print('AUTO:', camera_backend('auto').__name__)\n"
        "import sys\n"
        "sys.modules['linuxpy.video.device'] = None  # as without linuxpy\n"
        "try:\n"
        "    print('NO_V4L2:', camera_backend('auto').__name__)\n"
        "except SourceError as exc:\n"
        "    print('NO_V4L2:', exc)\n"
    )
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{REPO}", "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                         timeout=60, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    lines = dict(line.split(": ", 1) for line in out.stdout.splitlines())
    assert lines["QT"] == ("The qt camera backend cannot capture: QtMultimedia has no media backend "
                           "in this installation (Qt's FFmpeg plugin, plugins/multimedia, is missing).")
    assert lines["AUTO"] == "V4l2Capture"  # Linux: auto needs no QtMultimedia at all
    if importlib.util.find_spec("cv2") is not None:
        assert lines["NO_V4L2"] == "open_cv_capture"
    else:
        assert lines["NO_V4L2"].startswith("No camera backend: QtMultimedia has no media backend")
