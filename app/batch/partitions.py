"""Batch scoring with the tables read where they are scored: each CSV or Parquet input is cut
into blocks that the workers read, cut into calls and score themselves; the process that runs
the batch only joins what blocks share and writes the rows. On a Dask cluster the blocks are
dask.dataframe partitions; on one machine, byte ranges of whole lines (or Parquet row groups)
read by the forked worker processes.

What the running process does per block, in input order:
- the row numbers: a block's first row is known only once the ones before it are read. On a
  cluster each partition's length is a small task of its own and its scoring task is given the
  sum of the lengths before it (the partition is read once; its frame waits on the worker); on
  one machine a block's rows are numbered from its start and renumbered here (`shifted`);
- the calls cut by a block's edge: a worker scores the calls wholly inside its block and sends
  back the rows of its first and last call unscored; they are joined here with the neighbouring
  block's when they are one call, and scored here;
- a call id that comes back later in the file is refused, as when the table is read whole.

The rows come out the same as when one process reads the table; chunks are blocks (plus one
per input for its last call), each saved to the state folder with what the next one needs (the
open call, the call ids seen, the rows read), so a killed run resumes here too. A CSV with a
line break inside a quoted cell is not cut by bytes (the break would be taken for a row's end):
it is read whole by the running process, as other inputs are.
"""

from __future__ import annotations

import io
import logging
import os
import pickle
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from app.batch import run as batch
from app.batch.inputs import (
    DUPLICATE_CALL,
    TABLE_SUFFIXES,
    ColumnMap,
    call_items,
    check_columns,
    cut_calls,
    finish,
    header_frame,
    joined,
    layout_of,
)
from app.batch.pool import in_order

log = logging.getLogger("callqa")


def table_inputs(inputs: list[str], columns: str | None) -> list[tuple[str, str, str]] | None:
    """(path, kind, layout) of each input when every one is a CSV / TSV or Parquet table the
    workers can cut into blocks; None when any is something else (then the running process
    reads them all). A per-utterance table without the needed columns is refused here."""
    out = []
    for name in inputs:
        path = Path(name)
        kind = TABLE_SUFFIXES.get(path.suffix.lower())
        if path.is_dir() or kind not in ("csv", "parquet"):
            return None
        if kind == "csv" and line_break_in_quotes(path):
            log.info("%s has line breaks inside quoted cells, which partitions cut by bytes would split: "
                     "it is read by this process and sent to the workers", path)
            return None
        layout = layout_of(path, kind, ColumnMap(columns))
        if layout == "files":
            return None
        if layout == "utterance":
            check_columns(name, header_frame(path, kind, ColumnMap(columns)))
        out.append((name, kind, layout))
    return out


def line_break_in_quotes(path: Path, block: int = 16 * 2**20) -> bool:
    """Whether a CSV holds a line break inside a quoted cell. Read block by block, counting
    quotes: a quote inside a quoted cell is written twice, so between an odd and the next
    even quote one is inside a cell."""
    inside = False
    with open(path, "rb") as fh:
        while data := fh.read(block):
            if b'"' not in data:
                if inside and (b"\n" in data or b"\r" in data):
                    return True
                continue
            pieces = data.split(b'"')
            for k, piece in enumerate(pieces):
                if inside and (b"\n" in piece or b"\r" in piece):
                    return True
                if k < len(pieces) - 1:
                    inside = not inside
    return False


def _frames(path: str, kind: str, block_bytes: int) -> list:
    """The input's partitions, not yet read (dask.delayed)."""
    import dask
    import dask.dataframe as dd

    with dask.config.set({"dataframe.convert-string": False}):  # cells as the local reader gives them
        if kind == "csv":
            frame = dd.read_csv(path, blocksize=block_bytes, dtype=object, keep_default_na=False,
                                sep="\t" if path.endswith(".tsv") else ",", encoding="utf-8-sig")
        else:
            frame = dd.read_parquet(path, split_row_groups=True)
        return list(frame.to_delayed())


def score_partition(frame, offset: int, source: str, layout: str, columns: str | None, keep: bool, hits: bool,
                    lexicon: tuple, config, hints) -> dict:
    """On a worker: one partition's calls. {"head", "tail"}: the rows of its first and last
    call (they may go on in the neighbouring partitions; None when there are not two calls);
    "entries": every call between them, scored (run.score_item)."""
    if lexicon is not None:  # (on one machine the workers are forked with it)
        batch._init_worker(lexicon, config, hints)
    frame = ColumnMap(columns).apply(frame)
    if layout == "call":
        return {"head": None, "tail": None,
                "entries": [batch.score_item(i, keep, hits) for i in call_items(frame, source, offset, batch._HINTS)]}
    check_columns(source, frame)
    groups = cut_calls(frame, offset)
    if len(groups) < 2:
        return {"head": groups[0] if groups else None, "tail": None, "entries": []}
    return {"head": groups[0], "tail": groups[-1],
            "entries": [batch.score_item(finish(source, g, set()), keep, hits) for g in groups[1:-1]]}


LOCAL_BLOCK_BYTES = 4 * 2**20  # CSV bytes per block on one machine's worker processes
_ROWS = re.compile(r"(rows?) (\d+)(?:-(\d+))?")


def csv_blocks(path: str, block_bytes: int) -> tuple[bytes, list[tuple[int, int]]]:
    """The header line of a CSV and byte ranges of whole lines after it, about `block_bytes`
    each (for a CSV without line breaks in quoted cells: every line break ends a row)."""
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        header = fh.readline()
        start, blocks = len(header), []
        while start < size:
            if start + block_bytes >= size:
                end = size
            else:
                fh.seek(start + block_bytes - 1)
                fh.readline()
                end = fh.tell()
            blocks.append((start, end))
            start = end
    return header, blocks


def read_block(path: str, kind: str, block, header: bytes) -> pd.DataFrame:
    """One block of a table: a byte range of a CSV (read with its header line), or a row group
    of a Parquet file; cells as the whole-file reader gives them."""
    if kind == "parquet":
        import pyarrow.parquet as pq

        with pq.ParquetFile(path) as pf:
            return pf.read_row_group(block).to_pandas()
    start, end = block
    with open(path, "rb") as fh:
        fh.seek(start)
        data = fh.read(end - start)
    return pd.read_csv(io.BytesIO(header + data), dtype=object, keep_default_na=False,
                       sep="\t" if path.endswith(".tsv") else ",", encoding="utf-8-sig")


def score_block(path: str, kind: str, layout: str, block, header: bytes, columns: str | None, keep: bool,
                hits: bool) -> dict:
    """In a worker process forked with the lexicon: score_partition of one block, its rows
    numbered from the block's start (`shifted` numbers them in the file); "n": its rows."""
    frame = read_block(path, kind, block, header)
    out = score_partition(frame, 0, path, layout, columns, keep, hits, None, None, None)
    out["n"] = len(frame)
    return out


def shifted(result: dict, offset: int) -> dict:
    """A block's result with its rows numbered in the file (`offset`: the rows before it):
    the rows of the calls left open, and each entry's row, its "rows a-b", the calls table's
    source_row and a refused row's "row N ..." (the one message that names a row)."""
    if not offset:
        return result
    for part in (result["head"], result["tail"]):
        if part is not None:
            part["_first"] += offset
    for e in result["entries"]:
        e["row"] += offset
        e["rows"] = _ROWS.sub(lambda m: f"{m[1]} {int(m[2]) + offset}" + (f"-{int(m[3]) + offset}" if m[3] else ""),
                              e["rows"], count=1)
        if "error" in e:
            err = e["error"]
            err["row"], err["rows"] = e["row"], e["rows"]
            if err["error"].startswith("row "):
                err["error"] = _ROWS.sub(lambda m: f"row {int(m[2]) + offset}", err["error"], count=1)
        else:
            e["call"]["source_row"] += offset
    return result


class _Stitch:
    """One input's state between partitions: the call left open and the call ids seen."""

    def __init__(self, source: str, keep: bool, hits: bool, check_ids: bool):
        self.source, self.keep, self.hits = source, keep, hits
        self.check_ids = check_ids  # (a per-call table may repeat a call id: each row is scored, as locally)
        self.open: dict | None = None
        self.seen: set[str] = set()
        self.new_ids: list[str] = []

    def _local(self, part: dict) -> dict:
        """A call cut by a partition boundary, scored here."""
        entry = batch.score_item(finish(self.source, part, self.seen), self.keep, self.hits)
        if part["call_id"]:
            self.new_ids.append(part["call_id"])
        return entry

    def _checked(self, entry: dict) -> dict:
        """A worker's entry, refused when its call id came earlier in the file."""
        call_id = entry["call_id"]
        if not call_id or not self.check_ids:
            return entry
        if call_id in self.seen:
            return {"call_id": call_id, "row": entry["row"], "rows": entry["rows"],
                    "error": {"source": self.source, "row": entry["row"], "rows": entry["rows"],
                              "error": DUPLICATE_CALL.format(call_id)}}
        self.seen.add(call_id)
        self.new_ids.append(call_id)
        return entry

    def partition(self, result: dict) -> list[dict]:
        out = []
        head, tail = result["head"], result["tail"]
        if head is not None:
            if self.open is not None and self.open["call_id"] == head["call_id"]:
                head = joined(self.open, head)
            elif self.open is not None:
                out.append(self._local(self.open))
            self.open = None
            if tail is None and not result["entries"]:
                self.open = head  # a partition of one call: it may go on in the next
            else:
                out.append(self._local(head))
        out += [self._checked(e) for e in result["entries"]]
        if tail is not None:
            self.open = tail
        return out

    def close(self) -> list[dict]:
        out = [self._local(self.open)] if self.open is not None else []
        self.open = None
        return out


def chunks(job, executor, done: set[int], state_dir: Path, keep: bool, hits: bool,
           tables: list[tuple[str, str, str]]) -> Iterator[tuple[int, dict]]:
    """(chunk number, rows) of every chunk not done yet, in input order. `executor`: a Dask
    client, or a pool of local worker processes forked with the lexicon."""
    assert batch._LEX is not None
    dask = hasattr(executor, "client")
    lexicon = (batch._LEX.version, batch.read_files(job.lexicon_dir)) if dask else None
    k = 0
    for path, kind, layout in tables:
        if dask:
            parts, header = _frames(path, kind, job.partition_bytes), b""
        elif kind == "csv":
            header, parts = csv_blocks(path, LOCAL_BLOCK_BYTES)
        else:
            import pyarrow.parquet as pq

            with pq.ParquetFile(path) as pf:
                parts, header = list(range(pf.num_row_groups)), b""
        last = k + len(parts)  # this input's closing chunk (its last call)
        if all(c in done for c in range(k, last + 1)):
            k = last + 1
            continue
        stitch = _Stitch(path, keep, hits, check_ids=layout == "utterance")
        resumed = max((c for c in done if k <= c <= last), default=None)
        rows = 0
        if resumed is not None:  # what the chunks done by an earlier run left open
            for c in range(k, resumed + 1):
                open_call, ids, rows = pickle.loads((state_dir / f"open-{c:07d}.pickle").read_bytes())
                stitch.seen.update(ids)
            stitch.open = open_call
        first = 0 if resumed is None else resumed + 1 - k
        if dask:
            results = _scored(executor, parts, first, path, layout, job, keep, hits, lexicon)
        else:
            results = _scored_here(executor, parts, first, rows, path, kind, layout, header, job, keep, hits)
        for c, result in results:
            entries = stitch.partition(result)
            rows = result.get("rows_after", rows)
            _save_open(state_dir, k + c, stitch, rows)
            yield k + c, batch.chunk_rows(entries)
        if last not in done:
            entries = stitch.close()
            _save_open(state_dir, last, stitch, rows)
            yield last, batch.chunk_rows(entries)
        k = last + 1


def _save_open(state_dir: Path, c: int, stitch: _Stitch, rows: int) -> None:
    """Saved before the chunk is marked done: what the next chunk of the input needs (the
    call left open, the call ids this chunk saw, the rows read so far)."""
    batch._atomic_write(state_dir / f"open-{c:07d}.pickle", pickle.dumps((stitch.open, stitch.new_ids, rows)))
    stitch.new_ids = []


def _scored_here(pool, blocks: list, start: int, rows: int, path: str, kind: str, layout: str, header: bytes, job,
                 keep: bool, hits: bool) -> Iterator[tuple[int, dict]]:
    """(block number, its result numbered in the file) from `start` on, in order, scored by the
    local pool; `rows`: the rows of the blocks before `start`. A few blocks ahead at most."""
    tasks = ((c, score_block, (path, kind, layout, blocks[c], header, job.columns, keep, hits))
             for c in range(start, len(blocks)))
    for c, result in in_order(pool, tasks):
        result = shifted(result, rows)
        rows = result["rows_after"] = rows + result["n"]
        yield c, result


def _scored(scorer, frames: list, start: int, path: str, layout: str, job, keep: bool, hits: bool,
            lexicon: tuple) -> Iterator[tuple[int, dict]]:
    """(partition number, score_partition's result) from `start` on, in order; a few
    partitions ahead of the client at most, so the cluster's memory holds only those.
    `scorer`: the DaskScorer (its client, and apply_async for app.batch.pool.in_order)."""
    import operator

    client = scorer.client
    offset = 0
    lengths = [client.submit(len, client.compute(frames[c]), pure=False) for c in range(start)]
    for n in lengths:  # rows before the first partition scored here (those partitions are read once more)
        offset = client.submit(operator.add, offset, n, pure=False)

    def tasks():
        nonlocal offset
        for c in range(start, len(frames)):
            frame = client.compute(frames[c])
            yield c, score_partition, (frame, offset, path, layout, job.columns, keep, hits, lexicon, job.config,
                                       job.hints)
            offset = client.submit(operator.add, offset, client.submit(len, frame, pure=False), pure=False)

    yield from in_order(scorer, tasks(), max(2, 2 * len(client.nthreads())))
