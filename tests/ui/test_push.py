"""The whole kiosk with the server's event stream: IT's message on the idle screen, a badge
revoked on the server refused at the door without waiting for a roster poll."""

from __future__ import annotations

import io
import zipfile

from kiosk.core.protocol import parse_badge
from kiosk.services.memory_secrets import MemorySecretStore
from tests.helpers.clock import FakeClock
from tests.helpers.ui import MONDAY_0850, card_text, kiosk_on_site


def test_message_command_and_pushed_revocation(qtbot, tmp_path):
    clock = FakeClock(MONDAY_0850)
    with kiosk_on_site(qtbot, tmp_path, clock, store=MemorySecretStore(),
                       ) as (srv, site, app):
        app.config.sync.roster_refresh_s = 3600  # only the push can tell it in time
        push = app.push
        assert push is not None
        qtbot.waitUntil(lambda: push.worker is not None and push.worker.state.connected,
                        timeout=10000)
        assert "kiosk-push" in push.threads()
        tid = app.config.terminal.id
        srv.admin.send_command(tid, "message", "Fire drill at 11:00")
        qtbot.waitUntil(lambda: app.window.notice.isVisible(), timeout=5000)
        assert app.window.notice.text() == "Fire drill at 11:00"
        qtbot.waitUntil(lambda: srv.admin.commands(tid)[0]["state"] == "acknowledged",
                        timeout=5000)
        srv.admin.send_command(tid, "diagnostics")  # the status panel's zip, uploaded
        qtbot.waitUntil(lambda: srv.admin.commands(tid)[0]["ack_status"] == "done",
                        timeout=10000)
        with zipfile.ZipFile(io.BytesIO(srv.admin.diagnostics(tid)[1])) as z:
            assert {"about.json", "config.toml", "status.json"} <= set(z.namelist())
            assert "secret" not in z.read("config.toml").decode().lower()

        wang = parse_badge(site.tokens["wang"])
        srv.admin.revoke_badge(wang.badge_id)
        qtbot.waitUntil(lambda: wang.badge_id in app._roster.roster.revoked, timeout=3000)
        app.submit(site.tokens["wang"], "wedge", 0.0)
        qtbot.waitUntil(lambda: "Badge revoked" in card_text(app), timeout=5000)
        assert app.counts["recorded"] == 0
    assert not push.threads()  # the staged shutdown joined it
