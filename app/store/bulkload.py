"""Many scored calls into the service's tables at once (batch scoring's --store): the same
tables, and the same replace-never-duplicate rule, as POST /v1/calls, in transactions of many
calls."""

from __future__ import annotations

from datetime import UTC, datetime

from app.models import Call, CallResult
from app.store.calls import Scored, store_calls
from app.store.days import zone_named
from app.store.db import make_engine, make_sessionmaker, migrate, write_lock


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
