"""The per-day rollups behind agent summaries and rule statistics.

Every write adds the new call's counts to its day, agent and team (and subtracts the counts
of the call it replaces) in the same transaction as the call itself, so the rollups always
agree with the stored calls. `rebuild` recounts them from the stored result documents: after
an upgrade that finds calls already stored, or when CALLQA_TIMEZONE changes what a day is.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, delete, select, text
from sqlalchemy.orm import Session

from app.models import CallResult
from app.store.bulk import insert_rows
from app.store.days import local_day
from app.store.tables import CallRow, DailyCallsRow, DailyPhrasesRow, DailyRulesRow, StoreMetaRow

log = logging.getLogger("callqa")
ZONE_KEY = "daily_time_zone"
_LOCK = text("LOCK TABLE daily_calls, daily_rules, daily_phrases IN EXCLUSIVE MODE")


class Deltas:
    """Counts to add to the rollups, summed per key before anything is written (one upsert
    per key: PostgreSQL refuses a statement that updates one row twice)."""

    def __init__(self, zone: ZoneInfo):
        self.zone = zone
        self.calls: dict[tuple, list] = defaultdict(lambda: [0, 0, 0.0])
        self.rules: dict[tuple, list] = defaultdict(lambda: [0, 0, 0, 0])
        self.phrases: dict[tuple, int] = defaultdict(int)

    def add_call(self, sign: int, *, agent_id, team_id, started_at, score: float, passed: bool,
                 verdicts: list[tuple[str, str, list[str]]]) -> None:
        """verdicts: (rule_id, status, phrases hit) of each rule."""
        day, team, agent = local_day(started_at, self.zone), team_id or "", agent_id or ""
        c = self.calls[(day, team, agent)]
        c[0] += sign
        c[1] += sign * bool(passed)
        c[2] += sign * score
        for rule_id, status, phrases in verdicts:
            r = self.rules[(day, rule_id, team, agent)]
            r[0] += sign
            r[1] += sign * (status != "not_applicable")
            r[2] += sign * (status == "failed")
            r[3] += sign * len(phrases)
            for phrase in phrases:
                self.phrases[(day, rule_id, phrase, team, agent)] += sign

    def write(self, conn: Connection) -> None:
        """Upsert the summed counts, in key order: two writers touching the same rollup rows
        lock them in the same order and cannot deadlock."""
        calls = [{"day": k[0], "team_id": k[1], "agent_id": k[2], "calls": v[0], "passed": v[1], "score_sum": v[2]}
                 for k, v in sorted(self.calls.items()) if v[0] or v[1] or v[2]]
        rules = [{"day": k[0], "rule_id": k[1], "team_id": k[2], "agent_id": k[3], "calls": v[0],
                  "applicable": v[1], "failed": v[2], "hits": v[3]}
                 for k, v in sorted(self.rules.items()) if any(v)]
        phrases = [{"day": k[0], "rule_id": k[1], "phrase": k[2], "team_id": k[3], "agent_id": k[4], "hits": v}
                   for k, v in sorted(self.phrases.items()) if v]
        for table, rows in ((DailyCallsRow, calls), (DailyRulesRow, rules), (DailyPhrasesRow, phrases)):
            insert_rows(conn, table.__table__, rows, add_on_conflict=True)


def verdicts(result: CallResult) -> list[tuple[str, str, list[str]]]:
    """(rule_id, status, phrases hit) of each rule of a result: what Deltas.add_call counts."""
    return [(r.rule_id, r.status, [h.phrase for h in r.hits]) for r in result.rules]


def stored_verdicts(result_json: str) -> list[tuple[str, str, list[str]]]:
    """(rule_id, status, phrases hit) of each rule in a stored result document."""
    return [(r["rule_id"], r["status"], [h["phrase"] for h in r.get("hits", ())])
            for r in json.loads(result_json)["rules"]]


def rebuild(session: Session, zone: ZoneInfo, *, chunk: int = 5_000) -> None:
    """Recount every rollup from the stored result documents, in one transaction (call
    inside `session.begin()`). The rollups are emptied first: that takes the write lock, so
    writers arriving meanwhile wait and then add their counts to the recounted rows."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_LOCK)
    for table in (DailyCallsRow, DailyRulesRow, DailyPhrasesRow):
        session.execute(delete(table))
    deltas = Deltas(zone)
    for r in session.execute(select(CallRow.agent_id, CallRow.team_id, CallRow.started_at, CallRow.score,
                                    CallRow.passed, CallRow.result).execution_options(yield_per=chunk)):
        deltas.add_call(1, agent_id=r.agent_id, team_id=r.team_id, started_at=r.started_at, score=r.score,
                        passed=r.passed, verdicts=stored_verdicts(r.result))
    deltas.write(session.connection())
    _set_zone(session, zone)


def ensure_zone(session: Session, zone: ZoneInfo) -> bool:
    """Make the rollups count days in `zone`, recounting them if they count in another one
    (or were never counted). True when a recount was needed."""
    with session.begin():
        stored = session.get(StoreMetaRow, ZONE_KEY)
        if stored is not None and stored.value == zone.key:
            return False
        log.info("recounting the daily rollups in time zone %s (were %s)", zone.key,
                 stored.value if stored else "never counted")
        rebuild(session, zone)
    return True


def _set_zone(session: Session, zone: ZoneInfo) -> None:
    row = session.get(StoreMetaRow, ZONE_KEY)
    if row is None:
        session.add(StoreMetaRow(key=ZONE_KEY, value=zone.key))
    else:
        row.value = zone.key
    session.flush()
