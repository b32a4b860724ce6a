"""Store scored calls and answer QA staff's questions about them. Only SQL lives here."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Select, and_, delete, exists, func, or_, select
from sqlalchemy.orm import Session

from app.errors import InputError
from app.models import FIRST_YEAR, LAST_YEAR, Call, CallResult
from app.store.bulk import insert_rows, text_array
from app.store.daily import Deltas, stored_verdicts, verdicts
from app.store.days import UNDATED, day_start, local_day, to_utc
from app.store.db import write_lock
from app.store.tables import CallRow, DailyCallsRow, DailyPhrasesRow, DailyRulesRow, HitRow, ViolationRow

_REPLACED = (CallRow.call_id, CallRow.agent_id, CallRow.team_id, CallRow.started_at, CallRow.score, CallRow.passed,
             CallRow.result)
# PostgreSQL: per-call_id locks until commit, then the calls being replaced
_PG_LOCK_IDS = ("SELECT pg_advisory_xact_lock(hashtextextended(id, 0)) "
                "FROM unnest(CAST(%s AS text[])) WITH ORDINALITY AS t(id, n) ORDER BY n")
_PG_DELETE = (f"DELETE FROM calls WHERE call_id = ANY(CAST(%s AS text[])) "
              f"RETURNING {', '.join(c.name for c in _REPLACED)}")


class Scored(NamedTuple):
    """A scored call on its way to the store."""

    call: Call
    result: CallResult
    received_at: datetime
    result_json: str | None = None  # the result already serialized (the service's answer), if at hand


def call_values(call: Call, result: CallResult, received_at: datetime, started_at: datetime | None,
                result_json: str | None = None) -> dict:
    """The `calls` row of a scored call (started_at in UTC; documents as pydantic's UTF-8
    JSON text)."""
    return {"call_id": call.call_id, "agent_id": call.agent_id, "team_id": call.team_id,
            "started_at": started_at, "direction": call.direction, "score": result.score,
            "passed": result.passed, "lexicon_version": result.lexicon_version, "received_at": received_at,
            "transcript": call.model_dump_json(exclude_none=True),
            "result": result_json if result_json is not None else result.model_dump_json(exclude_none=True)}


def child_rows(call: Call, result: CallResult, started_at: datetime | None) -> tuple[list[dict], list[dict]]:
    """The `violations` and `hits` rows of a scored call (started_at in UTC)."""
    common = {"call_id": call.call_id, "agent_id": call.agent_id, "team_id": call.team_id, "started_at": started_at}
    violations = [{**common, "rule_id": r.rule_id, "deduction": r.deduction, "hit_count": len(r.hits),
                   "call_passed": result.passed} for r in result.rules if r.status == "failed"]
    hits = [{**common, "rule_id": r.rule_id, "phrase": h.phrase, "matched": h.matched, "method": h.method,
             "utterance_index": h.utterance_index}
            for r in result.rules for h in r.hits]
    return violations, hits


def store_calls(*, session: Session, batch: list[Scored], zone: ZoneInfo) -> list[bool]:
    """Store distinct calls with their results, inside the caller's transaction, replacing
    earlier calls of the same call_id; for each, whether it is new.

    A replaced call is deleted (its violations and hits go with it) and its counts subtracted
    from the daily rollups, then the new one is inserted and counted. Every row is built
    before the first statement, so the transaction holds its locks only while the database
    works. Calls are written in call_id order and rollup rows in key order, so two writers'
    transactions take their locks in the same order."""
    order = sorted(range(len(batch)), key=lambda i: batch[i].call.call_id)
    ids = [batch[i].call.call_id for i in order]
    added = Deltas(zone)
    calls, violations, hits = [], [], []
    for i in order:
        call, result, received_at, result_json = batch[i]
        started_at = to_utc(call.started_at, zone)
        vv, hh = child_rows(call, result, started_at)
        calls.append(call_values(call, result, received_at, started_at, result_json))
        violations += vv
        hits += hh
        added.add_call(1, agent_id=call.agent_id, team_id=call.team_id, started_at=started_at,
                       score=result.score, passed=result.passed, verdicts=verdicts(result))
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        replaced = _pg_replace(conn, ids, calls, violations, hits, added)
        deltas = Deltas(zone)  # the new counts are in; the replaced calls' are still to take off
    else:  # SQLite: one writer at a time already (app.store.db.write_lock)
        replaced = [tuple(r) for r in conn.execute(delete(CallRow).where(CallRow.call_id.in_(ids)).returning(*_REPLACED))]
        for table, rows in ((CallRow, calls), (ViolationRow, violations), (HitRow, hits)):
            insert_rows(conn, table.__table__, rows)
        deltas = added  # new and replaced counts summed, then written once
    for _call_id, agent_id, team_id, started_at, score, passed, result in replaced:
        deltas.add_call(-1, agent_id=agent_id, team_id=team_id, started_at=started_at, score=score, passed=passed,
                        verdicts=stored_verdicts(result))
    if deltas is added or replaced:
        # On PostgreSQL this is rare (the same call sent again), and the replaced call's
        # rollup rows are mostly the ones this transaction has just updated and holds.
        deltas.write(conn)
    replaced_ids = {r[0] for r in replaced}
    return [item.call.call_id not in replaced_ids for item in batch]


def _pg_replace(conn: Connection, ids: list[str], calls: list[dict], violations: list[dict], hits: list[dict],
                added: Deltas) -> list[tuple]:
    """PostgreSQL, in one round trip: lock the call_ids, delete the stored calls with them
    (their violations and hits go too), insert the new rows and add the new counts. Returns
    the deleted calls' rows as they were.

    Row locks cannot cover a call_id no transaction has stored yet: two workers given the same
    new call would both insert it. A per-call_id advisory lock until commit makes the second
    wait, then find and replace the first one's row."""
    dbapi = conn.connection.dbapi_connection
    with dbapi.cursor() as lock, dbapi.cursor() as deleted:
        with dbapi.pipeline():
            ids_literal = text_array(ids)
            lock.execute(_PG_LOCK_IDS, (ids_literal,))
            # Planned afresh each time (prepare=False): psycopg prepares a statement run five
            # times, and PostgreSQL may then keep one generic plan until something invalidates
            # it. Made while the table was still small, that plan was a sequential scan, which
            # every later batch repeated over the whole table.
            deleted.execute(_PG_DELETE, (ids_literal,), prepare=False)
            for table, rows in ((CallRow, calls), (ViolationRow, violations), (HitRow, hits)):
                insert_rows(conn, table.__table__, rows)
            added.write(conn)
        return deleted.fetchall()


def save_call(*, session: Session, call: Call, result: CallResult, zone: ZoneInfo,
              received_at: datetime | None = None) -> bool:
    """Store one call with its result in one transaction; True when the call is new. (A
    service under load uses app.store.writer.BatchWriter, which writes many calls per
    transaction the same way.)"""
    with write_lock(session.get_bind()), session.begin():
        return store_calls(session=session, batch=[Scored(call, result, received_at or datetime.now(UTC))],
                           zone=zone)[0]


def get_call(*, session: Session, call_id: str) -> tuple[dict, dict] | None:
    """(transcript, result) of a stored call, or None."""
    row = session.execute(select(CallRow.transcript, CallRow.result).where(CallRow.call_id == call_id)).first()
    return (json.loads(row.transcript), json.loads(row.result)) if row else None


def stored_transcripts(*, session: Session, where: CallFilter, page: int = 500, parse: bool = True) -> Iterator[Call | str]:
    """Each stored call that matches the filter's agent, team and start-time range, by call id,
    as the Call it was stored from (or its JSON, with `parse=False`); streamed (a server-side
    cursor on PostgreSQL)."""
    q = select(CallRow.transcript).where(*_agent_team_time(CallRow, where)).order_by(CallRow.call_id)
    for transcript in session.execute(q.execution_options(yield_per=page)).scalars():
        yield Call.model_validate_json(transcript) if parse else transcript


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


def _agent_team(table, agent_id: str | None, team_id: str | None) -> list:
    """Conditions on a table's agent_id and team_id columns, for the ones given."""
    return [col == value for col, value in ((table.agent_id, agent_id), (table.team_id, team_id)) if value is not None]


def _agent_team_time(table, f: CallFilter) -> list:
    """The filter's agent, team and start-time conditions, on calls or on a table that
    repeats those columns of its call (violations, hits)."""
    conds = _agent_team(table, f.agent_id, f.team_id)
    if f.since is not None:
        conds.append(table.started_at >= f.since)
    if f.until is not None:
        conds.append(table.started_at < f.until)
    return conds


def _where(f: CallFilter) -> list:
    conds = _agent_team_time(CallRow, f)
    if f.min_score is not None:
        conds.append(CallRow.score >= f.min_score)
    if f.max_score is not None:
        conds.append(CallRow.score <= f.max_score)
    if f.passed is not None:
        conds.append(CallRow.passed == f.passed)
    if f.rule_id is not None:
        conds.append(exists().where(ViolationRow.call_id == CallRow.call_id, ViolationRow.rule_id == f.rule_id))
    if f.phrase is not None:
        conds.append(exists().where(HitRow.call_id == CallRow.call_id, HitRow.phrase == f.phrase))
    return conds


def _count(session: Session, f: CallFilter, conds: list, zone: ZoneInfo) -> int:
    """How many calls match, read from the smallest place that knows exactly: the daily
    rollups when the filter is whole days by agent, team and pass/fail; the violations
    (which repeat the call's agent, team, time and verdict) when it asks for a failed rule;
    the hits when it asks for a phrase; the calls themselves otherwise."""
    plain = f.min_score is None and f.max_score is None and f.phrase is None and f.agent_id != "" and f.team_id != ""
    if plain and f.rule_id is None and all(t is None or t == day_start(local_day(t, zone), zone) for t in (f.since, f.until)):
        d = DailyCallsRow
        rconds = _agent_team(d, f.agent_id, f.team_id)
        if f.since is not None or f.until is not None:
            rconds.append(d.day > UNDATED)  # a call without started_at is outside every range
            rconds += _day_range(d, f.since and local_day(f.since, zone), f.until and local_day(f.until, zone))
        n = {None: d.calls, True: d.passed, False: d.calls - d.passed}[f.passed]
        return session.execute(select(func.coalesce(func.sum(n), 0)).where(*rconds)).scalar_one()
    if plain and f.rule_id is not None:
        v = ViolationRow
        vconds = [v.rule_id == f.rule_id, *_agent_team_time(v, f)]
        if f.passed is not None:
            vconds.append(v.call_passed == f.passed)
        return session.execute(select(func.count()).select_from(v).where(*vconds)).scalar_one()
    if f.phrase is not None and f.rule_id is None and f.passed is None and f.min_score is None and f.max_score is None:
        h = HitRow
        return session.execute(select(func.count(h.call_id.distinct()))
                               .where(h.phrase == f.phrase, *_agent_team_time(h, f))).scalar_one()
    return session.execute(select(func.count()).select_from(CallRow).where(*conds)).scalar_one()


def _encode_cursor(sort: str, key, call_id: str) -> str:
    raw = json.dumps([sort, key.isoformat() if isinstance(key, datetime) else key, call_id], ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode()


_BAD_CURSOR = "cursor is not one this service gave out for this sort; start again without it"


def _decode_cursor(cursor: str, sort: str):
    """(sort key, call_id) of a cursor made by _encode_cursor for the same sort. Anything
    else (hand-made, from another sort, cut short) is an InputError, before any SQL."""
    try:
        made_for, key, call_id = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
        call_id.encode("utf-8")  # (a lone surrogate is no call id a database can hold)
    except (ValueError, TypeError, UnicodeError, RecursionError, AttributeError):
        raise InputError(_BAD_CURSOR) from None
    if made_for != sort or not isinstance(call_id, str) or "\x00" in call_id:
        raise InputError(_BAD_CURSOR)
    if key is None:
        return None, call_id
    if sort == "started_at":
        if not isinstance(key, str):
            raise InputError(_BAD_CURSOR)
        try:
            key = datetime.fromisoformat(key)
        except ValueError:
            raise InputError(_BAD_CURSOR) from None
        # (every stored time lies within the years in UTC, and so does every cursor made from one)
        if key.tzinfo is None or not FIRST_YEAR <= key.year <= LAST_YEAR or \
                not FIRST_YEAR <= key.astimezone(UTC).year <= LAST_YEAR:
            raise InputError(_BAD_CURSOR)
        return key, call_id
    if isinstance(key, bool) or not isinstance(key, (int, float)):
        raise InputError(_BAD_CURSOR)
    try:
        key = float(key)  # (a number too large for a float: OverflowError)
    except OverflowError:
        raise InputError(_BAD_CURSOR) from None
    if not math.isfinite(key):
        raise InputError(_BAD_CURSOR)
    return key, call_id


def list_calls(*, session: Session, where: CallFilter, zone: ZoneInfo, sort: str = "started_at",
               descending: bool = True, limit: int = 50,
               cursor: str | None = None) -> tuple[list[dict], int, str | None]:
    """(summaries of one page of calls, total matching, cursor of the next page or None).
    Pages are keyed on (sort column, call_id), so a page is as fast deep down as at the top."""
    column = SORTS[sort]
    conds = _where(where)
    total = _count(session, where, conds, zone)
    stmt: Select = select(CallRow.call_id, CallRow.agent_id, CallRow.team_id, CallRow.started_at, CallRow.score,
                          CallRow.passed, CallRow.lexicon_version, column.label("sort_key")).where(*conds)
    # A call with no start time sorts as if after every time, on both databases (PostgreSQL's
    # own order, which its indexes serve: NULLS LAST ascending, NULLS FIRST descending), and the
    # cursor walks across from the times to them and back, so paging reaches every call once.
    if cursor:
        key, last_id = _decode_cursor(cursor, sort)
        if descending:
            after = or_(column < key, and_(column == key, CallRow.call_id < last_id)) if key is not None else \
                or_(column.is_not(None), and_(column.is_(None), CallRow.call_id < last_id))
        else:
            after = or_(column > key, and_(column == key, CallRow.call_id > last_id), column.is_(None)) \
                if key is not None else and_(column.is_(None), CallRow.call_id > last_id)
        stmt = stmt.where(after)
    order = (column.desc().nulls_first(), CallRow.call_id.desc()) if descending else \
        (column.asc().nulls_last(), CallRow.call_id.asc())
    rows = session.execute(stmt.order_by(*order).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [{"call_id": r.call_id, "agent_id": r.agent_id, "team_id": r.team_id,
              "started_at": r.started_at.isoformat() if r.started_at else None, "score": r.score,
              "passed": r.passed, "lexicon_version": r.lexicon_version} for r in rows]
    nxt = _encode_cursor(sort, rows[-1].sort_key, rows[-1].call_id) if more and rows else None
    return items, total, nxt


def _day_range(table, since: date | None, until: date | None) -> list:
    conds = []
    if since is not None:
        conds.append(table.day >= since)
    if until is not None:
        conds.append(table.day < until)
    return conds


def agent_summary(*, session: Session, agent_id: str, since: date | None = None, until: date | None = None) -> dict:
    """Calls, average score, pass rate, violations per rule and a per-day trend of one agent,
    over the days since <= day < until (the center's days), from the daily rollups."""
    conds = [DailyCallsRow.agent_id == agent_id, *_day_range(DailyCallsRow, since, until)]
    trend, calls, passed, score_sum = [], 0, 0, 0.0
    for day, n, p, total in session.execute(
        select(DailyCallsRow.day, func.sum(DailyCallsRow.calls), func.sum(DailyCallsRow.passed),
               func.sum(DailyCallsRow.score_sum)).where(*conds).group_by(DailyCallsRow.day).order_by(DailyCallsRow.day)
    ).all():
        if not n:
            continue  # every call of that day was since replaced by one on another day
        calls, passed, score_sum = calls + n, passed + p, score_sum + total
        if day != UNDATED:
            trend.append({"day": day.isoformat(), "calls": n, "average_score": round(total / n, 2),
                          "pass_rate": round(p / n, 4)})
    violations = {rule_id: n for rule_id, n in session.execute(
        select(DailyRulesRow.rule_id, func.sum(DailyRulesRow.failed))
        .where(DailyRulesRow.agent_id == agent_id, *_day_range(DailyRulesRow, since, until))
        .group_by(DailyRulesRow.rule_id).order_by(DailyRulesRow.rule_id)
    ).all() if n}
    return {"agent_id": agent_id, "calls": calls, "average_score": round(score_sum / calls, 2) if calls else None,
            "pass_rate": round(passed / calls, 4) if calls else None, "violations": violations, "trend": trend}


def rule_stats(*, session: Session, since: date | None = None, until: date | None = None,
               team_id: str | None = None, agent_id: str | None = None, top: int = 5) -> list[dict]:
    """Per rule, over the days since <= day < until: how often it was broken among the calls
    it applied to, its hits, and the phrases hit most. Read from the daily rollups."""
    def where(table) -> list:
        return [*_day_range(table, since, until), *_agent_team(table, agent_id, team_id)]

    rows = session.execute(
        select(DailyRulesRow.rule_id, func.sum(DailyRulesRow.calls), func.sum(DailyRulesRow.applicable),
               func.sum(DailyRulesRow.failed), func.sum(DailyRulesRow.hits))
        .where(*where(DailyRulesRow)).group_by(DailyRulesRow.rule_id).order_by(DailyRulesRow.rule_id)
    ).all()
    hits = func.sum(DailyPhrasesRow.hits)
    phrases: dict[str, list[dict]] = {}
    for rule_id, phrase, n in session.execute(
        select(DailyPhrasesRow.rule_id, DailyPhrasesRow.phrase, hits).where(*where(DailyPhrasesRow))
        .group_by(DailyPhrasesRow.rule_id, DailyPhrasesRow.phrase)
        .order_by(DailyPhrasesRow.rule_id, hits.desc(), DailyPhrasesRow.phrase)
    ).all():
        lst = phrases.setdefault(rule_id, [])
        if n and len(lst) < top:
            lst.append({"phrase": phrase, "hits": n})
    return [{"rule_id": rule_id, "calls_applicable": applicable, "violations": failed,
             "violation_rate": round(failed / applicable, 4) if applicable else None,
             "hits": n_hits, "top_phrases": phrases.get(rule_id, [])}
            for rule_id, n_calls, applicable, failed, n_hits in rows if n_calls]
