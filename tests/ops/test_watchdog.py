"""systemd notifications through a real AF_UNIX datagram socket standing in for systemd."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from kiosk.services.watchdog import start_qt_watchdog
from kiosk.watchdog import SystemdNotifier
from tests.ops.conftest import FakeSystemd

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no AF_UNIX sockets")


def test_ready_status_stopping_reach_the_socket(systemd: FakeSystemd) -> None:
    n = SystemdNotifier(systemd.address)
    assert n.enabled and not n.watchdog_enabled
    assert n.ready("3 pending")
    assert systemd.receive() == {"READY": "1", "STATUS": "3 pending"}
    assert n.status("line one\nline two")
    assert systemd.receive() == {"STATUS": "line one line two"}
    assert not n.ping()  # no WatchdogSec in this unit: nothing sent
    assert n.stopping()
    assert systemd.receive() == {"STOPPING": "1"}
    assert systemd.drain() == []
    n.close()


def test_abstract_socket_address() -> None:
    name = f"@kiosk-test-{uuid.uuid4().hex}"
    fake = FakeSystemd(name)
    try:
        n = SystemdNotifier(name, watchdog_usec=2_000_000)
        assert n.ping()
        assert fake.receive() == {"WATCHDOG": "1"}
        n.close()
    finally:
        fake.sock.close()


def test_from_env_reads_watchdog_period_and_pid(systemd: FakeSystemd) -> None:
    env = {"NOTIFY_SOCKET": systemd.address, "WATCHDOG_USEC": "30000000"}
    assert SystemdNotifier.from_env(env).watchdog_interval_s == 15.0
    mine = dict(env, WATCHDOG_PID=str(os.getpid()))
    assert SystemdNotifier.from_env(mine).watchdog_interval_s == 15.0
    other = dict(env, WATCHDOG_PID=str(os.getpid() + 1))
    n = SystemdNotifier.from_env(other)
    assert n.enabled and not n.watchdog_enabled
    assert not n.ping()
    assert systemd.drain() == []


def test_disabled_without_notify_socket() -> None:
    n = SystemdNotifier.from_env({"WATCHDOG_USEC": "1000000"})
    assert not n.enabled and not n.watchdog_enabled
    assert not n.ready() and not n.ping() and not n.stopping()
    assert SystemdNotifier.from_env({"NOTIFY_SOCKET": "vsock:2:1234"}).enabled is False


def test_vanished_socket_is_reported_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    n = SystemdNotifier("/tmp/no-such-dir-kiosk/notify", watchdog_usec=1_000_000)
    assert not n.ready()
    assert not n.ping()
    warnings = [r for r in caplog.records if "systemd notify" in r.getMessage()]
    assert len(warnings) == 1  # once, not once per ping
    n.close()


def test_subprocess_notifies_from_its_environment(systemd: FakeSystemd) -> None:
    """What systemd sees from a process it started: env in, datagrams out."""
    code = (
        "from kiosk.watchdog import SystemdNotifier as N\n"
        "n = N.from_env(); assert n.ready('up'); assert n.ping(); n.stopping()\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO), NOTIFY_SOCKET=systemd.address,
               WATCHDOG_USEC="4000000")
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    assert [systemd.receive(), systemd.receive(), systemd.receive()] == [
        {"READY": "1", "STATUS": "up"}, {"WATCHDOG": "1"}, {"STOPPING": "1"}
    ]


def test_qt_timer_pings_and_a_frozen_loop_stops_them(qtbot, systemd: FakeSystemd) -> None:
    from PySide6.QtCore import QObject

    owner = QObject()
    n = SystemdNotifier(systemd.address, watchdog_usec=100_000)  # ping every 50 ms
    timer = start_qt_watchdog(n, owner)
    assert timer is not None and timer.interval() == 50
    assert systemd.receive() == {"WATCHDOG": "1"}  # the immediate first ping
    qtbot.waitUntil(lambda: len(systemd.drain()) >= 1, timeout=5000)  # pings from the loop

    systemd.drain()
    time.sleep(0.5)  # the GUI thread is stuck: ten periods go by without an event loop
    assert systemd.drain() == []

    qtbot.waitUntil(lambda: len(systemd.drain()) >= 1, timeout=5000)  # loop back: pings back
    timer.stop()
    n.close()


def test_unhealthy_check_withholds_pings(qtbot, systemd: FakeSystemd) -> None:
    from PySide6.QtCore import QObject

    owner = QObject()
    state = {"ok": True, "ticks": 0}

    def healthy() -> bool:
        state["ticks"] += 1
        return bool(state["ok"])

    n = SystemdNotifier(systemd.address, watchdog_usec=60_000)
    timer = start_qt_watchdog(n, owner, healthy)
    qtbot.waitUntil(lambda: state["ticks"] >= 2, timeout=5000)
    state["ok"] = False
    seen = state["ticks"]
    qtbot.waitUntil(lambda: state["ticks"] >= seen + 1, timeout=5000)  # one tick went unsent
    systemd.drain()
    qtbot.waitUntil(lambda: state["ticks"] >= seen + 3, timeout=5000)
    assert systemd.drain() == []
    timer.stop()
    n.close()


def test_no_watchdog_no_timer() -> None:
    assert start_qt_watchdog(SystemdNotifier(None), None) is None


@pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints\(\)")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
@pytest.mark.parametrize("worker", ["recorder", "sync"])
def test_a_dead_worker_thread_stops_the_pings(qtbot, tmp_path, systemd: FakeSystemd,
                                               monkeypatch, worker) -> None:
    """The real kiosk hands its health check to the watchdog: once the recorder's or the
    sync's thread is gone, no WATCHDOG=1 goes out (systemd restarts the kiosk)."""
    from kiosk.core.recorder import Recorder
    from kiosk.services import watchdog
    from tests.helpers.clock import FakeClock
    from tests.helpers.ui import MONDAY_0850, kiosk_on_site

    env = {"NOTIFY_SOCKET": systemd.address, "WATCHDOG_USEC": "100000"}  # ping every 50 ms
    with kiosk_on_site(qtbot, tmp_path, FakeClock(MONDAY_0850)) as (_srv, site, app):
        dog = watchdog.start(healthy=app.healthy, environ=env)
        assert dog is not None
        try:
            qtbot.waitUntil(lambda: {"WATCHDOG": "1"} in systemd.drain(), timeout=5000)
            assert app.healthy()
            if worker == "recorder":  # a bug no ``except Exception`` catches ends the thread
                def crash(*_args: object, **_kw: object) -> None:
                    raise SystemExit("recorder bug")
                monkeypatch.setattr(Recorder, "record", crash)
                app.submit(site.tokens["alice"], "wedge")
            else:
                app.sync._stop.set()  # the drain loop returns: its thread ends
            qtbot.waitUntil(lambda: not app.healthy(), timeout=10000)
            systemd.drain()
            qtbot.wait(300)  # six ping periods of a running event loop
            assert {"WATCHDOG": "1"} not in systemd.drain()
        finally:
            dog.stop()
