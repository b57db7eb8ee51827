"""The kiosk's event stream (kiosk/sync/push.py) against the real server and fake ones."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kiosk.core.clock import SystemClock
from kiosk.core.policies import Cooldown
from kiosk.core.problems import ProblemCode
from kiosk.core.protocol import events as wire
from kiosk.core.recorder import OutcomeKind, Recorder, RefuseReason
from kiosk.store import Outbox
from kiosk.sync.clock_offset import ClockOffset
from kiosk.sync.engine import SyncEngine
from kiosk.sync.push import PushWorker
from kiosk.sync.push_actions import PushActions

from .conftest import Terminal


def _wait(cond, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


@contextmanager
def running(worker: PushWorker) -> Iterator[PushWorker]:
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), name="test-push")
    thread.start()
    try:
        yield worker
    finally:
        stop.set()
        worker.request_stop()
        thread.join(10)
        assert not thread.is_alive()


class Recorded:
    """A PushHandler that keeps what it was given (and can delegate)."""

    def __init__(self, inner: PushActions | None = None) -> None:
        self.inner = inner
        self.events: list[wire.PushEvent] = []
        self.connects: list[bool] = []

    def on_connected(self, resumed: bool) -> None:
        self.connects.append(resumed)
        if self.inner:
            self.inner.on_connected(resumed)

    def on_event(self, event, client) -> None:
        self.events.append(event)
        if self.inner:
            self.inner.on_event(event, client)


def _worker(terminal: Terminal, handler, **kw) -> PushWorker:
    cfg = terminal.tune()
    clock = SystemClock()
    return PushWorker(cfg, terminal.secrets, clock, ClockOffset(clock, 0.0),
                      terminal.paths.data_dir / "push.json", handler,
                      backoff_base_s=0.05, backoff_cap_s=0.3, **kw)


def test_revoked_badge_is_refused_at_the_door_as_the_event_arrives(server, terminal):
    cfg = terminal.tune(roster_refresh_s=3600)
    box = Outbox(terminal.paths.outbox_file, SystemClock())
    engine = SyncEngine(cfg, box, terminal.secrets, SystemClock())
    engine.sync_once()  # the roster, once; the engine does not run after this
    assert engine.roster.roster is not None
    badge_id, token = terminal.badges[0]
    recorder = Recorder(box, terminal_id=cfg.terminal.id, app_version="t", clock=SystemClock(),
                        cooldown=Cooldown(0, SystemClock()), verifier=engine.roster.verifier,
                        display_name=engine.roster.display_name)
    assert recorder.record(token, "camera").kind is OutcomeKind.RECORDED
    # Only the pushed event can tell it: the engine is not running (no roster refresh).
    handler = Recorded(PushActions(engine.roster, lambda: None))
    with running(_worker(terminal, handler)) as w:
        assert _wait(lambda: w.state.connected)
        t0 = time.monotonic()
        server.admin.revoke_badge(badge_id)
        assert _wait(lambda: recorder.record(token, "camera").kind is OutcomeKind.REFUSED, 5)
        took = time.monotonic() - t0
    out = recorder.record(token, "camera")
    assert out.kind is OutcomeKind.REFUSED and out.reason is RefuseReason.REVOKED
    assert took < 2.0
    assert [e.kind for e in handler.events] == ["badge_revoked"]
    box.close()


def test_resume_after_reconnect_and_restart_loses_nothing(server, terminal):
    handler = Recorded()
    with running(_worker(terminal, handler)) as w:
        assert _wait(lambda: w.state.connected)
        server.admin.set_cooldown(10)
        assert _wait(lambda: len(handler.events) == 1)
        server.stop()  # the connection drops; events happen meanwhile
        server.admin.set_cooldown(20)
        server.admin.revoke_badge(terminal.badges[1][0])
        server.start()
        assert _wait(lambda: len(handler.events) == 3, 15)
    # a new worker (a restart) resumes from the file: nothing again, nothing skipped
    server.admin.set_cooldown(30)
    again = Recorded()
    with running(_worker(terminal, again)) as w:
        assert _wait(lambda: len(again.events) == 1, 10)
        assert again.connects and again.connects[0] is True
    got = [(e.kind, e.data) for e in handler.events + again.events]
    assert got == [("settings_changed", {"cooldown_s": 10}), ("settings_changed", {"cooldown_s": 20}),
                   ("badge_revoked", {"badge_id": terminal.badges[1][0]}),
                   ("settings_changed", {"cooldown_s": 30})]
    ids = [e.id for e in handler.events + again.events]
    assert ids == sorted(set(ids))


def test_commands_are_carried_out_and_acknowledged(server, terminal):
    cfg = terminal.tune()
    box = Outbox(terminal.paths.outbox_file, SystemClock())
    engine = SyncEngine(cfg, box, terminal.secrets, SystemClock())
    engine.sync_once()
    shown: list[str] = []
    actions = PushActions(engine.roster, lambda: engine, show_message=shown.append,
                          make_diagnostics=lambda: b"PK\x05\x06" + b"\0" * 18)
    with running(_worker(terminal, Recorded(actions))) as w:
        assert _wait(lambda: w.state.connected)
        a = server.admin
        tid = cfg.terminal.id
        a.send_command(tid, "message", "Fire drill at 11:00")
        a.send_command(tid, "diagnostics")
        a.send_command(tid, "reload")
        a.send_command(tid, "sync")
        assert _wait(lambda: all(c["state"] == "acknowledged" for c in a.commands(tid)), 10)
    assert shown == ["Fire drill at 11:00"]
    assert {c["command"]: c["ack_status"] for c in a.commands(tid)} == {
        "message": "done", "diagnostics": "done", "reload": "done", "sync": "done"}
    assert a.diagnostics(tid)[1].startswith(b"PK")
    box.close()


# -- a fake server: a forged event, a proxy that buffers ----------------------------------
class _Fake(http.server.BaseHTTPRequestHandler):
    secret = ""
    buffer_streams = False
    requests: list[str] = []

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        type(self).requests.append(self.path)
        nonce = self.headers["X-Kiosk-Nonce"]
        polling = "wait=" in self.path
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        if polling:
            body = self._events(nonce)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.end_headers()
        if self.buffer_streams:  # a proxy holding the stream back: nothing ever arrives
            time.sleep(3)
            return
        self.wfile.write(self._events(nonce))
        self.wfile.flush()
        time.sleep(3)

    def _events(self, nonce: str) -> bytes:
        s = self.secret
        hello = wire.event_json(4, wire.HELLO, "", {"resumed": False})
        bad = wire.event_json(5, "badge_revoked", "2026-12-01T00:00:00Z", {"badge_id": "bX"})
        good = wire.event_json(6, "badge_revoked", "2026-12-01T00:00:00Z", {"badge_id": "bY"})
        forged = wire.sign_event(s, "another-nonce", 5, bad)  # valid for another stream only
        return (wire.frame(s, nonce, 4, wire.HELLO, hello)
                + b"id: 5\nevent: badge_revoked\nsig: %s\ndata: %s\n\n" % (forged.encode(), bad)
                + wire.frame(s, nonce, 6, "badge_revoked", good))


@pytest.fixture
def fake(terminal: Terminal) -> Iterator[tuple[str, type[_Fake]]]:
    handler = type("Fake", (_Fake,), {"requests": [],
                                      "secret": terminal.secrets.get(terminal.config.terminal.id)})
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", handler
    srv.shutdown()
    srv.server_close()


def _fake_terminal(terminal: Terminal, url: str) -> Terminal:
    terminal.tune(urls=[url])
    return terminal


def test_event_with_a_bad_signature_is_ignored(terminal, fake):
    url, _ = fake
    handler = Recorded()
    with running(_worker(_fake_terminal(terminal, url), handler)) as w:
        assert _wait(lambda: len(handler.events) == 1)
        assert _wait(lambda: w.state.bad_events >= 1)
    assert [e.data for e in handler.events] == [{"badge_id": "bY"}]
    assert w.state.last_event_id == 6
    assert w.state.problem is not None
    assert w.state.problem.code in (ProblemCode.PUSH_BAD_SIGNATURE, ProblemCode.DROPPED)


def test_buffering_proxy_falls_back_to_polling(terminal, fake):
    url, handler_cls = fake
    handler_cls.buffer_streams = True
    handler = Recorded()
    worker = _worker(_fake_terminal(terminal, url), handler, heartbeat_s=0.2, stall_limit=2,
                     poll_wait_s=1)
    with running(worker) as w:
        assert _wait(lambda: len(handler.events) >= 1, 15)
        assert w.state.mode == "poll"
    assert any("wait=" in p for p in handler_cls.requests)
    assert handler.events[0].data == {"badge_id": "bY"}


def test_state_file_of_another_enrolment_is_ignored(terminal: Terminal, tmp_path: Path):
    path = terminal.paths.data_dir / "push.json"
    path.write_text('{"terminal_id": "someone-else", "last_event_id": 99}')
    assert _worker(terminal, Recorded()).state.last_event_id is None
