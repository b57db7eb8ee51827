"""One look for every screen: the kiosk's dark theme, sized for a finger.

The status panel and the enrolment screen used to fall back to Qt's light default next to
the dark kiosk, with default-sized buttons. They now take this stylesheet (set once on the
window, so every page inherits it): the same background, text and button colours as the
kiosk page and the PIN pad, and touch targets of at least :data:`TOUCH_PX` (48 px, the
usual minimum for a fingertip) for every button and input.
"""

from __future__ import annotations

TOUCH_PX = 48

BACKGROUND = "#0d1014"
SURFACE = "#1c2027"
RAISED = "#2f343d"
BORDER = "#454b56"
TEXT = "#e8eaed"
MUTED = "#9aa0a6"
ERROR_TEXT = "#ffb4a9"

STYLE = f"""
#statusPanel, #enrollScreen, #correctionScreen {{ background: {BACKGROUND}; }}
#statusPanel QLabel, #enrollScreen QLabel, #correctionScreen QLabel {{
    color: {TEXT}; font-size: 17px; }}
#correctionScreen QLabel#correctionTitle {{ font-size: 28px; font-weight: 600; }}
#correctionScreen QLabel#correctionTime {{ font-size: 34px; font-weight: 600; }}
#correctionScreen QPushButton {{
    color: white; background: {RAISED}; border: 1px solid {BORDER}; border-radius: 10px;
    font-size: 20px; min-height: {TOUCH_PX}px; min-width: {TOUCH_PX}px; padding: 4px 16px; }}
#correctionScreen QPushButton:checked {{ background: #1f5fa8; border-color: #8ab4f8; }}
#correctionScreen QPushButton#correctionConfirm {{ background: #1b7f3b; }}
#statusPanel QLabel#statusKey {{ color: {MUTED}; }}
#statusPanel QLabel#statusTitle, #enrollScreen QLabel#enrollTitle {{
    font-size: 28px; font-weight: 600; }}
#enrollScreen QLabel#enrollMessage[error="true"] {{ color: {ERROR_TEXT}; }}
#statusPanel QPushButton, #enrollScreen QPushButton {{
    color: white; background: {RAISED}; border: 1px solid {BORDER}; border-radius: 10px;
    font-size: 18px; min-height: {TOUCH_PX}px; min-width: {TOUCH_PX}px; padding: 4px 16px; }}
#statusPanel QPushButton:pressed, #enrollScreen QPushButton:pressed {{ background: #4a505c; }}
#statusPanel QPushButton:disabled, #enrollScreen QPushButton:disabled {{ color: {MUTED}; }}
#enrollScreen QLineEdit {{
    color: {TEXT}; background: {SURFACE}; border: 1px solid {BORDER}; border-radius: 8px;
    font-size: 22px; min-height: {TOUCH_PX}px; padding: 2px 10px; }}
#statusPanel QPlainTextEdit, #statusPanel QListWidget {{
    color: {TEXT}; background: {SURFACE}; border: 1px solid {BORDER}; border-radius: 8px;
    font-family: monospace; font-size: 14px; }}
"""
