"""Cursor paging walks every call exactly once, whatever the mix of calls with and without a
start time, the sort, the order and the page size, on both databases."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from app.lexicon.compiler import default_lexicon_dir, load_lexicon
from app.models import Call
from app.score.scorer import score_call
from app.store.calls import CallFilter, list_calls, save_call
from app.store.db import make_sessionmaker
from app.store.tables import CallRow, DailyCallsRow, DailyPhrasesRow, DailyRulesRow, HitRow, ViolationRow
from tests.store.test_calls import ZONE

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)

# each call: (its day, or None for no start time; whether it says goodbye: two scores)
CALLS = st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 3)), st.booleans()), min_size=0, max_size=9)


def _call(i: int, day: int | None, closing: bool) -> Call:
    utts = [{"speaker": "agent", "text": "您好，瑞丰电器。"}, {"speaker": "customer", "text": "空调坏了"},
            {"speaker": "agent", "text": "好的，再见。" if closing else "好的。"}]
    data = {"call_id": f"c-{i}", "variables": {"company": "瑞丰电器"}, "utterances": utts}
    if day is not None:
        data["started_at"] = (T0 + timedelta(days=day)).isoformat()
    return Call.model_validate(data)


@functools.lru_cache(maxsize=1)
def _lexicon():
    return load_lexicon(default_lexicon_dir())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(calls=CALLS, sort=st.sampled_from(["started_at", "score"]), descending=st.booleans(),
       limit=st.integers(1, 4))
def test_paging_walks_every_call_once(engine, calls, sort, descending, limit):
    lexicon = _lexicon()  # (not a fixture argument: hypothesis would print its whole repr)
    sf = make_sessionmaker(engine)
    with sf() as s, s.begin():
        for table in (HitRow, ViolationRow, CallRow, DailyCallsRow, DailyRulesRow, DailyPhrasesRow):
            s.execute(delete(table))
    for i, (day, closing) in enumerate(calls):
        c = _call(i, day, closing)
        with sf() as s:
            save_call(session=s, call=c, result=score_call(c, lexicon), zone=ZONE)
    seen, cursor = [], None
    with sf() as s:
        for _ in range(len(calls) + 2):
            items, total, cursor = list_calls(session=s, where=CallFilter(), zone=ZONE, sort=sort,
                                              descending=descending, limit=limit, cursor=cursor)
            seen += [c["call_id"] for c in items]
            if cursor is None:
                break
    assert total == len(calls)
    assert sorted(seen) == sorted(f"c-{i}" for i in range(len(calls)))
