"""What the terminal does with each pushed event (Qt-free; runs on the push thread).

- a revoked badge is refused at once: added to the cached roster's revocations before the
  fresh roster is fetched, so the next scan of it is refused even while that fetch runs;
- any other roster or settings change: the sync engine fetches the roster now;
- IT's commands: ``sync`` wakes the drain loop, ``reload`` fetches the whole roster,
  ``diagnostics`` builds the bundle and uploads it, ``message`` shows the text on the idle
  screen. Each is acknowledged to the server (``done`` or ``failed`` with the reason).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from kiosk.core.protocol import events as wire

from .client import SyncClient, SyncError
from .engine import SyncEngine
from .roster import RosterCache

log = logging.getLogger(__name__)


class PushActions:
    """The :class:`~kiosk.sync.push.PushHandler` of the running kiosk."""

    def __init__(
        self, roster: RosterCache, engine: Callable[[], SyncEngine | None], *,
        show_message: Callable[[str], None] | None = None,
        make_diagnostics: Callable[[], bytes] | None = None,
        on_revoked: Callable[[str], None] | None = None,
    ) -> None:
        self._roster = roster
        self._engine = engine
        self._show_message = show_message
        self._make_diagnostics = make_diagnostics
        self._on_revoked = on_revoked

    def on_connected(self, resumed: bool) -> None:
        """(Re)connected: whatever changed while away is in the roster; fetch it (a 304
        when nothing did)."""
        self._refresh()

    def on_event(self, event: wire.PushEvent, client: SyncClient) -> None:
        if event.kind == "badge_revoked":
            badge_id = event.data.get("badge_id")
            if isinstance(badge_id, str) and self._roster.revoke(badge_id):
                log.info("badge %s revoked by the server: refused from now on", badge_id)
                if self._on_revoked is not None:
                    self._on_revoked(badge_id)
            self._refresh()
        elif event.kind in wire.ROSTER_KINDS or event.kind == wire.SETTINGS_CHANGED:
            self._refresh()
        elif event.kind == wire.COMMAND:
            self._command(event, client)
        else:
            log.info("event %d of a kind this version does not know (%s): ignored",
                     event.id, event.kind[:32])

    def _refresh(self, full: bool = False) -> None:
        engine = self._engine()
        if engine is not None:
            engine.refresh_roster(full=full)

    def _command(self, event: wire.PushEvent, client: SyncClient) -> None:
        command = event.command
        log.info("command %d from IT: %s", event.id, command)
        status, detail = "done", None
        try:
            if command == "sync":
                engine = self._engine()
                if engine is None:
                    raise RuntimeError("the sync engine is not running")
                engine.wake()
            elif command == "reload":
                self._refresh(full=True)
            elif command == "diagnostics":
                if self._make_diagnostics is None:
                    raise RuntimeError("this terminal cannot build a diagnostics bundle")
                client.upload_diagnostics(self._make_diagnostics(), event.id)
            elif command == "message":
                text = event.data.get("text")
                if not isinstance(text, str) or self._show_message is None:
                    raise RuntimeError("no message to show")
                self._show_message(text[:wire.MAX_MESSAGE])
            else:
                raise RuntimeError(f"unknown command {str(command)[:32]!r}")
        except (SyncError, OSError, RuntimeError) as exc:
            log.warning("command %d (%s) failed: %s", event.id, command, exc)
            status, detail = "failed", str(exc)[:500]
        try:
            client.ack_command(event.id, status, detail)
        except SyncError as exc:  # the server shows it pending; IT can send it again
            log.info("acknowledging command %d failed: %s", event.id, exc)
