"""Feedback sounds with QtMultimedia's QSoundEffect, degrading silently to none.

A kiosk without speakers (or a test box without an audio server) must work the same, minus
the beep. QtMultimedia prints warnings while it probes audio backends; they are routed to
our log at DEBUG during the probe, so they neither alarm anyone nor fail a test.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from PySide6.QtCore import QObject, QUrl, qInstallMessageHandler

from .resources import resource

log = logging.getLogger("kiosk.ui.sounds")

NAMES = ("ok", "info", "error")


def _quiet_handler(mode: object, context: object, message: str) -> None:
    log.debug("qt (audio probe): %s", message)


class SoundPlayer(QObject):
    """Plays ``ok`` / ``info`` / ``error``; ``available`` is False when there is no audio."""

    def __init__(self, enabled: bool = True, names: Iterable[str] = NAMES,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._effects: dict[str, object] = {}
        self.available = False
        if enabled:
            self._load(names)

    def _load(self, names: Iterable[str]) -> None:
        previous = qInstallMessageHandler(_quiet_handler)
        try:
            try:
                from PySide6.QtMultimedia import QMediaDevices, QSoundEffect
            except ImportError as exc:
                log.info("no sound: QtMultimedia unavailable (%s)", exc)
                return
            try:
                if not QMediaDevices.audioOutputs():
                    log.info("no sound: no audio output device")
                    return
                for name in names:
                    path = resource("sounds", f"{name}.wav")
                    if not path.is_file():
                        continue
                    effect = QSoundEffect(self)
                    effect.setSource(QUrl.fromLocalFile(str(path)))
                    effect.setVolume(0.8)
                    self._effects[name] = effect
                self.available = bool(self._effects)
            except Exception as exc:  # any audio trouble: no sound, never a crash
                log.info("no sound: %s", exc)
                self._effects.clear()
        finally:
            qInstallMessageHandler(previous)

    def play(self, name: str) -> None:
        effect = self._effects.get(name)
        if effect is None:
            return
        try:
            effect.play()  # type: ignore[attr-defined]
        except Exception:
            log.debug("sound %s failed", name, exc_info=True)
