"""Today's rows of people, written in Python rather than a Jinja loop, and kept.

With 2,000 people the template's loop (a macro call, attribute lookups, escaping and two
``strftime`` per row) cost more than computing Today; this writes the same markup with
f-strings and markupsafe's C escape, one short ``<li>`` per person. :class:`Rows` keeps
each row while its person is the same object (:class:`today.Memo` hands back the same
``Person`` until that person's inputs change), so a change re-writes only its own rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from markupsafe import Markup, escape

from .today import Person


def _hm(when: datetime | None) -> str:
    return f"{when.hour:02d}:{when.minute:02d}" if when is not None else ""


def _writer(kind: str, gettext: Callable[[str], str]) -> Callable[[Person], str]:
    """The function writing one person's ``<li>`` in list ``kind`` in the given language."""
    if kind == "in":
        label = escape(gettext("Check-in"))

        def detail(p: Person) -> str:
            return f"{label} {_hm(p.check_in)}" if p.check_in else ""
    elif kind == "late":
        late_by, minutes = escape(gettext("late by")), escape(gettext("min"))

        def detail(p: Person) -> str:
            return (f"{late_by} <b>{p.late_min}</b> {minutes} ({_hm(p.check_in)} / "
                    f"{escape(p.shift_start or '')})")
    elif kind == "left":
        def detail(p: Person) -> str:
            return f"{_hm(p.check_in)}–{_hm(p.check_out)}"
    elif kind == "leave":
        def detail(p: Person) -> str:  # "sick: flu": the kind in the reader's language
            leave_kind, colon, note = p.note.partition(": ")
            return str(escape(gettext(leave_kind) + colon + note))
    else:
        started, starts = escape(gettext("shift started")), escape(gettext("shift starts"))
        no_shift = escape(gettext("no shift"))

        def detail(p: Person) -> str:
            if not p.shift_start:
                return str(no_shift)
            return f"{started if p.started else starts} {escape(p.shift_start)}"

    def row(p: Person) -> str:
        emp = escape(p.employee_id)
        return (f'<li data-employee="{emp}">{escape(p.name)} <i>{emp}</i> '
                f'<small>{detail(p)}</small></li>')

    return row


class Rows:
    """Written rows per (site, list, language), each kept with the ``Person`` it shows."""

    def __init__(self) -> None:
        self._kept: dict[tuple[str, str, str], dict[str, tuple[Person, str]]] = {}

    def people(self, site: str, rows: Sequence[Person], kind: str,
               gettext: Callable[[str], str], lang: str) -> Markup:
        """The ``<li>`` of each person of one of a site's lists (``kind``: in, late, left,
        leave, not_in)."""
        before = self._kept.get((site, kind, lang), {})
        now: dict[str, tuple[Person, str]] = {}
        write = None
        for p in rows:
            got = before.get(p.employee_id)
            if got is None or got[0] is not p:
                write = write or _writer(kind, gettext)
                got = (p, write(p))
            now[p.employee_id] = got
        self._kept[(site, kind, lang)] = now
        return Markup("\n".join(li for _, li in now.values()))
