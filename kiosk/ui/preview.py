"""The live camera preview with the last detected code outlined for a moment."""

from __future__ import annotations

import time

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

OUTLINE_SECONDS = 0.8


class PreviewWidget(QWidget):
    """Paints the latest frame scaled to fit; ``show_code`` outlines a polygon (frame px)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 240)
        self._frame: QImage | None = None
        self._polygon: list[tuple[float, float]] = []
        self._polygon_until = 0.0
        self._message = ""
        self.frames_shown = 0

    def set_frame(self, image: QImage) -> None:
        self._frame = image
        self.frames_shown += 1
        self.update()

    def show_code(self, polygon: list) -> None:
        pts: list[tuple[float, float]] = []
        for p in polygon or []:
            try:
                pts.append((float(p[0]), float(p[1])))
            except (TypeError, ValueError, IndexError):
                return
        self._polygon = pts
        self._polygon_until = time.monotonic() + OUTLINE_SECONDS
        self.update()

    def set_message(self, text: str) -> None:
        """Shown instead of the picture (camera missing, reconnecting)."""
        self._message = text
        self.update()

    def paintEvent(self, event: object) -> None:  # noqa: N802 (Qt override)
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#111418"))
        frame = self._frame
        if frame is not None and not frame.isNull():
            scale = min(self.width() / frame.width(), self.height() / frame.height())
            w, h = frame.width() * scale, frame.height() * scale
            x0, y0 = (self.width() - w) / 2, (self.height() - h) / 2
            p.drawImage(QRectF(x0, y0, w, h), frame)
            if self._polygon and time.monotonic() < self._polygon_until:
                poly = QPolygonF([QPointF(x0 + x * scale, y0 + y * scale)
                                  for x, y in self._polygon])
                p.setPen(QPen(QColor("#39d353"), 5))
                p.drawPolygon(poly)
        if self._message:
            p.setPen(QColor("white"))
            font = p.font()
            font.setPointSize(16)
            p.setFont(font)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       self._message)
        p.end()
