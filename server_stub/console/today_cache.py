"""Today computed once per change for every viewer, not once per request.

Every signed-in browser on Today polls every second. Without this, each poll that found a
change and each page load ran the rules for the whole staff and rendered the whole page:
with 2,000 people and a few managers watching, the server spent its CPU redrawing the same
answer. Here the sites and their rendered fragment (per language) are kept against the
cheap :func:`today.fingerprint` of the data they came from (a punch, an audited or direct
change to staff, leave, corrections or terminals, or the minute turning makes a new one),
so a repeated load or poll costs that fingerprint and a dict lookup, and a change is
computed by the first request that sees it while concurrent ones wait for its result.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine

from .. import db
from . import today as today_model


@dataclass
class Snapshot:
    """Today for one fingerprint: the sites and their rendered fragment per language."""

    key: str
    sites: list[today_model.SiteToday]
    fragments: dict[str, str] = field(default_factory=dict)


class TodayCache:
    """The latest :class:`Snapshot`; one computation at a time, shared by all requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: Snapshot | None = None

    def key(self, engine: Engine, now: datetime) -> str:
        with db.read_txn(engine) as conn:
            return today_model.fingerprint(conn, now)

    def snapshot(self, engine: Engine, now: datetime, key: str | None = None) -> Snapshot:
        """Today as of ``key`` (the fingerprint now, when not given): the kept one when it
        is still current, else computed (once, however many requests ask at the same time)."""
        key = key or self.key(engine, now)
        latest = self._latest
        if latest is not None and latest.key == key:
            return latest
        with self._lock:
            latest = self._latest
            if latest is not None and latest.key == key:  # computed while we waited
                return latest
            with db.read_txn(engine) as conn:
                # The key again inside the transaction the sites are read in, so the
                # snapshot is filed under the data it shows (a punch may have landed since).
                key = today_model.fingerprint(conn, now)
                snap = Snapshot(key, today_model.today(conn, now))
            self._latest = snap
            return snap

    @staticmethod
    def fragment(snap: Snapshot, lang: str, render: Callable[[], str]) -> str:
        """The snapshot's fragment in ``lang``, rendered on first use."""
        html = snap.fragments.get(lang)
        if html is None:
            html = snap.fragments[lang] = render()
        return html
