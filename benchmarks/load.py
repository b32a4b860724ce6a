"""Load benchmark: `callqa serve` on loopback, 32 clients POSTing calls for a bounded time,
against SQLite and PostgreSQL; then a check that every acknowledged call is stored exactly
once. Prints throughput and p50 / p99 latency, twice per database: once with every client
sending its next call as soon as the last is answered (the most the service can take), then
with the clients together paced at a given rate (--rate, default 400 calls/s), latency
counted from when each call was due, so a service that falls behind is charged for it.

The clients speak plain keep-alive HTTP/1.1 over asyncio streams, so the load generator takes
as little of the machine's two cores as it can from the server it measures.

    python -m benchmarks.load [--seconds 20] [--clients 32] [--workers 2] [--db sqlite|postgresql|both]
                              [--rate 400 ...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import uvloop
from sqlalchemy import select, text

from app.lexicon.compiler import default_lexicon_dir, load_lexicon
from app.models import Call
from app.score.scorer import score_call
from app.store.db import drop_everything, make_engine
from app.store.tables import CallRow
from benchmarks.speed import speed_call

PG_URL = os.environ.get("CALLQA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(body: bytes, port: int, path: str = "/v1/calls") -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


async def _client(port: int, path: str, bodies: list[tuple[str, bytes]], deadline: float, acked: dict, lat: list,
                  errors: list, schedule=None):
    """Send the bodies one after another on one keep-alive connection. With a schedule
    (the time each request is due), wait for it, and measure latency from when the request
    was due, not from when it went out: a server that falls behind is charged for the wait."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        i = 0
        while time.perf_counter() < deadline and i < len(bodies):
            call_id, body = bodies[i]
            due = schedule(i) if schedule else None
            i += 1
            if due is not None:
                if due >= deadline:
                    break
                if due > time.perf_counter():
                    await asyncio.sleep(due - time.perf_counter())
            t0 = due if due is not None else time.perf_counter()
            writer.write(_request(body, port, path))
            await writer.drain()
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            lat.append(time.perf_counter() - t0)
            status = int(status_line.split()[1])
            if status in (200, 201):
                acked[call_id] = acked.get(call_id, 0) + 1
            else:
                errors.append(status)
    finally:
        writer.close()


async def _run(port: int, path: str, clients: int, seconds: float, calls_per_client: int, resend: float, seed: int,
               rate: float = 0.0, prefix: str = "load"):
    rng = random.Random(seed)
    # 300 distinct transcripts, each request with its own call_id (generating every call would
    # take the load generator longer than the run it feeds)
    pool = []
    for i in range(300):
        call = speed_call(i, rng)
        call["call_id"] = "@@ID@@"
        pool.append(json.dumps(call, ensure_ascii=False))
    per_client = []
    n = 0
    for c in range(clients):
        bodies = []
        for _ in range(calls_per_client):
            call_id = f"{prefix}-{c:02d}-{n:07d}"
            n += 1
            bodies.append((call_id, rng.choice(pool).replace("@@ID@@", call_id, 1).encode()))
            if rng.random() < resend:  # the same call sent again: must be replaced, never duplicated
                bodies.append(bodies[-1])
        per_client.append(bodies)
    acked: dict[str, int] = {}
    lat: list[float] = []
    errors: list[int] = []
    cpu = time.process_time()  # the generator's own CPU while it sends, not while it prepares
    start = time.perf_counter()
    deadline = start + seconds

    def schedule(c: int):
        # client c's i-th request is due at start + (i * clients + c) / rate: evenly spaced overall
        return (lambda i: start + (i * clients + c) / rate) if rate else None

    await asyncio.gather(*(_client(port, path, b, deadline, acked, lat, errors, schedule(c)) for c, b in enumerate(per_client)))
    return acked, lat, errors, time.perf_counter() - start, time.process_time() - cpu


def _wait_ready(port: int, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"callqa serve exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            _get(port, "/healthz", timeout=1)
            return
        except OSError:  # not listening yet, or not healthy (HTTPError is an OSError too)
            time.sleep(0.3)
    raise SystemExit("callqa serve did not answer /healthz in time")


def _get(port: int, path: str, timeout: float = 10) -> bytes:
    """The body of a GET on the service; raises OSError unless it answers 2xx."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
        return r.read()


def _write_counts(port: int) -> tuple[float, float]:
    """(transactions, calls) the service's writers have committed so far, from /metrics."""
    found = {}
    for line in _get(port, "/metrics").decode().splitlines():
        name, _, value = line.partition(" ")
        if name in ("callqa_store_batch_calls_count", "callqa_store_batch_calls_sum"):
            found[name] = float(value)
    return found.get("callqa_store_batch_calls_count", 0.0), found.get("callqa_store_batch_calls_sum", 0.0)


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) used so far by these processes, from /proc."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:  # the process has ended
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def processes(pred) -> list[int]:
    """The running processes whose command line satisfies pred (Linux /proc)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    cmd = f.read().split(b"\0")
            except OSError:
                continue
            if pred(cmd):
                out.append(int(entry))
    return out


def _service_pids(root: int) -> list[int]:
    """`callqa serve` and its worker processes."""
    children: dict[int, list[int]] = {}
    for pid in processes(lambda cmd: True):
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        children.setdefault(ppid, []).append(pid)
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


def _phase(db: str, args, port: int, rate: float, prefix: str, acked_all: dict, server: int) -> bool:
    # Where the CPU goes, per call: the numbers that stay put on a machine whose speed does not.
    service, postgres = _service_pids(server), processes(lambda cmd: b"postgres" in cmd[0])
    before = (cpu_seconds(service), cpu_seconds(postgres))
    writes = _write_counts(port)
    # uvloop (which uvicorn runs on too): the generator shares the two cores with the service
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        acked, lat, errors, elapsed, generator_cpu = runner.run(_run(port, args.path, args.clients, args.seconds,
                                                      args.calls_per_client, args.resend, args.seed, rate, prefix))
    used = (cpu_seconds(service) - before[0], cpu_seconds(postgres) - before[1], generator_cpu)
    transactions, written = (after - b for after, b in zip(_write_counts(port), writes, strict=True))
    for k, v in acked.items():
        acked_all[k] = acked_all.get(k, 0) + v
    lat.sort()
    n = len(lat)
    mode = f"paced at {rate:,.0f} calls/s" if rate else "as fast as it answers"
    print(f"{db:<11} {mode:<22} {args.workers} workers, {args.clients} clients, {elapsed:.1f} s: {n:,} requests, "
          f"{n / elapsed:,.0f} calls/s; latency p50 {statistics.median(lat) * 1000:.1f} ms, "
          f"p99 {lat[int(n * 0.99) - 1] * 1000:.1f} ms, max {lat[-1] * 1000:.1f} ms; errors {len(errors)}")
    if n:
        print(f"{'':<11} CPU per call: service {used[0] / n * 1000:.2f} ms"
              + (f", PostgreSQL {used[1] / n * 1000:.2f} ms" if db == "postgresql" else "")
              + f", load generator {used[2] / n * 1000:.2f} ms"
              + (f"; {written / transactions:.1f} calls per transaction" if transactions else ""))
    return not errors


def bench(db: str, args) -> None:
    tmp = tempfile.mkdtemp(prefix="callqa-load-")
    if db == "sqlite":
        url = f"sqlite:///{tmp}/load.db"
    else:
        url = PG_URL
        eng = make_engine(url)
        drop_everything(eng)
        eng.dispose()
    port = _free_port()
    env = {**os.environ, "CALLQA_DATABASE_URL": url}
    env.pop("CALLQA_API_KEYS", None)
    exe = Path(sys.executable).with_name("callqa")
    acked: dict[str, int] = {}
    ok = True
    with open(Path(tmp) / "serve.log", "wb") as log:
        proc = subprocess.Popen([str(exe), "serve", "--port", str(port), "--workers", str(args.workers)], env=env,
                                stdout=subprocess.DEVNULL, stderr=log)
        try:
            _wait_ready(port, proc, Path(tmp) / "serve.log")
            ok &= _phase(db, args, port, 0.0, "max", acked, proc.pid)
            for rate in args.rate:
                ok &= _phase(db, args, port, rate, f"r{rate:g}", acked, proc.pid)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    if args.path != "/v1/calls":
        print(f"{'':<11} (scored only: nothing stored to check) -> {'OK' if ok else 'FAILED'}")
        return
    eng = make_engine(url)
    with eng.connect() as conn:
        stored = [r[0] for r in conn.execute(select(CallRow.call_id))]
        if db == "postgresql":  # the write path should find the calls it replaces by key, never by scanning
            scans, read = conn.execute(text("SELECT seq_scan, seq_tup_read FROM pg_stat_user_tables "
                                            "WHERE relname = 'calls'")).one()
            print(f"{'':<11} sequential scans of calls during the runs: {scans:,} ({read:,} rows read)")
    eng.dispose()
    missing = set(acked) - set(stored)
    extra = set(stored) - set(acked)
    dup = len(stored) - len(set(stored))
    print(f"{'':<11} acknowledged {len(acked):,} distinct calls ({sum(acked.values()) - len(acked):,} re-sent); "
          f"stored {len(stored):,}: missing {len(missing)}, unacknowledged {len(extra)}, duplicated {dup} "
          f"-> {'OK' if ok and not (missing or extra or dup) else 'FAILED'}")


def yardstick(n: int = 400, repeat: int = 3) -> float:
    """Calls/s of parse + score + JSON on one core in this process, before the service starts:
    the speed of the machine at the time of the run. The same code has measured over twice as
    fast on one day as on another here, so a load figure means little without it."""
    rng = random.Random(0)
    lines = [json.dumps(speed_call(i, rng), ensure_ascii=False) for i in range(n)]
    lex = load_lexicon(default_lexicon_dir())
    score_call(Call.model_validate_json(lines[0]), lex)  # warm the tokenizer
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for line in lines:
            score_call(Call.model_validate_json(line), lex).model_dump_json(exclude_none=True)
        best = min(best, time.perf_counter() - t0)
    return n / best


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--calls-per-client", type=int, default=1500, help="upper bound of calls each client sends")
    ap.add_argument("--resend", type=float, default=0.05, help="share of calls sent twice (default 0.05)")
    ap.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--rate", type=float, nargs="*", default=[400.0],
                    help="after the run as fast as the service answers, a run paced at each of these rates "
                         "(calls/s over all clients; default 400)")
    ap.add_argument("--score-only", dest="path", action="store_const", const="/v1/score", default="/v1/calls",
                    help="POST to /v1/score (score without storing): the service's cost without the database")
    args = ap.parse_args(argv)
    print(f"load benchmark on {os.cpu_count()} cores; calls of ~1,600 characters "
          f"(about {len(json.dumps(speed_call(0, random.Random(0)), ensure_ascii=False).encode()) // 1024} KB each)")
    print(f"machine speed now: parse + score + JSON alone, one core, {yardstick():,.0f} calls/s "
          "(the same measure as `benchmarks.speed` in process)")
    for db in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
        bench(db, args)


if __name__ == "__main__":
    main()
