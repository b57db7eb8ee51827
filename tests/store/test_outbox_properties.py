"""Random sequences of outbox operations keep its promises (hypothesis, real SQLite files)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.core.problems import Problem, ProblemCode
from kiosk.core.protocol import RejectReason, Source, Verdict, VerdictStatus
from kiosk.store import Outbox
from tests.helpers.clock import FakeClock

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers(1, 4)),
        st.tuples(st.just("accept"), st.integers(1, 5)),
        st.tuples(st.just("reject"), st.integers(1, 3)),
        st.tuples(st.just("fail"), st.integers(1, 3)),
        st.tuples(st.just("age"), st.integers(1, 40)),
        st.tuples(st.just("purge"), st.integers(1, 30)),
        st.tuples(st.just("reopen"), st.just(0)),
    ),
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(OPS)
def test_invariants_hold_for_any_sequence(ops) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "o.sqlite3"
        clock = FakeClock()
        box = Outbox(path, clock)
        appended: list[str] = []  # event ids, in seq order
        settled: dict[str, str] = {}  # event id -> sent/rejected
        purged: set[str] = set()
        try:
            for op, n in ops:
                if op == "append":
                    for _ in range(n):
                        p = box.append(terminal_id="t1", badge="tok", badge_id="b",
                                       source=Source.WEDGE, wall_time=clock.now(),
                                       clock_offset_s=0.0, app_version="1")
                        assert p.seq == len(appended) + 1  # gap-free, never reused
                        appended.append(str(p.event_id))
                elif op in ("accept", "reject"):
                    batch = box.pending(n)
                    status = VerdictStatus.ACCEPTED if op == "accept" else VerdictStatus.REJECTED
                    box.mark_verdicts([Verdict(
                        event_id=p.event_id, status=status,
                        reason=None if op == "accept" else RejectReason.WRONG_SITE)
                        for p in batch])
                    for p in batch:
                        settled[str(p.event_id)] = "sent" if op == "accept" else "rejected"
                elif op == "fail":
                    box.record_failure([str(p.event_id) for p in box.pending(n)],
                                       Problem(ProblemCode.TIMEOUT, raw="boom"))
                elif op == "age":
                    clock.advance(n * 86400)
                elif op == "purge":
                    box.purge_sent(n)
                    purged |= {e for e, s in settled.items()
                               if s == "sent" and box.verdict(e) is None}
                elif op == "reopen":
                    box.close()
                    box = Outbox(path, clock)
                pending = [str(p.event_id) for p in box.pending(10_000)]
                assert pending == [e for e in appended if e not in settled]  # oldest first
                stats = box.stats()
                assert stats.rejected == sum(s == "rejected" for s in settled.values())
                assert stats.sent == sum(s == "sent" for s in settled.values()) - len(purged)
                assert stats.last_seq == len(appended)
            assert all(settled[e] == "sent" for e in purged)  # only sent rows ever purged
        finally:
            box.close()
