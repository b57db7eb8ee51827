"""The event stream to terminals (server_stub/push): on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import queue

import pytest

from kiosk.core.protocol import events as wire

from .push_client import Stream


def test_revoke_reaches_the_stream_signed(world, term):
    s = Stream(term)
    try:
        hello = s.next(skip_hello=False)
        assert hello.kind == wire.HELLO and hello.data == {"resumed": False}
        world.srv.admin.revoke_badge(world.badge_ids["E1"])
        ev = s.next()
        assert ev.kind == "badge_revoked" and ev.data == {"badge_id": world.badge_ids["E1"]}
        assert ev.id > hello.id
        assert s.bad == 0
    finally:
        s.close()


def test_site_and_terminal_scoping(world, term):
    s = Stream(term)
    try:
        s.next(skip_hello=False)
        world.srv.admin.add_employee("E9", "Lab Two", "LAB")  # another site: not for us
        world.srv.admin.add_employee("E8", "HQ Two", "HQ")
        ev = s.next()
        assert (ev.kind, ev.data) == ("employee_added", {"employee_id": "E8"})
        world.srv.admin.set_cooldown(30)
        ev = s.next()
        assert (ev.kind, ev.data) == ("settings_changed", {"cooldown_s": 30})
    finally:
        s.close()


def test_resume_after_reconnect_loses_nothing(world, term):
    s = Stream(term)
    last = s.next(skip_hello=False).id
    s.close()
    a = world.srv.admin
    for emp in ("E1", "E2", "E4"):
        a.set_employee_active(emp, False)
    a.revoke_badge(world.badge_ids["E3"])
    s = Stream(term, after=last)
    try:
        hello = s.next(skip_hello=False)
        assert hello.data == {"resumed": True} and hello.id == last
        got = [s.next() for _ in range(4)]
        assert [e.kind for e in got] == ["employee_deactivated"] * 3 + ["badge_revoked"]
        assert [e.data.get("employee_id") for e in got[:3]] == ["E1", "E2", "E4"]
        ids = [e.id for e in got]
        assert ids == sorted(ids) and len(set(ids)) == 4
        with pytest.raises(queue.Empty):
            s.next(timeout=0.5)
    finally:
        s.close()


def test_signature_binds_nonce_and_id(world, term):
    s = Stream(term)
    try:
        s.next(skip_hello=False)
        world.srv.admin.revoke_badge(world.badge_ids["E2"])
        ev = s.next()
    finally:
        s.close()
    data = wire.event_json(ev.id, ev.kind, ev.at, ev.data)
    sig = wire.sign_event(term.secret, s.nonce, ev.id, data)
    good = wire.RawEvent(str(ev.id), ev.kind, sig, data)
    assert wire.verify(good, term.secret, s.nonce) == ev
    for raw, nonce in [
        (good, "another-stream-nonce"),  # replayed into another stream
        (wire.RawEvent(None, ev.kind, sig, data.replace(b'"badge_revoked"', b'"key_added"')),
         s.nonce),
        (wire.RawEvent(None, ev.kind, "0" * 64, data), s.nonce),
        (wire.RawEvent(None, ev.kind, None, data), s.nonce),
    ]:
        with pytest.raises(wire.BadEvent):
            wire.verify(raw, term.secret, nonce)


def test_unsigned_stream_refused(world, term):
    import requests

    r = requests.get(world.url + "/api/v1/events", timeout=5)
    assert r.status_code == 401


def test_long_poll_ends_with_the_events(world, term):
    import requests

    from kiosk.core.protocol import API_PREFIX, sign_request

    world.srv.admin.revoke_badge(world.badge_ids["E4"])
    path = API_PREFIX + "/events?after=0&wait=5"
    h = sign_request(term.terminal_id, term.secret, "GET", path, b"",
                     int(world.clock.now().timestamp()), "n" * 20)
    r = requests.get(world.url + path, headers=h, timeout=10)
    assert r.status_code == 200
    parser = wire.SseParser()
    got = [wire.verify(raw, term.secret, "n" * 20) for raw in parser.feed_all(
        iter(r.content.split(b"\n")))]
    assert [e.kind for e in got][0] == wire.HELLO
    assert "badge_revoked" in [e.kind for e in got]
    assert r.elapsed.total_seconds() < 4  # ended as soon as there was something


def test_command_ack_and_overview(world, term):
    a = world.srv.admin
    s = Stream(term)
    try:
        s.next(skip_hello=False)
        cid = a.send_command(term.terminal_id, "message", "Fire drill at 11:00")
        ev = s.next()
        assert ev.kind == "command" and ev.id == cid
        assert ev.data == {"command": "message", "text": "Fire drill at 11:00"}
    finally:
        s.close()
    assert a.commands(term.terminal_id)[0]["state"] == "pending"
    r = term.request("POST", f"/commands/{cid}/ack", json.dumps({"status": "done"}).encode())
    assert r.status_code == 200, r.text
    row = a.commands(term.terminal_id)[0]
    assert (row["state"], row["ack_status"]) == ("acknowledged", "done")
    r = term.request("POST", f"/commands/{cid + 999}/ack", json.dumps({"status": "done"}).encode())
    assert r.status_code == 404


def test_diagnostics_upload_and_download(world, term):
    import io
    import zipfile

    a = world.srv.admin
    cid = a.send_command(term.terminal_id, "diagnostics")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("status.json", "{}")
    r = term.request("POST", f"/diagnostics?command={cid}", buf.getvalue(),
                     headers={"Content-Type": "application/zip"})
    assert r.status_code == 200, r.text
    name, data = a.diagnostics(term.terminal_id)
    assert data == buf.getvalue() and name.endswith(".zip")
    r = term.request("POST", "/diagnostics", b"not a zip")
    assert r.status_code == 422


class _NoLocalKick(list):  # type: ignore[type-arg]
    """db.events_committed that drops every hub: only NOTIFY (or the poll) can wake one."""

    def append(self, item: object) -> None:
        pass


def test_two_replicas_notify_fans_out(tmp_path, clock, monkeypatch):
    """PostgreSQL: an event committed through replica A reaches a stream held by replica B
    by LISTEN/NOTIFY alone (no in-process wake-up, B's poll set to a minute)."""
    from server_stub import db
    from server_stub.admin import Admin
    from server_stub.runner import EmbeddedServer
    from tests.helpers import databases

    from .terminal_client import enroll

    monkeypatch.setattr(db, "events_committed", _NoLocalKick())
    with databases.database_url("postgresql") as url:
        admin = Admin.init(tmp_path / "data", database_url=url, clock=clock)
        admin.add_site("HQ", "Head office", "Europe/Berlin")
        admin.add_employee("E1", "Ana", "HQ")
        badge = admin.issue_badge("E1").badge_id
        a = EmbeddedServer(tmp_path / "data", clock=clock, push_poll_s=60)
        b = EmbeddedServer(tmp_path / "data", clock=clock, push_poll_s=60)
        a.start()
        b.start()
        try:
            term = enroll(a.url, admin.add_terminal("Door", "HQ"), clock)
            s = Stream(term, url=b.url)
            try:
                s.next(skip_hello=False)
                hub_b = b._app.state.push_hub  # type: ignore[union-attr]
                import time

                deadline = time.monotonic() + 10
                while not hub_b.listening and time.monotonic() < deadline:
                    time.sleep(0.02)
                assert hub_b.listening
                # through replica A's own engine, as a console action there would
                Admin(tmp_path / "data", a._app.state.engine, clock).revoke_badge(badge)  # type: ignore[union-attr]
                t0 = time.monotonic()
                ev = s.next(timeout=5)
                assert ev.kind == "badge_revoked" and time.monotonic() - t0 < 2
            finally:
                s.close()
                term.close()
        finally:
            a.stop()
            b.stop()
            admin.close()


def test_cli_command_commands_and_diagnostics(world, term, tmp_path, capsys):
    from server_stub.cli import main

    d = ["--data", str(world.srv.data_dir)]
    assert main(["command", term.terminal_id, "message", "Back", "at", "2", *d]) == 0
    assert main(["command", term.terminal_id, "message", *d]) != 0  # no text
    assert main(["command", "nope", "sync", *d]) != 0
    capsys.readouterr()
    assert main(["commands", "--json", *d]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["command"], r["state"], r["actor"]) for r in rows] == [("message", "pending", "cli")]
    from server_stub import audit

    assert audit.entries(world.srv.admin.engine, action="terminal_command")[0].actor == "cli"
    assert main(["diagnostics", term.terminal_id, *d]) != 0  # none uploaded yet
    zipped = b"PK\x05\x06" + b"\0" * 18
    term.request("POST", "/diagnostics", zipped, headers={"Content-Type": "application/zip"})
    out = tmp_path / "d.zip"
    assert main(["diagnostics", term.terminal_id, "--out", str(out), *d]) == 0
    assert out.read_bytes() == zipped


def test_a_stream_outlives_the_body_timeout(tmp_path, clock, monkeypatch):
    """The body deadline (slowloris guard) is for the body: a stream waits on ``receive``
    for the disconnect much longer, and must not be cut off when the deadline passes."""
    import time

    from server_stub import bodylimit
    from tests.helpers.live_server import live_server

    from .terminal_client import enroll

    monkeypatch.setattr(bodylimit, "BODY_TIMEOUT_S", 0.5)
    with live_server(tmp_path, clock=clock) as srv:
        srv.admin.add_site("HQ", "Head office", "UTC")
        srv.admin.add_employee("E1", "Ana", "HQ")
        badge = srv.admin.issue_badge("E1").badge_id
        term = enroll(srv.url, srv.admin.add_terminal("Door", "HQ"), clock)
        s = Stream(term)
        try:
            s.next(skip_hello=False)
            time.sleep(1.5)
            srv.admin.revoke_badge(badge)
            assert s.next(timeout=5).kind == "badge_revoked"
        finally:
            s.close()
            term.close()
