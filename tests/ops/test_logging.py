"""The rotating log file, Qt messages in it, and redaction of real tokens and secrets."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from kiosk.core.config import LogSection
from kiosk.core.paths import default_paths
from kiosk.core.protocol import new_secret, sign_request
from kiosk.core.protocol.signing import H_SIGNATURE
from kiosk.logging_setup import (
    QT_LOGGER,
    redact,
    register_secret,
    setup_logging,
    teardown_logging,
)
from kiosk.services.process import install_qt_message_handler
from tests.helpers.badges import make_signer, make_token

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def logged(tmp_path: Path) -> Iterator[tuple[Path, logging.Handler]]:
    paths = default_paths(tmp_path)
    handler = setup_logging(paths, LogSection(level="DEBUG"), stderr=False)
    assert handler is not None
    yield paths.log_file, handler
    teardown_logging()
    logging.getLogger().setLevel(logging.WARNING)


def _text(log_file: Path, handler: logging.Handler) -> str:
    handler.flush()
    return log_file.read_text(encoding="utf-8")


def test_file_gets_named_logger_lines(logged: tuple[Path, logging.Handler]) -> None:
    log_file, handler = logged
    logging.getLogger("kiosk.sync.engine").info("drained %d punches", 7)
    text = _text(log_file, handler)
    assert "INFO    kiosk.sync.engine [MainThread] drained 7 punches" in text


def test_log_file_rotates_and_keeps_backups(tmp_path: Path) -> None:
    paths = default_paths(tmp_path)
    handler = setup_logging(paths, LogSection(max_bytes=10_000, backups=2), stderr=False)
    try:
        log = logging.getLogger("kiosk.test")
        for i in range(600):  # ~60 KB: several rotations of 10 KB
            log.info("line %04d %s", i, "x" * 60)
        handler.flush()
    finally:
        teardown_logging()
    files = sorted(p.name for p in paths.log_dir.iterdir())
    assert files == ["kiosk.log", "kiosk.log.1", "kiosk.log.2"]
    for name in files:
        assert (paths.log_dir / name).stat().st_size <= 10_000
    assert "line 0599" in (paths.log_dir / "kiosk.log").read_text()
    assert "line 0000" not in "".join((paths.log_dir / n).read_text() for n in files)


def test_setup_twice_does_not_duplicate_lines(tmp_path: Path) -> None:
    paths = default_paths(tmp_path)
    setup_logging(paths, LogSection(), stderr=False)
    handler = setup_logging(paths, LogSection(), stderr=False)
    try:
        logging.getLogger("kiosk.once").warning("only once")
        assert _text(paths.log_file, handler).count("only once") == 1
    finally:
        teardown_logging()


def test_level_from_config(tmp_path: Path) -> None:
    paths = default_paths(tmp_path)
    handler = setup_logging(paths, LogSection(level="WARNING"), stderr=False)
    try:
        logging.getLogger("kiosk.lvl").info("quiet info")
        logging.getLogger("kiosk.lvl").warning("loud warning")
        text = _text(paths.log_file, handler)
    finally:
        teardown_logging()
    assert "loud warning" in text and "quiet info" not in text


def test_unwritable_log_folder_falls_back_to_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "logs"
    blocker.write_text("a file where the log folder should be")
    try:
        assert setup_logging(default_paths(tmp_path), LogSection(), stderr=False) is None
    finally:
        teardown_logging()
    err = capsys.readouterr().err
    assert "cannot write the log file" in err and "stderr only" in err


@pytest.mark.parametrize("version", ["KB2", "KB1"])
def test_badge_tokens_never_reach_the_file(logged: tuple[Path, logging.Handler], version: str) -> None:
    log_file, handler = logged
    issued = datetime(2026, 1, 1, tzinfo=timezone.utc)
    token = make_signer("k7").issue("b4242", "E1234567", issued, issued + timedelta(days=9), version=version)
    log = logging.getLogger("kiosk.scan")
    log.info("decoded %s", token)
    log.warning("wedge burst: " + token[:40])  # half a token, in the format string itself
    log.info("signature part %s", token.rsplit(".", 1)[1])
    log.info("lowercased %s", token.lower())
    text = _text(log_file, handler)
    assert text.count("[badge b4242]") == 3
    sig = token.rsplit(".", 1)[1]
    for fragment in (token, token[:40], sig, sig[:43], token.lower(), "E1234567"):
        assert fragment not in text


def test_secrets_and_signatures_never_reach_the_file(
    logged: tuple[Path, logging.Handler],
) -> None:
    log_file, handler = logged
    secret = new_secret()
    headers = sign_request("T0001", secret, "POST", "/api/v1/punches", b"{}", 1_800_000_000)
    log = logging.getLogger("kiosk.sync")
    log.debug("request headers %s", headers)
    log.debug("%s: %s", H_SIGNATURE, headers[H_SIGNATURE])
    log.info("enrolled: secret=%s", secret)
    log.info("enrol payload %s", {"enrolment_code": "ABCD-1234", "secret": secret})
    log.info("pin=%s admin_pin_hash=%s", "4711", "scrypt$16384$8$1$c2FsdA$aGFzaA")
    text = _text(log_file, handler)
    for value in (secret, headers[H_SIGNATURE], "ABCD-1234", "4711", "aGFzaA"):
        assert value not in text
    assert "T0001" in text and headers["X-Kiosk-Nonce"] in text  # not secrets: kept


def test_registered_secret_redacted_anywhere(logged: tuple[Path, logging.Handler]) -> None:
    log_file, handler = logged
    register_secret("short-s3cret")
    logging.getLogger("kiosk.x").info("weird place: abcshort-s3cretxyz")
    assert "short-s3cret" not in _text(log_file, handler)


def test_exception_text_is_redacted(logged: tuple[Path, logging.Handler]) -> None:
    log_file, handler = logged
    token = make_token(make_signer(), badge_id="b777")
    try:
        raise ValueError(f"could not store {token}")
    except ValueError:
        logging.getLogger("kiosk.store").exception("append failed")
    text = _text(log_file, handler)
    assert "Traceback" in text and "ValueError: could not store [badge b777]" in text
    assert token not in text


def test_redaction_leaves_ordinary_text_alone() -> None:
    plain = (
        "sync: 12 sent, exit code 2, HTTP 503, terminal T0001 at site HQ, "
        "punch 123e4567-e89b-12d3-a456-426614174000, checkin-kiosk-with-a-rather-long-name"
    )
    assert redact(plain) == plain


def test_qt_messages_go_to_the_log(logged: tuple[Path, logging.Handler], qapp) -> None:
    from PySide6 import QtCore

    log_file, handler = logged
    uninstall = install_qt_message_handler()
    try:
        QtCore.qWarning("qt says no to KB1.k1.b99.E1.x.y.zzz")
        # qCInfo, not qInfo: PySide6 binds qInfo only from 6.8.2 (the lower bound is 6.8)
        QtCore.qCInfo(QtCore.QLoggingCategory("default"), "qt info line")
    finally:
        uninstall()
    text = _text(log_file, handler)
    assert f"WARNING {QT_LOGGER} [MainThread] qt says no to [badge b99]" in text
    assert f"INFO    {QT_LOGGER} [MainThread] qt info line" in text


def test_modules_do_not_import_qt() -> None:
    code = (
        "import sys, kiosk.logging_setup, kiosk.watchdog\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))]\n"
        "assert not bad, bad\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)


def test_handlers_added_by_others_see_redacted_records(
    logged: tuple[Path, logging.Handler],
) -> None:
    """The status panel keeps its own in-memory handler; it must not see secrets either."""
    seen: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(self.format(record))

    other = Collect()
    root = logging.getLogger()
    root.addHandler(other)
    try:
        token = make_token(make_signer(), badge_id="b31")
        logging.getLogger("kiosk.ui").info("card for %s", token)
        try:
            raise RuntimeError(token)
        except RuntimeError:
            logging.getLogger("kiosk.ui").exception("slot failed")
    finally:
        root.removeHandler(other)
    assert seen[0] == "card for [badge b31]"
    assert token not in "\n".join(seen) and "RuntimeError: [badge b31]" in seen[1]
