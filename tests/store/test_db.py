"""Telling a database that cannot take the work now (worth a retry) from a bug."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.errors import StoreUnavailable
from app.store.db import make_engine, make_sessionmaker, opened, unavailable


def _failure(engine, sql: str) -> DBAPIError:
    with pytest.raises(DBAPIError) as caught, engine.connect() as conn:
        conn.execute(text(sql))
    return caught.value


def test_nothing_listening_is_unavailable():
    engine = make_engine("postgresql://postgres@127.0.0.1:1/none")  # port 1: nothing listens
    failure = unavailable(_failure(engine, "SELECT 1"))
    assert isinstance(failure, StoreUnavailable) and "OperationalError" in str(failure)


def test_a_locked_sqlite_file_is_unavailable(tmp_path):
    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        quick = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})  # no waiting for the lock
        failure = unavailable(_failure(quick, "SELECT * FROM t"))
        assert isinstance(failure, StoreUnavailable) and "locked" in str(failure)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_missing_table_is_a_bug_not_an_outage(engine):
    """SQLite files "no such table" as an operational error; it is still no reason to retry."""
    assert unavailable(_failure(engine, "SELECT * FROM no_such_table")) is None


def test_opened_sessions_raise_store_unavailable_with_the_cause():
    sessions = make_sessionmaker(make_engine("postgresql://postgres@127.0.0.1:1/none"))
    with pytest.raises(StoreUnavailable) as caught, opened(sessions) as session:
        assert isinstance(session, Session)
        session.execute(text("SELECT 1"))
    assert isinstance(caught.value.__cause__, DBAPIError)
