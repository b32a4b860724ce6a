"""Batch scoring: every call of the inputs scored, in chunks, on all cores (or a Dask
cluster), resumable, the outputs written whole or not at all.

The calls are cut into chunks of CHUNK_CALLS in input order; a chunk is scored, its rows
(calls, hits, refused rows) written to a state folder beside the output, and only then is it
marked done. A run killed at any point (kill -9 included) and started again with the same
arguments reads the inputs again, skips the chunks marked done and scores the rest; when all
are done the outputs are assembled from the chunks in order, each written to a temporary file
and renamed into place, and the state folder removed. So no call is scored twice into the
output, none is missing, and the output appears complete or not at all.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from app.batch.inputs import ColumnMap, Item, read_items
from app.batch.outputs import write_part
from app.batch.pool import can_fork, forked, in_order
from app.batch.rows import ERROR_COLUMNS, HIT_COLUMNS, Summary, call_columns, call_row, hit_rows
from app.errors import CallqaError, InputError
from app.ingest.formats import Hints
from app.lexicon.compiler import CompiledLexicon, lexicon_from_files, load_lexicon
from app.lexicon.loader import read_files
from app.score.scorer import ScoringConfig, check_config, score_call

log = logging.getLogger("callqa")
CHUNK_CALLS = 400
OUTPUT_KINDS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".xlsx": "excel", ".jsonl": "jsonl"}
STATE_VERSION = 1


@dataclass
class BatchJob:
    inputs: list[str]
    output: Path
    lexicon_dir: Path
    config: ScoringConfig
    hits_output: Path | None = None
    errors_output: Path | None = None
    workers: int = 1
    columns: str | None = None
    fmt: str | None = None
    hints: Hints = field(default_factory=Hints)
    store_url: str | None = None
    zone: str = "Asia/Shanghai"
    progress: bool = False
    dask: str | None = None  # scheduler address or scheduler file ("file:PATH")
    partition_bytes: int = 16 * 2**20  # on a cluster: CSV bytes per dask.dataframe partition
    chunk_calls: int = CHUNK_CALLS


@dataclass
class Outcome:
    summary: Summary
    chunks: int
    resumed_chunks: int
    seconds: float


def output_kind(path: Path, option: str) -> str:
    kind = OUTPUT_KINDS.get(path.suffix.lower())
    if kind is None:
        raise InputError(f"{option} {path}: write .csv, .parquet, .xlsx or .jsonl")
    return kind


# -- scoring, in whichever process ------------------------------------------------------------

_LEX: CompiledLexicon | None = None
_CONFIG: ScoringConfig | None = None
_HINTS: Hints = Hints()


def _init_worker(lexicon: str | tuple[str, dict[str, bytes]], config: ScoringConfig, hints: Hints | None = None) -> None:
    """Compile the lexicon once per process: from a folder, or (on a cluster, whose workers
    may not see the folder) from its files sent along as (version, {name: bytes})."""
    global _LEX, _CONFIG, _HINTS
    if isinstance(lexicon, tuple):
        version, files = lexicon
        if _LEX is None or _LEX.version != version:
            _LEX = lexicon_from_files(files, "(sent by the batch client)")
    elif _LEX is None or str(_LEX.directory) != str(lexicon):
        _LEX = load_lexicon(lexicon)
    check_config(_LEX, config)
    _CONFIG = config
    _HINTS = hints or Hints()


@dataclass(frozen=True)
class Parts:
    """Where a worker writes a chunk's rows itself (a local pool: the workers see the state
    folder), and in which form: the output's own format where it can be concatenated."""

    folder: str
    calls: str  # csv | parquet | jsonl
    hits: str | None  # the same, or None when no hits table is asked for


def score_chunk(k: int, items: list[Item], keep: bool = False, parts: Parts | None = None,
                lexicon: str | tuple | None = None, config: ScoringConfig | None = None,
                hints: Hints | None = None) -> dict:
    """Score one chunk. Returns {"summary", "errors", "scored" (with `keep`: (call JSON,
    result JSON) for the store)}, and the rows: written by this process into `parts`, or
    returned as "calls" and "hits" (on a cluster)."""
    if lexicon is not None:
        _init_worker(lexicon, config or ScoringConfig(), hints)
    out = chunk_rows([score_item(item, keep, parts is None or parts.hits is not None) for item in items])
    if parts is not None:
        assert _LEX is not None
        columns = call_columns([r.id for r in _LEX.rules])
        write_part(Path(parts.folder) / f"calls-{k:07d}.{parts.calls}", out.pop("calls"), columns, parts.calls)
        hits = out.pop("hits")
        if parts.hits is not None:
            write_part(Path(parts.folder) / f"hits-{k:07d}.{parts.hits}", hits, HIT_COLUMNS, parts.hits)
    return out


def score_item(item: Item, keep: bool, hits: bool) -> dict:
    """One call of the input scored, as {"call_id", "row", "rows" (where it is in the input),
    "call" (its row), "hits" (its hit rows, when asked for), "scored" (with `keep`)}, or with
    "error" (a refused-row record) instead of the last three."""
    assert _LEX is not None and _CONFIG is not None
    call_id = item.table["call_id"] if item.table is not None else item.call.call_id if item.call else None
    item = item.build(_HINTS)
    where = {"call_id": call_id, "row": item.row, "rows": item.rows}
    if item.call is None:
        return {**where, "error": {"source": item.source, "row": item.row, "rows": item.rows, "error": item.error}}
    try:
        result = score_call(item.call, _LEX, _CONFIG)
    except CallqaError as exc:
        return {**where, "error": {"source": item.source, "row": item.row, "rows": item.rows, "error": str(exc)}}
    return {**where, "call": call_row(item.source, item.row, item.call, result),
            "hits": hit_rows(item.call, result) if hits else [],
            "scored": (item.call.model_dump_json(exclude_none=True), result.model_dump_json(exclude_none=True))
            if keep else None}


def chunk_rows(entries: list[dict]) -> dict:
    """A chunk's rows from its calls' entries (score_item), in order."""
    calls, hits, errors, scored = [], [], [], []
    summary = Summary()
    for e in entries:
        if "error" in e:
            errors.append(e["error"])
            continue
        summary.add(e["call"])
        calls.append(e["call"])
        hits += e["hits"]
        if e["scored"] is not None:
            scored.append(e["scored"])
    summary.refused = len(errors)
    return {"summary": summary.to_dict(), "errors": errors, "scored": scored, "calls": calls, "hits": hits}


def _chunked(items: Iterable[Item], n: int) -> Iterator[list[Item]]:
    it = iter(items)
    while chunk := list(islice(it, n)):
        yield chunk


# -- the state folder ---------------------------------------------------------------------------

class State:
    """What a run has finished, kept beside the output (OUTPUT.partial/)."""

    def __init__(self, job: BatchJob, lexicon_version: str, cut: str = "calls"):
        self.dir = job.output.with_name(job.output.name + ".partial")
        self.fingerprint = _fingerprint(job, lexicon_version, cut)

    def open(self) -> set[int]:
        """The chunks already done (none when starting afresh)."""
        manifest = self.dir / "manifest.json"
        if self.dir.exists():
            try:
                same = json.loads(manifest.read_text(encoding="utf-8")).get("fingerprint") == self.fingerprint
            except (OSError, ValueError):
                same = False
            if same:
                return {int(p.stem.split("-")[1]) for p in self.dir.glob("done-*")}
            log.info("%s holds an unfinished run with other inputs or settings; starting afresh", self.dir)
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True)
        _atomic_write(manifest, json.dumps({"fingerprint": self.fingerprint, "version": STATE_VERSION}).encode())
        return set()

    def save(self, k: int, rows: dict, parts: Parts, columns: list[str]) -> None:
        """A scored chunk: its rows (unless its worker wrote them), refused rows and counts;
        then, last, the mark that it is done."""
        if "calls" in rows:
            write_part(self.dir / f"calls-{k:07d}.{parts.calls}", rows["calls"], columns, parts.calls)
            if parts.hits is not None:
                write_part(self.dir / f"hits-{k:07d}.{parts.hits}", rows["hits"], HIT_COLUMNS, parts.hits)
        write_part(self.dir / f"errors-{k:07d}.jsonl", rows["errors"], ERROR_COLUMNS, "jsonl")
        _atomic_write(self.dir / f"summary-{k:07d}.json", json.dumps(rows["summary"]).encode())
        _atomic_write(self.dir / f"done-{k:07d}", b"")  # last: the chunk counts as done only now

    def part(self, name: str, k: int, kind: str) -> Path:
        return self.dir / f"{name}-{k:07d}.{kind}"

    def summary(self, chunks: int) -> Summary:
        total = Summary()
        for k in range(chunks):
            total.merge(Summary.from_dict(json.loads((self.dir / f"summary-{k:07d}.json").read_text())))
        return total

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def _fingerprint(job: BatchJob, lexicon_version: str, cut: str) -> str:
    h = hashlib.sha256()
    for name in job.inputs:
        p = Path(name)
        files = sorted(x for x in p.rglob("*") if x.is_file()) if p.is_dir() else [p]
        for f in files:
            st = f.stat()
            h.update(f"{f.resolve()}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    # (chunks are CHUNK_CALLS calls, or blocks of the tables read by the workers: a run goes on
    # only where it is cut the same way)
    h.update(json.dumps([lexicon_version, job.columns, job.fmt, repr(job.hints), repr(job.config), job.chunk_calls,
                         cut, bool(job.dask), job.partition_bytes if job.dask else None],
                        default=str).encode())
    return h.hexdigest()


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# -- the run --------------------------------------------------------------------------------------

def _pool(job: BatchJob):
    """Something with apply_async(fn, args) in order: a pool of processes, Dask, or None for
    this process alone."""
    if job.dask:
        from app.batch.cluster import DaskScorer

        assert _LEX is not None
        return DaskScorer(job.dask, (_LEX.version, read_files(job.lexicon_dir)), job.config, job.hints)
    if job.workers <= 1:
        return None
    # fork: the workers start with the compiled lexicon and jieba's dictionary already loaded
    if can_fork():
        return forked(job.workers)
    return multiprocessing.get_context("spawn").Pool(job.workers, initializer=_init_worker,
                                                     initargs=(str(job.lexicon_dir), job.config, job.hints))


def part_kinds(job: BatchJob) -> tuple[str, str | None]:
    """The form of the chunk files: the output's own where chunks can simply be joined."""
    def kind(path: Path | None, option: str) -> str | None:
        if path is None:
            return None
        k = output_kind(path, option)
        return "jsonl" if k == "excel" else k
    return kind(job.output, "-o"), kind(job.hits_output, "--hits")


def run(job: BatchJob) -> Outcome:
    started = time.perf_counter()
    _init_worker(str(job.lexicon_dir), job.config, job.hints)  # here, so forked workers start with it
    assert _LEX is not None
    columns = call_columns([r.id for r in _LEX.rules])
    # CSV and Parquet tables are read by the workers, a block each, where there are workers
    tables = None
    if job.dask or job.workers > 1:
        from app.batch import partitions

        tables = partitions.table_inputs(job.inputs, job.columns)
    state = State(job, _LEX.version, "blocks" if tables is not None else "calls")
    done = state.open()
    calls_kind, hits_kind = part_kinds(job)
    parts = Parts(str(state.dir), calls_kind, hits_kind)
    # On a cluster the workers cannot see the state folder: they send their rows back.
    worker_parts = None if job.dask else parts
    store = _Store(job.store_url, job.zone) if job.store_url else None
    bar = _bar(job)
    pool = _pool(job)
    try:
        keep = store is not None
        if tables is not None:
            results = partitions.chunks(job, pool, done, state.dir, keep, job.hits_output is not None, tables)
        else:
            pending = _chunked(read_items(job.inputs, ColumnMap(job.columns), job.hints, job.fmt), job.chunk_calls)
            todo = _skip_done(enumerate(pending), done, bar)
            if pool is None:
                results = ((k, score_chunk(k, c, keep, worker_parts)) for k, c in todo)
            else:
                # (a cluster's workers are sent the lexicon, settings and hints with each chunk)
                sent = (pool.lexicon, job.config, job.hints) if job.dask else ()
                results = in_order(pool, ((k, score_chunk, (k, c, keep, worker_parts, *sent)) for k, c in todo))
        for k, rows in results:
            if store is not None:
                store.write(rows["scored"])
            state.save(k, rows, parts, columns)
            if bar is not None:
                bar.update(rows["summary"]["calls"] + len(rows["errors"]))
    except CallqaError:
        if not any(state.dir.glob("done-*")):
            state.remove()  # refused before any work was done: nothing to resume
        raise
    finally:
        if pool is not None:
            pool.close()
        if bar is not None:
            bar.close()
        if store is not None:
            store.close()
    chunks = len(list(state.dir.glob("done-*")))
    summary = state.summary(chunks)
    from app.batch.outputs import write_outputs

    write_outputs(job, state, chunks, columns, parts)
    state.remove()
    return Outcome(summary, chunks, len(done), time.perf_counter() - started)


def _skip_done(numbered, done: set[int], bar):
    for k, chunk in numbered:
        if k in done:
            if bar is not None:
                bar.update(len(chunk))
            continue
        yield k, chunk


def _bar(job: BatchJob):
    return progress(job.inputs, job.progress)


def progress(inputs: list[str], terminal: bool, what: str = "batch"):
    """A progress bar with rate and ETA on a terminal (the total counted from the inputs'
    lines where they are line-based tables); progress lines in the log otherwise."""
    if not terminal:
        return _LogProgress(what)
    from tqdm import tqdm

    return tqdm(total=_total_calls(inputs) if inputs else None, unit=" calls", desc="scoring", file=sys.stderr,
                dynamic_ncols=True, smoothing=0.05)


def _total_calls(inputs: list[str]) -> int | None:
    """How many calls, where that is cheap to know: one-call files in folders, and the distinct
    call_ids of CSV tables (one quick pass over the first column)."""
    total = 0
    for name in inputs:
        path = Path(name)
        if path.is_dir():
            total += sum(1 for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
        elif path.suffix.lower() == ".csv":
            import pandas as pd

            ids = pd.read_csv(path, usecols=[0], dtype=object, keep_default_na=False).iloc[:, 0]
            total += int((ids != ids.shift()).sum())
        else:
            return None
    return total


class _LogProgress:
    """Progress as log lines, every LOG_EVERY seconds, where there is no terminal to draw on."""

    LOG_EVERY = 10.0

    def __init__(self, what: str = "batch"):
        self.what = what
        self.n = 0
        self.started = self.last = time.monotonic()

    def update(self, n: int) -> None:
        self.n += n
        now = time.monotonic()
        if now - self.last >= self.LOG_EVERY:
            self.last = now
            log.info("%s: %s calls done, %.0f calls/s", self.what, f"{self.n:,}", self.n / (now - self.started))

    def close(self) -> None:
        pass


class _Store:
    """Scored calls into the service's database, a chunk per transaction (app.store)."""

    def __init__(self, url: str, zone: str):
        from app.store.bulkload import BulkLoader

        self.loader = BulkLoader(url, zone)

    def write(self, scored: list[tuple[str, str]]) -> None:
        self.loader.store(scored)

    def close(self) -> None:
        self.loader.close()


