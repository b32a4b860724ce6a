"""Group commit: the calls that arrive while a transaction is being written go into the
next one, together. Each caller waits until its own call is committed, so nothing is
acknowledged before it is stored; a busy service writes many calls per round trip.

A transaction costs about as much again as the calls in it, so bigger ones are cheaper per
call. When calls are on their way (announced with `on_the_way`: received and being scored),
the writer waits for them a little (at most `linger` seconds after the first call of the
batch) before it commits. A quiet service has none on the way and commits at once.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from app.models import Call, CallResult
from app.store.calls import Scored, save_call, store_calls
from app.store.db import connection_lost, unavailable, write_lock

log = logging.getLogger("callqa")
MAX_BATCH = 64
LINGER = 0.010  # seconds a batch may wait for calls on their way
_POLL = 0.002  # how often a waiting writer looks again whether calls are still on their way


class BatchWriter:
    """One thread per process that writes queued calls in shared transactions."""

    def __init__(self, sessions: sessionmaker[Session], zone: ZoneInfo, linger: float = LINGER,
                 on_commit: Callable[[int, float], None] | None = None):
        """on_commit(calls, seconds) is told of each transaction committed (for metrics)."""
        self._sessions = sessions
        self._zone = zone
        self._linger = linger
        self._on_commit = on_commit
        self._coming = 0  # calls announced and not yet submitted; changed by one thread only
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="callqa-writer", daemon=True)
        self._thread.start()

    def submit(self, call: Call, result: CallResult, result_json: bytes | None = None) -> Future:
        """Queue the call (with its result serialized, when that is at hand); the future says
        True (new) or False (replaced) once committed."""
        fut: Future = Future()
        text = result_json.decode() if result_json is not None else None
        self._queue.put((Scored(call, result, datetime.now(UTC), text), fut))
        return fut

    @contextmanager
    def on_the_way(self):
        """Around receiving and scoring a call that will be submitted: while any are on
        their way, the writer holds its next transaction open a little for them. Enter and
        leave it on one thread (the event loop's); the writer thread only reads the count."""
        self._coming += 1
        try:
            yield
        finally:
            self._coming -= 1

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
            seen = {item[0].call.call_id}
            deadline = time.monotonic() + self._linger
            # Take what is already waiting (calls that arrived during the last commit), then
            # what arrives while calls are still on their way, until the deadline.
            while len(batch) < MAX_BATCH:
                try:
                    if pending:
                        nxt = pending.pop(0)
                    else:
                        left = deadline - time.monotonic() if self._coming > 0 else 0.0
                        nxt = self._queue.get(timeout=min(left, _POLL)) if left > 0 else self._queue.get_nowait()
                except queue.Empty:
                    if self._coming > 0 and deadline > time.monotonic():
                        continue
                    break
                if nxt is None:
                    self._queue.put(None)
                    break
                if nxt[0].call.call_id in seen:  # the same call twice: its second copy goes next time
                    pending.append(nxt)
                    break
                seen.add(nxt[0].call.call_id)
                batch.append(nxt)
            self._write(batch)

    def _transaction(self, batch: list) -> list[bool]:
        with self._sessions() as session, write_lock(session.get_bind()), session.begin():
            return store_calls(session=session, batch=[scored for scored, _ in batch], zone=self._zone)

    def _commit(self, batch: list) -> list[bool]:
        try:
            return self._transaction(batch)
        except Exception as exc:
            if not connection_lost(exc):
                raise
            # A pooled connection the server had closed (it restarted, or an idle connection
            # was cut): the pool has dropped it, so once more on a new one. Had the lost
            # commit gone through, the calls are replaced, never doubled (answered 200, not 201).
            log.warning("the database connection was lost (%s); writing the batch again", unavailable(exc))
            return self._transaction(batch)

    def _write(self, batch: list) -> None:
        started = time.perf_counter()
        try:
            created = self._commit(batch)
        except Exception as exc:
            self._fail(batch, exc)
            return
        if self._on_commit is not None:
            try:
                self._on_commit(len(batch), time.perf_counter() - started)
            except Exception:  # a broken metric must not hold up committed calls
                log.warning("the commit callback failed", exc_info=True)
        for (_scored, fut), new in zip(batch, created, strict=True):
            fut.set_result(new)

    def _fail(self, batch: list, exc: Exception) -> None:
        down = unavailable(exc)
        if down is not None:  # the database cannot take any of them now: each caller is told to send again
            log.warning("a batch of %d calls was not stored: %s", len(batch), down)
            for _scored, fut in batch:
                fut.set_exception(down)
            return
        # one bad call must not fail the others: write each on its own
        log.warning("a batch of %d calls failed; writing them one by one", len(batch), exc_info=exc)
        for scored, fut in batch:
            try:
                with self._sessions() as session:
                    fut.set_result(save_call(session=session, call=scored.call, result=scored.result,
                                             zone=self._zone, received_at=scored.received_at))
            except Exception as one:
                fut.set_exception(unavailable(one) or one)
