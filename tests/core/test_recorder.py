"""The Qt-free recorder on a real outbox file: the order of verify, cooldown and append."""

from __future__ import annotations

from datetime import timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from kiosk.core.policies import Cooldown
from kiosk.core.problems import ProblemCode
from kiosk.core.recorder import OutcomeKind, Recorder, RefuseReason
from kiosk.store import Outbox
from tests.helpers.badges import T0, make_signer, make_token, verifier_for
from tests.helpers.clock import FakeClock


@pytest.fixture
def env(tmp_path):
    clock = FakeClock(T0)  # 08:00 UTC
    signer = make_signer()
    outbox = Outbox(tmp_path / "outbox.sqlite3", clock)
    yield clock, signer, outbox, tmp_path
    outbox.close()


def _recorder(outbox, clock, verifier, *, tz=timezone.utc, cooldown_s=60.0):
    return Recorder(
        outbox, terminal_id="t1", app_version="test", clock=clock,
        cooldown=Cooldown(cooldown_s, clock), verifier=lambda: verifier,
        display_name={"E0000001": "Alice"}.get, site_tz=lambda: tz,
        clock_offset=lambda: 1.5, last_punch_time=outbox.last_punch_time,
    )


def test_recorded_then_already_then_recorded_again(env):
    clock, signer, outbox, _ = env
    rec = _recorder(outbox, clock, verifier_for(signer), tz=ZoneInfo("Asia/Shanghai"))
    token = make_token(signer)
    first = rec.record(token, "camera", 12.5)
    assert first.kind is OutcomeKind.RECORDED
    assert (first.name, first.seq, first.frame_ts, first.local_time) == ("Alice", 1, 12.5, "16:00")
    assert outbox.stats().pending == 1
    clock.advance(59)
    again = rec.record(token, "wedge")
    assert again.kind is OutcomeKind.ALREADY and again.local_time == "16:00"
    assert outbox.stats().pending == 1
    clock.advance(2)
    assert rec.record(token, "camera").kind is OutcomeKind.RECORDED
    punches = outbox.pending()
    assert [p.seq for p in punches] == [1, 2]
    assert punches[0].clock_offset_s == 1.5 and punches[0].badge == token


def test_restart_inside_the_window_still_says_already(env):
    clock, signer, outbox, _ = env
    token = make_token(signer)
    assert _recorder(outbox, clock, verifier_for(signer)).record(token, "camera").kind \
        is OutcomeKind.RECORDED
    clock.advance(30)
    fresh = _recorder(outbox, clock, verifier_for(signer))  # a new process, empty memory
    assert fresh.record(token, "camera").kind is OutcomeKind.ALREADY


@pytest.mark.parametrize("case,reason", [
    ("revoked", RefuseReason.REVOKED), ("expired", RefuseReason.EXPIRED),
    ("forged", RefuseReason.INVALID), ("text", RefuseReason.NOT_A_BADGE),
    ("binary", RefuseReason.NOT_A_BADGE),
])
def test_refusals_store_nothing(env, case, reason):
    clock, signer, outbox, _ = env
    token = make_token(signer)
    verifier = verifier_for(signer, revoked=("b00001",) if case == "revoked" else ())
    text = {
        "revoked": token, "forged": make_token(make_signer()),
        "expired": make_token(signer, issued=T0 - timedelta(days=10), days=5),
        "text": "https://example.com", "binary": "\x00\x01\x02garbage",
    }[case]
    out = _recorder(outbox, clock, verifier).record(text, "camera")
    assert out.kind is OutcomeKind.REFUSED and out.reason is reason
    assert outbox.stats().last_seq == 0


def test_storage_failure_is_not_recorded_and_does_not_start_the_cooldown(tmp_path):
    clock = FakeClock(T0)
    signer = make_signer()
    path = tmp_path / "full.sqlite3"
    Outbox(path, clock).close()
    import sqlite3

    pages = sqlite3.connect(path).execute("PRAGMA page_count").fetchone()[0]
    outbox = Outbox(path, clock, max_db_pages=pages)
    rec = _recorder(outbox, clock, verifier_for(signer))
    tokens = [make_token(signer, badge_id=f"b{i:05d}", employee_id=f"E{i:07d}")
              for i in range(200)]
    outcomes = [rec.record(t, "camera") for t in tokens]
    failed = [o for o in outcomes if o.kind is OutcomeKind.STORAGE_ERROR]
    assert failed, "the size cap never filled up"
    assert failed[0].problem.code is ProblemCode.OUTBOX_FULL
    # the failed badge is not in the cooldown: the same badge is tried again, not "already"
    retry = rec.record(tokens[outcomes.index(failed[0])], "camera")
    assert retry.kind is OutcomeKind.STORAGE_ERROR
    outbox.close()


def test_no_roster_yet_records_unverified_badges_for_the_server(env):
    clock, signer, outbox, _ = env
    rec = _recorder(outbox, clock, None)
    assert rec.record(make_token(signer), "camera").kind is OutcomeKind.RECORDED
    assert rec.record("hello", "camera").reason is RefuseReason.NOT_A_BADGE


def test_wedge_badge_typed_in_another_layout_is_recorded_and_names_it(env, caplog):
    clock, signer, outbox, _ = env
    rec = _recorder(outbox, clock, verifier_for(signer))
    token = make_token(signer)  # KB2: y and z swap on a German terminal fed by a US scanner
    typed = token.translate(str.maketrans("YZyz", "ZYzy"))
    assert typed != token
    camera = rec.record(typed, "camera")
    assert camera.kind is OutcomeKind.REFUSED and camera.layout is None  # camera texts are as printed
    wedge = rec.record(typed, "wedge")
    assert wedge.kind is OutcomeKind.RECORDED and wedge.layout == "qwertz"
    assert outbox.pending()[0].badge == token  # the genuine token, as signed
    assert "qwertz" in caplog.text and typed not in caplog.text
