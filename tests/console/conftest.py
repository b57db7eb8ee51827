"""Console fixtures: the server world of tests/server plus console accounts and a signed-in
``requests`` session (real server on 127.0.0.1, real SQLite, real argon2)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator

import pytest
import requests
from argon2 import PasswordHasher
from sqlalchemy import insert

from server_stub import db
from server_stub.console import accounts
from tests.server.conftest import T0, World, clock, term, world  # noqa: F401 - fixtures

PASSWORD = "correct horse 1"
ROLES = {"hr1": accounts.Role.HR, "it1": accounts.Role.IT, "view1": accounts.Role.VIEWER}


class Browserless:
    """A console client over HTTP that signs in like a browser (form, cookies, CSRF)."""

    def __init__(self, url: str) -> None:
        self.url = url + "/console"
        self.s = requests.Session()

    def close(self) -> None:
        self.s.close()

    def get(self, path: str, **kw: object) -> requests.Response:
        return self.s.get(self.url + path, timeout=30, **kw)  # type: ignore[arg-type]

    def login(self, username: str, password: str = PASSWORD) -> requests.Response:
        page = self.get("/login")
        token = re.search(r'name="login_token" value="([^"]+)"', page.text)
        assert token, page.text
        return self.s.post(self.url + "/login", timeout=30, data={
            "login_token": token.group(1), "username": username, "password": password,
            "next": "/console/"})

    def csrf(self, path: str = "/") -> str:
        m = re.search(r'name="csrf" value="([^"]+)"', self.get(path).text)
        assert m, "no csrf token on " + path
        return m.group(1)

    def post(self, path: str, data: dict[str, str] | None = None, *, csrf: str | None = None,
             files: dict[str, object] | None = None, **kw: object) -> requests.Response:
        body = dict(data or {})
        body["csrf"] = self.csrf() if csrf is None else csrf
        return self.s.post(self.url + path, data=body, files=files, timeout=30,  # type: ignore[arg-type]
                           **kw)


@pytest.fixture
def database_url() -> None:
    """The console's tests run on SQLite (tests/server runs the storage on PostgreSQL too)."""
    return None


@functools.cache
def _password_hash() -> str:
    """argon2 costs ~0.5 s here: hash the shared test password once per run."""
    return PasswordHasher().hash(PASSWORD)


@pytest.fixture
def admins(world: World) -> World:  # noqa: F811 - the imported fixture
    with db.write_txn(world.srv.admin.engine) as conn:
        for name, role in ROLES.items():
            conn.execute(insert(db.admins).values(
                username=name, role=role.value, password_hash=_password_hash(),
                created_at=T0.timestamp(), password_changed_at=T0.timestamp()))
    return world


@pytest.fixture
def client_for(admins: World) -> Iterator[Callable[[str], Browserless]]:
    """``client_for("hr1")``: a signed-in client with that account's role."""
    made: list[Browserless] = []

    def make(username: str) -> Browserless:
        c = Browserless(admins.url)
        made.append(c)
        r = c.login(username)
        assert r.status_code == 200 and r.url.endswith("/console/"), r.text
        return c

    yield make
    for c in made:
        c.close()
