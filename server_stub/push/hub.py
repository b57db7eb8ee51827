"""One broadcaster per server process: new events from the table to the streams held here.

Each stream is a :class:`Subscriber` with one small asyncio queue (no thread per stream).
The hub reads new rows once per wake-up (never once per stream) and hands each to the
streams it is for. It is woken by

- this process's own write transactions that emitted events (``db.events_committed``),
- on PostgreSQL, ``NOTIFY kiosk_events`` from any replica (one ``LISTEN`` connection per
  process, psycopg 3 async on the server's event loop, reconnected with backoff),
- and a poll of the table every ``poll_s`` (the CLI on SQLite writes from another process;
  a NOTIFY missed while the listener reconnected is caught up the same way).

A stream whose queue is full (a client that reads too slowly) is marked ``lagged`` and
reads what it missed from the table itself, so nothing is lost and memory stays bounded.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from .. import db
from . import events

log = logging.getLogger(__name__)

QUEUE_MAX = 32
FETCH_LIMIT = 1000


class Subscriber:
    """One connected stream: its terminal, its queue of events, whether it fell behind."""

    __slots__ = ("terminal_id", "site", "queue", "lagged")

    def __init__(self, terminal_id: str, site: str) -> None:
        self.terminal_id = terminal_id
        self.site = site
        # None: the server is stopping, end the stream
        self.queue: asyncio.Queue[events.StoredEvent | None] = asyncio.Queue(QUEUE_MAX)
        self.lagged = False


class Hub:
    """The process's broadcaster; started lazily by the first stream (on its event loop)."""

    def __init__(self, engine: Engine, *, poll_s: float | None = None) -> None:
        self.engine = engine
        self._pg = engine.dialect.name == "postgresql"
        self.poll_s = poll_s if poll_s is not None else (5.0 if self._pg else 1.0)
        self._subs: dict[str, set[Subscriber]] = {}
        self.last_id = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._starting: asyncio.Lock | None = None
        self.listening = False  # PostgreSQL: the LISTEN connection is up

    # -- the streams' side --------------------------------------------------------------------
    async def start(self) -> None:
        if self._loop is not None:
            return
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if self._loop is not None:
                return
            self.last_id = await run_in_threadpool(events.newest_id, self.engine)
            self._wake = asyncio.Event()
            self._tasks.append(asyncio.create_task(self._run(), name="push-hub"))
            if self._pg:
                self._tasks.append(asyncio.create_task(self._listen(), name="push-listen"))
            db.events_committed.append(self.kick)
            self._loop = asyncio.get_running_loop()

    def subscribe(self, terminal_id: str, site: str) -> Subscriber:
        sub = Subscriber(terminal_id, site)
        self._subs.setdefault(terminal_id, set()).add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        subs = self._subs.get(sub.terminal_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subs[sub.terminal_id]

    @property
    def streams(self) -> int:
        return sum(len(s) for s in self._subs.values())

    def kick(self) -> None:
        """Look for new events now; safe from any thread."""
        loop, wake = self._loop, self._wake
        if loop is None or wake is None:
            return
        if loop.is_closed():
            self.close()
            return
        try:
            loop.call_soon_threadsafe(wake.set)
        except RuntimeError:  # the loop closed meanwhile (server stopped)
            self.close()

    def end_streams(self) -> None:
        """End every stream held here (the server is stopping); safe from any thread."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._end_all)
            except RuntimeError:
                pass

    def _end_all(self) -> None:
        for subs in self._subs.values():
            for sub in subs:
                while True:
                    try:
                        sub.queue.put_nowait(None)
                        break
                    except asyncio.QueueFull:
                        sub.queue.get_nowait()

    def close(self) -> None:
        try:
            db.events_committed.remove(self.kick)
        except ValueError:
            pass
        for task in self._tasks:
            if not task.done() and not task.get_loop().is_closed():
                task.get_loop().call_soon_threadsafe(task.cancel)
        self._tasks.clear()

    # -- the hub's tasks ----------------------------------------------------------------------
    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), self.poll_s)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()
            try:
                await self._fetch()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is away: the next wake-up tries again
                log.warning("push hub: reading new events failed (%s)", type(exc).__name__)
                await asyncio.sleep(min(self.poll_s, 1.0))

    async def _fetch(self) -> None:
        while True:
            rows = await run_in_threadpool(events.after, self.engine, self.last_id, FETCH_LIMIT)
            for event in rows:
                self._deliver(event)
                self.last_id = event.id
            if len(rows) < FETCH_LIMIT:
                return

    def _targets(self, event: events.StoredEvent) -> Iterator[Subscriber]:
        if event.terminal_id is not None:
            yield from self._subs.get(event.terminal_id, ())
            return
        for subs in self._subs.values():
            yield from subs

    def _deliver(self, event: events.StoredEvent) -> None:
        for sub in list(self._targets(event)):
            if sub.lagged or not event.for_terminal(sub.terminal_id, sub.site):
                continue
            try:
                sub.queue.put_nowait(event)
            except asyncio.QueueFull:
                sub.lagged = True  # the stream re-reads from the table

    async def _listen(self) -> None:
        """PostgreSQL: LISTEN on one connection; every NOTIFY wakes the hub."""
        import psycopg

        url = self.engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False)
        delay = 0.5
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
                async with conn:
                    await conn.execute(f"LISTEN {events.CHANNEL}")
                    self.listening = True
                    delay = 0.5
                    self.kick()  # whatever came while we were not listening
                    async for _ in conn.notifies():
                        assert self._wake is not None
                        self._wake.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("push hub: LISTEN connection lost (%s); retrying in %.1f s",
                            type(exc).__name__, delay)
            finally:
                self.listening = False
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)
