"""Check-in kiosk: the terminal application. Importing this package pulls in no Qt."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("checkin-kiosk")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.1.0"
