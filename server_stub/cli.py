"""``kiosk-server``: the admin command line (``python -m server_stub.cli``).

Every command works on one data folder (``--data``, default ``$KIOSK_SERVER_DATA`` or
``./server-data``). Errors follow :mod:`kiosk.core.cli_style`: one line on stderr saying what
went wrong and what to do, exit 1 for a refused action and 2 for a bad argument; no
traceback reaches the user.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from kiosk.core.cli_style import (
    EXIT_BAD_ARGUMENT,
    OneLineParser,
    fail,
    guarded,
    int_range,
    iso_date,
    output_file,
    port_number,
)
from kiosk.core.protocol.enrolment import EnrolmentCodeError, enrolment_text

from . import replacements
from .dburl import database_url

PROG = "kiosk-server"
MAX_CODE_DAYS = 365  # an enrolment code is a password: it must not live for years


class CliError(Exception):
    """A user-facing failure; printed as one line."""


def _data_dir(args: argparse.Namespace) -> Path:
    return Path(args.data or os.environ.get("KIOSK_SERVER_DATA") or "server-data")


def _admin(args: argparse.Namespace) -> Any:
    from .admin import Admin

    return Admin.open(_data_dir(args))


def _out(path: str | None, data: bytes | str) -> None:
    """Write to a file (atomically) or to stdout when no path / '-' is given."""
    if path in (None, "-"):
        if isinstance(data, str):
            sys.stdout.write(data)
        else:
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
        return
    from kiosk.core.paths import atomic_write

    atomic_write(Path(path), data.encode() if isinstance(data, str) else data)


# -- commands --------------------------------------------------------------------------
def cmd_init(args: argparse.Namespace) -> None:
    from .admin import Admin

    admin = Admin.init(_data_dir(args), database_url=args.database_url)
    kid = admin.keys()[0]["kid"]
    print(f"Initialised {admin.data_dir} (badge key {kid}; admin token in "
          f"{admin.data_dir / 'admin_token'}).")


def cmd_add_key(args: argparse.Namespace) -> None:
    kid = _admin(args).add_key()
    print(f"Added badge key {kid}; new badges are signed with it, older keys still verify.")


def cmd_retire_key(args: argparse.Namespace) -> None:
    _admin(args).retire_key(args.kid)
    print(f"Retired badge key {args.kid}; badges signed with it are now refused.")


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from .admin import Admin
    from .app import create_app
    from .runner import check_tls_files, listening_socket, server_config

    data = _data_dir(args)
    Admin.open(data).close()  # a clear error for a missing or bad data folder
    cert = Path(args.tls_cert) if args.tls_cert else None
    key = Path(args.tls_key) if args.tls_key else None
    problem = check_tls_files(cert, key)
    if problem:
        raise CliError(problem)
    from .proxies import parse_proxies

    try:
        parse_proxies(args.trusted_proxy or ())
    except ValueError as exc:
        raise CliError(str(exc)) from None
    try:
        sock = listening_socket(args.host, args.port)
    except OSError as exc:
        raise CliError(f"cannot listen on {args.host}:{args.port} ({exc.strerror or exc}); "
                       "choose another --port or --host, or stop what uses it") from None
    host = f"[{args.host}]" if ":" in args.host else args.host
    base = f"{'https' if cert else 'http'}://{host}:{sock.getsockname()[1]}"
    workers = f", {args.workers} worker processes" if args.workers > 1 else ""
    print(f"Serving {data} on {base} (API under /api/v1, docs at {base}/api/v1/docs{workers}). "
          f"Kiosks enrol with: kiosk enroll --server {base} --code CODE. Ctrl+C stops.",
          flush=True)
    if args.workers > 1:
        try:
            _serve_workers(data, args, sock, cert, key)
        finally:
            sock.close()
        return
    app = create_app(data, admin_open_on_loopback=not args.admin_token_always,
                     trusted_proxies=args.trusted_proxy or ())
    try:
        uvicorn.Server(server_config(app, args.log_level, args.access_log, tls_cert=cert,
                                     tls_key=key)).run(sockets=[sock])
    finally:
        sock.close()
        app.state.engine.dispose()


def _serve_workers(data: Path, args: argparse.Namespace, sock: Any,
                   cert: Path | None, key: Path | None) -> None:
    """N processes accept on one socket; uvicorn's supervisor restarts one that dies.

    They share nothing but the database (nonces, terminals, punches), so N processes
    behave as one server; each builds its app from the environment (app_from_env).
    """
    import inspect

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from .app import ADMIN_TOKEN_ALWAYS_ENV, DATA_ENV, TRUSTED_PROXIES_ENV
    from .runner import server_config

    os.environ[DATA_ENV] = str(data.resolve())
    os.environ[ADMIN_TOKEN_ALWAYS_ENV] = "1" if args.admin_token_always else "0"
    os.environ[TRUSTED_PROXIES_ENV] = ",".join(args.trusted_proxy or ())
    options: dict[str, Any] = {"factory": True, "workers": args.workers}
    if "timeout_worker_healthcheck" in inspect.signature(uvicorn.Config).parameters:
        options["timeout_worker_healthcheck"] = 60  # a busy 2-core box starts workers slowly
    config = server_config("server_stub.app:app_from_env", args.log_level, args.access_log,
                           tls_cert=cert, tls_key=key, **options)
    # uvicorn < 0.36 wants the target; later ones build it (a Server per process) themselves.
    older = "target" in inspect.signature(Multiprocess).parameters
    extra = {"target": uvicorn.Server(config).run} if older else {}
    Multiprocess(config, sockets=[sock], **extra).run()


def cmd_migrate(args: argparse.Namespace) -> None:
    from .store import engine as store_engine
    from .store import migrate

    engine = store_engine.open_engine(_data_dir(args))
    try:
        st = migrate.upgrade(engine)
    finally:
        engine.dispose()
    if st.current == st.head:
        print(f"The database is at revision {st.head} already; nothing to do.")
    elif st.current is None:
        print(f"Created the schema (revision {st.head}) in the empty database.")
    else:
        print(f"Migrated the database from revision {st.current} to {st.head}.")


def cmd_add_site(args: argparse.Namespace) -> None:
    _admin(args).add_site(args.code, args.name, args.timezone)
    print(f"Added site {args.code} ({args.timezone}).")


def cmd_add_shift(args: argparse.Namespace) -> None:
    _admin(args).add_shift(args.name, args.start, args.end, args.grace, args.days,
                           min_presence_min=args.min_presence,
                           overtime_after_min=args.overtime_after, auto_close=args.auto_close)
    print(f"Added shift {args.name} {args.start}-{args.end}, grace {args.grace} min, {args.days}"
          f"{', auto-close at shift end' if args.auto_close else ''}.")


def cmd_add_employee(args: argparse.Namespace) -> None:
    _admin(args).add_employee(args.employee_id, args.name, args.site, args.shift)
    print(f"Added employee {args.employee_id}.")


def cmd_import_employees(args: argparse.Namespace) -> None:
    n = _admin(args).import_employees_csv(Path(args.csv))
    print(f"Imported {n} employee(s) (added or updated).")


def cmd_employees(args: argparse.Namespace) -> None:
    rows = _admin(args).employees(args.site)
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = [(r["employee_id"], r["name"], r["site"], r["shift"] or "-",
              "yes" if r["active"] else "no") for r in rows]
    if not rows:
        print("No employees yet: add them with 'kiosk-server add-employee' or "
              "'import-employees'.", file=sys.stderr)
        return
    _print_table(("ID", "NAME", "SITE", "SHIFT", "ACTIVE"), table)
    print(f"{len(rows)} employee(s).", file=sys.stderr)


def cmd_deactivate_employee(args: argparse.Namespace) -> None:
    _admin(args).set_employee_active(args.employee_id, False)
    print(f"Employee {args.employee_id} deactivated; their punches are now refused.")


def cmd_issue_badge(args: argparse.Namespace) -> None:
    from .badge_print import PrintableBadge, badge_png

    admin = _admin(args)
    b = admin.issue_badge(args.employee_id, args.days)
    if args.png:
        name = _employee_name(admin, args.employee_id)
        _out(args.png, badge_png(PrintableBadge(name, args.employee_id, b.badge_id, b.token)))
        print(f"badge {b.badge_id} written to {args.png}", file=sys.stderr)
    print(b.token, file=sys.stderr if args.png == "-" else sys.stdout)


def cmd_print_badges(args: argparse.Namespace) -> None:
    from sqlalchemy import select

    from . import db
    from .badge_print import PrintableBadge, sheet_html, sheet_png

    out = Path(args.out)
    admin = _admin(args)
    e = db.employees.c
    q = select(e.employee_id, e.name).where(e.active.is_(True)).order_by(e.employee_id)
    if args.site:
        q = q.where(e.site == args.site)
    if args.employees:
        q = q.where(e.employee_id.in_(args.employees))
    with admin.engine.connect() as conn:
        staff = list(conn.execute(q))
    if not staff:
        raise CliError("no matching active employees; check --site and --employees "
                       "with 'kiosk-server employees'")
    badges = []
    for emp_id, name in staff:
        b = admin.issue_badge(emp_id, args.days)
        badges.append(PrintableBadge(name, emp_id, b.badge_id, b.token))
    if out.suffix.lower() == ".html":
        _out(args.out, sheet_html(badges))
    else:
        _out(args.out, sheet_png(badges, args.columns))
    print(f"Issued {len(badges)} badge(s); sheet written to {out}.")


def cmd_revoke_badge(args: argparse.Namespace) -> None:
    _admin(args).revoke_badge(args.badge_id)
    print(f"Revoked badge {args.badge_id}.")


def cmd_add_terminal(args: argparse.Namespace) -> None:
    if args.qr and not args.url:
        raise CliError("--qr needs --url: the server address the terminal should enrol with")
    text = None
    if args.qr:
        try:
            text = enrolment_text(args.url, "X")  # the address checked before the terminal exists
        except EnrolmentCodeError:
            raise CliError("--url must be an http:// or https:// address") from None
    code = _admin(args).add_terminal(args.name, args.site, args.valid_days)
    print(code)
    print(f"One-time enrolment code for '{args.name}' at {args.site}, valid "
          f"{args.valid_days} day(s).", file=sys.stderr)
    if args.qr and text is not None:
        from server_stub.badge_print import enrolment_png

        _out(args.qr, enrolment_png(enrolment_text(args.url, code), f"{args.name} ({args.site})"))
        print(f"Enrolment QR written to {args.qr}: scan it on the terminal's enrolment screen "
              "(camera or wedge scanner). It holds the code: handle it like the code.",
              file=sys.stderr)


def cmd_revoke_terminal(args: argparse.Namespace) -> None:
    _admin(args).revoke_terminal(args.terminal_id)
    print(f"Revoked terminal {args.terminal_id}; its uploads are refused from now on.")


def cmd_command(args: argparse.Namespace) -> None:
    text = " ".join(args.text) if args.text else None
    if args.command_name == "message" and not text:
        raise CliError("the message command needs the text to show, e.g. "
                       "'kiosk-server command T1 message Fire drill at 11:00'")
    command_id = _admin(args).send_command(args.terminal_id, args.command_name, text)
    print(f"Command {command_id} ({args.command_name}) queued for {args.terminal_id}; it is "
          "pushed at once if the terminal is connected ('kiosk-server commands' shows its "
          "acknowledgement).")


def cmd_commands(args: argparse.Namespace) -> None:
    rows = _admin(args).commands(args.terminal_id, args.limit)
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        print("No commands sent yet.", file=sys.stderr)
        return
    _print_table(("ID", "TERMINAL", "COMMAND", "SENT", "BY", "STATE", "ANSWER"), [
        (str(r["id"]), r["terminal_id"], r["command"], _when_ts(r["at"]), r["actor"] or "-",
         r["state"], (r["ack_status"] or "") + (f": {r['ack_detail']}" if r["ack_detail"] else ""))
        for r in rows])


def _when_ts(value: float | None) -> str:
    from datetime import datetime, timezone

    if value is None:
        return "-"
    return _when(datetime.fromtimestamp(value, tz=timezone.utc).isoformat())


def cmd_diagnostics(args: argparse.Namespace) -> None:
    name, data = _admin(args).diagnostics(args.terminal_id)
    out = args.out or name
    _out(out, data)
    if out != "-":
        print(f"Wrote {out} ({len(data)} bytes).", file=sys.stderr)


def cmd_terminals(args: argparse.Namespace) -> None:
    rows = _admin(args).terminals()
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = []
    for t in rows:
        gaps = ",".join(f"{a}-{b}" if a != b else str(a) for a, b in t["seq_gaps"]) or "none"
        table.append((t["terminal_id"], t["name"], t["site"], t["state"],
                      t["app_version"] or "-", _when(t["last_heartbeat_at"]),
                      "-" if t["pending"] is None else str(t["pending"]),
                      _when(t["last_sync_at"]), gaps,
                      "; ".join(replacements.describe(x) for x in t["outbox_replacements"])
                      or "none"))
    if not rows:
        print("No terminals yet: add one with 'kiosk-server add-terminal NAME --site S'.",
              file=sys.stderr)
        return
    _print_table(("TERMINAL", "NAME", "SITE", "STATE", "VERSION", "LAST HEARTBEAT",
                  "PENDING", "LAST SYNC", "GAPS", "OUTBOX REPLACEMENTS"), table)


def _when(iso: str | None) -> str:
    """An ISO timestamp from the overview as ``2026-11-02 09:03:07Z`` (UTC, whole seconds)."""
    if not iso:
        return "never"
    from datetime import datetime

    return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Columns padded to their widest cell, a header row first."""
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]
    for row in (header, *rows):
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def cmd_export(args: argparse.Namespace) -> None:
    from . import export

    engine = _admin(args).engine
    if args.out in (None, "-"):  # streamed from a server-side cursor, chunk by chunk
        for chunk in export.chunks(engine, args.format):
            sys.stdout.write(chunk)
        sys.stdout.flush()
        return
    n = export.write_file(engine, Path(args.out), args.format)
    print(f"Exported {n} punch(es) to {args.out}.", file=sys.stderr)


def cmd_report(args: argparse.Namespace) -> None:
    from .reports import SUMMARY_FIELDS, to_csv

    admin = _admin(args)
    span = (args.date_from, args.date_to, args.site, args.employee)
    if args.format == "xlsx":
        if args.out in (None, "-") and sys.stdout.isatty():
            raise CliError("an Excel file is binary: give --out FILE.xlsx (or redirect stdout)")
        _out(args.out, admin.attendance_xlsx(*span))
        return
    from . import completeness

    if args.summary:
        rows, marks = admin.attendance_summary(*span), admin.report_completeness(args.site)
    else:
        rows, marks = admin.attendance_report(*span)
    if args.format == "csv":
        from .reports import REPORT_FIELDS

        _out(args.out, to_csv(rows, SUMMARY_FIELDS if args.summary else
                              REPORT_FIELDS + completeness.REPORT_FIELDS))
    else:
        _out(args.out, json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    for line in completeness.summary_lines(marks):  # stderr: the report stays machine-readable
        print(line, file=sys.stderr)


def cmd_completeness(args: argparse.Namespace) -> None:
    comp = _admin(args).completeness()
    if args.json:
        print(json.dumps(comp, indent=2, ensure_ascii=False))
        return
    print(f"company: {comp['company']['summary']}")
    for code, site in comp["sites"].items():
        print(f"site {code}: {site['summary']}")
    for t in comp["terminals"]:
        why = ", ".join(t["reasons"]) or "current"
        print(f"  {t['terminal_id']}  {t['summary']}  [{why}]")


def cmd_set_cooldown(args: argparse.Namespace) -> None:
    _admin(args).set_cooldown(args.seconds)
    print(f"Cooldown set to {args.seconds} s.")


def cmd_seed_demo(args: argparse.Namespace) -> None:
    from .demo_data import seed_demo

    seed = seed_demo(_admin(args))
    print(f"Seeded site {seed.site}; enrolment code for '{seed.terminal_name}': {seed.enrol_code}")
    for emp_id, token in seed.tokens.items():
        print(f"{emp_id}  {seed.names[emp_id]}: {token}")


def _read_password() -> str:
    """From standard input when it is not a terminal (scripts), else asked twice."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat the password: ") != first:
        raise CliError("the two passwords differ")
    return first


def _accounts(args: argparse.Namespace, change: Callable[..., None], action: str) -> None:
    """Run one account change and its audit entry in one transaction."""
    from . import audit, db
    from .console import accounts

    admin = _admin(args)
    now = admin.clock.now().timestamp()
    role = getattr(args, "role", None)
    try:
        with db.write_txn(admin.engine) as conn:
            change(conn, accounts, now)
            audit.record(conn, at=now, actor="cli", action=action, target=args.username,
                         detail={"role": role} if role else None)
    except accounts.AccountError as exc:
        raise CliError(str(exc)) from None
    finally:
        admin.close()


def cmd_add_admin(args: argparse.Namespace) -> None:
    from .console.accounts import (
        AccountError,
        check_password,
        check_username,
        parse_role,
    )

    try:  # refuse a bad name or role before asking for a password
        role = parse_role(args.role)
        check_username(args.username)
        password = check_password(_read_password())
    except AccountError as exc:
        raise CliError(str(exc)) from None
    _accounts(args, lambda conn, acc, now: acc.add_admin(
        conn, args.username, role, password, now), "admin_added")
    print(f"Added console account {args.username} ({role.value}).")


def cmd_set_password(args: argparse.Namespace) -> None:
    from .console.accounts import AccountError, check_password

    try:
        password = check_password(_read_password())
    except AccountError as exc:
        raise CliError(str(exc)) from None
    _accounts(args, lambda conn, acc, now: acc.set_password(conn, args.username, password, now),
              "password_set")
    print(f"Password of {args.username} changed; its open sessions have ended.")


def cmd_remove_admin(args: argparse.Namespace) -> None:
    _accounts(args, lambda conn, acc, _now: acc.remove_admin(conn, args.username), "admin_removed")
    print(f"Removed console account {args.username}.")


def cmd_admins(args: argparse.Namespace) -> None:
    from .console.accounts import list_admins

    admin = _admin(args)
    for a in list_admins(admin.engine):
        print(f"{a.username}\t{a.role.value}")
    admin.close()


def sheet_file(text: str) -> str:
    """argparse type for print-badges --out: a writable .png or .html file."""
    if Path(text).suffix.lower() not in (".html", ".png"):
        raise argparse.ArgumentTypeError(f"{text} must end in .png or .html (the sheet's "
                                         "format)")
    return output_file(text)


def cmd_audit(args: argparse.Namespace) -> None:
    from datetime import datetime, time

    from .audit import entries

    since = None
    if args.since:
        since = datetime.combine(args.since, time(), tzinfo=UTC).timestamp()
    rows = entries(_admin(args).engine, since=since, action=args.action, limit=args.limit)
    if args.json:
        print(json.dumps([{**r.__dict__, "at": datetime.fromtimestamp(r.at, UTC).isoformat()}
                          for r in rows], indent=2, ensure_ascii=False))
        return
    for r in rows:
        when = datetime.fromtimestamp(r.at, UTC).isoformat(timespec="seconds")
        detail = " ".join(f"{k}={v}" for k, v in sorted(r.detail.items()))
        print(f"{when}  {r.action:20} {r.actor:20} client={r.client or '-'} "
              f"target={r.target or '-'} {detail}".rstrip())
    if not rows:
        print("no audit entries", file=sys.stderr)


def _employee_name(admin: Any, employee_id: str) -> str:
    from sqlalchemy import select

    from . import db

    with admin.engine.connect() as conn:
        name: str = conn.execute(select(db.employees.c.name).where(
            db.employees.c.employee_id == employee_id)).scalar_one()
        return name


# -- parser ----------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    common = OneLineParser(add_help=False)
    common.add_argument("--data", metavar="DIR",
                        help="server data folder (default: $KIOSK_SERVER_DATA or ./server-data)")
    parser = OneLineParser(
        prog=PROG, description="Admin tool for the check-in kiosk server: one data folder "
        "(database, badge keys, admin token) per server. 'kiosk-server COMMAND --help' "
        "explains each command.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)

    def add(name: str, func: Callable[[argparse.Namespace], None], help_: str,
            description: str = "") -> argparse.ArgumentParser:
        text = description or help_
        p = sub.add_parser(name, parents=[common], help=help_,
                           description=text[0].upper() + text[1:] + ("" if text.endswith(".") else "."))
        p.set_defaults(func=func)
        return p

    p = add("init", cmd_init, "create a data folder: database, badge signing key, admin token")
    p.add_argument("--database-url", metavar="URL", type=database_url,
                   help="SQLAlchemy URL of the database, e.g. postgresql+psycopg://user@host/db "
                        "(default: an SQLite file in the data folder)")
    add("add-key", cmd_add_key, "add a badge signing key (rotation); it signs new badges")
    p = add("retire-key", cmd_retire_key, "stop trusting a badge key")
    p.add_argument("kid", help="the key id, e.g. k1 (see the badge key in 'init' and 'add-key')")
    p = add("serve", cmd_serve, "run the HTTP server (terminal API under /api/v1)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (0.0.0.0: every interface)")
    p.add_argument("--port", type=port_number, default=8765,
                   help="TCP port, 1-65535 (0: any free port)")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"],
                   help="server log detail")
    p.add_argument("--access-log", action="store_true", help="log every request")
    p.add_argument("--admin-token-always", action="store_true",
                   help="require the admin token for reports/overview even from loopback")
    p.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS with this PEM certificate "
                   "(chain)")
    p.add_argument("--tls-key", metavar="FILE", help="the PEM private key of --tls-cert")
    p.add_argument("--trusted-proxy", metavar="ADDR", action="append",
                   help="a reverse proxy (address or network, repeatable) whose "
                        "X-Forwarded-For names the client; admin endpoints then always "
                        "need the token")
    p.add_argument("--workers", type=int_range(1, 64, "workers"), default=1, metavar="N",
                   help="server processes on this port (they share only the database)")
    add("migrate", cmd_migrate, "upgrade the database schema to this version (run once after an "
        "upgrade, with the servers stopped or not: replicas refuse an older schema)")
    p = add("add-site", cmd_add_site, "add a site (a place with its own timezone)")
    p.add_argument("code", help="short code, 1-32 of A-Z a-z 0-9 _ - (case matters), e.g. HQ")
    p.add_argument("name", help="display name, e.g. 'Head office'")
    p.add_argument("--timezone", required=True, metavar="ZONE",
                   help="IANA timezone of the site, e.g. Europe/Berlin or UTC (shift times "
                        "and work days are local to it)")
    p = add("add-shift", cmd_add_shift, "add a shift (site-local times; end <= start = night shift)")
    p.add_argument("name", help="shift name, 1-32 of A-Z a-z 0-9 _ -, e.g. day")
    p.add_argument("--start", default="09:00", metavar="HH:MM", help="start, site-local")
    p.add_argument("--end", default="17:00", metavar="HH:MM",
                   help="end, site-local (before the start: ends the next day)")
    p.add_argument("--grace", type=int_range(0, 240, "minutes"), default=5, metavar="MIN",
                   help="minutes late still counted on time")
    p.add_argument("--days", default="mon-fri", help="work days, e.g. mon-fri, all, mon,wed")
    p.add_argument("--min-presence", type=int, default=30, metavar="MIN",
                   help="a punch this soon after the check-in is a repeat")
    p.add_argument("--overtime-after", type=int, default=30, metavar="MIN",
                   help="overtime counts once worked time exceeds the shift by this")
    p.add_argument("--auto-close", action="store_true",
                   help="close a day without check-out at shift end (marked auto_closed)")
    p = add("add-employee", cmd_add_employee, "add an employee")
    p.add_argument("employee_id", help="employee id, 1-32 of A-Z a-z 0-9 _ -, e.g. E1001")
    p.add_argument("name", help="full name as the kiosk shows it")
    p.add_argument("--site", required=True, help="site code (see add-site)")
    p.add_argument("--shift", help="shift name (see add-shift); none: no lateness rules")
    p = add("import-employees", cmd_import_employees,
            "add or update employees from a CSV (employee_id,name,site[,shift])",
            "add or update employees from a CSV file whose first line names the columns "
            "employee_id,name,site and optionally shift (comma, semicolon or tab separated, "
            "UTF-8). Every row is checked first: one bad row and nothing is imported")
    p.add_argument("csv", help="the CSV file")
    p = add("employees", cmd_employees, "list employees (id, name, site, shift, active)")
    p.add_argument("--site", help="only this site")
    p.add_argument("--json", action="store_true", help="a JSON list instead of a table")
    p = add("deactivate-employee", cmd_deactivate_employee, "mark an employee as gone")
    p.add_argument("employee_id", help="employee id (see 'employees')")
    p = add("issue-badge", cmd_issue_badge, "issue a badge; prints the token")
    p.add_argument("employee_id", help="employee id (see 'employees')")
    p.add_argument("--days", type=int_range(1, 3650, "days"), default=365,
                   help="validity in days")
    p.add_argument("--png", metavar="FILE", type=output_file,
                   help="also write the badge as a PNG ('-': stdout)")
    p = add("print-badges", cmd_print_badges,
            "issue a badge for each matching employee and write one printable sheet")
    p.add_argument("--out", required=True, type=sheet_file, metavar="FILE",
                   help="sheet.png or sheet.html")
    p.add_argument("--site", help="only employees of this site (default: every site)")
    p.add_argument("--employees", nargs="+", metavar="ID", help="only these employee ids")
    p.add_argument("--days", type=int_range(1, 3650, "days"), default=365,
                   help="validity in days")
    p.add_argument("--columns", type=int_range(1, 10), default=3,
                   help="badges per row on a PNG sheet")
    p = add("revoke-badge", cmd_revoke_badge, "revoke a badge (lost, stolen)")
    p.add_argument("badge_id", help="badge id, e.g. b1a2b3c4 (printed on the badge)")
    p = add("add-terminal", cmd_add_terminal, "register a terminal; prints its one-time enrolment code")
    p.add_argument("name", help="terminal name, e.g. 'Front door'")
    p.add_argument("--site", required=True, help="site code (see add-site)")
    p.add_argument("--valid-days", type=int_range(1, MAX_CODE_DAYS, "days"), default=7,
                   metavar="DAYS", help="days the enrolment code can be used")
    p.add_argument("--qr", metavar="FILE.png", type=output_file,
                   help="also write an enrolment QR (server address + code) for the terminal to scan")
    p.add_argument("--url", help="the server address the terminal enrols with (needed with --qr)")
    p = add("revoke-terminal", cmd_revoke_terminal, "revoke a terminal")
    p.add_argument("terminal_id", help="terminal id (see 'terminals')")
    p = add("terminals", cmd_terminals, "terminal overview: heartbeat, version, pending, gaps")
    p.add_argument("--json", action="store_true", help="every field as JSON")
    p = add("command", cmd_command,
            "ask a terminal to sync now, reload its roster, send diagnostics or show a message",
            "ask a terminal to sync now (sync), reload its roster (reload), upload its "
            "diagnostics bundle (diagnostics; then 'kiosk-server diagnostics TERMINAL'), or "
            "show a message on its idle screen (message TEXT); pushed at once when connected, "
            "audited, acknowledged by the terminal")
    p.add_argument("terminal_id", help="terminal id (see 'terminals')")
    p.add_argument("command_name", metavar="COMMAND",
                   choices=["sync", "reload", "diagnostics", "message"],
                   help="sync, reload, diagnostics or message")
    p.add_argument("text", nargs="*", help="message: the text to show (1-200 characters)")
    p = add("commands", cmd_commands, "commands sent to terminals and their acknowledgements")
    p.add_argument("terminal_id", nargs="?", help="only this terminal")
    p.add_argument("--limit", type=int_range(1, 1000, "commands"), default=50,
                   help="newest N commands")
    p.add_argument("--json", action="store_true", help="every field as JSON")
    p = add("diagnostics", cmd_diagnostics,
            "download the newest diagnostics bundle a terminal uploaded")
    p.add_argument("terminal_id", help="terminal id (see 'terminals')")
    p.add_argument("--out", type=output_file, metavar="FILE",
                   help="zip file ('-': stdout; default: diagnostics_TERMINAL_TIME.zip)")
    p = add("completeness", cmd_completeness,
            "up to when every punch is here: company, sites, terminals (and why not)")
    p.add_argument("--json", action="store_true", help="every field as JSON")
    p = add("export", cmd_export, "export all punches as JSON lines (or CSV), streamed")
    p.add_argument("--out", type=output_file, metavar="FILE", help="file (default: stdout)")
    p.add_argument("--format", choices=("jsonl", "csv"), default="jsonl",
                   help="jsonl (one JSON object a line, the default) or csv")
    p = add("report", cmd_report, "attendance per work day and employee")
    p.add_argument("--from", dest="date_from", required=True, type=iso_date,
                   metavar="YYYY-MM-DD", help="first work day")
    p.add_argument("--to", dest="date_to", required=True, type=iso_date,
                   metavar="YYYY-MM-DD", help="last work day (at most 367 days after --from)")
    p.add_argument("--site", help="only this site code (case matters)")
    p.add_argument("--employee", metavar="ID", help="only this employee id")
    p.add_argument("--format", choices=["csv", "json", "xlsx"], default="csv",
                   help="output format; xlsx: a Summary and a Days sheet (needs --out or a redirect)")
    p.add_argument("--summary", action="store_true",
                   help="csv/json: one row per employee with the range's totals")
    p.add_argument("--out", type=output_file, metavar="FILE", help="file (default: stdout)")
    p = add("set-cooldown", cmd_set_cooldown, "seconds a terminal ignores a repeated badge")
    p.add_argument("seconds", type=int_range(0, 3600, "seconds"), help="0-3600")
    p = add("add-admin", cmd_add_admin,
            "add a web console account (password from stdin, or asked twice on a terminal)")
    p.add_argument("username", help="1-64 of a-z 0-9 . _ -")
    p.add_argument("--role", required=True, choices=["hr", "it", "viewer"],
                   help="hr: staff, attendance, corrections; it: terminals; viewer: read only")
    p = add("set-password", cmd_set_password, "change a console account's password")
    p.add_argument("username", help="the account")
    p = add("remove-admin", cmd_remove_admin, "remove a console account (its sessions end)")
    p.add_argument("username", help="the account")
    add("admins", cmd_admins, "list the console accounts and their roles")
    add("seed-demo", cmd_seed_demo, "add sample site, shifts, staff, badges and a terminal code")
    p = add("audit", cmd_audit, "the audit trail, newest first: failed enrolments, signatures, "
                                "admin tokens, and admin actions")
    p.add_argument("--action", help="only this action, e.g. enroll_failed")
    p.add_argument("--since", type=iso_date, metavar="YYYY-MM-DD",
                   help="only entries from this day on (UTC)")
    p.add_argument("--limit", type=int_range(1, 100_000), default=50, help="newest N entries")
    p.add_argument("--json", action="store_true", help="a JSON list instead of lines")
    from . import cli_backup, cli_hr

    cli_backup.register(add)
    cli_hr.register(add, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_BAD_ARGUMENT
    return guarded(PROG, lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    from .admin import AdminError
    from .datadir import DataDirError
    from .problems import Refused
    from .store.migrate import SchemaError

    try:
        args.func(args)
    except (AdminError, DataDirError, CliError, Refused, SchemaError) as exc:
        return fail(PROG, str(exc))
    except SQLAlchemyError as exc:
        return fail(PROG, f"database problem ({exc.__class__.__name__}); check that the "
                          f"database in {_data_dir(args)}/server.json is running and reachable")
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        return fail(PROG, f"{exc.strerror or exc}{where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
