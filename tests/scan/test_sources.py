"""Frame sources: camera reconnect (fake capture), video files, image folders, choosing."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.scan.pacing import Pacer
from kiosk.scan.sources import (
    CameraSource,
    ImageFolderSource,
    SourceError,
    VideoFileSource,
    open_source,
)
from kiosk.scan.synthetic import SyntheticSource
from tests.helpers.camera import FakeCameraDevice
from tests.helpers.clock import FakeClock


def _frame(value: int, w: int = 64, h: int = 48) -> np.ndarray:
    return np.full((h, w, 3), value, np.uint8)


def _camera(device: FakeCameraDevice, clock: FakeClock, **kw) -> CameraSource:
    return CameraSource(0, capture_factory=device.factory, clock=clock.monotonic, **kw)


# ---------------------------------------------------------------- camera


def test_camera_sets_resolution_and_fps():
    device = FakeCameraDevice([_frame(7)])
    cam = CameraSource(2, width=640, height=480, fps=15, capture_factory=device.factory)
    assert cam.read()[0, 0, 0] == 7
    assert device.captures[0].configured == (640, 480, 15)
    assert cam.state == "ok" and cam.state_detail == "Camera 2 is working."


def test_camera_name_is_in_the_status_sentences():
    clock = FakeClock()
    device = FakeCameraDevice([_frame(7)], name="HD Webcam")
    cam = _camera(device, clock, misses_before_disconnect=1)
    cam.read()
    assert cam.state_detail == "Camera 0 (HD Webcam) is working."
    device.plugged = False
    cam.read()
    assert cam.state_detail.startswith("Camera 0 (HD Webcam) stopped delivering frames")


def test_camera_preview_comes_from_the_capture_when_it_has_one():
    device = FakeCameraDevice([_frame(7)])
    cam = CameraSource(0, capture_factory=device.factory)
    assert cam.preview_image() is None  # nothing open yet
    cam.read()
    assert cam.preview_image() is None  # the fake has no preview(): the frame is the preview
    device.captures[0].preview = lambda: "colour picture"
    assert cam.preview_image() == "colour picture"


def test_camera_unplugged_and_plugged_back_reconnects_with_backoff():
    clock = FakeClock()
    device = FakeCameraDevice([_frame(1)])
    cam = _camera(device, clock, backoff_base_s=1.0, backoff_cap_s=4.0, misses_before_disconnect=3)
    assert cam.read() is not None and cam.state == "ok"

    device.plugged = False
    states = []
    for _ in range(3):
        assert cam.read() is None
        states.append(cam.state)
    assert states == ["ok", "ok", "disconnected"]
    assert device.captures[0].released
    assert "retrying" in cam.state_detail

    # while away: no reopen before the backoff delay, then delays double up to the cap
    opens = device.opens
    assert cam.read() is None and device.opens == opens
    delays = []
    for _ in range(4):
        before = device.opens
        waited = 0.0
        while device.opens == before:
            clock.advance(0.25)
            waited += 0.25
            assert cam.read() is None
            assert cam.state == "disconnected"
        delays.append(waited)
    assert delays == [1.0, 2.0, 4.0, 4.0]

    device.plugged = True
    while cam.read() is None:
        clock.advance(0.5)
        assert cam.state in ("disconnected", "connecting")
    assert cam.state == "ok" and cam.reconnects == 1
    cam.close()
    assert all(c.released for c in device.captures)
    assert cam.read() is None


def test_camera_absent_at_start_reports_disconnected_then_connects():
    clock = FakeClock()
    device = FakeCameraDevice([_frame(3)], plugged=False)
    cam = _camera(device, clock, backoff_base_s=0.5)
    assert cam.state == "connecting"
    assert cam.read() is None
    assert cam.state == "disconnected" and "not available" in cam.state_detail
    device.plugged = True
    clock.advance(0.5)
    assert cam.read()[0, 0, 0] == 3
    assert cam.state == "ok" and cam.reconnects == 0


def test_single_failed_read_is_not_a_disconnect():
    clock = FakeClock()
    device = FakeCameraDevice([_frame(1)])
    cam = _camera(device, clock, misses_before_disconnect=3)
    cam.read()
    device.plugged = False
    assert cam.read() is None
    device.plugged = True
    assert cam.read() is not None
    assert device.opens == 1 and cam.state == "ok"


# ---------------------------------------------------------------- files


def _write_video(path: Path, n: int, fps: float = 10) -> None:
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (64, 48))
    assert w.isOpened()
    for i in range(n):
        w.write(_frame(20 * i + 10))
    w.release()


class _FakeSleep:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.total = 0.0

    def __call__(self, s: float) -> None:
        self.total += s
        self.clock.advance(s)


def test_video_file_plays_loops_and_paces(tmp_path):
    path = tmp_path / "clip.avi"
    _write_video(path, 4, fps=10)
    clock = FakeClock()
    sleep = _FakeSleep(clock)
    src = VideoFileSource(path, loop=True, clock=clock.monotonic, sleep=sleep)
    values = [int(src.read()[0, 0, 0]) for _ in range(9)]
    # MJPG is lossy: compare roughly, frame 5 is frame 1 again
    assert [round((v - 10) / 20) for v in values] == [0, 1, 2, 3, 0, 1, 2, 3, 0]
    assert sleep.total == pytest.approx(0.8)  # paced at the file's 10 fps
    src.close()
    assert src.read() is None


def test_video_file_without_loop_ends(tmp_path):
    path = tmp_path / "clip.avi"
    _write_video(path, 3)
    src = open_source(str(path), loop=False, sleep=lambda s: None)
    frames = [src.read() for _ in range(5)]
    assert [f is not None for f in frames] == [True, True, True, False, False]
    assert src.state == "error" and "End of video" in src.state_detail


@pytest.mark.parametrize("content", [b"", b"not a video at all" * 100, b"\x00\x00\x00\x18ftypmp42" + bytes(500)])
def test_corrupt_video_is_a_clear_error(tmp_path, content):
    path = tmp_path / "broken.mp4"
    path.write_bytes(content)
    with pytest.raises(SourceError, match="broken.mp4"):
        open_source(str(path))


def test_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(SourceError, match="No camera, video file or folder"):
        open_source(str(tmp_path / "nope.mp4"))
    with pytest.raises(SourceError, match="not found"):
        VideoFileSource(tmp_path / "nope.mp4")
    with pytest.raises(SourceError, match="not found"):
        ImageFolderSource(tmp_path / "nope")
    with pytest.raises(SourceError):
        open_source("  ")


def test_folder_plays_images_sorted_skips_corrupt_and_loops(tmp_path):
    for name, value in [("b.png", 2), ("a.png", 1), ("c.jpg", 3)]:
        cv2.imwrite(str(tmp_path / name), _frame(value * 50))
    (tmp_path / "bb.png").write_bytes(b"garbage")
    (tmp_path / "notes.txt").write_text("not an image")
    src = open_source(str(tmp_path) + "/", fps=0, hold_s=0)
    assert isinstance(src, ImageFolderSource)
    values = [int(src.read()[0, 0, 0]) for _ in range(7)]
    assert [round(v / 50) for v in values] == [1, 2, 3, 1, 2, 3, 1]
    assert src.state == "ok"


def test_folder_holds_each_image(tmp_path):
    cv2.imwrite(str(tmp_path / "a.png"), _frame(10))
    cv2.imwrite(str(tmp_path / "b.png"), _frame(200))
    src = ImageFolderSource(tmp_path, fps=0, hold_frames=3)
    assert [int(src.read()[0, 0, 0]) > 100 for _ in range(6)] == [False] * 3 + [True] * 3


def test_folder_of_only_corrupt_images_reports_error(tmp_path):
    (tmp_path / "x.png").write_bytes(b"\x89PNG broken")
    src = ImageFolderSource(tmp_path, fps=0)
    assert src.read() is None
    assert src.state == "error" and "None of the images" in src.state_detail


def test_empty_folder_is_a_clear_error(tmp_path):
    (tmp_path / "readme.txt").write_text("x")
    with pytest.raises(SourceError, match="holds no images"):
        open_source(str(tmp_path))


def test_single_image_file_and_corrupt_image(tmp_path):
    cv2.imwrite(str(tmp_path / "snap.png"), _frame(77))
    src = open_source(str(tmp_path / "snap.png"), fps=0)
    assert src.read()[0, 0, 0] == 77 and src.read()[0, 0, 0] == 77
    (tmp_path / "bad.png").write_bytes(b"nope")
    with pytest.raises(SourceError, match="bad.png"):
        open_source(str(tmp_path / "bad.png"))


def test_open_source_chooses_by_spec(tmp_path):
    device = FakeCameraDevice()
    cam = open_source("1", width=320, height=240, capture_factory=device.factory)
    assert isinstance(cam, CameraSource) and cam.index == 1
    syn = open_source("synthetic", synthetic_tokens=["abc"], sleep=lambda s: None)
    assert isinstance(syn, SyntheticSource) and syn.tokens == ["abc"]


# ---------------------------------------------------------------- pacing / synthetic


def test_pacer_holds_rate_and_drops_instead_of_bursting():
    clock = FakeClock()
    sleep = _FakeSleep(clock)
    pacer = Pacer(10, clock.monotonic, sleep)
    for _ in range(5):
        pacer.wait()
    assert sleep.total == pytest.approx(0.4)
    clock.advance(1.0)  # the caller fell far behind
    before = sleep.total
    pacer.wait()
    pacer.wait()
    assert sleep.total - before == pytest.approx(0.1)  # no catch-up burst, no long sleep


def test_synthetic_source_alternates_badges_and_empty_frames():
    clock = FakeClock()
    sleep = _FakeSleep(clock)
    src = SyntheticSource(["A1", "B2"], fps=10, hold_s=0.3, gap_s=0.2, clock=clock.monotonic, sleep=sleep)
    shown = []
    for _ in range(12):
        frame = src.read()
        assert frame.shape == (480, 640, 3) and frame.dtype == np.uint8
        shown.append(src.showing)
    assert shown == [None, None, "A1", "A1", "A1", None, None, "B2", "B2", "B2", None, None]
    assert sleep.total == pytest.approx(1.1)
    src.close()
    assert src.read() is None


def test_synthetic_source_is_reproducible():
    a = SyntheticSource(["X"], fps=0, seed=5, hold_s=1, gap_s=0.1)
    b = SyntheticSource(["X"], fps=0, seed=5, hold_s=1, gap_s=0.1)
    for _ in range(4):
        assert np.array_equal(a.read(), b.read())
