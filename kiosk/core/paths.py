"""Where the kiosk keeps its files: the platform's folders, or one folder for tests and demo.

``KIOSK_HOME`` (or an explicit ``home``) puts config, data and logs under one folder, which
is how tests and the demo stay away from the real user's folders.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "checkin-kiosk"


@dataclass(frozen=True)
class Paths:
    config_dir: Path
    data_dir: Path
    log_dir: Path

    @property
    def config_file(self) -> Path:
        return self.config_dir / "kiosk.toml"

    @property
    def outbox_file(self) -> Path:
        return self.data_dir / "outbox.sqlite3"

    @property
    def roster_cache(self) -> Path:
        return self.data_dir / "roster.json"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "kiosk.log"

    def ensure(self) -> "Paths":
        for d in (self.config_dir, self.data_dir, self.log_dir):
            d.mkdir(mode=0o700, parents=True, exist_ok=True)  # the kiosk's account only
        return self


def default_paths(home: str | os.PathLike[str] | None = None) -> Paths:
    home = home or os.environ.get("KIOSK_HOME")
    if home:
        root = Path(home)
        return Paths(root / "config", root / "data", root / "logs")
    return Paths(
        Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
    )


def atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write via a temp file, fsync and rename, so a power cut leaves old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
