"""Short statements for many values on PostgreSQL: one array parameter instead of N.

psycopg 3 converts every query's placeholders on the client and caches that only for
statements up to 4 KiB; an ``IN (...)`` over a batch's 100 event ids, or a 100-row
multi-VALUES ``INSERT`` with 19 columns, is far longer, so each upload re-parsed its SQL
(measured: about a third of an upload's CPU on PostgreSQL). ``= ANY(:array)`` and
``INSERT ... SELECT FROM json_populate_recordset(:rows)`` (one JSON text: the C encoder,
no per-value escaping in Python; floats travel as their shortest exact repr) are the same
short text for any batch. SQLite
keeps ``IN`` and multi-row inserts (its driver has no such cost).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, any_, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.elements import ColumnElement


def one_of(conn: Connection, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """``column IN values``; on PostgreSQL ``column = ANY(:array)`` (one parameter)."""
    if conn.dialect.name != "postgresql":
        return column.in_(set(values))  # type: ignore[no-any-return]
    array = bindparam(None, sorted(set(values)), type_=ARRAY(column.type))
    return column == any_(array)  # type: ignore[no-any-return]


def insert_new(conn: Connection, table: Table, rows: Sequence[dict[str, Any]],
               key: str) -> set[Any]:
    """Insert ``rows`` (in their order), skipping any whose key exists; returns the keys
    this statement stored (``ON CONFLICT DO NOTHING ... RETURNING``)."""
    if not rows:
        return set()
    names = list(rows[0])
    if conn.dialect.name != "postgresql":
        stmt = sqlite_insert(table).on_conflict_do_nothing().returning(table.c[key])
        return set(conn.execute(stmt, list(rows)).scalars())
    cols = ", ".join(f'"{n}"' for n in names)
    sql = text(f'INSERT INTO "{table.name}" ({cols}) SELECT {cols} FROM '
               f'json_populate_recordset(NULL::"{table.name}", CAST(:rows AS json)) '
               f'ON CONFLICT DO NOTHING RETURNING "{key}"')
    return set(conn.execute(sql, {"rows": json.dumps(list(rows))}).scalars())
