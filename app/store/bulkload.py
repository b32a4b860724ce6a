"""Batch work on the service's database: many scored calls stored at once (batch scoring's
--store: the same tables, and the same replace-never-duplicate rule, as POST /v1/calls, in
transactions of many calls), and stored calls read back for a backtest."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.exc import DBAPIError

from app.errors import InputError
from app.models import Call, CallResult
from app.store.calls import CallFilter, Scored, store_calls, stored_transcripts
from app.store.days import day_start, zone_named
from app.store.db import make_engine, make_sessionmaker, migrate, opened, unavailable, write_lock


class BulkLoader:
    def __init__(self, url: str, zone: str):
        self.zone = zone_named(zone)
        self.engine = make_engine(url)
        migrate(self.engine, self.zone)
        self.sessions = make_sessionmaker(self.engine)

    def store(self, scored: list[tuple[str, str]]) -> None:
        """(call JSON, result JSON) pairs, in one transaction. A call_id given twice in one
        transaction keeps the last."""
        if not scored:
            return
        now = datetime.now(UTC)
        latest = {}
        for call_json, result_json in scored:
            call = Call.model_validate_json(call_json)
            latest[call.call_id] = Scored(call, CallResult.model_validate_json(result_json), now, result_json)
        with write_lock(self.engine), self.sessions() as session, session.begin():
            store_calls(session=session, batch=list(latest.values()), zone=self.zone)

    def close(self) -> None:
        self.engine.dispose()


def stored_calls(url: str, zone: str, *, since: date | None = None, until: date | None = None,
                 team_id: str | None = None, agent_id: str | None = None, page: int = 500,
                 parse: bool = True) -> Iterator[Call | str]:
    """The calls stored in the service's database that started on the center's days `since`
    up to (not including) `until`, of one team or agent where given, by call id; read as a
    stream, `page` calls at a time, each as the Call it was stored from (its JSON with
    `parse=False`, for a process that parses it elsewhere)."""
    tz = zone_named(zone)
    engine = make_engine(url)
    try:
        where_to = engine.url.render_as_string(hide_password=True)
        file = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
        if file and file != ":memory:" and not Path(file).exists():  # (connecting would create it)
            raise InputError(f"the database {where_to} does not exist; set CALLQA_DATABASE_URL to the service's database")
        try:
            has_calls = inspect(engine).has_table("calls")
        except DBAPIError as exc:
            failure = unavailable(exc)
            if failure is None:
                raise
            raise failure from exc
        if not has_calls:
            raise InputError(f"the database {where_to} holds no stored calls "
                             "(no callqa tables); set CALLQA_DATABASE_URL to the service's database")
        sessions = make_sessionmaker(engine)
        where = CallFilter(agent_id=agent_id, team_id=team_id, since=day_start(since, tz) if since else None,
                           until=day_start(until, tz) if until else None)
        with opened(sessions) as session:
            yield from stored_transcripts(session=session, where=where, page=page, parse=parse)
    finally:
        engine.dispose()
