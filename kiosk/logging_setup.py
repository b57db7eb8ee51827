"""Logging for the kiosk: named loggers, a rotating file, and redaction.

Everything goes through the root logger so third-party warnings (urllib3, uvicorn) land in
the same file. Every handler installed here carries :class:`RedactingFilter`, so a badge
token, a terminal secret or a request signature never reaches a log line, even when some
code logs a whole header dict or an exception whose message quotes scanned text.

This module imports no Qt: it is safe for ``kiosk/core``-level code and for the headless
commands (``status``, ``sync``). Qt's own messages reach the ``kiosk.qt`` logger through
:func:`kiosk.services.process.install_qt_message_handler`.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from .core.protocol.badge import kb2_badge_id
from .core.protocol.signing import H_SIGNATURE

__all__ = [
    "LOG_FORMAT",
    "QT_LOGGER",
    "RedactingFilter",
    "configure",
    "redact",
    "register_secret",
    "setup_logging",
    "teardown_logging",
]

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(threadName)s] %(message)s"
QT_LOGGER = "kiosk.qt"
_MARK = "_kiosk_handler"  # attribute set on the handlers we own, so setup is idempotent

_log = logging.getLogger(__name__)


class _PathsLike(Protocol):
    @property
    def log_dir(self) -> Path: ...


class _LogConfigLike(Protocol):  # read-only: ``[log]`` of kiosk.core.config
    @property
    def level(self) -> str: ...

    @property
    def max_bytes(self) -> int: ...

    @property
    def backups(self) -> int: ...


# --- redaction -----------------------------------------------------------------------------

# A badge token (or a fragment of one: a wedge scanner can deliver half a token). Keep the
# badge id when it is there - "badge ids at most" is what the logs may show. A KB2 token
# packs its badge id at the start of the base32; it is decoded from what is there.
_BADGE_RE = re.compile(
    r"KB1\."
    r"(?:[A-Za-z0-9_-]{1,16}\.(?P<bid>[A-Za-z0-9]{1,24})(?=\.|\b))?"  # kid . badge id
    r"(?:[A-Za-z0-9_.\-=]*[A-Za-z0-9_\-=])?"  # the rest, but not a sentence's full stop
    r"|KB2\.[A-Z2-7]*",
    re.IGNORECASE,
)
# A signature header, in "Name: value", "Name=value" or a dict repr "'Name': 'value'".
_HEADER_RE = re.compile(
    rf"(?P<name>{re.escape(H_SIGNATURE)}|Authorization)(?P<sep>['\"]?\s*[:=]\s*['\"]?)"
    r"(?P<value>[^\s'\",}]+)",
    re.IGNORECASE,
)
# key=value / "key": "value" for the keys that hold secrets (terminal secret, enrolment
# code, admin PIN, tokens). "code" alone is too common ("exit code 2"); enrolment codes are
# matched by their own key names.
_KEYVAL_RE = re.compile(
    r"(?P<name>\b(?:secret|terminal_secret|password|passwd|pin|admin_pin|pin_hash|"
    r"admin_pin_hash|token|access_token|api_key|enrol(?:l)?(?:ment)?_code|code_hash)\b)"
    r"(?P<sep>['\"]?\s*[:=]\s*['\"]?)(?P<value>[^\s'\",}]+)",
    re.IGNORECASE,
)
# Free-standing secret-shaped strings: a long base64url run (a terminal secret is 43 chars,
# an Ed25519 signature 86) or 64 hex digits (an HMAC-SHA256 signature). A long run of one
# character class ("checkin-kiosk-...-name") is a name, not a secret, and is left alone.
_B64_LONG_RE = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{40,}(?![A-Za-z0-9_-])")
_HEX_256_RE = re.compile(r"(?<![0-9A-Fa-f])[0-9a-fA-F]{64}(?![0-9A-Fa-f])")

_known_secrets: set[str] = set()
_known_lock = threading.Lock()


def register_secret(value: str) -> None:
    """Redact this exact string wherever it appears (the loaded terminal secret, say)."""
    if value and len(value) >= 6:
        with _known_lock:
            _known_secrets.add(value)


def _badge_sub(m: re.Match[str]) -> str:
    bid = m.group("bid") or (kb2_badge_id(m.group(0)) if m.group(0)[2] == "2" else None)
    return f"[badge {bid}]" if bid else "[badge]"


def _b64_sub(m: re.Match[str]) -> str:
    run = m.group(0)
    classes = sum((any(c.isupper() for c in run), any(c.islower() for c in run),
                   any(c.isdigit() for c in run)))
    return "[secret]" if classes >= 2 else run


def redact(text: str) -> str:
    """``text`` with every token, secret and signature replaced by a marker."""
    with _known_lock:
        known = sorted(_known_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, "[secret]")
    text = _BADGE_RE.sub(_badge_sub, text)
    text = _HEADER_RE.sub(lambda m: f"{m['name']}{m['sep']}[redacted]", text)
    text = _KEYVAL_RE.sub(lambda m: f"{m['name']}{m['sep']}[redacted]", text)
    text = _HEX_256_RE.sub("[hex256]", text)
    return _B64_LONG_RE.sub(_b64_sub, text)


class RedactingFilter(logging.Filter):
    """Rewrites a record so its message, exception and stack text are redacted.

    The message is rendered (``msg % args``) before redaction, so a token passed as an
    argument is caught as well as one in the format string. The exception text is rendered
    here too; the formatter then reuses ``exc_text`` instead of formatting the raw one.
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_kiosk_redacted", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not drop the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            # Formatters reuse exc_text rather than formatting exc_info again.
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        record._kiosk_redacted = True
        return True


# --- setup ---------------------------------------------------------------------------------


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log file readable by the kiosk's account only: every file it opens
    (the first, and each one after a rollover) is created 0600."""

    def _open(self):  # type: ignore[no-untyped-def]  # logging's own hook, untyped there
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return open(fd, self.mode, encoding=self.encoding, errors=self.errors)


def _owned(obj: object) -> bool:
    return bool(getattr(obj, _MARK, False))


_FILTER = RedactingFilter()


def _install_record_factory() -> None:
    """Redact every record when it is created, so handlers added by anyone (the status
    panel's in-memory buffer, pytest's caplog) only ever see the redacted text."""
    current = logging.getLogRecordFactory()
    if _owned(current):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        _FILTER.filter(record)
        return record

    factory._kiosk_previous = current  # type: ignore[attr-defined]
    setattr(factory, _MARK, True)
    logging.setLogRecordFactory(factory)


def teardown_logging() -> None:
    """Remove and close the handlers :func:`setup_logging` installed (tests, re-setup)."""
    factory = logging.getLogRecordFactory()
    if _owned(factory):
        logging.setLogRecordFactory(factory._kiosk_previous)  # type: ignore[attr-defined]
    root = logging.getLogger()
    for handler in list(root.handlers):
        if _owned(handler):
            root.removeHandler(handler)
            handler.close()
    logging.captureWarnings(False)


def _own(handler: logging.Handler, level: int) -> logging.Handler:
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(RedactingFilter())
    setattr(handler, _MARK, True)
    return handler


def setup_logging(
    paths: _PathsLike,
    log_config: _LogConfigLike,
    *,
    stderr: bool = True,
    filename: str = "kiosk.log",
    secrets: Iterable[str] = (),
) -> logging.handlers.RotatingFileHandler | None:
    """Install the rotating file (and stderr) handlers on the root logger; idempotent.

    Records are redacted as they are created (a record factory) and again by a filter on
    each handler installed here, so no handler anywhere sees a token or a secret.

    ``KIOSK_LOG_TO_STDERR=0`` in the environment turns the stderr handler off (the test
    suite sets it). A log folder that cannot be written is reported on stderr and the kiosk
    runs on without a log file rather than not at all; the file handler is returned, or
    None in that case.
    """
    teardown_logging()
    for s in secrets:
        register_secret(s)
    _install_record_factory()
    level = logging.getLevelName(str(log_config.level).upper())
    if not isinstance(level, int):
        level = logging.INFO
    root = logging.getLogger()
    root.setLevel(level)
    # sys.stderr is None in a windowed (no console) Windows build.
    if stderr and sys.stderr is not None and os.environ.get("KIOSK_LOG_TO_STDERR", "1") != "0":
        root.addHandler(_own(logging.StreamHandler(sys.stderr), level))

    file_handler: logging.handlers.RotatingFileHandler | None = None
    log_file = Path(paths.log_dir) / filename
    try:
        Path(paths.log_dir).mkdir(parents=True, exist_ok=True)
        file_handler = PrivateRotatingFileHandler(
            log_file,
            maxBytes=int(log_config.max_bytes),
            backupCount=int(log_config.backups),
            encoding="utf-8",
        )
    except OSError as exc:
        if sys.stderr is not None:
            print(f"kiosk: cannot write the log file {log_file}: {exc.strerror or exc}; "
                  "logging to stderr only", file=sys.stderr)
    else:
        root.addHandler(_own(file_handler, level))
    # Chatty libraries: their DEBUG lines would bury ours (and urllib3 logs full URLs).
    for name in ("urllib3", "PIL", "asyncio", "multipart"):
        logging.getLogger(name).setLevel(max(level, logging.INFO))
    logging.captureWarnings(True)
    _log.debug("logging to %s (level %s)", log_file if file_handler else "stderr", log_config.level)
    return file_handler


class _ConfigLike(Protocol):
    @property
    def log(self) -> _LogConfigLike: ...


def configure(
    config: _ConfigLike, paths: _PathsLike
) -> logging.handlers.RotatingFileHandler | None:
    """What :func:`kiosk.app.run_kiosk` calls first: the rotating file and stderr, from
    ``[log]``. (It installs :func:`kiosk.services.process.install_qt_message_handler`
    right after.)"""
    return setup_logging(paths, config.log)
