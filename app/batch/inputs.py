"""Call logs in, calls out: CSV, JSONL, Parquet or Excel tables (one row per utterance, or one
row per call), or a folder of call files in any format app.ingest reads.

Tables are read in chunks (pandas, pyarrow), so a file of any size streams through in bounded
memory. Every call comes out as an `Item`: the call, or the reason its rows were refused with
the rows' numbers, in input order. The order is what makes a batch resumable: the n-th call
is the same call every time the same inputs are read.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from app.errors import InputError
from app.ingest.formats import Hints, to_call
from app.ingest.native import describe_validation_error, read_calls
from app.ingest.raw import MalformedInput, RawCall, number, utterance
from app.models import Call

TABLE_SUFFIXES = {".csv": "csv", ".tsv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet",
                  ".pq": "parquet", ".xlsx": "excel", ".xls": "excel"}
CHUNK_ROWS = 50_000  # rows read at a time from a table
DUPLICATE_CALL = ("call {!r} appears again apart from its other rows; "
                  "sort the file by call_id (the rows of a call must be together)")
CALL_FIELDS = ("call_id", "agent_id", "team_id", "started_at", "direction")
UTTERANCE_FIELDS = ("speaker", "text", "start_ms", "end_ms")


@dataclass(slots=True)
class Item:
    """One call of the input, or why its rows were refused. A call from a table travels as its
    rows (`table`: column -> values) and is built where it is scored (`build`), so the process
    reading the table does no more than cut it into calls."""

    source: str  # the input file
    row: int  # the first row (1-based, as a spreadsheet counts data rows) or line of the call
    call: Call | None
    error: str | None = None
    rows: str = ""  # the rows it came from, for messages ("rows 12-40")
    table: dict | None = None

    def build(self, hints: Hints) -> Item:
        """This item with its call built from its rows (or the reason it cannot be)."""
        if self.table is None:
            return self
        return _table_call(self.source, self.row, self.rows, self.table, hints)


class ColumnMap:
    """Other column names for the standard ones (`--columns speaker=role,text=content`)."""

    def __init__(self, spec: str | None = None):
        self.rename: dict[str, str] = {}
        for part in (spec or "").split(","):
            if not part.strip():
                continue
            ours, sep, theirs = part.partition("=")
            if not sep or not ours.strip() or not theirs.strip():
                raise InputError(f"--columns: expected OURS=THEIRS[,...], got {part!r}")
            self.rename[theirs.strip()] = ours.strip()

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame.rename(columns=self.rename) if self.rename else frame


def _clean(value: Any) -> Any:
    """A cell as Python: NaN / NaT / NA / None as None, numpy scalars as Python numbers."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def _text(value: Any) -> str | None:
    if type(value) is str:  # the usual cell, at once
        return value.strip() or None
    value = _clean(value)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() or None


def _time(value: Any, where: str) -> int | None:
    kind = type(value)
    if kind is int and value >= 0:
        return value
    if kind is str:
        if not value:
            return None
        if value.isdigit():
            return int(value)
    try:
        n = number(_clean(value), where)
    except MalformedInput as exc:
        raise InputError(str(exc).replace("a time of zero or more", "milliseconds of zero or more")
                         .replace("expected a number", "expected milliseconds")) from None
    return None if n is None else int(n)


def _chunks(path: Path, kind: str, columns: ColumnMap) -> Iterator[pd.DataFrame]:
    """The table in chunks of rows, columns renamed, every cell as an object."""
    if kind == "csv":
        sep = "\t" if path.suffix == ".tsv" else ","
        with pd.read_csv(path, chunksize=CHUNK_ROWS, dtype=object, keep_default_na=False, sep=sep,
                         encoding="utf-8-sig") as reader:
            for frame in reader:
                yield columns.apply(frame)
    elif kind == "jsonl":
        with pd.read_json(path, lines=True, chunksize=CHUNK_ROWS, dtype=False) as reader:
            for frame in reader:
                yield columns.apply(frame)
    elif kind == "parquet":
        import pyarrow.parquet as pq

        with pq.ParquetFile(path) as pf:
            for batch in pf.iter_batches(batch_size=CHUNK_ROWS):
                yield columns.apply(batch.to_pandas())
    else:
        yield columns.apply(pd.read_excel(path, dtype=object))


def _row_calls(path: Path, kind: str, columns: ColumnMap, hints: Hints) -> Iterator[Item]:
    """A table of one row per utterance: consecutive rows with one call_id are one call. The
    table is cut into calls column-wise (lists sliced, no row by row work here)."""
    source = str(path)
    seen: set[str] = set()
    carry: dict | None = None  # the last call of a chunk, which may go on in the next one
    row = 0
    header_checked = False
    for frame in _chunks(path, kind, columns):
        if not header_checked:
            check_columns(source, frame)
            header_checked = True
        groups = cut_calls(frame, row)
        for j, part in enumerate(groups):
            if carry is not None:
                if j == 0 and carry["call_id"] == part["call_id"]:
                    part = joined(carry, part)
                else:
                    yield finish(source, carry, seen)
                carry = None
            if j == len(groups) - 1:
                carry = part  # may go on in the next chunk
            else:
                yield finish(source, part, seen)
        row += len(frame)
    if carry is not None:
        yield finish(source, carry, seen)


def check_columns(source: str, frame: pd.DataFrame) -> None:
    """A per-utterance table must have these columns (named by --columns when others)."""
    missing = [c for c in ("call_id", "speaker", "text") if c not in frame.columns]
    if missing:
        raise InputError(f"{source}: no column {', '.join(missing)} (columns: {', '.join(map(str, frame.columns))}); "
                         "name them with --columns, e.g. --columns speaker=role,text=content")


def cut_calls(frame: pd.DataFrame, row: int) -> list[dict]:
    """The rows of a per-utterance table cut into calls: consecutive rows with one call_id,
    each as {column: values} with its `call_id` and `_first` row (`row`: the rows before
    `frame` in the file)."""
    n = len(frame)
    if not n:
        return []
    cols = {str(c): frame[c].tolist() for c in frame.columns if c in _KEPT or str(c).startswith("var.")}
    # Where the cell changes (one C-level comparison of the column with itself shifted), then
    # the call ids of those rows only; neighbours whose ids read the same once cleaned
    # (" c-1" and "c-1", NaN and "") are one call.
    raw = frame["call_id"].to_numpy(dtype=object)
    try:
        changed = np.asarray(raw[1:] != raw[:-1], dtype=bool)
    except TypeError:  # a cell no comparison can say (pd.NA): every row looked at
        changed = np.ones(n - 1, dtype=bool)
    starts, ids = [], []
    for a in [0, *(np.flatnonzero(changed) + 1).tolist()]:
        call_id = _text(raw[a]) or ""
        if not ids or ids[-1] != call_id:
            starts.append(a)
            ids.append(call_id)
    groups = []
    for j, a in enumerate(starts):
        b = starts[j + 1] if j + 1 < len(starts) else n
        part = {c: v[a:b] for c, v in cols.items()}
        part["call_id"] = ids[j]
        part["_first"] = row + a + 1
        groups.append(part)
    return groups


_KEPT = {"call_id", "agent_id", "team_id", "started_at", "direction", "speaker", "text", "start_ms", "end_ms"}


def joined(a: dict, b: dict) -> dict:
    """One call's rows from two pieces of the table (the end of one chunk, the start of the next)."""
    out = {c: (a[c] + b[c]) if isinstance(a.get(c), list) else a[c] for c in a}
    for c, v in b.items():
        out.setdefault(c, v)
    return out


def finish(source: str, part: dict, seen: set[str]) -> Item:
    """The item of one call's rows; refused when its call_id is empty or already in `seen`."""
    first = part["_first"]
    count = len(part["speaker"])
    rows = f"rows {first}-{first + count - 1}" if count > 1 else f"row {first}"
    call_id = part["call_id"]
    if not call_id:
        return Item(source, first, None, "call_id is empty", rows)
    if call_id in seen:
        return Item(source, first, None, DUPLICATE_CALL.format(call_id), rows)
    seen.add(call_id)
    return Item(source, first, None, None, rows, part)


def _first(values: list | None) -> Any:
    return _clean(values[0]) if values else None


def _table_call(source: str, first_row: int, rows: str, part: dict, hints: Hints) -> Item:
    try:
        speakers = [_text(x) for x in part["speaker"]]
        texts = [_text(x) or "" for x in part["text"]]
        n = len(speakers)
        starts = part.get("start_ms") or [None] * n
        ends = part.get("end_ms") or [None] * n
        times = [(_time(starts[k], "start_ms"), _time(ends[k], "end_ms")) for k in range(n)]
        variables = {}
        for c, v in part.items():
            if c.startswith("var."):
                value = _text(v[0])
                if value:
                    variables[c[4:]] = [x.strip() for x in value.split(",") if x.strip()]
        head = {k: _text(_first(part.get(k))) for k in ("agent_id", "team_id", "started_at", "direction")}
        if all(sp in ("agent", "customer") for sp in speakers):
            # roles written in the table: the call as it is, no reading of roles needed
            doc = {"call_id": part["call_id"], "variables": {**hints.variables, **variables},
                   "utterances": [{"speaker": sp, "text": t, "start_ms": a, "end_ms": b}
                                  for sp, t, (a, b) in zip(speakers, texts, times, strict=True) if t]}
            doc.update({k: v for k, v in head.items() if v is not None})
            try:
                return Item(source, first_row, Call.model_validate(doc), None, rows)
            except ValidationError as exc:
                return Item(source, first_row, None, describe_validation_error(exc), rows)
        raw = RawCall("table", [utterance(sp, t, a, b) for sp, t, (a, b) in zip(speakers, texts, times, strict=True)],
                      call_id=part["call_id"], started_at=head["started_at"], direction=head["direction"])
        call_hints = replace(hints, agent_id=head["agent_id"] or hints.agent_id, team_id=head["team_id"] or hints.team_id,
                             variables={**hints.variables, **variables})
        return Item(source, first_row, to_call(raw, call_hints), None, rows)
    except InputError as exc:
        message = str(exc)
        if message.startswith(("start_ms:", "end_ms:")):  # say which row
            bad = next(k for k in range(len(part["speaker"]))
                       if _bad_time(part.get(message.split(":")[0]), k))
            message = f"row {first_row + bad} {message}"
        return Item(source, first_row, None, message, rows)


def _bad_time(values: list | None, k: int) -> bool:
    try:
        _time(values[k] if values else None, "")
    except InputError:
        return True
    return False


def _call_rows(path: Path, kind: str, columns: ColumnMap, hints: Hints) -> Iterator[Item]:
    """A table of one row per call: its utterances as a JSON array in `utterances`."""
    source = str(path)
    row = 0
    for frame in _chunks(path, kind, columns):
        yield from call_items(frame, source, row, hints)
        row += len(frame)


def call_items(frame: pd.DataFrame, source: str, row: int, hints: Hints) -> Iterator[Item]:
    """The calls of a per-call table's rows (`row`: the rows before `frame` in the file)."""
    names = list(frame.columns)
    for values in frame.itertuples(index=False, name=None):
        row += 1
        record = {k: _clean(v) for k, v in zip(names, values, strict=True)}
        try:
            utterances = record.get("utterances")
            if isinstance(utterances, str):
                utterances = json.loads(utterances)
            doc = {k: record[k] for k in CALL_FIELDS if record.get(k) not in (None, "")}
            doc["utterances"] = utterances
            variables = {k[4:]: v for k, v in record.items() if k.startswith("var.") and v not in (None, "")}
            if variables or hints.variables:
                doc["variables"] = {**hints.variables, **variables}
            if "call_id" in doc:
                doc["call_id"] = _text(doc["call_id"])
            yield Item(source, row, Call.model_validate(doc), None, f"row {row}")
        except json.JSONDecodeError as exc:
            yield Item(source, row, None, f"utterances is not a JSON array: {exc.msg}", f"row {row}")
        except ValidationError as exc:
            yield Item(source, row, None, describe_validation_error(exc), f"row {row}")


def layout_of(path: Path, kind: str, columns: ColumnMap) -> str:
    """'utterance' or 'call' rows, from the table's columns ('files' for JSON Lines of calls)."""
    frame = header_frame(path, kind, columns)
    if frame is None:
        return "files"
    cols = set(map(str, frame.columns))
    if "utterances" in cols:
        return "call"
    if {"speaker", "text"} <= cols or "call_id" in cols:
        return "utterance"
    return "files" if kind == "jsonl" else "utterance"


def header_frame(path: Path, kind: str, columns: ColumnMap) -> pd.DataFrame | None:
    """The table's columns (renamed), as an empty frame or one row; None for JSON Lines whose
    first line is not an object."""
    if kind == "excel":
        frame = columns.apply(pd.read_excel(path, nrows=1))
    elif kind == "parquet":
        import pyarrow.parquet as pq

        frame = columns.apply(pd.DataFrame(columns=pq.ParquetFile(path).schema_arrow.names))
    elif kind == "csv":
        frame = columns.apply(pd.read_csv(path, nrows=1, dtype=str, sep="\t" if path.suffix == ".tsv" else ",",
                                          encoding="utf-8-sig"))
    else:
        with open(path, encoding="utf-8-sig") as fh:
            first = fh.readline()
        try:
            keys = json.loads(first) if first.strip() else {}
        except json.JSONDecodeError:
            return None
        if not isinstance(keys, dict):
            return None
        frame = columns.apply(pd.DataFrame(columns=list(keys)))
    return frame


def read_items(paths: list[str], columns: ColumnMap | None = None, hints: Hints | None = None,
               fmt: str | None = None) -> Iterator[Item]:
    """Every call of every input, in order. A folder is read file by file (sorted by name),
    each file in any format app.ingest reads."""
    columns = columns or ColumnMap()
    hints = hints or Hints()
    for name in paths:
        path = Path(name)
        if path.is_dir():
            for f in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
                yield from _file_calls(f, hints, fmt)
            continue
        kind = TABLE_SUFFIXES.get(path.suffix.lower())
        layout = layout_of(path, kind, columns) if kind else "files"
        if layout == "files":
            yield from _file_calls(path, hints, fmt)
        elif layout == "call":
            yield from _call_rows(path, kind, columns, hints)
        else:
            yield from _row_calls(path, kind, columns, hints)


def _file_calls(path: Path, hints: Hints, fmt: str | None) -> Iterator[Item]:
    for rec in read_calls(path, fmt=fmt, hints=hints):
        where = f"line {rec.line}" if rec.line else "the file"
        yield Item(rec.source, rec.line, rec.call, rec.error, where)
