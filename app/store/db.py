"""Engines, sessions and schema migrations. SQLite (a file) by default, PostgreSQL
(psycopg 3) when CALLQA_DATABASE_URL says so."""

from __future__ import annotations

import fcntl
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from app.errors import StoreUnavailable
from app.store.daily import ensure_zone

MIGRATIONS = Path(__file__).with_name("migrations")
_PG_MIGRATION_LOCK = 7_202_611  # pg_advisory_lock key: one migrating process at a time


def make_engine(url: str) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - exercised by every SQLite test
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
            cur.execute("PRAGMA foreign_keys=ON")  # a call's rows go with it
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    # No pre-ping: it costs a round trip per request; a dropped connection surfaces as an
    # error on that request and the pool replaces it.
    return create_engine(url, pool_size=10, max_overflow=20, pool_recycle=1800)


@contextmanager
def write_lock(engine: Engine):
    """Hold while writing to an SQLite file. SQLite lets one writer in at a time and makes the
    others poll, sleeping up to 100 ms between tries (writes from two workers then waited over
    a second); a lock file instead wakes the next writer the moment the last one is done.
    Each use opens the file anew, so threads exclude each other too. No-op on PostgreSQL."""
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:":
        yield
        return
    with open(path + ".write-lock", "ab") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def ping(*, session: Session) -> None:
    """Raise unless the database answers."""
    session.execute(text("SELECT 1"))


def unavailable(exc: BaseException) -> StoreUnavailable | None:
    """`exc` as StoreUnavailable when it says the database could not be reached or could not
    take the work now (connection refused or lost, SQLite locked, disk full); None when it
    is anything else, such as a bug in a statement."""
    if not (isinstance(exc, OperationalError | InterfaceError) or connection_lost(exc)):
        return None
    orig = getattr(exc, "orig", None)
    # SQLite files its generic error (no such table, a syntax error) as operational too
    if getattr(orig, "sqlite_errorname", None) == "SQLITE_ERROR":
        return None
    reason = (str(orig or exc).strip().splitlines() or [""])[0]
    return StoreUnavailable(f"{type(exc).__name__}: {reason}")


def connection_lost(exc: BaseException) -> bool:
    """Whether `exc` came from a connection the server had closed; the pool has dropped it."""
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


@contextmanager
def opened(sessions: sessionmaker[Session]):
    """A session whose database failures come out as StoreUnavailable, with the cause chained."""
    try:
        with sessions() as session:
            yield session
    except DBAPIError as exc:
        failure = unavailable(exc)
        if failure is None:
            raise
        raise failure from exc


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def migrate(engine: Engine, zone: ZoneInfo | None = None) -> None:
    """Bring the schema to the newest migration and, given the center's time zone, make the
    daily rollups count days in it (recounting them if they count in another). Safe to call
    from several processes at once: on PostgreSQL an advisory lock lets one migrate while the
    others wait, then find nothing to do."""
    import logging

    logging.getLogger("alembic").setLevel(logging.WARNING)  # its plugin list is noise in our log
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        try:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            conn.commit()
            if zone is not None:
                with Session(bind=conn) as session:
                    ensure_zone(session, zone)
        finally:
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_MIGRATION_LOCK})
                conn.commit()


def drop_everything(engine: Engine) -> None:
    """Drop every callqa table, of this schema and of earlier ones, and the migration record:
    tests and benchmarks start from nothing. Never called by the service."""
    from app.store.tables import metadata

    names = ["rule_results"] + [t.name for t in reversed(metadata.sorted_tables)] + ["alembic_version"]
    cascade = " CASCADE" if engine.dialect.name == "postgresql" else ""
    with engine.begin() as conn:
        for name in names:
            conn.execute(text(f"DROP TABLE IF EXISTS {name}{cascade}"))
