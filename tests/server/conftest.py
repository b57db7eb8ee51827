"""Fixtures: a live server with a fake clock, a small world of staff, an enrolled terminal.

Tests using ``world`` run twice: on SQLite and on PostgreSQL (``backend``).
Server time starts Monday 2026-11-02 08:00 UTC = 09:00 in Europe/Berlin (the site's zone).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pytest

from tests.helpers import databases
from tests.helpers.clock import FakeClock
from tests.helpers.live_server import LiveServer, live_server

from .terminal_client import Term, enroll

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)  # Mon 09:00 Berlin


@dataclass
class World:
    srv: LiveServer
    clock: FakeClock
    tokens: dict[str, str] = field(default_factory=dict)
    badge_ids: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.srv.url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    """Every test using the world runs on both databases (PostgreSQL skips if unreachable)."""
    return request.param


@pytest.fixture
def database_url(backend) -> Iterator[str | None]:
    """For a new data folder: on PostgreSQL a database already at the head schema, copied
    from a template (``Admin.init`` accepts it; building the tables per test cost ~0.4 s)."""
    with databases.database_url(backend, schema=True) as url:
        yield url


@pytest.fixture
def empty_database_url(backend) -> Iterator[str | None]:
    """An empty database on PostgreSQL (migrations, restore targets)."""
    with databases.database_url(backend) as url:
        yield url


@pytest.fixture
def world(tmp_path, clock, database_url) -> Iterator[World]:
    if database_url is None:  # SQLite: a copy of a file at the head schema, as on PostgreSQL
        databases.sqlite_at_head(tmp_path / "server-data")
    with live_server(tmp_path, clock=clock, database_url=database_url) as srv:
        a = srv.admin
        a.add_site("HQ", "Head office", "Europe/Berlin")
        a.add_site("LAB", "Lab", "Asia/Shanghai")
        a.add_shift("day", "09:00", "17:00", 5)
        a.add_shift("night", "22:00", "06:00", 10, weekdays="all")
        a.add_employee("E1", "Ana Souza", "HQ", "day")
        a.add_employee("E2", "王芳", "HQ", "night")
        a.add_employee("E3", "Lab Person", "LAB", "day")
        a.add_employee("E4", "No Shift", "HQ")
        w = World(srv, clock)
        for emp in ("E1", "E2", "E3", "E4"):
            b = a.issue_badge(emp, issued_at=datetime(2026, 10, 1, tzinfo=timezone.utc))
            w.tokens[emp], w.badge_ids[emp] = b.token, b.badge_id
        yield w


@pytest.fixture
def term(world) -> Iterator[Term]:
    t = enroll(world.url, world.srv.admin.add_terminal("Door", "HQ"), world.clock)
    yield t
    t.close()
