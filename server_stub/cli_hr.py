"""``kiosk-server`` commands for HR: holidays, leave and make-up punch requests.

Each command is a thin layer over :mod:`.daysoff` and :mod:`.corrections` (the same
functions the console uses); a refusal prints its one sentence (``Refused``). The acting
identity in the audit trail is ``cli``, or ``cli:NAME`` with ``--by NAME``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

AddCommand = Callable[[str, Callable[[argparse.Namespace], None], str], argparse.ArgumentParser]


def _ctx(args: argparse.Namespace) -> tuple[Any, str, datetime]:
    from .cli import _admin

    admin = _admin(args)
    by = getattr(args, "by", None)
    return admin, f"cli:{by}" if by else "cli", admin.clock.now()


def cmd_add_holiday(args: argparse.Namespace) -> None:
    from . import daysoff

    admin, actor, now = _ctx(args)
    day = daysoff.parse_date(args.date)
    daysoff.add_holiday(admin.engine, args.site, day, args.name, actor=actor, now=now)
    print(f"Added holiday {day} ({args.name}) at {args.site}.")


def cmd_import_holidays(args: argparse.Namespace) -> None:
    from . import daysoff

    admin, actor, now = _ctx(args)
    n = daysoff.import_holidays_csv(admin.engine, Path(args.csv), args.site, actor=actor, now=now)
    print(f"Imported {n} holiday(s).")


def cmd_remove_holiday(args: argparse.Namespace) -> None:
    from . import daysoff

    admin, actor, now = _ctx(args)
    day = daysoff.parse_date(args.date)
    daysoff.remove_holiday(admin.engine, args.site, day, actor=actor, now=now)
    print(f"Removed the holiday on {day} at {args.site}.")


def cmd_holidays(args: argparse.Namespace) -> None:
    from . import daysoff

    rows = daysoff.holidays(_ctx(args)[0].engine, args.site)
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for r in rows:
        print(f"{r['date']}  {r['site']:8} {r['name']}")


def cmd_add_leave(args: argparse.Namespace) -> None:
    from . import daysoff

    admin, actor, now = _ctx(args)
    d_from = daysoff.parse_date(args.date_from, "--from")
    d_to = daysoff.parse_date(args.date_to, "--to")
    daysoff.add_leave(admin.engine, args.employee_id, d_from, d_to, args.kind, args.note or "",
                      actor=actor, now=now)
    print(f"Added {args.kind} leave for {args.employee_id}, {d_from} to {d_to}.")


def cmd_leaves(args: argparse.Namespace) -> None:
    from dataclasses import asdict

    from . import daysoff

    rows = daysoff.leaves(_ctx(args)[0].engine, args.employee)
    if args.json:
        print(json.dumps([asdict(r) for r in rows], indent=2, ensure_ascii=False))
        return
    for r in rows:
        print(f"{r.employee_id:10} {r.date_from} to {r.date_to}  {r.kind:9} {r.note}")


def cmd_request(args: argparse.Namespace) -> None:
    from . import corrections, daysoff, db

    admin, actor, now = _ctx(args)
    day = daysoff.parse_date(args.date)
    with admin.engine.connect() as conn:
        tz_name = conn.execute(
            select(db.sites.c.timezone).join(db.employees, db.employees.c.site == db.sites.c.code)
            .where(db.employees.c.employee_id == args.employee_id)).scalar()
    if tz_name is None:
        from .problems import Refused

        raise Refused("unknown_employee", f"unknown employee {args.employee_id!r}")
    at = corrections.local_instant(day, args.time, ZoneInfo(tz_name))
    c = corrections.request(admin.engine, args.employee_id, at, args.direction, args.reason,
                            requested_by=actor, now=now)
    print(f"Make-up request #{c.id}: {c.employee_id} {c.direction} {c.local_time} "
          f"(work day {c.work_date}) is pending.")


def _decide(args: argparse.Namespace, approve: bool) -> None:
    from . import corrections

    admin, actor, now = _ctx(args)
    c = corrections.decide(admin.engine, args.id, approve, actor=actor, now=now,
                           note=args.note or "")
    print(f"Make-up request #{c.id} {c.status} by {c.decided_by}.")


def cmd_approve(args: argparse.Namespace) -> None:
    _decide(args, True)


def cmd_reject(args: argparse.Namespace) -> None:
    _decide(args, False)


def cmd_list(args: argparse.Namespace) -> None:
    from . import corrections

    rows = corrections.listing(_ctx(args)[0].engine, status=args.status,
                               employee_id=args.employee, site=args.site)
    if args.json:
        print(json.dumps([r.to_dict() for r in rows], indent=2, ensure_ascii=False))
        return
    for r in rows:
        decided = f" by {r.decided_by}" if r.decided_by else ""
        print(f"#{r.id:<5} {r.status:9}{decided:14} {r.employee_id:10} {r.direction:9} "
              f"{r.local_time}  {r.reason}")


def cmd_set_quota(args: argparse.Namespace) -> None:
    from sqlalchemy import update

    from . import audit, db
    from .problems import Refused

    admin, actor, now = _ctx(args)
    quota = None if args.quota.lower() in ("none", "off") else int(args.quota)
    if quota is not None and not 0 <= quota <= 100:
        raise Refused("bad_quota", "the quota must be 0-100 requests a month, or none")
    with db.write_txn(admin.engine) as conn:
        n = conn.execute(update(db.sites).where(db.sites.c.code == args.site)
                         .values(correction_quota=quota)).rowcount
        if n != 1:
            raise Refused("unknown_site", f"unknown site {args.site!r}")
        audit.record(conn, at=now.timestamp(), actor=actor, action="correction_quota_set",
                     target=args.site, detail={"quota": quota})
    print(f"Make-up requests at {args.site}: "
          f"{'no limit' if quota is None else f'{quota} per employee and month'}.")


def register(add: AddCommand, common: argparse.ArgumentParser) -> None:
    """Add the HR commands to the ``kiosk-server`` parser (``add`` from cli.build_parser)."""
    by = argparse.ArgumentParser(add_help=False)
    by.add_argument("--by", metavar="NAME", help="who acts, for the audit trail (cli:NAME)")
    p = add("add-holiday", cmd_add_holiday, "add a public holiday at a site (never absent)")
    p.add_argument("date", help="YYYY-MM-DD")
    p.add_argument("--site", required=True, help="the site code whose calendar gets the day")
    p.add_argument("--name", required=True, help="what the day is called, e.g. Christmas")
    p = add("import-holidays", cmd_import_holidays,
            "add or rename holidays from a CSV (date,name[,site])")
    p.add_argument("csv", help="the CSV file (UTF-8), header date,name[,site]")
    p.add_argument("--site", help="the site for rows without a site column")
    p = add("remove-holiday", cmd_remove_holiday, "remove a holiday")
    p.add_argument("date", help="YYYY-MM-DD")
    p.add_argument("--site", required=True, help="the site code")
    p = add("holidays", cmd_holidays, "list holidays")
    p.add_argument("--site", help="only this site")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = add("add-leave", cmd_add_leave, "add leave for an employee (both dates included)")
    p.add_argument("employee_id", help="the employee id, e.g. E1001")
    p.add_argument("--from", dest="date_from", required=True, help="first day, YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", required=True, help="last day, YYYY-MM-DD")
    p.add_argument("--kind", required=True, help="annual, sick, unpaid, parental, training, other")
    p.add_argument("--note", help="free text, at most 200 characters")
    p = add("leaves", cmd_leaves, "list leave")
    p.add_argument("--employee", metavar="ID", help="only this employee")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = add("set-correction-quota", cmd_set_quota,
            "make-up requests per employee and month at a site ('none': no limit)")
    p.add_argument("site", help="the site code")
    p.add_argument("quota", help="requests per employee and calendar month, or none")
    p = add("corrections", lambda a: a.parser.print_help(), "make-up punch requests (补卡)")
    p.set_defaults(parser=p)
    sub = p.add_subparsers(dest="action", metavar="ACTION", parser_class=type(p),
                           help="request, list, approve or reject")

    def action(name: str, func: Callable[[argparse.Namespace], None], help_: str
               ) -> argparse.ArgumentParser:
        q = sub.add_parser(name, parents=[common, by], help=help_, description=help_)
        q.set_defaults(func=func)
        return q

    q = action("request", cmd_request, "file a make-up punch (pending until approved)")
    q.add_argument("employee_id", help="the employee id, e.g. E1001")
    q.add_argument("--date", required=True, help="site-local date, YYYY-MM-DD")
    q.add_argument("--time", required=True, help="site-local time, HH:MM")
    q.add_argument("--direction", required=True, choices=["check_in", "check_out"],
                   help="the punch that is missing")
    q.add_argument("--reason", required=True, help="why, in the employee's words (1-500 chars)")
    q = action("list", cmd_list, "list requests, oldest first")
    q.add_argument("--status", choices=["pending", "approved", "rejected"], help="only these")
    q.add_argument("--employee", metavar="ID", help="only this employee")
    q.add_argument("--site", help="only employees of this site")
    q.add_argument("--json", action="store_true", help="machine-readable output")
    q = action("approve", cmd_approve, "approve a pending request; it counts in reports")
    q.add_argument("id", type=int, help="the request number (see 'corrections list')")
    q.add_argument("--note", help="a note for the record")
    q = action("reject", cmd_reject, "reject a pending request")
    q.add_argument("id", type=int, help="the request number (see 'corrections list')")
    q.add_argument("--note", help="why, for the record")
