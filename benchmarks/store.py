"""Store benchmark: what writing scored calls costs, per call, by the number of calls in each
transaction (the service's group commit puts in one transaction the calls that arrived
during the last one: a few at a time under moderate load, more when busy).

The calls are scored first (not timed); then each batch size writes the same calls under new
call_ids through app.store.calls.store_calls, one transaction per batch, as the service's
writer does. Printed per call: this process's CPU (building rows, psycopg, SQLAlchemy), the
database server's CPU (all `postgres` processes on this machine, from /proc: meaningful for a
local server only) and the wall time.

    python -m benchmarks.store [--calls 2000] [--batch 1 2 4 16] [--db postgresql|sqlite] [--pglz]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from app.lexicon.compiler import default_lexicon_dir, load_lexicon
from app.models import Call
from app.score.scorer import score_call
from app.store.calls import Scored, store_calls
from app.store.db import (
    drop_everything,
    make_engine,
    make_sessionmaker,
    migrate,
    write_lock,
)
from benchmarks.load import cpu_seconds, processes
from benchmarks.speed import speed_call

PG_URL = os.environ.get("CALLQA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
ZONE = ZoneInfo("Asia/Shanghai")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=2000, help="calls written per batch size (default 2000)")
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 2, 4, 16], help="calls per transaction")
    ap.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    ap.add_argument("--pglz", action="store_true",
                    help="PostgreSQL: compress the documents with pglz (the server's default) instead of lz4")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)

    rng = random.Random(args.seed)
    lexicon = load_lexicon(default_lexicon_dir())
    calls = [Call.model_validate_json(json.dumps(speed_call(i, rng), ensure_ascii=False)) for i in range(args.calls)]
    results = [score_call(c, lexicon) for c in calls]
    url = PG_URL if args.db == "postgresql" else f"sqlite:///{tempfile.mkdtemp(prefix='callqa-store-')}/store.db"
    engine = make_engine(url)
    if args.db == "postgresql":
        drop_everything(engine)
    migrate(engine, ZONE)
    if args.pglz and args.db == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE calls ALTER COLUMN transcript SET COMPRESSION pglz, "
                                 "ALTER COLUMN result SET COMPRESSION pglz")
    sessions = make_sessionmaker(engine)
    now = datetime.now(UTC)
    hits = sum(len(r.hits) for res in results for r in res.rules) / len(results)
    print(f"store benchmark: {args.db}, {args.calls:,} scored calls per batch size "
          f"({hits:.1f} hits per call, 50 agents, one day); CPU and wall time per call written")
    for size in args.batch:
        batches = [[Scored(c.model_copy(update={"call_id": f"b{size}-{c.call_id}"}), r, now)
                    for c, r in zip(calls[i:i + size], results[i:i + size], strict=True)] for i in range(0, len(calls), size)]
        server = processes(lambda cmd: b"postgres" in cmd[0]) if args.db == "postgresql" else []
        cpu, db_cpu, wall = time.process_time(), cpu_seconds(server), time.perf_counter()
        for batch in batches:
            with sessions() as session, write_lock(engine), session.begin():
                store_calls(session=session, batch=batch, zone=ZONE)
        cpu, db_cpu, wall = (time.process_time() - cpu, cpu_seconds(server) - db_cpu, time.perf_counter() - wall)
        n = len(calls)
        db = f", PostgreSQL {db_cpu / n * 1000:.2f} ms" if server else ""
        print(f"  {size:>3} calls per transaction: this process {cpu / n * 1000:.2f} ms{db}, wall {wall / n * 1000:.2f} ms")
    engine.dispose()


if __name__ == "__main__":
    main()
