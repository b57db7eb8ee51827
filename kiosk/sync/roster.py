"""The roster cached on disk, so badges verify and names show offline after a restart.

The roster carries the server's badge public keys, the revoked badge ids and the display
names of this site's employees. It is refreshed with ``If-None-Match`` (ETag) and written
atomically; a damaged cache file is ignored (and replaced at the next refresh), never fatal.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from pydantic import ValidationError

from kiosk.core.paths import atomic_write
from kiosk.core.protocol import BadgeVerifier, Roster, RosterEmployee

log = logging.getLogger(__name__)


class RosterCache:
    """The last roster the server sent, with its ETag; thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._roster: Roster | None = None
        self._etag: str | None = None
        self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            roster = Roster.model_validate(data["roster"])
            etag = data.get("etag")
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError, ValidationError) as exc:
            log.warning("roster cache %s unreadable (%s); waiting for a fresh one",
                        self.path, type(exc).__name__)
            return
        self._roster, self._etag = roster, etag if isinstance(etag, str) else None

    @property
    def roster(self) -> Roster | None:
        with self._lock:
            return self._roster

    @property
    def etag(self) -> str | None:
        with self._lock:
            return self._etag

    def update(self, roster: Roster, etag: str | None) -> None:
        """Keep a new roster, on disk first (atomic), then in memory.

        A disk that refuses the write (full, read-only) costs only the offline copy: the
        new roster is still used now, and the old file stays whole.
        """
        payload = {"etag": etag, "roster": roster.model_dump(mode="json")}
        try:
            atomic_write(self.path, json.dumps(payload).encode("utf-8"), mode=0o600)
        except OSError as exc:
            log.error("roster cache %s cannot be written (%s); using the new roster from "
                      "memory only", self.path, exc.strerror or type(exc).__name__)
        with self._lock:
            self._roster, self._etag = roster, etag

    def revoke(self, badge_id: str) -> bool:
        """Refuse ``badge_id`` from now on, before the next roster arrives (a pushed
        revocation); the ETag is dropped so the next refresh fetches the server's roster.
        False when there is no roster yet or the badge is already refused."""
        with self._lock:
            roster = self._roster
            if roster is None or badge_id in roster.revoked:
                return False
            updated = roster.model_copy(update={"revoked": [*roster.revoked, badge_id]})
            self._roster, self._etag = updated, None
        payload = {"etag": None, "roster": updated.model_dump(mode="json")}
        try:
            atomic_write(self.path, json.dumps(payload).encode("utf-8"), mode=0o600)
        except OSError as exc:
            log.error("roster cache %s cannot be written (%s); the revocation holds in "
                      "memory", self.path, exc.strerror or type(exc).__name__)
        return True

    def verifier(self, leeway_s: int = 120) -> BadgeVerifier:
        """A verifier for the cached keys and revocations (no keys: every badge unknown)."""
        roster = self.roster
        if roster is None:
            return BadgeVerifier({}, (), leeway_s)
        return BadgeVerifier(roster.keys, roster.revoked, leeway_s)

    def employee(self, employee_id: str) -> RosterEmployee | None:
        roster = self.roster
        return roster.employees.get(employee_id) if roster else None

    def display_name(self, employee_id: str) -> str | None:
        emp = self.employee(employee_id)
        return emp.name if emp else None
