"""QtMultimedia capture (qt_capture, qt_frames) without a camera: real QVideoFrames in every luma layout, a real QR
through an NV12/YUYV frame, the newest-frame slot fed by a QVideoSink we drive (exactly the
call a camera backend makes), the nested-loop read, and the no-camera path.

Qt prints "No RHI backend. Using CPU conversion." once per thread the first time it turns a
video frame into a QImage on a machine without a GPU (this one): the tests that convert with
``toImage()`` ignore that one message and no other.
"""

from __future__ import annotations

import io
import threading
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QSize, QTimer
from PySide6.QtGui import QColor, QImage
from PySide6.QtMultimedia import QCameraDevice  # noqa: E402,I001 - after qt_frames loaded it

from kiosk.scan.decoder import ScanPipeline
from kiosk.scan.qt_capture import NewestFrame, QtCapture, SinkCapture, choose_format
from kiosk.scan.qt_frames import (  # first: it imports QtMultimedia with its messages logged
    LUMA_FORMATS,
    QCamera,
    QMediaDevices,
    QVideoFrame,
    QVideoFrameFormat,
    QVideoSink,
    video_frame_to_gray,
)
from tests.helpers.video_frames import ALL_LUMA, PAD, PF, make_frame, pattern, qr_luma

NO_RHI = pytest.mark.qt_log_ignore("No RHI backend")


@pytest.fixture(autouse=True)
def _qt(qapp):
    return qapp


# ---------------------------------------------------------------- frames → gray


@pytest.mark.parametrize("fmt", ALL_LUMA)
@pytest.mark.parametrize("size", [(18, 6), (64, 48), (38, 10)])
def test_luma_formats_give_exactly_the_y_plane(fmt, size):
    luma = pattern(*size)
    frame = make_frame(fmt, luma, chroma=(90, 200))
    gray = video_frame_to_gray(frame)
    assert gray.dtype == np.uint8 and gray.shape == luma.shape
    assert np.array_equal(gray, luma)
    assert gray.flags.owndata or gray.base is not None and gray.base.flags.owndata
    assert getattr(PF, fmt) in LUMA_FORMATS


def test_padded_strides_are_really_exercised():
    """The sizes above give rows with padding (bytesPerLine > bytes of a row) — else the
    stride handling would be untested."""
    frame = make_frame("Format_NV12", pattern(18, 6))
    assert frame.map(QVideoFrame.MapMode.ReadOnly)
    try:
        assert frame.bytesPerLine(0) > 18
        assert np.frombuffer(frame.bits(0), np.uint8)[18] == PAD
    finally:
        frame.unmap()
    yuyv = make_frame("Format_YUYV", pattern(37, 9)[:, :36])  # 72 bytes a row, padded to 80
    assert yuyv.map(QVideoFrame.MapMode.ReadOnly)
    try:
        assert yuyv.bytesPerLine(0) > 72
    finally:
        yuyv.unmap()
    assert np.array_equal(video_frame_to_gray(yuyv), pattern(37, 9)[:, :36])


def test_gray_is_a_copy_that_outlives_the_frame():
    luma = pattern(64, 48)
    frame = make_frame("Format_NV12", luma)
    gray = video_frame_to_gray(frame)
    assert frame.map(QVideoFrame.MapMode.WriteOnly)  # overwrite the frame's pixels
    np.frombuffer(frame.bits(0), np.uint8)[:] = 0
    frame.unmap()
    del frame
    assert np.array_equal(gray, luma)


@NO_RHI
@pytest.mark.parametrize("fmt", ["Format_NV12", "Format_YUYV", "Format_UYVY", "Format_AYUV",
                                 "Format_YV12", "Format_P010"])
def test_qt_own_conversion_agrees_on_which_bytes_are_luma(fmt):
    """An independent check of the byte layouts: Qt's own YUV→RGB of the same frame,
    turned gray, follows our Y values (Qt applies video range, so not equal, but linear)."""
    luma = (pattern(64, 48) // 2 + 50).astype(np.uint8)
    frame = make_frame(fmt, luma)
    ours = video_frame_to_gray(frame)
    image = frame.toImage().convertToFormat(QImage.Format.Format_Grayscale8)
    theirs = np.array([[image.pixelColor(x, y).red() for x in range(64)] for y in range(48)])
    assert np.corrcoef(ours.ravel(), theirs.ravel())[0, 1] > 0.999


def test_frame_wrapping_a_qimage_converts_through_qimage():
    luma = pattern(37, 9)
    rgb = np.ascontiguousarray(np.repeat(luma[:, :, None], 3, axis=2))
    image = QImage(rgb.data, 37, 9, 3 * 37, QImage.Format.Format_RGB888).copy()
    frame = QVideoFrame(image)
    assert frame.pixelFormat() not in LUMA_FORMATS  # an RGB format: the QImage path
    assert np.array_equal(video_frame_to_gray(frame), luma)
    grays = {}
    for name, rgb in (("red", (255, 0, 0)), ("green", (0, 255, 0)), ("blue", (0, 0, 255))):
        colour = QImage(5, 3, QImage.Format.Format_ARGB32)
        colour.fill(QColor(*rgb))
        gray = video_frame_to_gray(QVideoFrame(colour))
        assert gray.shape == (3, 5) and len(np.unique(gray)) == 1
        grays[name] = int(gray[0, 0])
    assert 255 > grays["green"] > grays["red"] > grays["blue"] > 0  # luminance order


def test_jpeg_frame_is_decoded_by_qt():
    luma = (pattern(64, 48) // 2 + 60).astype(np.uint8)
    jpeg = io.BytesIO()
    Image.fromarray(luma).save(jpeg, "JPEG", quality=95)
    data = np.frombuffer(jpeg.getvalue(), np.uint8)
    frame = QVideoFrame(QVideoFrameFormat(QSize(64, 48), PF.Format_Jpeg))
    assert frame.map(QVideoFrame.MapMode.WriteOnly)
    buf = np.frombuffer(frame.bits(0), np.uint8)
    buf[:] = 0
    buf[:data.size] = data
    frame.unmap()
    gray = video_frame_to_gray(frame)
    assert gray.shape == (48, 64)
    assert np.abs(gray.astype(int) - luma).mean() < 3  # JPEG is lossy


def test_invalid_frame_is_a_value_error():
    with pytest.raises(ValueError):
        video_frame_to_gray(QVideoFrame())


@pytest.mark.parametrize("fmt", ["Format_NV12", "Format_YUYV"])
def test_real_qr_in_a_camera_frame_decodes(fmt, token):
    frame = make_frame(fmt, qr_luma(token, 640, 480), chroma=(110, 150))
    found = ScanPipeline().decode(video_frame_to_gray(frame))
    assert [d.text for d in found] == [token]


# ---------------------------------------------------------------- format choice


def _fmt(w, h, max_fps, pixel="Format_YUYV"):
    return SimpleNamespace(resolution=lambda: QSize(w, h), maxFrameRate=lambda: float(max_fps),
                           pixelFormat=lambda: getattr(PF, pixel), tag=f"{w}x{h}@{max_fps} {pixel}")


def test_format_choice_prefers_size_then_rate_then_luma_formats():
    formats = [_fmt(640, 480, 30), _fmt(1280, 720, 10), _fmt(1280, 720, 30, "Format_Jpeg"),
               _fmt(1920, 1080, 30, "Format_Jpeg"), _fmt(1280, 720, 30, "Format_NV12"),
               _fmt(1280, 720, 60, "Format_NV12")]
    assert choose_format(formats, 1280, 720, 30).tag == "1280x720@30 Format_NV12"
    assert choose_format(formats[:4], 1280, 720, 30).tag == "1280x720@30 Format_Jpeg"
    assert choose_format(formats[:4], 1280, 720, 10).tag == "1280x720@10 Format_YUYV"
    assert choose_format(formats, 640, 480, 15).tag == "640x480@30 Format_YUYV"
    assert choose_format(formats, 1920, 1080, 30).tag == "1920x1080@30 Format_Jpeg"
    assert choose_format([], 1280, 720, 30) is None


# ---------------------------------------------------------------- the newest-frame slot


def _frame(value: int) -> QVideoFrame:
    return make_frame("Format_NV12", np.full((8, 16), value, np.uint8))


def _value(frame) -> int:
    return int(video_frame_to_gray(frame)[0, 0])


def test_only_the_newest_frame_is_kept():
    sink, newest = QVideoSink(), NewestFrame()
    sink.videoFrameChanged.connect(newest.offer)
    for value in (10, 20, 30):
        sink.setVideoFrame(_frame(value))
    assert newest.offered == 3
    assert _value(newest.take()) == 30
    assert newest.take() is None


def test_wait_returns_when_a_frame_arrives_and_on_timeout():
    sink, newest = QVideoSink(), NewestFrame()
    sink.videoFrameChanged.connect(newest.offer)
    QTimer.singleShot(20, lambda: sink.setVideoFrame(_frame(77)))
    got = newest.wait(60_000)  # the frame ends the nested loop, not the minute
    assert got is not None and _value(got) == 77
    assert newest.wait(30) is None  # nothing more: the timeout ends it


def test_frames_from_a_backend_thread_are_queued_to_the_reader():
    """Media Foundation delivers frames on its own thread: the slot still runs here."""
    sink, newest = QVideoSink(), NewestFrame()
    sink.videoFrameChanged.connect(newest.offer)
    thread = threading.Thread(target=lambda: sink.setVideoFrame(_frame(55)))
    thread.start()
    thread.join()
    assert newest.offered == 0  # queued: not delivered in the backend's thread
    got = newest.wait(60_000)
    assert got is not None and _value(got) == 55 and newest.offered == 1


def test_an_error_ends_the_wait_and_every_later_read():
    sink = QVideoSink()
    cap = SinkCapture(sink, timeout_s=60)
    QTimer.singleShot(20, lambda: cap.fail("Camera unplugged"))
    assert cap.read() is None  # at once, not after a minute
    assert not cap.is_open() and cap.error == "Camera unplugged"
    sink.setVideoFrame(_frame(9))
    assert cap.read() is None
    cap.release()


@NO_RHI
def test_sink_capture_reads_gray_and_previews_colour():
    sink = QVideoSink()
    cap = SinkCapture(sink, timeout_s=5)
    assert cap.is_open() and cap.preview() is None
    luma = pattern(64, 48)
    sink.setVideoFrame(make_frame("Format_NV12", luma, chroma=(60, 220)))  # reddish
    gray = cap.read()
    assert np.array_equal(gray, luma)
    preview = cap.preview()
    assert preview.size() == QSize(64, 48)
    colour = preview.pixelColor(10, 10)
    assert colour.red() > colour.blue() + 40  # the colour picture, not the gray plane
    cap.release()
    assert not cap.is_open() and cap.read() is None and cap.preview() is None
    sink.setVideoFrame(_frame(3))  # after release the sink no longer reaches the capture


# ---------------------------------------------------------------- no camera here


def test_this_machine_lists_no_camera():
    assert QMediaDevices.videoInputs() == []  # what the next tests rely on


def test_camera_index_beyond_the_list_is_not_open():
    cap = QtCapture(0)
    assert not cap.is_open() and cap.name == ""
    cap.configure(1280, 720, 30)
    assert cap.read() is None and cap.preview() is None
    cap.release()


def test_a_camera_that_fails_to_open_is_not_open():
    """A listed camera that is gone when opened (here: a null device, "No camera detected")."""
    cap = QtCapture(0, devices=lambda: [QCameraDevice()])
    assert not cap.is_open() and cap.error
    assert cap.read() is None
    cap.release()


def test_camera_errors_and_device_removal_reach_the_capture():
    listed = [QCameraDevice()]
    cap = QtCapture(0, devices=lambda: list(listed), timeout_s=60)
    cap._camera.errorOccurred.emit(QCamera.Error.CameraError, "Device busy")
    assert cap.error == "Device busy (CameraError)"
    listed.clear()  # unplugged: Qt says the list changed
    cap._devices.videoInputsChanged.emit()
    assert cap.error == "camera '' was removed"
    assert cap.read() is None  # at once, not after the 60 s timeout
    cap.release()
    assert cap._camera is None
