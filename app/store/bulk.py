"""Writing many rows at once, the fast way for each database.

psycopg runs an executemany once per row, and SQLAlchemy's multi-row VALUES statements
differ in length from batch to batch, so psycopg re-parses each one. On PostgreSQL the rows
go instead as one array per column into a statement whose text never changes:
INSERT ... SELECT * FROM unnest(...). Each array is sent as one text value, an array literal
built here with str.join: psycopg's own list adapters cost tens of microseconds per array in
Python, which is most of the cost of writing a few calls. SQLite's own executemany is
already a tight loop.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_rows(conn: Connection, table: Table, rows: list[dict], *, add_on_conflict: bool = False) -> None:
    """INSERT `rows` (dicts with the same keys, values ready for the database: aware UTC
    datetimes). With add_on_conflict, a row whose key is taken adds its counters to the
    stored row's instead (the daily rollups)."""
    if not rows:
        return
    columns = tuple(rows[0])
    if conn.dialect.name == "postgresql":
        # Straight to psycopg on the session's own connection (so inside its transaction).
        encoders = _pg_encoders(table, columns)
        with conn.connection.dbapi_connection.cursor() as cur:
            cur.execute(_pg_unnest(table, columns, add_on_conflict),
                        [encode([r[c] for r in rows]) for c, encode in zip(columns, encoders, strict=True)])
    else:
        conn.execute(_sqlite_insert(table, add_on_conflict), rows)


def _counters(table: Table) -> tuple[list[str], list[str]]:
    keys = [c.name for c in table.primary_key.columns]
    return keys, [c.name for c in table.columns if c.name not in keys]


# PostgreSQL array literals: every element in double quotes, with backslash and double quote
# escaped by a backslash (the whole quoting rule inside quotes), or a bare NULL.
def text_array(values: list) -> str:
    return "{" + ",".join(["NULL" if v is None else '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
                           for v in values]) + "}"


def _numbers(values: list) -> str:
    return "{" + ",".join(["NULL" if v is None else repr(v) for v in values]) + "}"


def _booleans(values: list) -> str:
    return "{" + ",".join(["NULL" if v is None else "t" if v else "f" for v in values]) + "}"


def _dates(values: list) -> str:  # ISO 8601, which PostgreSQL reads
    return "{" + ",".join(["NULL" if v is None else '"' + v.isoformat() + '"' for v in values]) + "}"


def _instants(values: list) -> str:
    if any(v is not None and v.tzinfo is None for v in values):  # PostgreSQL would read its own zone into it
        raise ValueError("a time without an offset reached the store; app.store.days.to_utc places it first")
    return _dates(values)


@lru_cache(maxsize=32)
def _pg_encoders(table: Table, columns: tuple[str, ...]) -> tuple:
    def encoder(column):
        kind = getattr(column.type, "impl", column.type).python_type  # a TypeDecorator: the type it stores as
        if kind is bool:
            return _booleans
        if kind in (int, float):
            return _numbers
        if kind is datetime:
            return _instants
        if kind is date:
            return _dates
        if kind is str:
            return text_array
        raise TypeError(f"no array encoding for column {table.name}.{column.name} ({column.type})")
    return tuple(encoder(table.c[c]) for c in columns)


@lru_cache(maxsize=32)
def _pg_unnest(table: Table, columns: tuple[str, ...], add_on_conflict: bool):
    pg = postgresql.dialect()
    arrays = ", ".join(f"CAST(%s AS {table.c[c].type.compile(dialect=pg)}[])" for c in columns)
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM unnest({arrays})"
    if add_on_conflict:
        keys, counters = _counters(table)
        sql += (f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
                + ", ".join(f"{n} = {table.name}.{n} + excluded.{n}" for n in counters))
    return sql


@lru_cache(maxsize=32)
def _sqlite_insert(table: Table, add_on_conflict: bool):
    stmt = sqlite.insert(table)
    if add_on_conflict:
        keys, counters = _counters(table)
        stmt = stmt.on_conflict_do_update(index_elements=keys, set_={n: table.c[n] + stmt.excluded[n] for n in counters})
    return stmt
