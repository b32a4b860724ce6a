"""Writing many rows at once, the fast way for each database.

psycopg runs an executemany once per row, and SQLAlchemy's multi-row VALUES statements
differ in length from batch to batch, so psycopg re-parses each one. On PostgreSQL the rows
go instead as one array per column into a statement whose text never changes:
INSERT ... SELECT * FROM unnest(...). That suits many short values (verdicts, hits, rollup
counts); long text with quotes (the JSON documents) is slow to escape into an array literal.
SQLite's own executemany is already a tight loop.
"""

from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


@contextmanager
def one_round_trip(conn: Connection):
    """On PostgreSQL the inserts made inside go to the server together (psycopg's pipeline
    mode) and the client waits once, at the end, where any error is raised."""
    if conn.dialect.name == "postgresql":
        with conn.connection.dbapi_connection.pipeline():
            yield
    else:
        yield


def insert_rows(conn: Connection, table: Table, rows: list[dict], *, add_on_conflict: bool = False,
                row_by_row: bool = False) -> None:
    """INSERT `rows` (dicts with the same keys, values ready for the database: aware UTC
    datetimes). With add_on_conflict, a row whose key is taken adds its counters to the
    stored row's instead (the daily rollups). row_by_row suits a few rows of long text."""
    if not rows:
        return
    columns = tuple(rows[0])
    if conn.dialect.name == "postgresql":
        # Straight to psycopg on the session's own connection (so inside its transaction), the
        # arrays in binary format (%(name)b): no quoting and escaping element by element.
        with conn.connection.dbapi_connection.cursor() as cur:
            if row_by_row:
                cur.executemany(_pg_values(table, columns), rows)
            else:
                cur.execute(_pg_unnest(table, columns, add_on_conflict), {c: [r[c] for r in rows] for c in columns})
    else:
        conn.execute(_sqlite_insert(table, add_on_conflict), rows)


def _counters(table: Table) -> tuple[list[str], list[str]]:
    keys = [c.name for c in table.primary_key.columns]
    return keys, [c.name for c in table.columns if c.name not in keys]


@lru_cache(maxsize=32)
def _pg_values(table: Table, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join(f'%({c})s' for c in columns)})"


@lru_cache(maxsize=32)
def _pg_unnest(table: Table, columns: tuple[str, ...], add_on_conflict: bool):
    pg = postgresql.dialect()
    arrays = ", ".join(f"CAST(%({c})b AS {table.c[c].type.compile(dialect=pg)}[])" for c in columns)
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
