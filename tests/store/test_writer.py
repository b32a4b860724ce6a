from __future__ import annotations

import json
import threading
from collections import Counter
from concurrent.futures import TimeoutError as FuturesTimeout

import pytest
from sqlalchemy import func, select

from app.score.scorer import score_call
from app.store import writer as writer_module
from app.store.db import make_sessionmaker
from app.store.tables import CallRow, ViolationRow
from app.store.writer import BatchWriter
from tests.store.test_calls import ZONE, call


def test_concurrent_saves_store_each_call_once(engine, lexicon):
    sf = make_sessionmaker(engine)
    w = BatchWriter(sf, ZONE)
    created: Counter = Counter()
    lock = threading.Lock()

    def client(n: int):
        for i in range(12):
            cid = f"c-{(n * 7 + i) % 40:03d}"  # clients overlap: the same call_id comes again
            c = call(cid, rude=i % 3 == 0)
            new = w.save(c, score_call(c, lexicon))
            with lock:
                created[cid] += int(new)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    w.close()
    with sf() as s:
        ids = list(s.execute(select(CallRow.call_id)).scalars())
        n_violations = s.execute(select(func.count()).select_from(ViolationRow)).scalar_one()
        failed = sum(r["status"] == "failed" for doc in s.execute(select(CallRow.result)).scalars()
                     for r in json.loads(doc)["rules"])
    assert len(ids) == len(set(ids)) == len(created)
    assert all(v == 1 for v in created.values()), created  # "new" exactly once per call
    assert failed and n_violations == failed  # replaced calls left no stale violations


def test_a_failing_batch_is_written_one_by_one(engine, lexicon, monkeypatch):
    sf = make_sessionmaker(engine)
    w = BatchWriter(sf, ZONE)

    def broken(**kwargs):
        raise RuntimeError("simulated failure of a whole batch")

    # the batch path fails; the one-by-one path (save_call) still reaches the real store_calls
    monkeypatch.setattr(writer_module, "store_calls", broken)
    c = call("c-solo")
    assert w.save(c, score_call(c, lexicon)) is True
    w.close()
    with sf() as s:
        assert s.execute(select(CallRow.call_id)).scalars().all() == ["c-solo"]


def test_sqlite_writers_take_turns_on_the_lock_file(tmp_path):
    """Two holders of write_lock never overlap (threads here; processes use the same file)."""
    import time

    from app.store.db import make_engine, write_lock

    engine = make_engine(f"sqlite:///{tmp_path / 'lock.db'}")
    inside, overlaps = [], []

    def hold(name: str):
        with write_lock(engine):
            if inside:
                overlaps.append((inside[-1], name))
            inside.append(name)
            time.sleep(0.05)
            inside.remove(name)

    threads = [threading.Thread(target=hold, args=(f"t{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlaps == [] and (tmp_path / "lock.db.write-lock").exists()


def test_a_transaction_waits_for_calls_still_on_their_way(engine, lexicon):
    """A call being scored (on_the_way) holds the next transaction open for it, so both go in
    one; with nothing on its way a call is committed alone, without waiting."""
    sf = make_sessionmaker(engine)
    commits: list[int] = []
    w = BatchWriter(sf, ZONE, linger=30.0, on_commit=lambda n, _seconds: commits.append(n))
    first, second, third = (call(f"c-way-{i}") for i in range(3))
    with w.on_the_way():  # `second` is being scored
        stored_first = w.submit(first, score_call(first, lexicon))
        with pytest.raises(FuturesTimeout):  # not committed alone: the writer waits for `second`
            stored_first.result(timeout=0.5)
        stored_second = w.submit(second, score_call(second, lexicon))
    assert stored_first.result(timeout=30) and stored_second.result(timeout=30)
    # nothing on its way: committed at once, not after the 30 s the writer may wait
    assert w.submit(third, score_call(third, lexicon)).result(timeout=10)
    w.close()
    assert commits == [2, 1]
    with sf() as s:
        assert sorted(s.execute(select(CallRow.call_id)).scalars()) == ["c-way-0", "c-way-1", "c-way-2"]


def test_a_failing_commit_callback_does_not_hold_up_the_calls(engine, lexicon):
    def broken(_calls, _seconds):
        raise RuntimeError("simulated failure of a metric")

    w = BatchWriter(make_sessionmaker(engine), ZONE, on_commit=broken)
    c = call("c-metric")
    assert w.submit(c, score_call(c, lexicon)).result(timeout=30) is True
    w.close()


def test_calls_the_database_cannot_take_fail_as_unavailable(lexicon):
    """With the database unreachable, each waiting call fails at once with StoreUnavailable
    (the API answers 503: send again), not after a second try one by one."""
    from sqlalchemy import event

    from app.errors import StoreUnavailable
    from app.store.db import make_engine

    engine = make_engine("postgresql://postgres@127.0.0.1:1/none")  # port 1: nothing listens
    attempts = []
    event.listen(engine, "do_connect", lambda *args: attempts.append(1))
    w = BatchWriter(make_sessionmaker(engine), ZONE)
    try:
        futures = [w.submit(c, score_call(c, lexicon)) for c in (call("c-1"), call("c-2"))]
        for fut in futures:
            with pytest.raises(StoreUnavailable):
                fut.result(timeout=30)
    finally:
        w.close()
    # one attempt per batch (one or two batches); trying each call again would make 3 or 4
    assert 1 <= len(attempts) <= 2
