"""The daily rollups: kept by every write, equal to a recount, and counting the center's days."""

from __future__ import annotations

import json
import random
import threading
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text

from app.models import Call
from app.score.scorer import score_call
from app.store.calls import CallFilter, agent_summary, list_calls, rule_stats, save_call
from app.store.daily import ensure_zone, rebuild
from app.store.db import make_sessionmaker, migrate
from app.store.tables import CallRow, DailyCallsRow, DailyPhrasesRow, DailyRulesRow, ViolationRow
from app.store.writer import BatchWriter
from tests.store.test_calls import ZONE, call

LINES = ["这事我们不管。", "我不知道。", "不行。", "请您稍等。", "好的。"]


def _random_call(rng: random.Random, cid: str) -> Call:
    """A call whose agent, team, day and content all vary, so a replacement moves counts around."""
    utts = [{"speaker": "agent", "text": rng.choice(["您好，瑞丰电器。", "喂。"])},
            {"speaker": "customer", "text": "空调坏了"}]
    for _ in range(rng.randint(0, 3)):
        utts += [{"speaker": "agent", "text": rng.choice(LINES)}, {"speaker": "customer", "text": "嗯"}]
    utts.append({"speaker": "agent", "text": rng.choice(["好的，再见。", "好的。"])})
    # start times spread around Beijing midnight (16:00 UTC), some with no time at all
    started = None if rng.random() < 0.1 else (
        datetime(2026, 11, 2, 15, 0, tzinfo=UTC) + timedelta(days=rng.randint(0, 3), minutes=rng.randint(0, 120)))
    data = {"call_id": cid, "agent_id": rng.choice(["a-1", "a-2", "a-3", None]), "team_id": rng.choice(["t-1", "t-2"]),
            "variables": {"company": "瑞丰电器"}, "utterances": utts}
    if started is not None:
        data["started_at"] = started.isoformat()
    return Call.model_validate(data)


def _snapshot(session) -> dict:
    def rows(table, keys, values):
        out = {}
        for r in session.execute(select(table)).scalars():
            vals = tuple(round(getattr(r, v), 6) for v in values)
            if any(vals):
                out[tuple(getattr(r, k) for k in keys)] = vals
        return out

    return {"calls": rows(DailyCallsRow, ("day", "team_id", "agent_id"), ("calls", "passed", "score_sum")),
            "rules": rows(DailyRulesRow, ("day", "rule_id", "team_id", "agent_id"),
                          ("calls", "applicable", "failed", "hits")),
            "phrases": rows(DailyPhrasesRow, ("day", "rule_id", "phrase", "team_id", "agent_id"), ("hits",))}


def test_rollups_kept_by_writes_equal_a_recount(engine, lexicon):
    """Saves, replacements (moving a call to another agent, team and day) through both write
    paths leave the rollups exactly as a recount from the stored rows makes them."""
    rng = random.Random(7)
    sf = make_sessionmaker(engine)
    writer = BatchWriter(sf, ZONE)
    futures = []
    for i in range(120):
        c = _random_call(rng, f"c-{rng.randint(0, 40):02d}")
        if i % 2:
            with sf() as s:
                save_call(session=s, call=c, result=score_call(c, lexicon), zone=ZONE)
        else:
            futures.append(writer.submit(c, score_call(c, lexicon)))
            if i % 10 == 0:  # let some batches hold several calls
                for f in futures:
                    f.result()
                futures.clear()
    for f in futures:
        f.result()
    writer.close()
    with sf() as s:
        kept = _snapshot(s)
    with sf() as s, s.begin():
        rebuild(s, ZONE)
    with sf() as s:
        recounted = _snapshot(s)
    assert kept["calls"] and kept["rules"] and kept["phrases"]
    assert kept == recounted


def test_two_writers_at_once_keep_the_rollups_equal_a_recount(engine, lexicon):
    """Two batch writers, as in two service workers, write and replace overlapping calls at
    the same time, moving them between agents, teams and days: each call is stored once and
    the rollups still equal a recount."""
    sf = make_sessionmaker(engine)
    writers = [BatchWriter(sf, ZONE), BatchWriter(sf, ZONE)]
    rng = random.Random(11)
    work = [(writers[i % 2], _random_call(rng, f"c-{rng.randint(0, 30):02d}")) for i in range(240)]
    scored = [(w, c, score_call(c, lexicon)) for w, c in work]

    def client(part):
        for w, c, r in part:
            w.save(c, r)

    threads = [threading.Thread(target=client, args=(scored[k::8],)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for w in writers:
        w.close()
    with sf() as s:
        ids = list(s.execute(select(CallRow.call_id)).scalars())
        kept = _snapshot(s)
    assert len(ids) == len(set(ids)) == len({c.call_id for _, c in work})
    with sf() as s, s.begin():
        rebuild(s, ZONE)
    with sf() as s:
        assert kept == _snapshot(s)


def test_rule_stats_and_summary_agree_with_the_stored_results(engine, lexicon):
    """Oracle: the statistics over a range of days equal counts made by hand from the
    results of the calls that stayed stored."""
    rng = random.Random(11)
    sf = make_sessionmaker(engine)
    final: dict[str, tuple[Call, object]] = {}
    for _ in range(80):
        c = _random_call(rng, f"c-{rng.randint(0, 30):02d}")
        r = score_call(c, lexicon)
        with sf() as s:
            save_call(session=s, call=c, result=r, zone=ZONE)
        final[c.call_id] = (c, r)
    since, until = date(2026, 11, 3), date(2026, 11, 5)

    def local_day(c):
        return c.started_at.astimezone(ZONE).date() if c.started_at else None

    chosen = [(c, r) for c, r in final.values() if local_day(c) and since <= local_day(c) < until and c.team_id == "t-1"]
    applicable, failed, hits, phrases = Counter(), Counter(), Counter(), defaultdict(Counter)
    for _, r in chosen:
        for v in r.rules:
            applicable[v.rule_id] += v.status != "not_applicable"
            failed[v.rule_id] += v.status == "failed"
            hits[v.rule_id] += len(v.hits)
            for h in v.hits:
                phrases[v.rule_id][h.phrase] += 1
    with sf() as s:
        stats = {x["rule_id"]: x for x in rule_stats(session=s, since=since, until=until, team_id="t-1", top=50)}
    assert chosen and set(stats) == {v.rule_id for _, r in chosen for v in r.rules}
    for rule_id, x in stats.items():
        assert (x["calls_applicable"], x["violations"], x["hits"]) == (applicable[rule_id], failed[rule_id], hits[rule_id])
        assert {p["phrase"]: p["hits"] for p in x["top_phrases"]} == dict(phrases[rule_id])

    mine = [(c, r) for c, r in final.values() if c.agent_id == "a-2"]
    with sf() as s:
        summ = agent_summary(session=s, agent_id="a-2")
    assert summ["calls"] == len(mine)
    assert summ["pass_rate"] == round(sum(r.passed for _, r in mine) / len(mine), 4)
    assert summ["average_score"] == round(sum(r.score for _, r in mine) / len(mine), 2)
    per_day = Counter(local_day(c).isoformat() for c, _ in mine if c.started_at)
    assert {d["day"]: d["calls"] for d in summ["trend"]} == dict(per_day)


def test_days_are_the_centers_days_and_offsets_are_kept(engine, lexicon):
    sf = make_sessionmaker(engine)
    # 00:30 on 3 November in Beijing is still 2 November in UTC
    late = call("c-late").model_copy(update={"started_at": datetime(2026, 11, 3, 0, 30, tzinfo=ZONE)})
    # no offset given: the center's local time
    naive = call("c-naive").model_copy(update={"started_at": datetime(2026, 11, 3, 23, 50)})
    with sf() as s:
        for c in (late, naive):
            save_call(session=s, call=c, result=score_call(c, lexicon), zone=ZONE)
    with sf() as s:
        summ = agent_summary(session=s, agent_id="a-1")
        assert [d["day"] for d in summ["trend"]] == ["2026-11-03"] and summ["trend"][0]["calls"] == 2
        # the same instant written with another offset finds the call (SQLite keeps UTC, not wall clocks)
        at = datetime(2026, 11, 2, 16, 30, tzinfo=UTC)
        found = list_calls(session=s, zone=ZONE, where=CallFilter(since=at, until=at + timedelta(seconds=1)))[0]
        assert [c["call_id"] for c in found] == ["c-late"]
        assert found[0]["started_at"].startswith("2026-11-02T16:30:00")


def test_a_new_time_zone_recounts_the_days(engine, lexicon):
    sf = make_sessionmaker(engine)
    late = call("c-late").model_copy(update={"started_at": datetime(2026, 11, 3, 0, 30, tzinfo=ZONE)})
    with sf() as s:
        save_call(session=s, call=late, result=score_call(late, lexicon), zone=ZONE)
    with sf() as s:
        assert ensure_zone(s, ZONE) is True  # never recorded: counted once
        assert ensure_zone(s, ZONE) is False  # recorded: nothing to do
    migrate(engine, ZoneInfo("UTC"))  # the service restarted with CALLQA_TIMEZONE=UTC
    with sf() as s:
        assert [d["day"] for d in agent_summary(session=s, agent_id="a-1")["trend"]] == ["2026-11-02"]


def test_totals_from_rollups_and_verdicts_equal_counting_the_calls(engine, lexicon):
    """Oracle for list_calls' total: whichever table answers it, the number equals a plain
    count over the calls table with the same filter."""
    from app.store.calls import _where

    rng = random.Random(5)
    sf = make_sessionmaker(engine)
    for _ in range(60):
        c = _random_call(rng, f"c-{rng.randint(0, 45):02d}")
        with sf() as s:
            save_call(session=s, call=c, result=score_call(c, lexicon), zone=ZONE)
    midnight = datetime(2026, 11, 4, tzinfo=ZONE)  # whole days: answered from the rollups
    filters = [CallFilter(), CallFilter(passed=False), CallFilter(passed=True, agent_id="a-1"),
               CallFilter(team_id="t-2", since=midnight), CallFilter(until=midnight),
               CallFilter(agent_id="a-2", passed=False, since=midnight - timedelta(days=1), until=midnight),
               CallFilter(since=midnight + timedelta(minutes=30)),  # not whole days: counted from the calls
               CallFilter(rule_id="forbidden"), CallFilter(rule_id="closing", passed=False, team_id="t-1"),
               CallFilter(rule_id="forbidden", since=midnight), CallFilter(rule_id="greeting", passed=True),
               CallFilter(phrase="不行"), CallFilter(phrase="这事我们不管", since=midnight, agent_id="a-1"),
               CallFilter(phrase="我不知道", passed=False), CallFilter(max_score=90, passed=False)]
    with sf() as s:
        for f in filters:
            plain = s.execute(select(func.count()).select_from(CallRow).where(*_where(f))).scalar_one()
            assert list_calls(session=s, zone=ZONE, where=f)[1] == plain, f
        assert list_calls(session=s, zone=ZONE, where=CallFilter())[1] > 0


def test_upgrade_from_the_first_schema_keeps_and_counts_stored_calls(engine, lexicon):
    """A database at revision 0001 with calls in it: the upgrade keeps the failed verdicts
    as violations and the service start counts the rollups from the stored results."""
    from alembic import command
    from alembic.config import Config

    from app.store.db import MIGRATIONS, drop_everything

    drop_everything(engine)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.commit()
        at = datetime(2026, 11, 2, 16, 30, tzinfo=UTC)
        conn.execute(text("INSERT INTO calls (call_id, agent_id, team_id, started_at, score, passed, lexicon_version, "
                          "received_at, transcript, result) VALUES ('old-1', 'a-1', 't-1', :at, 70, :f, 'v', :at, "
                          "'{}', :result)"), {"at": at, "f": False, "result": json.dumps({"rules": [
                              {"rule_id": "closing", "status": "failed", "hits": []},
                              {"rule_id": "greeting", "status": "passed", "hits": [{"phrase": "您好"}]}]})})
        for rule_id, status in (("closing", "failed"), ("greeting", "passed")):
            conn.execute(text("INSERT INTO rule_results (call_id, rule_id, status, deduction, hit_count, agent_id, "
                              "team_id, started_at) VALUES ('old-1', :rule, :status, 30, 0, 'a-1', 't-1', :at)"),
                         {"at": at, "rule": rule_id, "status": status})
        conn.commit()
    migrate(engine, ZONE)
    sf = make_sessionmaker(engine)
    with sf() as s:
        assert s.execute(select(ViolationRow.rule_id, ViolationRow.call_passed)).all() == [("closing", False)]
        assert rule_stats(session=s)[1]["top_phrases"] == [{"phrase": "您好", "hits": 1}]
        summ = agent_summary(session=s, agent_id="a-1")
        assert summ["calls"] == 1 and summ["violations"] == {"closing": 1}
        assert [d["day"] for d in summ["trend"]] == ["2026-11-03"]
        assert list_calls(session=s, zone=ZONE, where=CallFilter(rule_id="closing", passed=False))[1] == 1


def test_the_newest_migration_downgrades_and_upgrades_again(engine):
    from alembic import command
    from alembic.config import Config

    from app.store.db import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
        command.upgrade(cfg, "head")
        conn.commit()
    sf = make_sessionmaker(engine)
    with sf() as s:
        assert agent_summary(session=s, agent_id="a-1")["calls"] == 0
