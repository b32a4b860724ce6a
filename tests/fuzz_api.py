"""schemathesis against the OpenAPI document of a running `callqa serve`, on SQLite and on
PostgreSQL, bounded in time: every generated request (fuzzed bodies, parameters, headers,
stateful sequences) must get an answer that is not a server error.

    python -m tests.fuzz_api [--seconds 45] [--seed 1] [--databases sqlite postgresql]

Exit code 0 when no check failed on any database. Run by .ci/run after the test suite (it
takes minutes, so it is not part of the pytest run).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PG_URL = os.environ.get("CALLQA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"callqa serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"callqa serve did not answer {url} in {seconds:.0f} s")


def fuzz(database: str, seconds: int, seed: int, folder: Path) -> int:
    url = f"sqlite:///{folder / 'fuzz.db'}" if database == "sqlite" else PG_URL
    if database == "postgresql":
        from app.store.db import drop_everything, make_engine

        engine = make_engine(url)
        drop_everything(engine)
        engine.dispose()
    port = _free_port()
    env = {**os.environ, "CALLQA_DATABASE_URL": url}
    env.pop("CALLQA_API_KEYS", None)  # open, on loopback
    log = folder / f"serve-{database}.log"
    with log.open("wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)], env=env,
                                stdout=subprocess.DEVNULL, stderr=err)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait(f"{base}/healthz", proc)
        st = shutil.which("st", path=os.path.dirname(sys.executable)) or "st"
        done = subprocess.run([st, "run", f"{base}/openapi.json", "--checks", "not_a_server_error",
                               "--max-time", str(seconds), "--seed", str(seed), "--max-examples", "50",
                               "--report-dir", str(folder / f"report-{database}")], cwd=folder, check=False)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    tracebacks = log.read_text(encoding="utf-8", errors="replace").count("Traceback")
    print(f"{database}: schemathesis exit code {done.returncode}; tracebacks in the service log: {tracebacks}")
    if tracebacks:
        print(log.read_text(encoding="utf-8", errors="replace")[-4000:])
    return done.returncode or (1 if tracebacks else 0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=int, default=45, help="time budget per database (default 45)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="callqa-fuzz-") as tmp:
        codes = [fuzz(db, args.seconds, args.seed, Path(tmp)) for db in args.databases]
    return max(codes)


if __name__ == "__main__":
    sys.exit(main())
