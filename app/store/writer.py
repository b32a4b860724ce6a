"""Group commit: the calls that arrive while a transaction is being written go into the
next one, together. Each caller waits until its own call is committed, so nothing is
acknowledged before it is stored; a busy service writes many calls per round trip.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from datetime import datetime, timezone

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from app.models import Call, CallResult
from app.store.calls import _HITS_INSERT, _RULES_INSERT, _upsert, call_values, child_rows, save_call
from app.store.tables import CallRow, HitRow, RuleResultRow

log = logging.getLogger("callqa")
MAX_BATCH = 64


class BatchWriter:
    """One thread per process that writes queued calls in shared transactions."""

    def __init__(self, sessions: sessionmaker[Session]):
        self._sessions = sessions
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="callqa-writer", daemon=True)
        self._thread.start()

    def submit(self, call: Call, result: CallResult) -> Future:
        """Queue the call; the future says True (new) or False (replaced) once committed."""
        fut: Future = Future()
        self._queue.put((call, result, datetime.now(timezone.utc), fut))
        return fut

    def save(self, call: Call, result: CallResult) -> bool:
        """Store the call (replacing an earlier one); True when new. Returns once committed."""
        return self.submit(call, result).result()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        pending: list = []
        while True:
            item = pending.pop(0) if pending else self._queue.get()
            if item is None:
                return
            batch = [item]
            seen = {item[0].call_id}
            # Take what is already waiting: calls that arrived during the last commit.
            while len(batch) < MAX_BATCH:
                try:
                    nxt = pending.pop(0) if pending else self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)
                    break
                if nxt[0].call_id in seen:  # the same call twice: its second copy goes next time
                    pending.append(nxt)
                    break
                seen.add(nxt[0].call_id)
                batch.append(nxt)
            self._write(batch)

    def _write(self, batch: list) -> None:
        try:
            with self._sessions() as session:
                created = _save_many(session, batch)
        except Exception:  # one bad call must not fail the others: write each on its own
            log.warning("a batch of %d calls failed; writing them one by one", len(batch), exc_info=True)
            for call, result, received_at, fut in batch:
                try:
                    with self._sessions() as session:
                        fut.set_result(save_call(session=session, call=call, result=result, received_at=received_at))
                except Exception as exc:
                    fut.set_exception(exc)
            return
        for (_call, _result, _at, fut), new in zip(batch, created):
            fut.set_result(new)


def _save_many(session: Session, batch: list) -> list[bool]:
    """Store distinct calls in one transaction; for each, whether it is new. Rows are written
    in call_id order, so two workers' batches always lock in the same order (no deadlock)."""
    order = sorted(range(len(batch)), key=lambda i: batch[i][0].call_id)
    batch = [batch[i] for i in order]
    ids = [c.call_id for c, _, _, _ in batch]
    values = [call_values(c, r, at) for c, r, at, _ in batch]
    postgres = session.get_bind().dialect.name == "postgresql"
    with session.begin():
        if postgres:
            rows = session.execute(_upsert("postgresql").returning(CallRow.call_id), values).all()
            inserted = {row.call_id for row in rows if row.inserted}
        else:
            existing = set(session.execute(select(CallRow.call_id).where(CallRow.call_id.in_(ids))).scalars())
            session.execute(_upsert("sqlite"), values)
            inserted = set(ids) - existing
        replaced = [i for i in ids if i not in inserted]
        if replaced:
            session.execute(delete(RuleResultRow).where(RuleResultRow.call_id.in_(replaced)))
            session.execute(delete(HitRow).where(HitRow.call_id.in_(replaced)))
        rules, hits = [], []
        for c, r, _, _ in batch:
            rr, hh = child_rows(c, r)
            rules += rr
            hits += hh
        conn = session.connection()
        conn.execute(_RULES_INSERT, rules)
        if hits:
            conn.execute(_HITS_INSERT, hits)
    created = [i in inserted for i in ids]
    out = [False] * len(batch)
    for pos, i in enumerate(order):
        out[i] = created[pos]
    return out
