"""Build the real kiosk (services + window) against a real server on 127.0.0.1.

Only the camera and the clock are fake: the outbox is a real SQLite file, the sync engine
talks HTTP to the embedded server_stub, enrolment is the real one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kiosk.app import KioskApp, KioskOptions
from kiosk.core.config import Config, save_config
from kiosk.core.paths import Paths, default_paths
from kiosk.services.memory_secrets import MemorySecretStore
from kiosk.sync.enroll import enroll
from tests.helpers.clock import FakeClock

# Monday 2026-11-02; the test site runs on UTC so the expected minutes are plain.
MONDAY_0912 = datetime(2026, 11, 2, 9, 12, tzinfo=timezone.utc)
MONDAY_0850 = datetime(2026, 11, 2, 8, 50, tzinfo=timezone.utc)


@dataclass
class Site:
    """The seeded data: badge tokens by role, the enrolment code."""

    tokens: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    code: str = ""


def seed_site(admin: Any) -> Site:
    site = Site()
    admin.add_site("HQ", "Head office", "UTC")
    admin.add_shift("day", "09:00", "17:00", 5)
    for emp_id, name in (("E1001", "Alice Example"), ("E1002", "王小明"), ("E1003", "Bob Revoked")):
        admin.add_employee(emp_id, name, "HQ", "day")
        site.names[emp_id] = name
    site.tokens["alice"] = admin.issue_badge("E1001").token
    site.tokens["wang"] = admin.issue_badge("E1002").token
    revoked = admin.issue_badge("E1003")
    admin.revoke_badge(revoked.badge_id)
    site.tokens["revoked"] = revoked.token
    site.code = admin.add_terminal("Front door", "HQ")
    return site


def enrolled_config(url: str, code: str, home: Path, store: Any,
                    **ui: Any) -> tuple[Config, Paths]:
    paths = default_paths(home).ensure()
    config = enroll(url, code, paths, store)
    config.ui.sounds = False
    config.sync.interval_s = 0.5
    config.sync.backoff_base_s = 0.2
    config.sync.backoff_cap_s = 0.5
    config.server.connect_timeout_s = 1.0
    config.server.read_timeout_s = 3.0
    for k, v in ui.items():
        setattr(config.ui, k, v)
    save_config(config, paths.config_file)
    return config, paths


@contextmanager
def running_kiosk(qtbot: Any, config: Config, paths: Paths, store: Any, clock: FakeClock,
                  camera: str = "", tokens: Sequence[str] = (),
                  wait_roster: bool = True) -> Iterator[KioskApp]:
    """The whole kiosk, started; always shut down (threads joined) on exit."""
    app = KioskApp(config, paths, store,
                   KioskOptions(fullscreen=False, camera=camera, synthetic_tokens=tokens,
                                sounds=False, preview_fps=10),
                   clock=clock, keyring_label=store.description)
    try:
        app.start()
        qtbot.addWidget(app.window)
        if wait_roster:
            qtbot.waitUntil(lambda: app._roster.roster is not None, timeout=10000)
        yield app
    finally:
        app.shutdown()
        app.wait_stopped()


def card_text(app: KioskApp) -> str:
    return app.window.card.text()


@contextmanager
def kiosk_on_site(qtbot: Any, tmp_path: Path, clock: FakeClock, *, store: Any = None,
                  wait_roster: bool = True, **ui: Any) -> Iterator[tuple[Any, Site, KioskApp]]:
    """The usual test set-up in one line: a live server with the seeded site, and an
    enrolled kiosk running against it. Yields (server, site, app)."""
    from tests.helpers.live_server import live_server

    store = store if store is not None else MemorySecretStore()
    with live_server(tmp_path, clock=clock) as srv:
        site = seed_site(srv.admin)
        config, paths = enrolled_config(srv.url, site.code, tmp_path / "kiosk", store, **ui)
        with running_kiosk(qtbot, config, paths, store, clock,
                           wait_roster=wait_roster) as app:
            yield srv, site, app
