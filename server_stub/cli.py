"""``kiosk-server``: the admin command line (``python -m server_stub.cli``).

Every command works on one data folder (``--data``, default ``$KIOSK_SERVER_DATA`` or
``./server-data``). Errors are printed as one line on stderr with a non-zero exit; no
traceback reaches the user.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from sqlalchemy.exc import SQLAlchemyError

from kiosk.core.protocol.enrolment import EnrolmentCodeError, enrolment_text

PROG = "kiosk-server"


class CliError(Exception):
    """A user-facing failure; printed as one line."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (plus the hint to use --help)."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see --help)\n")
        raise SystemExit(2)


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

    from .app import create_app
    from .runner import listening_socket, server_config

    data = _data_dir(args)
    from .admin import Admin

    Admin.open(data).close()  # a clear error for a missing or bad data folder
    app = create_app(data, admin_open_on_loopback=not args.admin_token_always)
    sock = listening_socket(args.host, args.port)
    print(f"Serving {data} on http://{args.host}:{args.port} (API under /api/v1, "
          f"docs at /api/v1/docs). Ctrl+C stops.", flush=True)
    try:
        uvicorn.Server(server_config(app, args.log_level, args.access_log)).run(sockets=[sock])
    finally:
        sock.close()
        app.state.engine.dispose()


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
    print(f"Imported {n} employee(s).")


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
        raise CliError("no matching active employees")
    badges = []
    for emp_id, name in staff:
        b = admin.issue_badge(emp_id, args.days)
        badges.append(PrintableBadge(name, emp_id, b.badge_id, b.token))
    out = Path(args.out)
    if out.suffix.lower() == ".html":
        _out(args.out, sheet_html(badges))
    elif out.suffix.lower() == ".png":
        _out(args.out, sheet_png(badges, args.columns))
    else:
        raise CliError("--out must end in .png or .html")
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


def cmd_terminals(args: argparse.Namespace) -> None:
    rows = _admin(args).terminals()
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for t in rows:
        gaps = ",".join(f"{a}-{b}" if a != b else str(a) for a, b in t["seq_gaps"]) or "none"
        print(f"{t['terminal_id']}  {t['name']!r:20} {t['site']:8} {t['state']:18} "
              f"pending={t['pending']} last_sync={t['last_sync_at']} gaps={gaps}")


def cmd_export(args: argparse.Namespace) -> None:
    rows = _admin(args).export_punches()
    _out(args.out, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    if args.out not in (None, "-"):
        print(f"Exported {len(rows)} punch(es) to {args.out}.", file=sys.stderr)


def cmd_report(args: argparse.Namespace) -> None:
    from .reports import to_csv

    rows = _admin(args).attendance(args.date_from, args.date_to, args.site, args.employee)
    if args.format == "csv":
        _out(args.out, to_csv(rows))
    else:
        _out(args.out, json.dumps(rows, indent=2, ensure_ascii=False) + "\n")


def cmd_set_cooldown(args: argparse.Namespace) -> None:
    _admin(args).set_cooldown(args.seconds)
    print(f"Cooldown set to {args.seconds} s.")


def cmd_seed_demo(args: argparse.Namespace) -> None:
    from .demo_data import seed_demo

    seed = seed_demo(_admin(args))
    print(f"Seeded site {seed.site}; enrolment code for '{seed.terminal_name}': {seed.enrol_code}")
    for emp_id, token in seed.tokens.items():
        print(f"{emp_id}  {seed.names[emp_id]}: {token}")


def _employee_name(admin: Any, employee_id: str) -> str:
    from sqlalchemy import select

    from . import db

    with admin.engine.connect() as conn:
        return conn.execute(select(db.employees.c.name).where(
            db.employees.c.employee_id == employee_id)).scalar_one()


# -- parser ----------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data", metavar="DIR",
                        help="server data folder (default: $KIOSK_SERVER_DATA or ./server-data)")
    parser = _Parser(prog=PROG, description="Admin tool for the check-in kiosk server.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def add(name: str, func: Callable[[argparse.Namespace], None], help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help_, description=help_)
        p.set_defaults(func=func)
        return p

    p = add("init", cmd_init, "create a data folder: database, badge signing key, admin token")
    p.add_argument("--database-url", help="any SQLAlchemy URL (default: SQLite file in the folder)")
    add("add-key", cmd_add_key, "add a badge signing key (rotation); it signs new badges")
    p = add("retire-key", cmd_retire_key, "stop trusting a badge key")
    p.add_argument("kid")
    p = add("serve", cmd_serve, "run the HTTP server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.add_argument("--access-log", action="store_true", help="log every request")
    p.add_argument("--admin-token-always", action="store_true",
                   help="require the admin token for reports/overview even from loopback")
    p = add("add-site", cmd_add_site, "add a site")
    p.add_argument("code")
    p.add_argument("name")
    p.add_argument("--timezone", default="UTC", help="IANA name, e.g. Europe/Berlin")
    p = add("add-shift", cmd_add_shift, "add a shift (site-local times; end <= start = night shift)")
    p.add_argument("name")
    p.add_argument("--start", default="09:00")
    p.add_argument("--end", default="17:00")
    p.add_argument("--grace", type=int, default=5, help="minutes late still counted on time")
    p.add_argument("--days", default="mon-fri", help="work days, e.g. mon-fri, all, mon,wed")
    p.add_argument("--min-presence", type=int, default=30, metavar="MIN",
                   help="a punch this soon after the check-in is a repeat (default 30)")
    p.add_argument("--overtime-after", type=int, default=30, metavar="MIN",
                   help="overtime counts once worked time exceeds the shift by this (default 30)")
    p.add_argument("--auto-close", action="store_true",
                   help="close a day without check-out at shift end (marked auto_closed)")
    p = add("add-employee", cmd_add_employee, "add an employee")
    p.add_argument("employee_id")
    p.add_argument("name")
    p.add_argument("--site", required=True)
    p.add_argument("--shift")
    p = add("import-employees", cmd_import_employees,
            "add or update employees from a CSV (employee_id,name,site[,shift])")
    p.add_argument("csv")
    p = add("deactivate-employee", cmd_deactivate_employee, "mark an employee as gone")
    p.add_argument("employee_id")
    p = add("issue-badge", cmd_issue_badge, "issue a badge; prints the token")
    p.add_argument("employee_id")
    p.add_argument("--days", type=int, default=365, help="validity (default 365)")
    p.add_argument("--png", metavar="FILE", help="also write the badge as a PNG ('-': stdout)")
    p = add("print-badges", cmd_print_badges,
            "issue a badge for each matching employee and write one printable sheet")
    p.add_argument("--out", required=True, help="sheet.png or sheet.html")
    p.add_argument("--site")
    p.add_argument("--employees", nargs="+", metavar="ID")
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--columns", type=int, default=3)
    p = add("revoke-badge", cmd_revoke_badge, "revoke a badge (lost, stolen)")
    p.add_argument("badge_id")
    p = add("add-terminal", cmd_add_terminal, "register a terminal; prints its one-time enrolment code")
    p.add_argument("name")
    p.add_argument("--site", required=True)
    p.add_argument("--valid-days", type=int, default=7)
    p.add_argument("--qr", metavar="FILE.png",
                   help="also write an enrolment QR (server address + code) for the terminal to scan")
    p.add_argument("--url", help="the server address the terminal enrols with (for --qr)")
    p = add("revoke-terminal", cmd_revoke_terminal, "revoke a terminal")
    p.add_argument("terminal_id")
    p = add("terminals", cmd_terminals, "terminal overview: heartbeat, pending, sequence gaps")
    p.add_argument("--json", action="store_true")
    p = add("export", cmd_export, "export all punches as JSON lines")
    p.add_argument("--out", help="file (default: stdout)")
    p = add("report", cmd_report, "attendance per work day and employee")
    p.add_argument("--from", dest="date_from", required=True, help="YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", required=True, help="YYYY-MM-DD")
    p.add_argument("--site")
    p.add_argument("--employee")
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    p.add_argument("--out", help="file (default: stdout)")
    p = add("set-cooldown", cmd_set_cooldown, "seconds a terminal ignores a repeated badge")
    p.add_argument("seconds", type=int)
    add("seed-demo", cmd_seed_demo, "add sample site, shifts, staff, badges and a terminal code")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from .admin import AdminError
    from .datadir import DataDirError

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        args.func(args)
    except (AdminError, DataDirError, CliError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        print(f"{PROG}: error: database problem ({exc.__class__.__name__}); check --data",
              file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"{PROG}: error: {exc.strerror or exc} ({exc.filename or ''})".rstrip(" ()"),
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
