"""IT's commands to terminals from the console: IT only, CSRF, audited, acknowledged."""

from __future__ import annotations

import json

from server_stub import audit


def test_it_sends_a_command_audited_and_sees_the_acknowledgement(client_for, admins, term):
    it = client_for("it1")
    page = it.get("/terminals")
    assert f'/terminals/{term.terminal_id}/command' in page.text
    r = it.post(f"/terminals/{term.terminal_id}/command",
                {"command": "message", "text": "Fire drill at 11:00"})
    assert r.status_code == 200 and r.url.endswith("/console/terminals")
    cmds = admins.srv.admin.commands(term.terminal_id)
    assert [(c["command"], c["state"], c["actor"]) for c in cmds] == [
        ("message", "pending", "admin:it1")]
    entry = audit.entries(admins.srv.admin.engine, action="terminal_command")[0]
    assert (entry.actor, entry.target, entry.detail) == (
        "admin:it1", term.terminal_id, {"command": "message"})
    assert 'class="warn"' in it.get("/terminals").text.split('id="commands"')[1]
    ack = term.request("POST", f"/commands/{cmds[0]['id']}/ack",
                       json.dumps({"status": "done"}).encode())
    assert ack.status_code == 200
    table = it.get("/terminals").text.split('id="commands"')[1]
    assert "acknowledged" in table and "Fire drill" not in table  # the text stays in the event
    # the overview (CLI and JSON) counts pending commands
    assert admins.srv.admin.terminals()[0]["commands_pending"] == 0


def test_a_command_from_a_non_it_account_is_refused(client_for, admins, term):
    for user in ("hr1", "view1"):
        c = client_for(user)
        r = c.post(f"/terminals/{term.terminal_id}/command", {"command": "sync"},
                   csrf=c.csrf("/"))
        assert r.status_code == 403, user
    it = client_for("it1")
    r = it.post(f"/terminals/{term.terminal_id}/command", {"command": "sync"}, csrf="forged")
    assert r.status_code in (400, 403)
    assert it.post(f"/terminals/{term.terminal_id}/command", {"command": "rm -rf"}
                   ).status_code == 400
    assert it.post("/terminals/nope/command", {"command": "sync"}).status_code == 400
    assert admins.srv.admin.commands() == []
    assert audit.entries(admins.srv.admin.engine, action="terminal_command") == []


def test_it_downloads_the_diagnostics_bundle(client_for, admins, term):
    it = client_for("it1")
    assert it.get(f"/terminals/{term.terminal_id}/diagnostics").status_code == 404
    zipped = b"PK\x05\x06" + b"\0" * 18
    assert term.request("POST", "/diagnostics", zipped,
                        headers={"Content-Type": "application/zip"}).status_code == 200
    r = it.get(f"/terminals/{term.terminal_id}/diagnostics")
    assert r.status_code == 200 and r.content == zipped
    assert r.headers["content-type"] == "application/zip"
    assert client_for("hr1").get(f"/terminals/{term.terminal_id}/diagnostics").status_code == 403
