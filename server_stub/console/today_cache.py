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
sequence number of every terminal, so its cost grows with the history) are not computed
by the request that finds Today changed: they are computed again in a background task
once they are :data:`MARKS_MAX_AGE_S` old and someone is looking (a poll or a load
schedules it after its answer), and the next request shows them; so while a page is open
they are at most a few seconds behind, and no request waits for them but the first.
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
        self._marks: tuple[float, dict[str, Any]] | None = None  # (computed at, marks)
        self._due_lock = threading.Lock()
        self._refreshing = False
        self._minute_due = False  # the minute turned: rebuild after the answer
        self._rebuilding = False
        self.rows = today_rows.Rows()  # the fragment's rows, kept per person

    def _current(self, snap: Snapshot | None, fingerprint: str) -> bool:
        return (snap is not None and snap.fingerprint == fingerprint
                and (self._marks is None or snap.marks_at == self._marks[0]))

    def _only_the_minute(self, snap: Snapshot, fingerprint: str) -> bool:
        return (snap.fingerprint.rpartition("-")[0] == fingerprint.rpartition("-")[0]
                and (self._marks is None or snap.marks_at == self._marks[0]))

    def snapshot(self, engine: Engine, now: datetime, *, rebuild: bool = False) -> Snapshot:
        """Today as of now: the kept one while it is current, else computed (once, however
        many requests ask at the same time), from one consistent read of the database.
        When only the minute turned, the kept one, until :meth:`rebuild` has run."""
        with db.read_txn(engine) as conn:
            fingerprint = today_model.fingerprint(conn, now)
            latest = self._latest
            if self._current(latest, fingerprint):
                assert latest is not None
                return latest
            if not rebuild and latest is not None and self._only_the_minute(latest, fingerprint):
                # Only the clock moved: everyone's place is looked at again (the memo is per
                # minute), which costs the rules for everyone; that runs after the answer
                # (rebuild_due), and this request shows the page of a moment ago.
                with self._due_lock:
                    self._minute_due = not self._rebuilding
                return latest
            with self._lock:
                latest = self._latest
                if self._current(latest, fingerprint):  # computed while we waited
                    assert latest is not None
                    return latest
                if self._marks is None:  # the first page: no marks to show meanwhile
                    tick = self._ticker()
                    self._marks = (tick, completeness.completeness(conn, now))
                marks_at, marks = self._marks
                sites = today_model.today(conn, now, self._memo, marks)
                snap = Snapshot(f"{fingerprint}|{marks_at}", fingerprint, sites, marks_at)
                self._latest = snap
                return snap

    def rebuild_due(self) -> bool:
        """True (once) when the minute turned with nothing else changed and no rebuild is
        under way: the caller then runs :meth:`rebuild`, after its answer is sent."""
        with self._due_lock:
            if not self._minute_due or self._rebuilding:
                return False
            self._minute_due, self._rebuilding = False, True
            return True

    def rebuild(self, engine: Engine, now: Callable[[], datetime]) -> None:
        """Today for the new minute (off the request: a background task)."""
        try:
            self.snapshot(engine, now(), rebuild=True)
        finally:
            with self._due_lock:
                self._rebuilding = False

    def marks_due(self) -> bool:
        """True (once) when the marks are :data:`MARKS_MAX_AGE_S` old and no refresh is
        under way: the caller then runs :meth:`refresh_marks`, after its answer is sent."""
        with self._due_lock:
            if (self._refreshing or self._marks is None
                    or self._ticker() - self._marks[0] < MARKS_MAX_AGE_S):
                return False
            self._refreshing = True
            return True

    def refresh_marks(self, engine: Engine, now: Callable[[], datetime]) -> None:
        """Compute the completeness marks again (off the request: a background task); the
        next request builds Today with them, under a new key (so the page's ETag moves)."""
        try:
            tick = self._ticker()
            with db.read_txn(engine) as conn:
                marks = completeness.completeness(conn, now())
            with self._lock:
                self._marks = (tick, marks)
        finally:
            with self._due_lock:
                self._refreshing = False

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
