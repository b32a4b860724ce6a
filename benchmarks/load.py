"""Load benchmark: `callqa serve` on loopback, 32 clients POSTing calls for a bounded time,
against SQLite and PostgreSQL; then a check that every acknowledged call is stored exactly
once. Prints throughput and p50 / p99 latency.

The clients speak plain keep-alive HTTP/1.1 over asyncio streams, so the load generator takes
as little of the machine's two cores as it can from the server it measures.

    python -m benchmarks.load [--seconds 20] [--clients 32] [--workers 2] [--db sqlite|postgresql|both]
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
from pathlib import Path

from sqlalchemy import select

from app.store.db import drop_everything, make_engine
from app.store.tables import CallRow
from benchmarks.speed import speed_call

PG_URL = os.environ.get("CALLQA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(body: bytes, port: int) -> bytes:
    return (f"POST /v1/calls HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


async def _client(port: int, bodies: list[tuple[str, bytes]], deadline: float, acked: dict, lat: list, errors: list):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        i = 0
        while time.perf_counter() < deadline and i < len(bodies):
            call_id, body = bodies[i]
            i += 1
            t0 = time.perf_counter()
            writer.write(_request(body, port))
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


async def _run(port: int, clients: int, seconds: float, calls_per_client: int, resend: float, seed: int):
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
            call_id = f"load-{c:02d}-{n:07d}"
            n += 1
            bodies.append((call_id, rng.choice(pool).replace("@@ID@@", call_id, 1).encode()))
            if rng.random() < resend:  # the same call sent again: must be replaced, never duplicated
                bodies.append(bodies[-1])
        per_client.append(bodies)
    acked: dict[str, int] = {}
    lat: list[float] = []
    errors: list[int] = []
    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(*(_client(port, b, deadline, acked, lat, errors) for b in per_client))
    return acked, lat, errors, time.perf_counter() - start


def _wait_ready(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"callqa serve exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if b"200 OK" in s.recv(1024):
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("callqa serve did not answer /healthz in time")


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
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port), "--workers", str(args.workers)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_ready(port, proc)
        acked, lat, errors, elapsed = asyncio.run(_run(port, args.clients, args.seconds, args.calls_per_client,
                                                       args.resend, args.seed))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    eng = make_engine(url)
    with eng.connect() as conn:
        stored = [r[0] for r in conn.execute(select(CallRow.call_id))]
    eng.dispose()
    lat.sort()
    requests = len(lat)
    missing = set(acked) - set(stored)
    extra = set(stored) - set(acked)
    dup = len(stored) - len(set(stored))
    print(f"{db:<11} {args.workers} workers, {args.clients} clients, {elapsed:.1f} s: {requests:,} requests, "
          f"{requests / elapsed:,.0f} calls/s; latency p50 {statistics.median(lat) * 1000:.1f} ms, "
          f"p99 {lat[int(requests * 0.99) - 1] * 1000:.1f} ms, max {lat[-1] * 1000:.1f} ms; "
          f"errors {len(errors)}")
    print(f"{'':<11} acknowledged {len(acked):,} distinct calls ({sum(acked.values()) - len(acked):,} re-sent); "
          f"stored {len(stored):,}: missing {len(missing)}, unacknowledged {len(extra)}, duplicated {dup} "
          f"-> {'OK' if not (missing or extra or dup or errors) else 'FAILED'}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--calls-per-client", type=int, default=1500, help="upper bound of calls each client sends")
    ap.add_argument("--resend", type=float, default=0.05, help="share of calls sent twice (default 0.05)")
    ap.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args(argv)
    print(f"load benchmark on {os.cpu_count()} cores; calls of ~1,600 characters "
          f"(about {len(json.dumps(speed_call(0, random.Random(0)), ensure_ascii=False).encode()) // 1024} KB each)")
    for db in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
        bench(db, args)


if __name__ == "__main__":
    main()
