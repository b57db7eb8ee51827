"""Guards against Qt-binding bugs that would take a long-running kiosk down.

PySide6 6.12.0 returns ``True`` from ``Signal.emit()`` without taking a reference. On
Python 3.11 (where ``True`` is not immortal) every emit then drops True's refcount by one,
and after a few thousand frames the interpreter aborts with "deallocating True or False".
A kiosk emits several signals per camera frame, so that is minutes, not days.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    happened = Signal(str)


class _Receiver(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def on_happened(self, _text: str) -> None:
        self.count += 1


def test_signal_emit_keeps_refcounts_balanced(qapp):
    emitter, receiver = _Emitter(), _Receiver()
    emitter.happened.connect(receiver.on_happened)
    before = {name: sys.getrefcount(obj) for name, obj in (("True", True), ("None", None))}
    for _ in range(200):
        emitter.happened.emit("frame")
    after = {name: sys.getrefcount(obj) for name, obj in (("True", True), ("None", None))}
    assert receiver.count == 200
    drift = {name: after[name] - before[name] for name in before}
    # a few references may come and go elsewhere; a leak of one per emit is 200
    assert all(abs(d) < 50 for d in drift.values()), f"refcount drift per 200 emits: {drift}"
