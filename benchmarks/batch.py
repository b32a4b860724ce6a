"""Batch scoring throughput, memory and resumption.

    python -m benchmarks.batch [--calls 20000] [--workers 1 2]      calls/s of `callqa batch`, whole process
    python -m benchmarks.batch --resume-runs 10 [--calls 4000]         kill -9 at random points, resume, compare
    python -m benchmarks.batch --memory-gb 2                           peak RSS on a large input

The input is a per-utterance CSV of generated calls of about 1,500 characters (the speed
benchmark's calls), written once into .bench/. Throughput counts the whole process: reading
the CSV, scoring, writing the calls table. Targets: >= 2,000 calls/s on this 2-core machine,
nearly linear from 1 to 2 workers; peak RSS under 1 GB for a 2 GB input; every resumed run's
output identical to an uninterrupted run.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.speed import CACHE, speed_call

FIELDS = ["call_id", "agent_id", "team_id", "started_at", "direction", "var.company", "speaker", "text", "start_ms", "end_ms"]


def write_utterance_csv(path: Path, n: int, seed: int = 20261127, start: int = 0) -> int:
    """n generated calls as one row per utterance; returns the characters of speech."""
    rng = random.Random(seed)
    chars = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(FIELDS)
        for i in range(start, start + n):
            c = speed_call(i, rng)
            company = c["variables"]["company"]["name"]
            for u in c["utterances"]:
                chars += len(u["text"])
                w.writerow([c["call_id"], c["agent_id"], f"t-{i % 7}", c["started_at"], "", company,
                            u["speaker"], u["text"], u["start_ms"], u["end_ms"]])
    return chars


def _log(n: int, seed: int = 20261127) -> Path:
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"batch-{n}-{seed}.csv"
    if not path.exists():
        write_utterance_csv(path, n, seed)
    return path


RUNNER = ("import re, sys; from app.cli import main; rc = main(sys.argv[1:]); "
          "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()); "
          "print('peak_kb', hwm.group(1), file=sys.stderr); sys.exit(rc)")


def _batch(log: Path, out: Path, workers: int) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds of the process and its workers, peak RSS MB of the main process)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", RUNNER, "batch", str(log), "-o", str(out), "--workers", str(workers),
                           "--no-progress"], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"callqa batch failed: {proc.stderr[-2000:]}")
    peak = int(re.search(r"peak_kb (\d+)", proc.stderr).group(1)) / 1024
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), peak


def throughput(n: int, workers: list[int], repeat: int) -> None:
    log = _log(n)
    size = log.stat().st_size / 1e6
    print(f"callqa batch on a per-utterance CSV: {n:,} calls, {size:.0f} MB, {os.cpu_count()} cores; best of {repeat}")
    base = None
    for w in workers:
        best = None
        for _ in range(repeat):
            with tempfile.TemporaryDirectory() as tmp:
                r = _batch(log, Path(tmp) / "out.csv", w)
            best = r if best is None or r[0] < best[0] else best
        wall, cpu, peak = best
        base = base or n / wall
        print(f"  --workers {w}: {n / wall:7,.0f} calls/s  ({wall:.1f} s wall, {cpu:.1f} s CPU, main process peak RSS "
              f"{peak:.0f} MB; {n / wall / base:.2f}x one worker)")


def resume(n: int, runs: int, seed: int) -> None:
    log = _log(n)
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        clean = Path(tmp) / "clean.csv"
        _batch(log, clean, 2)
        identical = interrupted = 0
        for run in range(runs):
            out = Path(tmp) / f"run-{run}.csv"
            kills = 0
            for _ in range(rng.randint(1, 3)):
                proc = subprocess.Popen([sys.executable, "-m", "app.cli", "batch", str(log), "-o", str(out), "--workers",
                                         "2", "--no-progress"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(rng.uniform(0.3, 1.8))  # (an uninterrupted run of 4,000 calls takes some 2-3 s)
                if proc.poll() is None:
                    proc.send_signal(signal.SIGKILL)
                    kills += 1
                proc.wait()
            subprocess.run([sys.executable, "-m", "app.cli", "batch", str(log), "-o", str(out), "--workers", "2",
                            "--no-progress"], check=True, capture_output=True)
            same = out.read_bytes() == clean.read_bytes()
            identical += same
            interrupted += kills > 0
            print(f"  run {run + 1}: killed {kills} time(s), resumed output {'identical' if same else 'DIFFERENT'}")
    print(f"resume: {identical} of {runs} runs identical to the uninterrupted run ({interrupted} of them killed "
          "at least once before it finished)")


def memory(gigabytes: float, workers: int) -> None:
    CACHE.mkdir(exist_ok=True)
    per_call = _log(1000).stat().st_size / 1000
    n = int(gigabytes * 1e9 / per_call)
    path = CACHE / f"batch-big-{n}.csv"
    if not path.exists():
        print(f"writing {n:,} calls ({gigabytes:g} GB) to {path} ...")
        write_utterance_csv(path, n)
    with tempfile.TemporaryDirectory() as tmp:
        wall, total, main_pss, worker_pss = _sampled(path, Path(tmp) / "out.parquet", workers)
    print(f"{path.stat().st_size / 1e9:.2f} GB, {n:,} calls: {wall:.0f} s, {n / wall:,.0f} calls/s; peak memory of all "
          f"the batch's processes together {total:.0f} MB (PSS: pages shared by the forked workers counted once; "
          f"target < 1 GB): the main process {main_pss:.0f} MB, the largest worker {worker_pss:.0f} MB")


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            return next((int(line.split()[1]) for line in fh if line.startswith("Pss:")), 0)
    except OSError:
        return 0


def _sampled(log: Path, out: Path, workers: int) -> tuple[float, float, float, float]:
    """(wall seconds, peak MB of the main process and its workers together, peak of the main
    process, peak of the largest worker), the memory read from /proc four times a second."""
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "batch", str(log), "-o", str(out), "--workers",
                             str(workers), "--no-progress"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t0 = time.perf_counter()
    total = main = worker = 0
    while proc.poll() is None:
        try:
            with open(f"/proc/{proc.pid}/task/{proc.pid}/children") as fh:
                children = [int(x) for x in fh.read().split()]
        except OSError:
            children = []
        m, w = _pss_kb(proc.pid), [_pss_kb(c) for c in children]
        total, main, worker = max(total, m + sum(w)), max(main, m), max([worker, *w])
        time.sleep(0.25)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"callqa batch failed: {proc.stderr.read().decode()[-2000:]}")
    return wall, total / 1024, main / 1024, worker / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=20000)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--resume-runs", type=int, default=0)
    ap.add_argument("--memory-gb", type=float, default=0)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    if args.resume_runs:
        resume(args.calls, args.resume_runs, args.seed)
    elif args.memory_gb:
        memory(args.memory_gb, max(args.workers))
    else:
        throughput(args.calls, args.workers, args.repeat)


if __name__ == "__main__":
    main()
