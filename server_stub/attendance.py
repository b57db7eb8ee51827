"""Moved to :mod:`server_stub.rules`; this name stays for code written against it."""

from .rules import *  # noqa: F403
from .rules import __all__ as __all__  # noqa: F401
