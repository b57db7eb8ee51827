"""The scan worker in its QThread: frames in, debounced codes out, clean stop."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QImage

from kiosk.scan.decoder import ScanPipeline
from kiosk.scan.sources import SourceError
from kiosk.scan.synthetic import PRESETS, SyntheticSource, render_frame
from kiosk.scan.worker import ScanWorker, to_qimage
from tests.helpers.camera import FakeCameraDevice, ListSource


class Sink(QObject):
    """Lives in the GUI thread, so the worker's signals reach it queued, as they reach the UI.

    (A plain lambda connected to a worker signal would run in the worker thread.)
    """

    code = Signal(str, list, float)
    stats = Signal(float, float)
    state = Signal(str)

    def __init__(self, worker: ScanWorker) -> None:
        super().__init__()
        self.codes: list[tuple[str, list, float]] = []
        self.frames: list[QImage] = []
        self.states: list[str] = []
        self.statuses: list[tuple[str, str]] = []
        self.threads: set[int] = set()
        worker.code_decoded.connect(self.on_code)
        worker.frame_ready.connect(self.on_frame)
        worker.stats_changed.connect(self.on_stats)
        worker.camera_state_changed.connect(self.on_state)
        worker.camera_status_changed.connect(self.on_status)

    @Slot(str, list, float)
    def on_code(self, text, polygon, ts):
        self.threads.add(threading.get_ident())
        self.codes.append((text, polygon, ts))
        self.code.emit(text, polygon, ts)

    @Slot(QImage)
    def on_frame(self, image):
        self.threads.add(threading.get_ident())
        self.frames.append(image)

    @Slot(float, float)
    def on_stats(self, fps, ms):
        self.stats.emit(fps, ms)

    @Slot(str)
    def on_state(self, state):
        self.states.append(state)
        self.state.emit(state)

    @Slot(str, str)
    def on_status(self, state, detail):
        self.statuses.append((state, detail))


@pytest.fixture
def pipeline():
    return ScanPipeline()


@pytest.fixture
def make_worker(qtbot):
    workers = []

    def make(factory, pipeline, **kw):
        w = ScanWorker(factory, pipeline, **kw)
        workers.append(w)
        return w

    yield make
    for w in workers:
        w.stop()
        assert not w.running


def test_synthetic_badges_come_out_as_debounced_codes(qtbot, make_worker, pipeline, token):
    src = SyntheticSource([token, "https://example.com/"], fps=0, hold_s=0.5, gap_s=0.2, seed=2)
    worker = make_worker(lambda: src, pipeline, preview_fps=1000)
    sink = Sink(worker)
    codes, frames = sink.codes, sink.frames
    t0 = time.monotonic()
    worker.start()
    qtbot.waitUntil(lambda: len(codes) >= 3, timeout=20_000)
    assert worker.stop()
    texts = [c[0] for c in codes]
    assert texts[:3] == [token, "https://example.com/", token]
    # one scan per appearance: the worker saw many frames of each badge
    assert worker.frames_processed > 2 * len(codes)
    text, polygon, frame_ts = codes[0]
    assert len(polygon) == 4 and all(len(p) == 2 for p in polygon)
    assert t0 <= frame_ts <= time.monotonic()
    assert frames and frames[0].width() == 640 and frames[0].height() == 480
    assert src.frames_made == worker.frames_processed
    assert sink.threads == {threading.get_ident()}  # delivered in the GUI thread


def test_stop_joins_thread_and_closes_source(qtbot, make_worker, pipeline):
    src = ListSource([render_frame(None)], loop=True)
    worker = make_worker(lambda: src, pipeline)
    worker.start()
    qtbot.waitUntil(lambda: src.reads > 3, timeout=10_000)
    assert worker.running
    assert worker.stop()
    assert not worker.running
    assert src.closed.is_set()
    reads = src.reads
    time.sleep(0.05)
    assert src.reads == reads
    assert not [t for t in threading.enumerate() if t.name == "scan-worker"]


def test_source_factory_runs_in_worker_thread(qtbot, make_worker, pipeline):
    where = []

    def factory():
        where.append(threading.get_ident())
        return ListSource([render_frame(None)], loop=True)

    worker = make_worker(factory, pipeline)
    worker.start()
    qtbot.waitUntil(lambda: worker.frames_processed > 0, timeout=10_000)
    assert where and where[0] != threading.get_ident()


def test_stats_are_reported(qtbot, make_worker, pipeline, token):
    src = ListSource([render_frame(token, perturb=PRESETS["clean"])], loop=True)
    worker = make_worker(lambda: src, pipeline)
    sink = Sink(worker)
    with qtbot.waitSignal(sink.stats, timeout=10_000) as blocker:
        worker.start()
    fps, decode_ms = blocker.args
    assert fps > 0 and decode_ms > 0


def test_source_error_is_reported_not_raised(qtbot, make_worker, pipeline):
    def factory():
        raise SourceError("Video file not found: x.mp4.")

    worker = make_worker(factory, pipeline)
    sink = Sink(worker)
    states = sink.statuses
    with qtbot.waitSignal(sink.state, timeout=5_000) as blocker:
        worker.start()
    assert blocker.args == ["error"]
    qtbot.waitUntil(lambda: not worker.running, timeout=5_000)
    qtbot.waitUntil(lambda: len(states) == 1, timeout=5_000)
    assert states == [("error", "Video file not found: x.mp4.")]


def test_camera_states_reach_the_gui(qtbot, make_worker, pipeline):
    device = FakeCameraDevice([render_frame(None)], plugged=False)
    from kiosk.scan.sources import CameraSource

    worker = make_worker(
        lambda: CameraSource(0, capture_factory=device.factory, backoff_base_s=0.01, backoff_cap_s=0.02),
        pipeline,
    )
    sink = Sink(worker)  # keep a reference: a collected sink receives nothing
    states = sink.states
    worker.start()
    qtbot.waitUntil(lambda: "disconnected" in states, timeout=5_000)
    device.plugged = True
    qtbot.waitUntil(lambda: states[-1:] == ["ok"], timeout=5_000)
    assert states[0] == "connecting"


def test_preview_is_not_queued_when_gui_is_busy(qtbot, make_worker, pipeline):
    src = ListSource([render_frame(None, width=320, height=240)], loop=True)
    worker = make_worker(lambda: src, pipeline, preview_fps=1000)
    sink = Sink(worker)
    frames = sink.frames
    worker.start()
    deadline = time.monotonic() + 10
    while src.reads < 30 and time.monotonic() < deadline:
        time.sleep(0.01)  # the GUI thread is busy: its event loop does not run
    assert worker.stop()
    qtbot.wait(50)  # now the GUI takes what was sent
    # decoding went on (30+ frames) but only one preview was ever in flight
    assert src.reads >= 30
    assert len(frames) == 1


def test_to_qimage_owns_its_pixels():
    frame = np.zeros((4, 6, 3), np.uint8)
    frame[:, :, 2] = 255  # red in BGR
    img = to_qimage(frame)
    frame[:] = 0
    assert img.pixelColor(0, 0).red() == 255 and img.pixelColor(0, 0).blue() == 0
    gray = to_qimage(np.full((3, 3), 9, np.uint8))
    assert gray.pixelColor(1, 1).red() == 9


class _ColourPreviewSource(ListSource):
    """Gray frames plus a colour picture, like a camera whose decoder gets only the Y plane."""

    def __init__(self, frames, **kw):
        super().__init__(frames, **kw)
        self.preview_calls = 0

    def preview_image(self):
        self.preview_calls += 1
        image = QImage(8, 6, QImage.Format.Format_RGB32)
        image.fill(0xFFFF0000)  # red
        return image


def test_preview_is_the_sources_colour_picture_when_it_has_one(qtbot, make_worker, pipeline):
    src = _ColourPreviewSource([np.full((240, 320), 128, np.uint8)], loop=True)
    worker = make_worker(lambda: src, pipeline, preview_fps=20)
    sink = Sink(worker)
    worker.start()
    qtbot.waitUntil(lambda: len(sink.frames) >= 2 and src.reads > 10, timeout=10_000)
    assert worker.stop()
    qtbot.waitUntil(lambda: len(sink.frames) == src.preview_calls, timeout=5_000)  # in flight
    assert all(f.size().width() == 8 and f.pixelColor(0, 0).red() == 255 for f in sink.frames)
    # asked only when a preview was due (<= 20 a second), not for every frame decoded
    assert src.preview_calls < src.reads


class _ViewSink(QObject):
    """Records badge_in_view_changed and code_decoded in the order the GUI thread sees them."""

    def __init__(self, worker: ScanWorker) -> None:
        super().__init__()
        self.events: list[object] = []
        worker.badge_in_view_changed.connect(self.on_view)
        worker.code_decoded.connect(self.on_code)

    @Slot(bool)
    def on_view(self, in_view):
        self.events.append(in_view)

    @Slot(str, list, float)
    def on_code(self, text, polygon, ts):
        self.events.append(text)


def test_badge_in_view_is_reported_on_change_only(qtbot, make_worker, pipeline, token):
    """Issue #16: the card holds while its badge is in frame. The worker says so from the
    debouncer's per-frame view: True just before the scan, False once when it left; a
    badge held over many frames is one scan and one True, not one per frame."""
    badge, blank = render_frame(token), render_frame(None)
    src = ListSource([badge] * 8 + [blank] * 8)
    worker = make_worker(lambda: src, pipeline)
    sink = _ViewSink(worker)
    worker.start()
    qtbot.waitUntil(lambda: False in sink.events, timeout=20_000)
    assert worker.stop()
    assert sink.events == [True, token, False]
