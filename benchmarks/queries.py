"""Query benchmark: the store's own queries (the ones behind GET /v1/calls, the agent
summary and the rule stats) over 1,000,000 generated calls in PostgreSQL, with their plans.

The calls are generated in SQL, not scored: 200 agents in 20 teams over 30 days, eight
verdicts per call (the failed ones also as violation rows) and about 1.1 hits per call,
with violation rates like a real center's. Each result document holds just the verdicts
and hits (real ones are ~6 KB with the evidence); the transcripts are stand-ins. The daily
rollups are then counted from those documents by the service's own recount.

    python -m benchmarks.queries [--calls 1000000] [--keep]   # --keep reuses generated data
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import event, text

from app.store import calls as store
from app.store import daily
from app.store.db import drop_everything, make_engine, make_sessionmaker, migrate

PG_URL = os.environ.get("CALLQA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
ZONE = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 10, 1, tzinfo=ZONE)
RULES = ["closing", "forbidden", "greeting", "hold_limit", "hold_notice", "outbound_confirm", "polite", "profanity"]

# which (rule, call) verdicts fail: the same violation rates as before, in one place
FAILED = ("(r.rule_id = 'forbidden' AND g % 7 = 0) OR (r.rule_id = 'closing' AND g % 9 = 0) "
          "OR (r.rule_id = 'greeting' AND g % 13 = 0) OR (r.rule_id = 'profanity' AND g % 997 = 0)")
STATUS = (f"CASE WHEN {FAILED} THEN 'failed' "
          "WHEN r.rule_id = 'outbound_confirm' AND g % 5 <> 0 THEN 'not_applicable' "
          "WHEN r.rule_id LIKE 'hold%' AND g % 3 <> 0 THEN 'not_applicable' ELSE 'passed' END")
PHRASE = "(ARRAY['我不知道', '不行', '这事我们不管', '去找*部门', '改天通知你'])[1 + g % 5]"
HITS = (f"CASE WHEN r.rule_id = 'forbidden' AND g % 7 = 0 THEN json_build_array(json_build_object('phrase', {PHRASE})) "
        "WHEN r.rule_id = 'greeting' AND g % 13 <> 0 THEN json_build_array(json_build_object('phrase', '您好')) "
        "ELSE '[]'::json END")

GENERATE = f"""
INSERT INTO calls (call_id, agent_id, team_id, started_at, direction, score, passed, lexicon_version,
                   received_at, transcript, result)
SELECT 'gen-' || lpad(g::text, 8, '0'), 'a-' || (g % 200), 't-' || (g % 200 / 10),
       :t0 + (g * (2592000.0 / :n)) * interval '1 second',
       CASE WHEN g % 5 = 0 THEN 'outbound' ELSE 'inbound' END,
       100 - 5 * (g % 7 = 0)::int - 10 * (g % 9 = 0)::int - 10 * (g % 13 = 0)::int - 100 * (g % 997 = 0)::int,
       NOT (g % 9 = 0 OR g % 13 = 0 OR g % 997 = 0),
       'gen', now(), '{{"call_id": "gen"}}',
       (SELECT json_build_object('rules', json_agg(json_build_object('rule_id', r.rule_id, 'status', {STATUS},
                                                                     'hits', {HITS})))::text
        FROM unnest(CAST(:rules AS text[])) AS r(rule_id))
FROM generate_series(1, :n) AS g;

INSERT INTO violations (call_id, rule_id, deduction, hit_count, agent_id, team_id, started_at, call_passed)
SELECT c.call_id, r.rule_id, 0, CASE WHEN r.rule_id = 'forbidden' THEN 1 ELSE 0 END, c.agent_id, c.team_id,
       c.started_at, c.passed
FROM (SELECT call_id, agent_id, team_id, started_at, passed, substr(call_id, 5)::int AS g FROM calls) c
CROSS JOIN unnest(CAST(:rules AS text[])) AS r(rule_id)
WHERE {FAILED};

INSERT INTO hits (call_id, rule_id, phrase, matched, method, utterance_index, agent_id, team_id, started_at)
SELECT call_id, 'forbidden', {PHRASE}, '…', 'exact', 3, agent_id, team_id, started_at
FROM (SELECT call_id, agent_id, team_id, started_at, substr(call_id, 5)::int AS g FROM calls) c WHERE g % 7 = 0
UNION ALL
SELECT call_id, 'greeting', '您好', '您好', 'exact', 0, agent_id, team_id, started_at
FROM (SELECT call_id, agent_id, team_id, started_at, substr(call_id, 5)::int AS g FROM calls) c WHERE g % 13 <> 0;
"""


def generate(engine, n: int) -> None:
    drop_everything(engine)
    migrate(engine)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        for stmt in GENERATE.split(";\n"):
            if stmt.strip():
                conn.execute(text(stmt), {"t0": T0, "n": n, "rules": RULES})
    t1 = time.perf_counter()
    with make_sessionmaker(engine)() as session, session.begin():
        daily.rebuild(session, ZONE)  # the rollups the service keeps as it stores calls
    t2 = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    print(f"generated {n:,} calls in {t1 - t0:.0f} s; counted the daily rollups in {t2 - t1:.0f} s")


def timed(fn, runs: int = 5) -> tuple[float, float, object]:
    times = []
    out = None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t) * 1000)
    return min(times), statistics.median(times), out


class _Plans:
    """Records the SQL the store sends, to EXPLAIN it afterwards."""

    def __init__(self, engine):
        self.statements: list[tuple[str, object]] = []
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and not statement.lstrip().upper().startswith("SELECT 1"):
            self.statements.append((statement, parameters))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=1_000_000)
    ap.add_argument("--keep", action="store_true", help="reuse the generated rows of an earlier run")
    ap.add_argument("--plans", action="store_true", help="print every plan in full")
    args = ap.parse_args(argv)
    engine = make_engine(PG_URL)
    if not args.keep:
        generate(engine, args.calls)
    sf = make_sessionmaker(engine)
    week = (T0 + timedelta(days=7), T0 + timedelta(days=14))
    days = (week[0].date(), week[1].date())
    lst = partial(store.list_calls, zone=ZONE, limit=50)
    cases = {
        "list, newest first (page 1 + total)": lambda s: lst(session=s, where=store.CallFilter()),
        "list, one agent, one week": lambda s: lst(
            session=s, where=store.CallFilter(agent_id="a-17", since=week[0], until=week[1])),
        "list, failed calls of one team, one week": lambda s: lst(
            session=s, where=store.CallFilter(team_id="t-3", passed=False, since=week[0], until=week[1])),
        "list, failed the forbidden rule": lambda s: lst(
            session=s, where=store.CallFilter(passed=False, rule_id="forbidden")),
        "list, hit phrase 这事我们不管, one week": lambda s: lst(
            session=s, where=store.CallFilter(phrase="这事我们不管", since=week[0], until=week[1])),
        "list, score <= 85 by score": lambda s: lst(
            session=s, where=store.CallFilter(max_score=85), sort="score", descending=False),
        "agent summary, 30 days": lambda s: store.agent_summary(session=s, agent_id="a-17"),
        "rule stats, one week": lambda s: store.rule_stats(session=s, since=days[0], until=days[1]),
        "rule stats, one team, 30 days": lambda s: store.rule_stats(session=s, team_id="t-3"),
        "rule stats, all, 30 days": lambda s: store.rule_stats(session=s),
    }
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM calls")).scalar_one()
        nr = conn.execute(text("SELECT count(*) FROM violations")).scalar_one()
        nh = conn.execute(text("SELECT count(*) FROM hits")).scalar_one()
    print(f"query benchmark: {n:,} calls, {nr:,} violations, {nh:,} hits in PostgreSQL; best / median of 5 runs")
    for name, fn in cases.items():
        plans = _Plans(engine)
        with sf() as s:
            best, med, _ = timed(lambda fn=fn, s=s: fn(s))
        event.remove(engine, "before_cursor_execute", plans._record)
        verdict = "ok" if best < 200 else "OVER 200 ms"
        print(f"  {name:<40} {best:8.1f} ms {med:8.1f} ms   {verdict}")
        seen = set()
        with engine.connect() as conn:
            for statement, params in plans.statements:
                if statement in seen:
                    continue
                seen.add(statement)
                plan = [r[0] for r in conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)]
                lines = plan if args.plans else [ln for ln in plan if "Scan" in ln or "Execution Time" in ln][:4]
                for ln in lines:
                    print(f"      {ln.strip()[:150]}")


if __name__ == "__main__":
    main()
