"""Shared bits of the terminal-side commands (no Qt)."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from kiosk.core.config import Config, load_config
from kiosk.core.paths import Paths, default_paths


def paths_from(args: argparse.Namespace) -> Paths:
    return default_paths(getattr(args, "home", None))


def load(paths: Paths) -> Config:
    """The config; raises ConfigError (with a clear message) on a bad file."""
    return load_config(paths.config_file)


def setup_logging(level: str = "INFO") -> None:
    """Log to stderr for the terminal commands (never secrets; see the sync modules)."""
    if os.environ.get("KIOSK_LOG_TO_STDERR", "1") == "0" and level != "DEBUG":
        level = "WARNING"
    logging.basicConfig(stream=sys.stderr, level=getattr(logging, level, logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def fail(message: str, code: int = 1) -> int:
    print(f"kiosk: {message}", file=sys.stderr)
    return code
