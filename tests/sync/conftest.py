"""Fixtures for sync tests: the real server on 127.0.0.1 and an enrolled terminal."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kiosk.core.clock import SystemClock
from kiosk.core.config import Config, save_config
from kiosk.core.paths import Paths, default_paths
from kiosk.core.protocol import Punch, Source
from kiosk.store import Outbox
from kiosk.sync.enroll import enroll
from kiosk.sync.secrets import KeyringSecretStore
from server_stub.admin import AdminError
from tests.helpers.keyring_backend import MemoryKeyring
from tests.helpers.live_server import LiveServer, live_server


@dataclass
class Terminal:
    """An enrolled terminal: its folders, config, secret store and badges to scan."""

    paths: Paths
    config: Config
    secrets: KeyringSecretStore
    badges: list[tuple[str, str]]  # (badge_id, token)

    def tune(self, **sync: float) -> Config:
        """Fast timers for tests, plus any override; saved so subprocesses see it too."""
        cfg = self.config.model_copy(deep=True)
        values = {"interval_s": 0.2, "backoff_base_s": 0.05, "backoff_cap_s": 0.5, **sync}
        for key, value in values.items():
            if key in ("connect_timeout_s", "read_timeout_s", "urls"):
                setattr(cfg.server, key, value)
            else:
                setattr(cfg.sync, key, value)
        save_config(cfg, self.paths.config_file)
        self.config = cfg
        return cfg


def fill(box: Outbox, term: Terminal, n: int, clock=None, offset: float = 0.0) -> list[Punch]:
    clock = clock or SystemClock()
    out = []
    for i in range(n):
        badge_id, token = term.badges[i % len(term.badges)]
        out.append(box.append(
            terminal_id=term.config.terminal.id, badge=token, badge_id=badge_id,
            source=Source.CAMERA, wall_time=clock.now(), clock_offset_s=offset,
            app_version="0.1.0",
        ))
    return out


def make_terminal(srv: LiveServer, home: Path, employees: int = 3) -> Terminal:
    admin = srv.admin
    try:
        admin.add_site("HQ", "Head office")
    except AdminError as exc:  # a second terminal on the same server; nothing else
        assert "exists already" in str(exc)
    badges = []
    for i in range(employees):
        emp = f"E{home.name[:8]}{i}"
        admin.add_employee(emp, f"Employee {i}", "HQ")
        issued = admin.issue_badge(emp)
        badges.append((issued.badge_id, issued.token))
    code = admin.add_terminal(f"Door {home.name}", "HQ")
    paths = default_paths(home).ensure()
    store = KeyringSecretStore(MemoryKeyring())
    config = enroll(srv.url, code, paths, store)
    return Terminal(paths, config, store, badges)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with live_server(tmp_path) as srv:
        yield srv


@pytest.fixture
def terminal(server: LiveServer, tmp_path: Path) -> Terminal:
    return make_terminal(server, tmp_path / "kiosk")


@pytest.fixture(autouse=True)
def _no_logging_left_behind():
    """`kiosk sync` run in-process installs the kiosk's log handlers: take them down."""
    yield
    from kiosk.logging_setup import teardown_logging

    teardown_logging()


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Install the in-memory backend for code that asks the keyring library (the CLI)."""
    import keyring

    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)
