"""Store scored calls and answer QA staff's questions about them. Only SQL lives here."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from functools import lru_cache

from sqlalchemy import Select, and_, case, delete, exists, func, literal_column, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.errors import InputError
from app.models import Call, CallResult
from app.store.tables import CallRow, HitRow, RuleResultRow


_RULES_INSERT = RuleResultRow.__table__.insert()
_HITS_INSERT = HitRow.__table__.insert()
_CALL_COLUMNS = ("agent_id", "team_id", "started_at", "direction", "score", "passed", "lexicon_version",
                 "received_at", "transcript", "result")


@lru_cache(maxsize=4)
def _upsert(dialect_name: str):
    """INSERT ... ON CONFLICT (call_id) DO UPDATE, built once per dialect. On PostgreSQL it
    also says whether the row is new (xmax = 0 for a row this statement inserted)."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    stmt = dialect.insert(CallRow)
    stmt = stmt.on_conflict_do_update(index_elements=[CallRow.call_id],
                                      set_={k: stmt.excluded[k] for k in _CALL_COLUMNS})
    if dialect_name == "postgresql":
        stmt = stmt.returning(literal_column("xmax = 0").label("inserted"))
    return stmt


def call_values(call: Call, result: CallResult, received_at: datetime) -> dict:
    """The `calls` row of a scored call (documents as pydantic's UTF-8 JSON text)."""
    return {"call_id": call.call_id, "agent_id": call.agent_id, "team_id": call.team_id,
            "started_at": call.started_at, "direction": call.direction, "score": result.score,
            "passed": result.passed, "lexicon_version": result.lexicon_version, "received_at": received_at,
            "transcript": call.model_dump_json(exclude_none=True),
            "result": result.model_dump_json(exclude_none=True)}


def child_rows(call: Call, result: CallResult) -> tuple[list[dict], list[dict]]:
    """The `rule_results` and `hits` rows of a scored call."""
    common = {"call_id": call.call_id, "agent_id": call.agent_id, "team_id": call.team_id,
              "started_at": call.started_at}
    rules = [{**common, "rule_id": r.rule_id, "status": r.status, "deduction": r.deduction, "hit_count": len(r.hits)}
             for r in result.rules]
    hits = [{**common, "rule_id": r.rule_id, "phrase": h.phrase, "matched": h.matched, "method": h.method,
             "utterance_index": h.utterance_index}
            for r in result.rules for h in r.hits]
    return rules, hits


def save_call(*, session: Session, call: Call, result: CallResult, received_at: datetime | None = None) -> bool:
    """Store a call with its result, replacing an earlier one of the same call_id, in one
    transaction. True when the call is new. (A service under load uses
    app.store.writer.BatchWriter, which writes many calls per transaction the same way.)"""
    values = call_values(call, result, received_at or datetime.now(timezone.utc))
    dialect_name = session.get_bind().dialect.name
    with session.begin():
        if dialect_name == "postgresql":
            # The upsert locks the row; concurrent sends of one call_id queue behind it.
            created = session.execute(_upsert(dialect_name), values).scalar_one()
        else:
            created = session.execute(select(CallRow.call_id).where(CallRow.call_id == call.call_id)).first() is None
            session.execute(_upsert(dialect_name), values)
        if not created:  # replace the earlier verdicts and hits wholesale
            session.execute(delete(RuleResultRow).where(RuleResultRow.call_id == call.call_id))
            session.execute(delete(HitRow).where(HitRow.call_id == call.call_id))
        rules, hits = child_rows(call, result)
        # Core inserts on the session's connection: one multi-row INSERT each, without the
        # ORM's per-object bookkeeping.
        conn = session.connection()
        conn.execute(_RULES_INSERT, rules)
        if hits:
            conn.execute(_HITS_INSERT, hits)
    return bool(created)


def get_call(*, session: Session, call_id: str) -> tuple[dict, dict] | None:
    """(transcript, result) of a stored call, or None."""
    row = session.execute(select(CallRow.transcript, CallRow.result).where(CallRow.call_id == call_id)).first()
    return (json.loads(row.transcript), json.loads(row.result)) if row else None


@dataclass(frozen=True)
class CallFilter:
    agent_id: str | None = None
    team_id: str | None = None
    since: datetime | None = None  # started_at >= since
    until: datetime | None = None  # started_at < until
    min_score: float | None = None
    max_score: float | None = None
    passed: bool | None = None
    rule_id: str | None = None  # calls that failed this rule
    phrase: str | None = None  # calls with a hit on this phrase


SORTS = {
    "started_at": CallRow.started_at,
    "score": CallRow.score,
}


def _where(f: CallFilter) -> list:
    conds = []
    if f.agent_id is not None:
        conds.append(CallRow.agent_id == f.agent_id)
    if f.team_id is not None:
        conds.append(CallRow.team_id == f.team_id)
    if f.since is not None:
        conds.append(CallRow.started_at >= f.since)
    if f.until is not None:
        conds.append(CallRow.started_at < f.until)
    if f.min_score is not None:
        conds.append(CallRow.score >= f.min_score)
    if f.max_score is not None:
        conds.append(CallRow.score <= f.max_score)
    if f.passed is not None:
        conds.append(CallRow.passed == f.passed)
    if f.rule_id is not None:
        conds.append(exists().where(RuleResultRow.call_id == CallRow.call_id, RuleResultRow.rule_id == f.rule_id,
                                    RuleResultRow.status == "failed"))
    if f.phrase is not None:
        conds.append(exists().where(HitRow.call_id == CallRow.call_id, HitRow.phrase == f.phrase))
    return conds


def _encode_cursor(key, call_id: str) -> str:
    raw = json.dumps([key.isoformat() if isinstance(key, datetime) else key, call_id], ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_cursor(cursor: str, sort: str):
    try:
        key, call_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if sort == "started_at" and key is not None:
            key = datetime.fromisoformat(key)
        return key, str(call_id)
    except (ValueError, TypeError) as exc:
        raise InputError("cursor is not one this service gave out; start again without it") from exc


def list_calls(*, session: Session, where: CallFilter, sort: str = "started_at", descending: bool = True,
               limit: int = 50, cursor: str | None = None) -> tuple[list[dict], int, str | None]:
    """(summaries of one page of calls, total matching, cursor of the next page or None).
    Pages are keyed on (sort column, call_id), so a page is as fast deep down as at the top."""
    column = SORTS[sort]
    conds = _where(where)
    total = session.execute(select(func.count()).select_from(CallRow).where(*conds)).scalar_one()
    stmt: Select = select(CallRow.call_id, CallRow.agent_id, CallRow.team_id, CallRow.started_at, CallRow.score,
                          CallRow.passed, CallRow.lexicon_version, column.label("sort_key")).where(*conds)
    if cursor:
        key, last_id = _decode_cursor(cursor, sort)
        if descending:
            after = or_(column < key, and_(column == key, CallRow.call_id < last_id)) if key is not None else \
                and_(column.is_(None), CallRow.call_id < last_id)
        else:
            after = or_(column > key, and_(column == key, CallRow.call_id > last_id)) if key is not None else \
                and_(column.is_(None), CallRow.call_id > last_id)
        stmt = stmt.where(after)
    order = (column.desc(), CallRow.call_id.desc()) if descending else (column.asc(), CallRow.call_id.asc())
    rows = session.execute(stmt.order_by(*order).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [{"call_id": r.call_id, "agent_id": r.agent_id, "team_id": r.team_id,
              "started_at": r.started_at.isoformat() if r.started_at else None, "score": r.score,
              "passed": r.passed, "lexicon_version": r.lexicon_version} for r in rows]
    nxt = _encode_cursor(rows[-1].sort_key, rows[-1].call_id) if more and rows else None
    return items, total, nxt


def _day(column, session: Session):
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.date_trunc("day", column), "YYYY-MM-DD")
    return func.strftime("%Y-%m-%d", column)


def agent_summary(*, session: Session, agent_id: str, since: datetime | None = None,
                  until: datetime | None = None) -> dict:
    """Calls, average score, pass rate, violations per rule and a per-day trend of one agent."""
    conds = _where(CallFilter(agent_id=agent_id, since=since, until=until))
    calls, avg, passed = session.execute(
        select(func.count(), func.avg(CallRow.score), func.sum(case((CallRow.passed, 1), else_=0))).where(*conds)
    ).one()
    rconds = [RuleResultRow.agent_id == agent_id, RuleResultRow.status == "failed"]
    if since is not None:
        rconds.append(RuleResultRow.started_at >= since)
    if until is not None:
        rconds.append(RuleResultRow.started_at < until)
    violations = dict(session.execute(
        select(RuleResultRow.rule_id, func.count()).where(*rconds).group_by(RuleResultRow.rule_id)
    ).all())
    day = _day(CallRow.started_at, session)
    trend = [{"day": d, "calls": n, "average_score": round(a, 2), "pass_rate": round(p / n, 4)}
             for d, n, a, p in session.execute(
                 select(day, func.count(), func.avg(CallRow.score), func.sum(case((CallRow.passed, 1), else_=0)))
                 .where(*conds, CallRow.started_at.is_not(None)).group_by(day).order_by(day)).all()]
    return {"agent_id": agent_id, "calls": calls, "average_score": round(avg, 2) if avg is not None else None,
            "pass_rate": round(passed / calls, 4) if calls else None, "violations": violations, "trend": trend}


def rule_stats(*, session: Session, since: datetime | None = None, until: datetime | None = None,
               team_id: str | None = None, agent_id: str | None = None, top: int = 5) -> list[dict]:
    """Per rule: how often it was broken among the calls it applied to, its hits, and the
    phrases hit most."""
    conds = []
    hconds = []
    for col, hcol, value in ((RuleResultRow.team_id, HitRow.team_id, team_id),
                             (RuleResultRow.agent_id, HitRow.agent_id, agent_id)):
        if value is not None:
            conds.append(col == value)
            hconds.append(hcol == value)
    if since is not None:
        conds.append(RuleResultRow.started_at >= since)
        hconds.append(HitRow.started_at >= since)
    if until is not None:
        conds.append(RuleResultRow.started_at < until)
        hconds.append(HitRow.started_at < until)
    rows = session.execute(
        select(RuleResultRow.rule_id,
               func.sum(case((RuleResultRow.status != "not_applicable", 1), else_=0)),
               func.sum(case((RuleResultRow.status == "failed", 1), else_=0)),
               func.sum(RuleResultRow.hit_count))
        .where(*conds).group_by(RuleResultRow.rule_id).order_by(RuleResultRow.rule_id)
    ).all()
    phrases: dict[str, list[dict]] = {}
    for rule_id, phrase, n in session.execute(
        select(HitRow.rule_id, HitRow.phrase, func.count().label("n")).where(*hconds)
        .group_by(HitRow.rule_id, HitRow.phrase).order_by(HitRow.rule_id, func.count().desc())
    ).all():
        lst = phrases.setdefault(rule_id, [])
        if len(lst) < top:
            lst.append({"phrase": phrase, "hits": n})
    return [{"rule_id": rule_id, "calls_applicable": applicable or 0, "violations": failed or 0,
             "violation_rate": round((failed or 0) / applicable, 4) if applicable else None,
             "hits": hits or 0, "top_phrases": phrases.get(rule_id, [])}
            for rule_id, applicable, failed, hits in rows]
