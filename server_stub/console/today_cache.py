"""Today computed once per change for every viewer, not once per request.

Every signed-in browser on Today polls every second. Without this, each poll that found a
change and each page load ran the rules for the whole staff and rendered the whole page:
with 2,000 people and a few managers watching, the server spent its CPU redrawing the same
answer. Here the sites and their rendered fragment (per language) are kept against the
cheap :func:`today.fingerprint` of the data they came from (a punch, an audited or direct
change to staff, leave, corrections or terminals, or the minute turning makes a new one),
so a repeated load or poll costs that fingerprint and a lookup; a change is computed by
the first request that sees it (concurrent ones wait for its result), and then only for
the people it concerns (:class:`today.Memo`).

The completeness watermarks (:func:`completeness.completeness`, which reads every stored
sequence number of every terminal, so its cost grows with the history) are computed at
most every :data:`MARKS_MAX_AGE_S` seconds: a change within that time reuses them, and a
page built on reused marks is built again once they are that old, so they too are never
more than that behind.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from .. import completeness, db
from . import today as today_model
from . import today_rows

MARKS_MAX_AGE_S = 5.0  # the page's promise: a change shows within 5 s


@dataclass
class Snapshot:
    """Today for one fingerprint: the sites and their rendered fragment per language.

    ``key`` names the content (the fingerprint and which completeness marks it shows); the
    ETag comes from it.
    """

    key: str
    fingerprint: str
    sites: list[today_model.SiteToday]
    marks_at: float  # when its completeness marks were computed (monotonic seconds)
    marks_reused: bool  # computed for an earlier snapshot
    fragments: dict[str, str] = field(default_factory=dict)
    gzipped: dict[str, bytes] = field(default_factory=dict)  # the fragments compressed


class TodayCache:
    """The latest :class:`Snapshot`; one computation at a time, shared by all requests.

    ``ticker``: monotonic seconds, for the marks' age (tests pass a fake).
    """

    def __init__(self, ticker: Callable[[], float] = time.monotonic) -> None:
        self._ticker = ticker
        self._lock = threading.Lock()
        self._latest: Snapshot | None = None
        self._memo = today_model.Memo()  # each person's place: one punch, one person's rules
        self._marks: tuple[float, dict[str, Any]] | None = None
        self.rows = today_rows.Rows()  # the fragment's rows, kept per person

    def _current(self, snap: Snapshot | None, fingerprint: str) -> bool:
        return (snap is not None and snap.fingerprint == fingerprint
                and (not snap.marks_reused or self._ticker() - snap.marks_at < MARKS_MAX_AGE_S))

    def snapshot(self, engine: Engine, now: datetime) -> Snapshot:
        """Today as of now: the kept one while it is current, else computed (once, however
        many requests ask at the same time), from one consistent read of the database."""
        with db.read_txn(engine) as conn:
            fingerprint = today_model.fingerprint(conn, now)
            latest = self._latest
            if self._current(latest, fingerprint):
                assert latest is not None
                return latest
            with self._lock:
                latest = self._latest
                if self._current(latest, fingerprint):  # computed while we waited
                    assert latest is not None
                    return latest
                tick = self._ticker()
                reused = self._marks is not None and tick - self._marks[0] < MARKS_MAX_AGE_S
                if not reused:
                    self._marks = (tick, completeness.completeness(conn, now))
                assert self._marks is not None
                marks_at, marks = self._marks
                sites = today_model.today(conn, now, self._memo, marks)
                snap = Snapshot(f"{fingerprint}|{marks_at}", fingerprint, sites, marks_at, reused)
                self._latest = snap
                return snap

    @staticmethod
    def fragment(snap: Snapshot, lang: str, render: Callable[[], str]) -> str:
        """The snapshot's fragment in ``lang``, rendered on first use."""
        html = snap.fragments.get(lang)
        if html is None:
            html = snap.fragments[lang] = render()
        return html

    @staticmethod
    def fragment_gzip(snap: Snapshot, lang: str, render: Callable[[], str]) -> bytes:
        """The fragment gzipped, once per snapshot and language (every viewer's poll after a
        change sends it: ~300 KB for 2,000 people is ~30 KB on a phone's connection)."""
        body = snap.gzipped.get(lang)
        if body is None:
            html = TodayCache.fragment(snap, lang, render)
            body = snap.gzipped[lang] = gzip.compress(html.encode(), compresslevel=6, mtime=0)
        return body
