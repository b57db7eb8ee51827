"""The kiosk's one typed configuration, loaded from TOML with a clear error per bad key.

Sections mirror the parts of the kiosk. Every key has a default, so an empty file (or none)
is a valid config; ``kiosk enroll`` fills in ``[terminal]`` and ``[server]``.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

from .paths import atomic_write
from .problems import KioskError, ProblemCode


class ConfigError(KioskError):
    """A config file that cannot be used; the message names file, key and fix."""

    code = ProblemCode.CONFIG_INVALID


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class TerminalSection(_Section):
    id: str = Field(default="", description="Terminal id given by the server at enrolment")
    name: str = Field(default="", description="Display name, from the server at enrolment")
    site: str = Field(default="", description="Site code, from the server at enrolment")


class ServerSection(_Section):
    urls: list[str] = Field(default_factory=list, description="Server base URLs, tried in order")
    connect_timeout_s: float = Field(default=3.0, gt=0, le=60)
    read_timeout_s: float = Field(default=10.0, gt=0, le=300)
    verify_tls: bool = Field(default=True, description="Check the server's TLS certificate")

    @field_validator("urls")
    @classmethod
    def _urls(cls, v: list[str]) -> list[str]:
        for url in v:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"{url!r} must start with http:// or https://")
        return [u.rstrip("/") for u in v]


class SyncSection(_Section):
    batch_size: int = Field(default=100, ge=1, le=500)
    interval_s: float = Field(default=5.0, gt=0, le=3600, description="Drain timer period")
    backoff_base_s: float = Field(default=1.0, gt=0, le=60)
    backoff_cap_s: float = Field(default=300.0, gt=0, le=86400)
    heartbeat_s: float = Field(default=60.0, gt=0, le=86400)
    roster_refresh_s: float = Field(default=300.0, gt=0, le=86400)
    ca_file: str = Field(default="", description="PEM file of the CA that signed the server's "
                                                 "certificate (default: the system store)")
    pin_sha256: str = Field(default="", description="SHA-256 (hex) of the server certificate's "
                                                    "public key; several separated by commas")
    allow_insecure_http: bool = Field(default=False, description="Allow plain http:// to a "
                                                                 "host that is not loopback")

    @field_validator("pin_sha256")
    @classmethod
    def _pins(cls, v: str) -> str:
        for pin in v.split(","):
            hexits = pin.strip().replace(":", "")
            if pin.strip() and not (len(hexits) == 64 and all(
                    c in "0123456789abcdefABCDEF" for c in hexits)):
                raise ValueError(f"{pin.strip()!r} is not a SHA-256 in hex (64 digits)")
        return v


class SecretsSection(_Section):
    store: Literal["keyring", "file"] = Field(
        default="keyring", description="'file' is the weaker option: a 0600 file on disk"
    )
    file: str = Field(default="", description="Path of the secret file when store = 'file'")


class CameraSection(_Section):
    source: str = Field(default="0", description="'0' (index), a video file, a folder, 'synthetic'")
    width: int = Field(default=1280, ge=160, le=7680)
    height: int = Field(default=720, ge=120, le=4320)
    fps: int = Field(default=30, ge=1, le=240)
    backend: Literal["auto", "v4l2", "qt", "opencv"] = Field(
        default="auto",
        description="How a camera index is captured: `v4l2` (Linux: straight from the "
                    "driver with linuxpy), `qt` (QtMultimedia: Media Foundation on Windows), "
                    "`opencv` (needs the `video` extra), or `auto` (v4l2 on Linux, else qt "
                    "when QtMultimedia and its media backend are installed, else opencv).",
    )
    decoder: Literal["zxingcpp", "pyzbar"] = "zxingcpp"


class ScanSection(_Section):
    cooldown_s: float = Field(default=60.0, ge=0, le=86400, description="Repeat scans ignored")
    wedge_enabled: bool = True
    wedge_max_interkey_ms: float = Field(default=30.0, gt=0, le=500)
    wedge_min_length: int = Field(default=8, ge=1, le=256)


class UiSection(_Section):
    fullscreen: bool = True
    language: Literal["auto", "en", "zh_CN"] = "auto"
    sounds: bool = True
    card_seconds: float = Field(default=4.0, gt=0, le=60)
    card_hold_max_s: float = Field(default=30.0, gt=0, le=600,
                                   description="Longest a card waits for a held badge to leave")
    corrections_offer_s: float = Field(
        default=8.0, ge=0, le=60,
        description="Seconds the card offers 'Forgot a punch?' after a scan (0: off)")
    admin_pin_hash: str = Field(default="", description="scrypt hash of the admin PIN")


class StorageSection(_Section):
    retention_days: int = Field(default=30, ge=1, le=3650, description="Sent punches kept")


class LogSection(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    max_bytes: int = Field(default=2_000_000, ge=10_000)
    backups: int = Field(default=5, ge=0, le=100)


class Config(_Section):
    terminal: TerminalSection = Field(default_factory=TerminalSection)
    server: ServerSection = Field(default_factory=ServerSection)
    sync: SyncSection = Field(default_factory=SyncSection)
    secrets: SecretsSection = Field(default_factory=SecretsSection)
    camera: CameraSection = Field(default_factory=CameraSection)
    scan: ScanSection = Field(default_factory=ScanSection)
    ui: UiSection = Field(default_factory=UiSection)
    storage: StorageSection = Field(default_factory=StorageSection)
    log: LogSection = Field(default_factory=LogSection)

    @property
    def enrolled(self) -> bool:
        return bool(self.terminal.id and self.server.urls)


def _known_keys(loc: tuple[Any, ...]) -> list[str]:
    model: type[BaseModel] = Config
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        if field is None or not isinstance(field.annotation, type):
            return []
        model = field.annotation
    return list(model.model_fields)


def _describe(err: ErrorDetails, source: str) -> str:
    loc = tuple(err["loc"])
    key = ".".join(str(p) for p in loc)
    if err["type"] == "extra_forbidden":
        hint = difflib.get_close_matches(str(loc[-1]), _known_keys(loc), n=1)
        tip = f" (did you mean '{hint[0]}'?)" if hint else ""
        return f"{source}: unknown key '{key}'{tip}"
    got = err.get("input")
    return f"{source}: '{key}': {err['msg']} (got {got!r})"


def parse_config(data: dict[str, Any], source: str = "config") -> Config:
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        lines = [_describe(e, source) for e in exc.errors()]
        raise ConfigError("\n".join(lines)) from None


def load_config(path: Path) -> Config:
    """Read ``path``; a missing file is the all-defaults config."""
    if not path.exists():
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_config(data, str(path))


def dump_config(cfg: Config) -> str:
    """TOML text of the keys that differ from the defaults (the file stays short), written
    by ``tomli-w``: any text (a terminal name with a newline, a quote, a control
    character) reads back as it was."""
    data = cfg.model_dump(mode="json", exclude_defaults=True)
    return tomli_w.dumps({section: values for section, values in data.items() if values})


def save_config(cfg: Config, path: Path) -> None:
    atomic_write(path, dump_config(cfg).encode("utf-8"), mode=0o600)
