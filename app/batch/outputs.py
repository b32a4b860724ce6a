"""The batch's files. Each chunk's rows are written as a part in the output's own format
(`write_part`), by the worker that scored it; the outputs are then assembled from the parts in
input order (`write_outputs`): CSV and JSONL by joining them, Parquet row group by row group,
Excel as a workbook a team lead opens (a summary sheet, a calls sheet, a hits sheet). Each file
is written under a temporary name and renamed into place once whole."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from app.batch.rows import ERROR_COLUMNS, HIT_COLUMNS, Summary
from app.errors import InputError

EXCEL_ROWS = 1_048_575  # a sheet's rows, less the header


def _arrow_type(name: str):
    import pyarrow as pa

    if name in ("score", "similarity") or name.endswith(".deduction"):
        return pa.float64()
    if name in ("source_row", "utterance_index", "start_ms", "row") or name.endswith(".hits"):
        return pa.int64()
    if name == "passed":
        return pa.bool_()
    return pa.string()


def _schema(columns: list[str]):
    import pyarrow as pa

    return pa.schema([(c, _arrow_type(c)) for c in columns])


class _Temp:
    """A file written under a temporary name beside its target, renamed into place by commit."""

    def __init__(self, target: Path):
        self.target = target
        fd, self.path = tempfile.mkstemp(prefix=f".{target.stem}.tmp-", suffix=target.suffix, dir=target.parent)
        os.close(fd)

    def commit(self) -> None:
        os.replace(self.path, self.target)

    def discard(self) -> None:
        if os.path.exists(self.path):
            os.unlink(self.path)


def write_part(path: Path, rows: list[dict], columns: list[str], kind: str) -> None:
    """One chunk's rows as a file of `kind` (csv without a header, parquet, jsonl)."""
    tmp = _Temp(path)
    try:
        if kind == "csv":
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            w.writerows([r.get(c) for c in columns] for r in rows)  # (csv writes None as an empty cell)
            Path(tmp.path).write_text(buf.getvalue(), encoding="utf-8")
        elif kind == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            schema = _schema(columns)
            pq.write_table(pa.Table.from_pylist([{c: r.get(c) for c in columns} for r in rows], schema=schema), tmp.path)
        elif kind == "jsonl":
            Path(tmp.path).write_text("".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows),
                                      encoding="utf-8")
        else:
            raise ValueError(kind)
        tmp.commit()
    except BaseException:
        tmp.discard()
        raise


def _joined(target: Path, parts: list[Path], kind: str, columns: list[str]) -> None:
    tmp = _Temp(target)
    try:
        if kind == "csv":
            with open(tmp.path, "wb") as out:
                buf = io.StringIO()
                csv.writer(buf, lineterminator="\n").writerow(columns)
                out.write(("\ufeff" + buf.getvalue()).encode("utf-8"))  # a BOM: Excel then reads the UTF-8 right
                for p in parts:
                    with open(p, "rb") as fh:
                        shutil.copyfileobj(fh, out)
        elif kind == "jsonl":
            with open(tmp.path, "wb") as out:
                for p in parts:
                    with open(p, "rb") as fh:
                        shutil.copyfileobj(fh, out)
        elif kind == "parquet":
            import pyarrow.parquet as pq

            with pq.ParquetWriter(tmp.path, _schema(columns)) as writer:
                for p in parts:
                    table = pq.read_table(p)
                    if table.num_rows:
                        writer.write_table(table)
        tmp.commit()
    except BaseException:
        tmp.discard()
        raise


def _rows(parts: list[Path]) -> list[dict]:
    out = []
    for p in parts:
        with open(p, encoding="utf-8") as fh:
            out += [json.loads(line) for line in fh]
    return out


def write_workbook(target: Path, sheets: dict[str, pd.DataFrame]) -> None:
    tmp = _Temp(target)
    try:
        with pd.ExcelWriter(tmp.path, engine="openpyxl") as writer:
            for name, frame in sheets.items():
                frame.to_excel(writer, sheet_name=name, index=False)
        tmp.commit()
    except BaseException:
        tmp.discard()
        raise


def write_table(target: Path, rows: list[dict], columns: list[str], kind: str) -> None:
    """A whole table at once (small ones: refused rows, flipped verdicts)."""
    if kind == "excel":
        write_workbook(target, {target.stem[:31] or "rows": pd.DataFrame(rows, columns=columns)})
        return
    folder = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.stem}.parts-"))
    try:
        part = folder / f"part.{kind}"
        write_part(part, rows, columns, kind)
        _joined(target, [part], kind, columns)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def write_outputs(job, state, chunks: int, columns: list[str], parts, summary: Summary | None = None) -> None:
    from app.batch.run import output_kind

    calls = [state.part("calls", k, parts.calls) for k in range(chunks)]
    hits = [state.part("hits", k, parts.hits) for k in range(chunks)] if parts.hits else []
    if output_kind(job.output, "-o") == "excel":
        rows = _rows(calls)
        hit_rows = _rows(hits) if hits else []
        if max(len(rows), len(hit_rows)) > EXCEL_ROWS:
            raise InputError(f"-o {job.output}: {max(len(rows), len(hit_rows)):,} rows do not fit an Excel sheet; "
                             "write .csv or .parquet")
        summary = summary or state.summary(chunks)
        write_workbook(job.output, {"summary": pd.DataFrame(summary.table()),
                                    "calls": pd.DataFrame(rows, columns=columns),
                                    "hits": pd.DataFrame(hit_rows, columns=HIT_COLUMNS)})
    else:
        _joined(job.output, calls, parts.calls, columns)
    if job.hits_output is not None:
        if output_kind(job.hits_output, "--hits") == "excel":
            write_workbook(job.hits_output, {"hits": pd.DataFrame(_rows(hits), columns=HIT_COLUMNS)})
        else:
            _joined(job.hits_output, hits, parts.hits, HIT_COLUMNS)
    if job.errors_output is not None:
        errors = _rows([state.part("errors", k, "jsonl") for k in range(chunks)])
        write_table(job.errors_output, errors, ERROR_COLUMNS, output_kind(job.errors_output, "--errors"))
