"""The diagnostics zip IT sends along with a ticket: config, logs, status — no secrets.

Qt-free; the app runs it on a background thread. The config goes in with every key that
could help an attacker blanked (the admin PIN hash); the terminal secret is never in the
config at all (it lives in the keyring), and logs never contain secrets or badge texts.
"""

from __future__ import annotations

import json
import platform
import sys
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6 import __version__ as PYSIDE6_VERSION

from kiosk import __version__
from kiosk.core.config import Config, dump_config
from kiosk.core.paths import Paths

REDACTED = "(redacted)"


def redacted_config(config: Config) -> Config:
    safe = config.model_copy(deep=True)
    if safe.ui.admin_pin_hash:
        safe.ui.admin_pin_hash = REDACTED
    return safe


def export_diagnostics(
    config: Config, paths: Paths, status: dict[str, Any], now: datetime,
    target_dir: Path | None = None,
) -> Path:
    """Write ``kiosk-diagnostics-<time>.zip`` (to ``target_dir`` or the data folder)."""
    target_dir = Path(target_dir or paths.data_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"kiosk-diagnostics-{now.strftime('%Y%m%d-%H%M%S')}.zip"
    tmp = target.with_suffix(".zip.tmp")
    about = {
        "kiosk_version": __version__, "python": sys.version.split()[0],
        "pyside6": PYSIDE6_VERSION, "platform": platform.platform(),
        "created": now.isoformat(),
    }
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("about.json", json.dumps(about, indent=2))
        zf.writestr("config.toml", dump_config(redacted_config(config)))
        zf.writestr("status.json", json.dumps(status, indent=2, default=str))
        if paths.log_dir.is_dir():
            for log_file in sorted(paths.log_dir.glob("*.log*")):
                if log_file.is_file():
                    zf.write(log_file, f"logs/{log_file.name}")
    tmp.replace(target)
    return target


def diagnostics_bundle(config: Config, paths: Paths, status: dict[str, Any],
                       now: datetime) -> bytes:
    """The same zip as bytes (IT asked for it through the event stream: it is uploaded)."""
    with tempfile.TemporaryDirectory(prefix="kiosk-diag-") as tmp:
        return export_diagnostics(config, paths, status, now, Path(tmp)).read_bytes()
