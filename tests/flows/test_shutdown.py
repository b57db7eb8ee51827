"""The staged shutdown on its own: stages in order, one overall deadline, every thread
still running named, a failing stage not stopping the others, the GUI thread never waiting."""

from __future__ import annotations

import threading
import time

from kiosk.flows.shutdown import Shutdown, Stage, threads_stage


class Part:
    """A worker that stops ``after_s`` after it was asked to (never, for None)."""

    def __init__(self, name: str, log: list[str], after_s: float | None = 0.0) -> None:
        self.name, self.log, self.after_s = name, log, after_s
        self._release = threading.Event()
        self.thread = threading.Thread(target=self._release.wait, name=f"kiosk-{name}",
                                       daemon=True)
        self.thread.start()

    def begin(self) -> None:
        self.log.append(f"begin {self.name}")
        if self.after_s is not None:
            threading.Timer(self.after_s, self._release.set).start()

    def wait(self, seconds: float) -> bool:
        self.log.append(f"wait {self.name}")
        self.thread.join(seconds)
        return not self.thread.is_alive()

    def threads(self) -> list[str]:
        return [self.thread.name] if self.thread.is_alive() else []

    def stage(self) -> Stage:
        return Stage(self.name, self.wait, self.threads, self.begin)

    def release(self) -> None:
        self._release.set()


def test_stages_stop_in_order_and_nothing_is_left(qtbot):
    log: list[str] = []
    parts = [Part(n, log) for n in ("camera", "recorder", "sync")]
    shutdown = Shutdown(deadline_s=5.0)
    t0 = time.monotonic()
    with qtbot.waitSignal(shutdown.done, timeout=10000) as done:
        shutdown.run([p.stage() for p in parts])
        assert time.monotonic() - t0 < 0.05  # run() returns at once: the GUI thread goes on
        assert shutdown.started
    assert done.args == [[]]
    assert log == ["begin camera", "wait camera", "begin recorder", "wait recorder",
                   "begin sync", "wait sync"]
    assert shutdown.left == [] and shutdown.wait(1.0)


def test_one_deadline_for_all_stages_and_the_stuck_thread_is_named(qtbot):
    log: list[str] = []
    stuck = Part("recorder", log, after_s=None)  # never stops
    late = Part("sync", log, after_s=0.0)
    shutdown = Shutdown(deadline_s=0.5)
    t0 = time.monotonic()
    with qtbot.waitSignal(shutdown.done, timeout=10000) as done:
        shutdown.run([stuck.stage(), late.stage()])
    elapsed = time.monotonic() - t0
    try:
        # accounted for, not forgotten; the sync stage was still asked to stop, but the
        # deadline was spent, so it got no time of its own to end in
        assert done.args[0][0] == "kiosk-recorder"
        assert set(done.args[0]) <= {"kiosk-recorder", "kiosk-sync"}
        assert 0.45 <= elapsed < 2.0  # one deadline overall, not one per stage
        assert log[-2:] == ["begin sync", "wait sync"]
    finally:
        stuck.release()


def test_a_failing_stage_does_not_keep_the_others_running(qtbot, caplog):
    log: list[str] = []
    after = Part("sync", log)

    def broken(_seconds: float) -> bool:
        raise RuntimeError("a bug in stopping the camera")

    shutdown = Shutdown(deadline_s=5.0)
    with qtbot.waitSignal(shutdown.done, timeout=10000) as done:
        shutdown.run([Stage("camera", broken, lambda: []), after.stage()])
    assert done.args == [[]]
    assert log == ["begin sync", "wait sync"]
    assert any("stopping camera failed" in r.getMessage() for r in caplog.records)


def test_threads_stage_joins_the_short_calls_and_names_what_still_runs():
    quick = threading.Thread(target=time.sleep, args=(0.05,), name="kiosk-diagnostics")
    hold = threading.Event()
    slow = threading.Thread(target=hold.wait, name="kiosk-enroll", daemon=True)
    quick.start()
    slow.start()
    try:
        stage = threads_stage("background calls", lambda: [quick, slow])
        assert stage.wait(0.3) is False
        assert not quick.is_alive()
        assert stage.threads() == ["kiosk-enroll"]
    finally:
        hold.set()
        slow.join(5)
    assert stage.wait(1.0) is True and stage.threads() == []
