"""``kiosk set-pin``: set the admin PIN of the status panel (asked twice, never echoed).

Only the scrypt hash goes to ``[ui] admin_pin_hash`` in the config file (written
atomically); the PIN itself is never stored or logged. A subcommand rather than a module
to run with ``python -m``, so the packaged executable (which has no Python) can do it.
Without a terminal on stdin (a setup script) the PIN is read from the first two lines.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

from kiosk.core.cli_style import EXIT_BAD_ARGUMENT, fail
from kiosk.core.config import ConfigError, load_config, save_config
from kiosk.core.paths import default_paths
from kiosk.core.pin import hash_pin

from .arguments import PIN_MAX_DIGITS as MAX_DIGITS
from .arguments import PIN_MIN_DIGITS as MIN_DIGITS


def _reader() -> Callable[[str], str]:
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass

    def from_stdin(prompt: str) -> str:
        line = sys.stdin.readline() if sys.stdin is not None else ""
        if not line:
            raise EOFError
        return line.rstrip("\r\n")

    return from_stdin


def check(pin: str) -> str | None:
    """Why ``pin`` cannot be the admin PIN (the on-screen pad has digits only), or None."""
    if not pin.isascii() or not pin.isdigit():
        return "the PIN must be digits only (the status panel's keypad has no letters)"
    if not MIN_DIGITS <= len(pin) <= MAX_DIGITS:
        return f"the PIN must have {MIN_DIGITS} to {MAX_DIGITS} digits, not {len(pin)}"
    if len(set(pin)) == 1:
        return "the PIN must not be one digit repeated; choose one that is harder to guess"
    return None


def main(args: argparse.Namespace, read: Callable[[str], str] | None = None) -> int:
    paths = default_paths(getattr(args, "home", None))
    try:
        config = load_config(paths.config_file)
    except ConfigError as exc:
        return fail("kiosk", f"the config cannot be used: {exc}")
    read = read or _reader()
    try:
        pin = read("New admin PIN: ").strip()
        problem = check(pin)
        if problem is None and read("The same PIN again: ").strip() != pin:
            problem = "the two PINs differ"
    except EOFError:
        return fail("kiosk", "no PIN given; type it twice, or pipe it twice on stdin",
                    EXIT_BAD_ARGUMENT)
    if problem is not None:
        return fail("kiosk", f"{problem}; nothing was changed, run 'kiosk set-pin' again",
                    EXIT_BAD_ARGUMENT)
    config.ui.admin_pin_hash = hash_pin(pin)
    try:
        paths.ensure()
        save_config(config, paths.config_file)
    except OSError as exc:
        return fail("kiosk", f"cannot write {paths.config_file} ({exc.strerror or exc}); "
                             "run as the kiosk's user or check the folder's permissions")
    print(f"Admin PIN set in {paths.config_file}; a running kiosk uses it after a restart.")
    return 0
