"""Reading the staff CSV for ``import-employees``: the mistakes spreadsheets make, named.

A spreadsheet saved in a European locale separates with ``;``, some exports use tabs, a
hand-written file may lack the header line, and Excel adds a byte-order mark. Each gets
either handled (delimiter, BOM, header case and spaces) or one sentence that says how to
fix the file.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

REQUIRED = ("employee_id", "name", "site")
COLUMNS = (*REQUIRED, "shift")
DELIMITERS = (",", ";", "\t", "|")
HEADER_HINT = "its first line must name the columns: employee_id,name,site[,shift]"


def _column(name: str) -> str:
    return name.strip().lower().replace(" ", "_")


def _delimiter(header: str) -> str:
    """The separator whose split of the header names the most known columns."""
    def known(d: str) -> int:
        return len({_column(c) for c in header.split(d)} & set(COLUMNS))

    return max(DELIMITERS, key=lambda d: (known(d), d == ","))


def read_rows(path: Path) -> list[tuple[int, dict[str, str | None]]]:
    """``(line number, {employee_id, name, site, shift})`` per data row, values stripped.

    Raises :class:`~server_stub.admin.AdminError` naming the file and the fix.
    """
    from .admin import AdminError

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AdminError(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse_rows(data, str(path))


def parse_rows(data: bytes, path: str) -> list[tuple[int, dict[str, str | None]]]:
    """:func:`read_rows` for bytes already in hand (an upload); ``path`` names it in errors."""
    from .admin import AdminError

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AdminError(f"{path} is not UTF-8 text; save it again as 'CSV UTF-8'") from None
    lines = text.splitlines()
    header = next((line for line in lines if line.strip()), None)
    if header is None:
        raise AdminError(f"{path} is empty; {HEADER_HINT}")
    delimiter = _delimiter(header)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        names = [_column(c) for c in next(r for r in reader if any(x.strip() for x in r))]
        missing = [c for c in REQUIRED if c not in names]
        if missing:
            if not set(names) & set(COLUMNS):
                raise AdminError(f"{path} has no header line; {HEADER_HINT}")
            seen = ", ".join(repr(n) for n in names[:6])
            raise AdminError(f"{path} lacks the column(s) {', '.join(missing)} (its first line "
                             f"has {seen}); {HEADER_HINT}, separated by commas, semicolons "
                             "or tabs")
        rows: list[tuple[int, dict[str, str | None]]] = []
        for raw in reader:
            if not any(x.strip() for x in raw):
                continue
            cells = dict(zip(names, raw, strict=False))  # a short row: blanks
            row: dict[str, str | None] = {c: (cells.get(c) or "").strip() for c in REQUIRED}
            row["shift"] = (cells.get("shift") or "").strip() or None
            rows.append((reader.line_num, row))
    except csv.Error as exc:
        raise AdminError(f"{path} line {reader.line_num}: {exc}; check the quotes") from None
    if not rows:
        raise AdminError(f"{path} has a header line but no employees below it")
    return rows
