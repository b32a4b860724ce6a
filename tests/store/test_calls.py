from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.errors import InputError
from app.models import Call
from app.score.scorer import score_call
from app.store.calls import CallFilter, agent_summary, get_call, list_calls, rule_stats, save_call
from app.store.db import make_sessionmaker, migrate
from app.store.tables import CallRow, HitRow, ViolationRow

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # 09:00 in Beijing
ZONE = ZoneInfo("Asia/Shanghai")


def call(cid, agent="a-1", team="t-1", day=0, closing=True, rude=False):
    utts = [{"speaker": "agent", "text": "您好，瑞丰电器。"}, {"speaker": "customer", "text": "空调坏了"}]
    if rude:
        utts += [{"speaker": "agent", "text": "这事我们不管。"}, {"speaker": "customer", "text": "啊？"}]
    utts.append({"speaker": "agent", "text": "好的，再见。" if closing else "好的。"})
    return Call.model_validate({"call_id": cid, "agent_id": agent, "team_id": team,
                                "started_at": (T0 + timedelta(days=day, minutes=len(cid))).isoformat(),
                                "variables": {"company": "瑞丰电器"}, "utterances": utts})


def store(session_factory, lexicon, c):
    with session_factory() as s:
        return save_call(session=s, call=c, result=score_call(c, lexicon), zone=ZONE)


def test_save_is_new_then_replaced_never_duplicated(engine, lexicon):
    sf = make_sessionmaker(engine)
    assert store(sf, lexicon, call("c-1", rude=True)) is True
    assert store(sf, lexicon, call("c-1", rude=False)) is False
    with sf() as s:
        assert s.execute(select(func.count()).select_from(CallRow)).scalar_one() == 1
        assert s.execute(select(func.count()).select_from(HitRow).where(HitRow.rule_id == "forbidden")).scalar_one() == 0
        assert s.execute(select(func.count()).select_from(ViolationRow)).scalar_one() == 0  # the new one passes
        transcript, result = get_call(session=s, call_id="c-1")
    assert transcript["utterances"][0]["text"] == "您好，瑞丰电器。"
    assert result["passed"] is True
    with sf() as s:
        assert get_call(session=s, call_id="nope") is None


def test_migrate_twice_is_harmless(engine):
    migrate(engine)


def test_filters_sort_and_cursor_pages(engine, lexicon):
    sf = make_sessionmaker(engine)
    for i in range(7):
        store(sf, lexicon, call(f"c-{i}", agent="a-1" if i % 2 else "a-2", day=i, closing=i != 3, rude=i == 5))
    with sf() as s:
        items, total, nxt = list_calls(session=s, zone=ZONE, where=CallFilter(), limit=3)
        assert total == 7 and [c["call_id"] for c in items] == ["c-6", "c-5", "c-4"] and nxt
        items2, _, nxt2 = list_calls(session=s, zone=ZONE, where=CallFilter(), limit=3, cursor=nxt)
        items3, _, nxt3 = list_calls(session=s, zone=ZONE, where=CallFilter(), limit=3, cursor=nxt2)
        assert [c["call_id"] for c in items2 + items3] == ["c-3", "c-2", "c-1", "c-0"] and nxt3 is None
        failed, n, _ = list_calls(session=s, zone=ZONE, where=CallFilter(passed=False))
        assert {c["call_id"] for c in failed} == {"c-3"} and n == 1  # a forbidden hit alone keeps 95 >= 80
        assert {c["call_id"] for c in list_calls(session=s, zone=ZONE, where=CallFilter(rule_id="closing"))[0]} == {"c-3"}
        assert {c["call_id"] for c in list_calls(session=s, zone=ZONE, where=CallFilter(phrase="这事我们不管"))[0]} == {"c-5"}
        by_agent = list_calls(session=s, zone=ZONE, where=CallFilter(agent_id="a-1", since=T0 + timedelta(days=2)))[0]
        assert [c["call_id"] for c in by_agent] == ["c-5", "c-3"]
        low = list_calls(session=s, zone=ZONE, where=CallFilter(max_score=95), sort="score", descending=False)[0]
        assert [c["call_id"] for c in low] == ["c-3", "c-5"]
        with pytest.raises(InputError, match="cursor"):
            list_calls(session=s, zone=ZONE, where=CallFilter(), cursor="not-a-cursor")


def test_agent_summary_and_rule_stats(engine, lexicon):
    sf = make_sessionmaker(engine)
    for i in range(4):
        store(sf, lexicon, call(f"c-{i}", agent="a-1", day=i // 2, closing=i != 0, rude=i == 1))
    store(sf, lexicon, call("c-x", agent="a-2", team="t-2", rude=True))
    with sf() as s:
        summ = agent_summary(session=s, agent_id="a-1")
        assert summ["calls"] == 4 and summ["violations"] == {"closing": 1, "forbidden": 1}
        assert summ["pass_rate"] == 0.75
        assert [d["day"] for d in summ["trend"]] == ["2026-11-02", "2026-11-03"] and summ["trend"][0]["calls"] == 2
        stats = {r["rule_id"]: r for r in rule_stats(session=s)}
        assert stats["forbidden"]["violations"] == 2 and stats["forbidden"]["calls_applicable"] == 5
        assert stats["forbidden"]["top_phrases"] == [{"phrase": "这事我们不管", "hits": 2}]
        assert stats["outbound_confirm"]["calls_applicable"] == 0 and stats["outbound_confirm"]["violation_rate"] is None
        team2 = {r["rule_id"]: r for r in rule_stats(session=s, team_id="t-2")}
        assert team2["forbidden"]["violations"] == 1 and team2["closing"]["violations"] == 0
        day2 = agent_summary(session=s, agent_id="a-1", since=date(2026, 11, 3), until=date(2026, 11, 4))
        assert day2["calls"] == 2 and day2["violations"] == {} and day2["pass_rate"] == 1.0
        assert agent_summary(session=s, agent_id="nobody") == {"agent_id": "nobody", "calls": 0, "average_score": None,
                                                               "pass_rate": None, "violations": {}, "trend": []}


def test_postgresql_compresses_new_documents_with_lz4(engine, lexicon):
    """Migration 0003: a stored transcript long enough to be compressed is compressed with
    lz4 (the servers here are built with it); SQLite has no such setting and stores it plain."""
    c = call("lz4-1").model_copy(update={"utterances": call("x").utterances * 60})
    store(make_sessionmaker(engine), lexicon, c)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            method = conn.exec_driver_sql("SELECT pg_column_compression(transcript) FROM calls").scalar_one()
            assert method == "lz4"
        stored = conn.execute(select(CallRow.transcript)).scalar_one()
    assert stored == c.model_dump_json(exclude_none=True)


def test_migrations_match_the_tables(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from app.store.tables import metadata

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
