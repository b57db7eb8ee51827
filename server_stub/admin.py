"""The Python admin API: what the CLI, the tests, the demo and other helpers call.

Every method validates its input and raises :class:`AdminError` with one clear sentence,
so the CLI can print it as one line. Names here are a stable interface.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from kiosk.core.clock import Clock, SystemClock
from kiosk.core.protocol import BadgeSigner, public_key_to_text

from . import completeness, datadir, db, dburl, employee_csv, reports, rules, secretbox
from .overview import terminal_overview
from .store import engine as store_engine
from .store import migrate

_CODE_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud safely
MAX_CODE_DAYS = 365  # an enrolment code is a password: it must not live for years


class AdminError(Exception):
    """A refused admin action; ``str()`` is one sentence for the user."""


class _RolledBack(Exception):
    """Raised inside a write transaction to undo it (a file with a bad row stores nothing)."""


@dataclass(frozen=True)
class IssuedBadge:
    badge_id: str
    token: str
    employee_id: str = ""
    expires_at: datetime | None = None


def ts(when: datetime) -> float:
    return when.timestamp()


def from_ts(value: float) -> datetime:
    return datetime.fromtimestamp(value, tz=timezone.utc)


def normalize_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def code_hash(code: str) -> str:
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


def check_timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise AdminError(
            f"unknown timezone {name!r} (use an IANA name like Europe/Berlin)") from None


class Admin:
    """Administration of one server data folder (database + badge keys)."""

    def __init__(self, data_dir: Path, engine: Engine, clock: Clock | None = None) -> None:
        self.data_dir = data_dir
        self.engine = engine
        self.clock: Clock = clock or SystemClock()

    # -- lifecycle ------------------------------------------------------------------------
    @classmethod
    def init(
        cls, data_dir: Path, database_url: str | None = None, clock: Clock | None = None
    ) -> Admin:
        """Create a data folder: settings, database tables, first badge key, admin token."""
        data_dir = Path(data_dir)
        if (data_dir / datadir.SETTINGS_FILE).exists():
            raise AdminError(f"{data_dir} is already initialised")
        url = database_url or datadir.default_database_url(data_dir)
        try:
            dburl.check_database_url(url)
        except dburl.DatabaseUrlError as exc:
            raise AdminError(str(exc)) from None
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        datadir.write_settings(data_dir, url)
        try:
            engine = store_engine.open_engine(data_dir, must_exist=False)
            try:
                migrate.create(engine)
            except BaseException:
                engine.dispose()
                raise
        except (SQLAlchemyError, ImportError, migrate.SchemaError, datadir.DataDirError) as exc:
            (data_dir / datadir.SETTINGS_FILE).unlink()  # not initialised after all
            if isinstance(exc, SQLAlchemyError | ImportError):
                raise AdminError(dburl.describe_failure(exc, url)) from None
            raise AdminError(f"cannot create the database: {exc}") from None
        secretbox.secure(data_dir, engine)
        datadir.ensure_admin_token(data_dir)
        admin = cls(data_dir, engine, clock)
        admin.add_key()
        return admin

    @classmethod
    def open(cls, data_dir: Path, clock: Clock | None = None) -> Admin:
        """Open a data folder whose database is at this version's schema (else AdminError)."""
        data_dir = Path(data_dir)
        try:
            engine = store_engine.open_engine(data_dir)
        except datadir.DataDirError as exc:
            raise AdminError(str(exc)) from None
        try:
            migrate.check(engine)
        except migrate.SchemaError as exc:
            engine.dispose()
            raise AdminError(str(exc)) from None
        return cls(data_dir, engine, clock)

    def close(self) -> None:
        self.engine.dispose()

    def _write(self) -> Any:
        return db.write_txn(self.engine)

    def _now(self) -> float:
        return ts(self.clock.now())

    actor = "cli"  # who the pushed events and commands name (the console sets its user)

    def _emit(self, conn: Any, kind: str, data: dict[str, Any], *, site: str | None = None,
              terminal_id: str | None = None) -> int:
        """Tell the terminals, in this change's own transaction (server_stub/push)."""
        from .push import events

        return events.emit(conn, kind, data, at=self._now(), site=site,
                           terminal_id=terminal_id, actor=self.actor)

    # -- badge keys -----------------------------------------------------------------------
    def add_key(self) -> str:
        """Create a new badge signing key; it signs new badges, older keys still verify."""
        with self._write() as conn:
            n = conn.execute(select(func.count()).select_from(db.badge_keys)).scalar_one()
            kid = f"k{n + 1}"
            signer = datadir.create_key(self.data_dir, kid)
            conn.execute(
                insert(db.badge_keys).values(
                    kid=kid, public_key=public_key_to_text(signer.public_key),
                    created_at=self._now(),
                )
            )
            self._emit(conn, "key_added", {"kid": kid})
        return kid

    def retire_key(self, kid: str) -> None:
        """Stop trusting a key: badges it signed are refused from now on."""
        with self._write() as conn:
            active = conn.execute(
                select(func.count()).select_from(db.badge_keys)
                .where(db.badge_keys.c.retired_at.is_(None))
            ).scalar_one()
            row = conn.execute(
                select(db.badge_keys).where(db.badge_keys.c.kid == kid)
            ).first()
            if row is None or row.retired_at is not None:
                raise AdminError(f"no active badge key {kid!r}")
            if active <= 1:
                raise AdminError("cannot retire the only active badge key (add one first)")
            conn.execute(
                update(db.badge_keys).where(db.badge_keys.c.kid == kid)
                .values(retired_at=self._now())
            )
            self._emit(conn, "key_retired", {"kid": kid})

    def keys(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(db.badge_keys).order_by(db.badge_keys.c.created_at))
            return [dict(r._mapping) for r in rows]

    def signer(self) -> BadgeSigner:
        """The newest active key signs new badges."""
        with self.engine.connect() as conn:
            kid = conn.execute(
                select(db.badge_keys.c.kid).where(db.badge_keys.c.retired_at.is_(None))
                .order_by(db.badge_keys.c.created_at.desc(), db.badge_keys.c.kid.desc())
            ).scalar()
        if kid is None:
            raise AdminError("no active badge key (run 'kiosk-server add-key')")
        try:
            return datadir.load_signer(self.data_dir, kid)
        except datadir.DataDirError as exc:
            raise AdminError(str(exc)) from None

    # -- sites, shifts, employees -------------------------------------------------------
    def add_site(self, code: str, name: str, timezone: str = "UTC") -> None:
        if not _CODE_RE.fullmatch(code):
            raise AdminError("site code must be 1-32 of A-Z a-z 0-9 _ -")
        check_timezone(timezone)
        self._insert(db.sites, f"site {code!r} exists already",
                     code=code, name=name.strip() or code, timezone=timezone)

    def add_shift(
        self,
        name: str,
        start: str = "09:00",
        end: str = "17:00",
        grace_min: int = 5,
        weekdays: str = "mon-fri",
        *,
        min_presence_min: int = rules.DEFAULT_MIN_PRESENCE_MIN,
        overtime_after_min: int = rules.DEFAULT_OVERTIME_AFTER_MIN,
        auto_close: bool = False,
    ) -> None:
        """A shift; ``min_presence_min``: a punch that soon after the check-in is a repeat;
        ``overtime_after_min``: overtime counts from there; ``auto_close``: a forgotten
        check-out closes the day at shift end."""
        if not _CODE_RE.fullmatch(name):
            raise AdminError("shift name must be 1-32 of A-Z a-z 0-9 _ -")
        try:
            t_start, t_end = rules.parse_hhmm(start), rules.parse_hhmm(end)
            days = rules.parse_weekdays(weekdays)
        except ValueError as exc:
            raise AdminError(str(exc)) from None
        if t_start == t_end:
            raise AdminError("shift start and end must differ")
        if not 0 <= int(grace_min) <= 240:
            raise AdminError("grace must be 0-240 minutes")
        if not 0 <= int(min_presence_min) <= 720:
            raise AdminError("minimum presence must be 0-720 minutes")
        if not 0 <= int(overtime_after_min) <= 720:
            raise AdminError("overtime threshold must be 0-720 minutes")
        self._insert(db.shifts, f"shift {name!r} exists already",
                     name=name, start=t_start.strftime("%H:%M"), end=t_end.strftime("%H:%M"),
                     grace_min=int(grace_min), weekdays=rules.format_weekdays(days),
                     min_presence_min=int(min_presence_min),
                     overtime_after_min=int(overtime_after_min), auto_close=bool(auto_close))

    def add_employee(
        self, employee_id: str, name: str, site: str, shift: str | None = None,
        *, update_existing: bool = False,
    ) -> None:
        with self._write() as conn:
            self._put_employee(conn, employee_id, name, site, shift, update_existing)

    def _put_employee(
        self, conn: Any, employee_id: str, name: str, site: str, shift: str | None,
        update_existing: bool, *, emit: bool = True,
    ) -> None:
        if not _CODE_RE.fullmatch(employee_id):
            raise AdminError(f"employee id {employee_id!r} must be 1-32 of A-Z a-z 0-9 _ -")
        name = name.strip()
        if not name or len(name) > 200:
            raise AdminError(f"employee {employee_id}: name must be 1-200 characters")
        if conn.execute(select(db.sites.c.code).where(db.sites.c.code == site)).first() is None:
            raise AdminError(f"unknown site {site!r} (add it with add-site)")
        if shift and conn.execute(
            select(db.shifts.c.name).where(db.shifts.c.name == shift)
        ).first() is None:
            raise AdminError(f"unknown shift {shift!r} (add it with add-shift)")
        values = {"name": name, "site": site, "shift": shift or None}
        exists = conn.execute(
            select(db.employees.c.employee_id)
            .where(db.employees.c.employee_id == employee_id)
        ).first()
        if exists and not update_existing:
            raise AdminError(f"employee {employee_id!r} exists already")
        if exists:
            old_site = conn.execute(select(db.employees.c.site).where(
                db.employees.c.employee_id == employee_id)).scalar_one()
            conn.execute(update(db.employees)
                         .where(db.employees.c.employee_id == employee_id).values(**values))
            if emit:  # both sites' terminals, when the employee moved
                self._emit(conn, "employee_changed", {"employee_id": employee_id},
                           site=None if old_site != site else site)
        else:
            conn.execute(insert(db.employees).values(
                employee_id=employee_id, active=True, created_at=self._now(), **values))
            if emit:
                self._emit(conn, "employee_added", {"employee_id": employee_id}, site=site)

    def import_employees_csv(self, path: Path) -> int:
        """Add or update employees from a CSV with columns employee_id,name,site[,shift].

        All or nothing: every row is checked in one transaction and one bad row rolls the
        whole file back, so a fixed file can simply be imported again.
        """
        rows = employee_csv.read_rows(path)
        problems = [f"line {n}: {why}" for n, why in self.import_employee_rows(rows)]
        if problems:
            more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
            raise AdminError(
                f"{path}: {len(problems)} bad row(s), nothing was imported: "
                f"{'; '.join(problems[:3])}{more}; fix them and import the file again")
        return len(rows)

    def import_employee_rows(
        self, rows: list[tuple[int, dict[str, str | None]]]
    ) -> list[tuple[int, str]]:
        """Store every row or none: ``(line, problem)`` of each bad row, empty when stored.

        The console shows these per row; the CLI joins them into one message.
        """
        problems: list[tuple[int, str]] = []
        try:
            with self._write() as conn:
                for lineno, row in rows:
                    try:
                        self._put_employee(conn, row["employee_id"] or "", row["name"] or "",
                                           row["site"] or "", row["shift"], True, emit=False)
                    except AdminError as exc:
                        problems.append((lineno, str(exc)))
                if problems:
                    raise _RolledBack
                if rows:  # one event for the whole file, not one per row
                    self._emit(conn, "employees_imported", {"rows": len(rows)})
        except _RolledBack:
            pass
        return problems

    def employees(self, site: str | None = None) -> list[dict[str, Any]]:
        """Every employee (active or not), by id; ``site`` filters (and must exist)."""
        e = db.employees.c
        q = select(e.employee_id, e.name, e.site, e.shift, e.active).order_by(e.employee_id)
        with db.read_txn(self.engine) as conn:
            if site is not None:
                _known(conn, db.sites.c.code, site, "site", None)
                q = q.where(e.site == site)
            return [{**r._mapping, "active": bool(r.active)} for r in conn.execute(q)]

    def set_employee_active(self, employee_id: str, active: bool) -> None:
        with self._write() as conn:
            site = conn.execute(select(db.employees.c.site).where(
                db.employees.c.employee_id == employee_id)).scalar()
            if site is None:
                raise AdminError(f"unknown employee {employee_id!r}")
            conn.execute(update(db.employees)
                         .where(db.employees.c.employee_id == employee_id)
                         .values(active=active))
            self._emit(conn, "employee_activated" if active else "employee_deactivated",
                       {"employee_id": employee_id}, site=site)

    def set_cooldown(self, seconds: int) -> None:
        if not 0 <= seconds <= 3600:
            raise AdminError("cooldown must be 0-3600 seconds")
        with self._write() as conn:
            conn.execute(db.settings.delete().where(db.settings.c.key == "cooldown_s"))
            conn.execute(insert(db.settings).values(key="cooldown_s", value=str(seconds)))
            self._emit(conn, "settings_changed", {"cooldown_s": seconds})

    # -- badges ---------------------------------------------------------------------------
    def issue_badge(
        self, employee_id: str, days: int = 365, *, issued_at: datetime | None = None
    ) -> IssuedBadge:
        if not 1 <= days <= 3650:
            raise AdminError("badge validity must be 1-3650 days")
        signer = self.signer()
        issued = (issued_at or self.clock.now()).replace(microsecond=0)
        expires = issued + timedelta(days=days)
        badge_id = "b" + secrets.token_hex(4)
        with self._write() as conn:
            if conn.execute(select(db.employees.c.employee_id)
                            .where(db.employees.c.employee_id == employee_id)).first() is None:
                raise AdminError(f"unknown employee {employee_id!r}")
            token = signer.issue(badge_id, employee_id, issued, expires)
            conn.execute(insert(db.badges).values(
                badge_id=badge_id, employee_id=employee_id, kid=signer.kid,
                issued_at=ts(issued), expires_at=ts(expires)))
        return IssuedBadge(badge_id, token, employee_id, expires)

    def revoke_badge(self, badge_id: str) -> None:
        with self._write() as conn:
            row = conn.execute(select(db.badges.c.revoked_at)
                               .where(db.badges.c.badge_id == badge_id)).first()
            if row is None:
                raise AdminError(f"unknown badge {badge_id!r}")
            if row.revoked_at is None:
                conn.execute(update(db.badges).where(db.badges.c.badge_id == badge_id)
                             .values(revoked_at=self._now()))
                self._emit(conn, "badge_revoked", {"badge_id": badge_id})

    # -- terminals ------------------------------------------------------------------------
    def add_terminal(self, name: str, site: str, valid_days: int = 7) -> str:
        """Register a terminal; returns its one-time enrolment code (shown once)."""
        name = name.strip()
        if not name or len(name) > 200:
            raise AdminError("terminal name must be 1-200 characters")
        if not 1 <= valid_days <= MAX_CODE_DAYS:
            raise AdminError(f"an enrolment code is valid for 1 to {MAX_CODE_DAYS} days, "
                             f"not {valid_days}")
        code = "-".join(
            "".join(secrets.choice(_CODE_ALPHABET) for _ in range(4)) for _ in range(4)
        )
        now = self._now()
        with self._write() as conn:
            if conn.execute(select(db.sites.c.code).where(db.sites.c.code == site)).first() is None:
                raise AdminError(f"unknown site {site!r} (add it with add-site)")
            conn.execute(insert(db.terminals).values(
                terminal_id="t" + secrets.token_hex(6), name=name, site=site,
                code_hash=code_hash(code), code_expires_at=now + valid_days * 86400,
                created_at=now))
        return code

    def revoke_terminal(self, terminal_id: str) -> None:
        with self._write() as conn:
            n = conn.execute(update(db.terminals)
                             .where(db.terminals.c.terminal_id == terminal_id,
                                    db.terminals.c.revoked_at.is_(None))
                             .values(revoked_at=self._now())).rowcount
            if n != 1 and conn.execute(select(db.terminals.c.terminal_id).where(
                    db.terminals.c.terminal_id == terminal_id)).first() is None:
                raise AdminError(f"unknown terminal {terminal_id!r}")

    def terminals(self) -> list[dict[str, Any]]:
        with db.read_txn(self.engine) as conn:
            return terminal_overview(conn, self.clock.now())

    # -- commands to terminals (server_stub/push) -------------------------------------------
    def send_command(self, terminal_id: str, command: str, message: str | None = None) -> int:
        """Queue an IT command for one terminal (pushed at once when it is connected);
        audited in the same transaction. Returns the command's id."""
        from . import audit
        from .push import events

        with self._write() as conn:
            try:
                command_id = events.send_command(conn, terminal_id, command, at=self._now(),
                                                 actor=self.actor, message=message)
            except events.CommandError as exc:
                raise AdminError(str(exc)) from None
            if self.actor == "cli":  # the console's AuditedAdmin records its own entry
                audit.record(conn, at=self._now(), actor="cli", action="terminal_command",
                             target=terminal_id, detail={"command": command, "id": command_id})
        return command_id

    def commands(self, terminal_id: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        from .push import events

        return events.commands(self.engine, terminal_id, limit)

    def diagnostics(self, terminal_id: str) -> tuple[str, bytes]:
        """(file name, zip) of the newest bundle the terminal uploaded."""
        from .push import diagnostics

        found = diagnostics.latest(self.engine, terminal_id)
        if found is None:
            raise AdminError(f"terminal {terminal_id!r} has sent no diagnostics yet (send it "
                             f"'kiosk-server command {terminal_id} diagnostics' first)")
        return found.filename, found.data

    # -- data out -------------------------------------------------------------------------
    def export_punches(self) -> list[dict[str, Any]]:
        """Every stored punch (accepted and rejected) with its verdict, oldest first
        (a list: for tests and small data; ``export.chunks`` streams)."""
        from .export import iter_punches

        return list(iter_punches(self.engine))

    def attendance(
        self,
        date_from: date | str,
        date_to: date | str,
        site: str | None = None,
        employee: str | None = None,
    ) -> list[dict[str, Any]]:
        """Day rows, as the report's JSON/CSV."""
        return self.attendance_report(date_from, date_to, site, employee)[0]

    def attendance_report(
        self, date_from: date | str, date_to: date | str, site: str | None = None,
        employee: str | None = None,
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """(day rows marked provisional or not, the completeness summary the report carries)."""
        def build(conn: Any, d_from: date, d_to: date, s: str | None, e: str | None,
                  now: datetime) -> tuple[list[dict[str, Any]], dict[str, Any]]:
            rows = reports.attendance_rows(conn, d_from, d_to, s, e, now)
            return rows, completeness.annotate_report(conn, now, rows, s)

        result: tuple[list[dict[str, Any]], dict[str, Any]] = self._report(
            build, date_from, date_to, site, employee)
        return result

    def completeness(self) -> dict[str, Any]:
        """The company's, each site's and each terminal's watermark (server_stub.completeness)."""
        with db.read_txn(self.engine) as conn:
            return completeness.completeness(conn, self.clock.now())

    def report_completeness(self, site: str | None = None) -> dict[str, Any]:
        """The completeness summary a report of ``site`` (or the company) carries."""
        with db.read_txn(self.engine) as conn:
            return completeness.annotate_report(conn, self.clock.now(), [], site)

    def attendance_summary(
        self, date_from: date | str, date_to: date | str, site: str | None = None,
        employee: str | None = None,
    ) -> list[dict[str, Any]]:
        """One row per employee with the range's totals."""
        rows: list[dict[str, Any]] = self._report(reports.summary_rows, date_from, date_to,
                                                  site, employee)
        return rows

    def attendance_xlsx(
        self, date_from: date | str, date_to: date | str, site: str | None = None,
        employee: str | None = None,
    ) -> bytes:
        """The Excel workbook (summary + days)."""
        from .report_xlsx import workbook

        def book(conn: Any, d_from: date, d_to: date, s: str | None, e: str | None,
                 now: datetime) -> bytes:
            marks = completeness.summary_lines(completeness.annotate_report(conn, now, [], s))
            return workbook(reports.employee_days(conn, d_from, d_to, s, e, now), d_from, d_to,
                            marks)

        data: bytes = self._report(book, date_from, date_to, site, employee)
        return data

    def _report(self, build: Any, date_from: date | str, date_to: date | str,
                site: str | None, employee: str | None) -> Any:
        """Validate the range and filters, then ``build(conn, from, to, site, employee, now)``."""
        span = _span(date_from, date_to)
        with db.read_txn(self.engine) as conn:
            _filters(conn, site, employee)
            return build(conn, *span, site, employee, self.clock.now())

    def _insert(self, table: Any, dup_message: str, **values: Any) -> None:
        try:
            with self._write() as conn:
                conn.execute(insert(table).values(**values))
        except IntegrityError:
            raise AdminError(dup_message) from None


def _span(date_from: date | str, date_to: date | str) -> tuple[date, date]:
    try:
        d_from = date.fromisoformat(str(date_from))
        d_to = date.fromisoformat(str(date_to))
    except ValueError:
        raise AdminError("dates must look like 2026-11-02") from None
    problem = reports.check_range(d_from, d_to)
    if problem:
        raise AdminError(problem)
    return d_from, d_to


def _filters(conn: Any, site: str | None, employee: str | None) -> None:
    if site is not None:
        _known(conn, db.sites.c.code, site, "site", None)
    if employee is not None:
        _known(conn, db.employees.c.employee_id, employee, "employee", "employees")


def _known(conn: Any, column: Any, value: str, what: str, command: str | None) -> None:
    """Refuse a filter that matches nothing (a report of only headers looks like "nobody
    came"), naming the spelling that would match or the values there are."""
    if conn.execute(select(column).where(column == value)).first() is not None:
        return
    near = list(conn.execute(select(column).where(func.lower(column) == value.lower())
                             .limit(3)).scalars())
    if near:
        hint = f"; did you mean {', '.join(repr(v) for v in near)}? (case matters)"
    elif command:
        hint = f"; see 'kiosk-server {command}'"
    else:
        known = list(conn.execute(select(column).order_by(column).limit(11)).scalars())
        hint = f"; known: {', '.join(known[:10])}{', ...' if len(known) > 10 else ''}" \
            if known else "; there are none yet"
    raise AdminError(f"unknown {what} {value!r}{hint}")


