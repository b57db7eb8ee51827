"""Sign-in, sessions, CSRF, roles, the failed sign-in limit: over real HTTP on loopback."""

from __future__ import annotations

import requests
from fastapi.testclient import TestClient

from server_stub import audit, db
from server_stub.app import create_app
from server_stub.console import sessions
from server_stub.console.web import LOGIN_COOKIE, SESSION_COOKIE

from .conftest import PASSWORD, Browserless

PAGES = ["/", "/today/live", "/attendance", "/attendance.csv", "/employees",
         "/employees/E1", "/employees/import", "/terminals", "/audit"]


def test_every_page_needs_a_sign_in_even_from_loopback(admins) -> None:
    c = Browserless(admins.url)
    for path in PAGES:
        r = c.get(path, allow_redirects=False)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/console/login?next="), path
    r = c.s.post(c.url + "/employees", data={"employee_id": "X9", "name": "x", "site": "HQ"},
                 allow_redirects=False)
    assert r.status_code == 303
    with admins.srv.admin.engine.connect() as conn:
        assert conn.execute(db.employees.select().where(
            db.employees.c.employee_id == "X9")).first() is None
    c.close()


def test_sign_in_sets_a_hardened_cookie_and_lands_on_today(admins) -> None:
    c = Browserless(admins.url)
    page = c.get("/login")
    assert 'for="username">Username<' in page.text and 'for="password">Password<' in page.text
    assert ">Sign in</button>" in page.text
    r = c.login("hr1")
    assert r.status_code == 200 and "<h1>Today</h1>" in r.text
    cookie = next(k for k in c.s.cookies if k.name == SESSION_COOKIE)
    assert cookie.has_nonstandard_attr("HttpOnly") and cookie.path == "/console"
    assert not cookie.secure  # plain http on loopback
    set_cookie = r.history[0].headers["set-cookie"]
    assert "samesite=lax" in set_cookie.lower() and "httponly" in set_cookie.lower()
    assert r.headers["cache-control"] == "no-store"
    assert "default-src 'self'" in r.headers["content-security-policy"]
    # Only a hash of the token is stored.
    with admins.srv.admin.engine.connect() as conn:
        stored = conn.execute(db.console_sessions.select()).one()
    assert stored.token_hash != cookie.value and cookie.value not in str(tuple(stored))
    c.close()


def test_cookie_is_secure_over_https(admins) -> None:
    app = create_app(admins.srv.data_dir, admins.clock)
    with TestClient(app, base_url="https://console.example") as tc:
        page = tc.get("/console/login")
        assert "secure" in page.headers["set-cookie"].lower()
        token = page.text.split('name="login_token" value="')[1].split('"')[0]
        r = tc.post("/console/login", data={"login_token": token, "username": "hr1",
                                            "password": PASSWORD}, follow_redirects=False)
        assert r.status_code == 303
        flags = r.headers["set-cookie"].lower()
        assert SESSION_COOKIE in flags and "secure" in flags and "httponly" in flags
    app.state.engine.dispose()


def test_login_form_needs_its_token(admins) -> None:
    c = Browserless(admins.url)
    c.get("/login")
    r = c.s.post(c.url + "/login", data={"login_token": "forged", "username": "hr1",
                                         "password": PASSWORD})
    assert r.status_code == 403 and "expired" in r.text
    assert SESSION_COOKIE not in c.s.cookies
    c.close()


def test_forms_without_the_csrf_token_change_nothing(client_for) -> None:
    hr = client_for("hr1")
    data = {"employee_id": "E9", "name": "Forged", "site": "HQ"}
    for token in ("", "0" * 64):
        r = hr.post("/employees", data, csrf=token)
        assert r.status_code == 403 and "This form has expired" in r.text
    assert hr.get("/employees/E9").status_code == 404
    assert hr.post("/employees", data).status_code == 200  # with the page's token: stored
    assert "Forged" in hr.get("/employees/E9").text


def test_roles_see_only_their_pages(client_for) -> None:
    allowed = {
        "hr1": {"/", "/attendance", "/employees", "/audit"},
        "it1": {"/", "/terminals", "/audit"},
        "view1": {"/", "/attendance"},
    }
    for user, ok in allowed.items():
        c = client_for(user)
        for path in ("/", "/attendance", "/employees", "/terminals", "/audit"):
            r = c.get(path)
            assert r.status_code == (200 if path in ok else 403), (user, path)
        assert c.post("/terminals", {"name": "x", "site": "HQ"}).status_code == (
            200 if user == "it1" else 403)


def test_logout_ends_the_session_on_the_server(client_for, admins) -> None:
    hr = client_for("hr1")
    token = hr.s.cookies[SESSION_COOKIE]
    r = hr.post("/logout")
    assert r.url.endswith("/console/login?why=signed_out") and "You have signed out" in r.text
    stolen = requests.get(hr.url + "/", cookies={SESSION_COOKIE: token}, timeout=30,
                          allow_redirects=False)
    assert stolen.status_code == 303
    assert [e.action for e in audit.entries(admins.srv.admin.engine)][:2] == ["logout", "login"]


def test_idle_session_times_out(client_for, admins) -> None:
    hr = client_for("hr1")
    admins.clock.advance(sessions.IDLE_TIMEOUT_S - 60)
    assert hr.get("/").status_code == 200  # activity renews it
    admins.clock.advance(sessions.IDLE_TIMEOUT_S - 60)
    assert hr.get("/today/live").status_code == 200
    admins.clock.advance(120)  # polls of the live view are not activity
    r = hr.get("/")
    assert "/console/login" in r.url and "why=timed_out" in r.url
    assert "Your session ended" in r.text


def test_wrong_passwords_until_the_limit_answers(admins) -> None:
    c = Browserless(admins.url)
    for _ in range(sessions.MAX_FAILS_PER_USER):
        r = c.login("hr1", "wrong password")
        assert r.status_code == 401 and "Wrong username or password" in r.text
    r = c.login("hr1", PASSWORD)  # even the right password is refused now
    assert r.status_code == 429 and "Too many failed sign-ins" in r.text
    assert SESSION_COOKIE not in c.s.cookies
    engine = admins.srv.admin.engine
    fails = audit.entries(engine, action="login_failed")
    assert len(fails) == sessions.MAX_FAILS_PER_USER and fails[0].client == "127.0.0.1"
    assert PASSWORD not in str(fails) and "wrong password" not in str(fails)
    assert len(audit.entries(engine, action="login_limited")) == 1
    admins.clock.advance(sessions.LOGIN_WINDOW_S + 1)
    assert c.login("hr1", PASSWORD).status_code == 200
    c.close()


def test_unknown_user_fails_like_a_wrong_password(admins) -> None:
    c = Browserless(admins.url)
    r = c.login("nobody", PASSWORD)
    assert r.status_code == 401 and "Wrong username or password" in r.text
    assert LOGIN_COOKIE in c.s.cookies  # a fresh form token for the next try
    token = r.text.split('name="login_token" value="')[1].split('"')[0]
    r = c.s.post(c.url + "/login", data={"login_token": token, "username": "x",
                                         "password": "y", "next": "/console/audit"})
    assert 'name="next" value="/console/audit"' in r.text  # kept across a failed try
    c.close()


def test_next_is_kept_but_never_leaves_the_console(admins) -> None:
    c = Browserless(admins.url)
    r = c.get("/audit")
    assert "next=/console/audit" in r.url
    token = r.text.split('name="login_token" value="')[1].split('"')[0]
    for nxt, lands in (("/console/audit", "/console/audit"), ("https://evil.example/", "/console/"),
                       ("//evil.example/console", "/console/")):
        r = c.s.post(c.url + "/login", data={"login_token": token, "username": "hr1",
                                             "password": PASSWORD, "next": nxt},
                     allow_redirects=False)
        assert r.headers["location"] == lands
        c.s.cookies.clear()
        r = c.get("/login")
        token = r.text.split('name="login_token" value="')[1].split('"')[0]
    c.close()
