"""Read calls in the native JSON form: one JSON object, a JSON array of them, or JSON Lines.

Every record comes out as either a Call or the reason it was refused, with its file and line,
so one bad record never stops the others and none is dropped silently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from app.errors import InputError
from app.models import Call

LINE_SUFFIXES = (".jsonl", ".ndjson")
# Read buffer of a JSON Lines file: a recognizer's call is one line of 8-300 KB, and a line
# longer than the buffer is read in pieces and joined (the default 8 KB buffer cost 4-8 µs a
# line, this one under 2)
LINE_BUFFER = 1 << 20
BOM = b"\xef\xbb\xbf"  # a UTF-8 byte order mark, which some Windows tools write first


def _json_problem(exc: json.JSONDecodeError) -> str:
    at = f"line {exc.lineno} column {exc.colno}"
    # Python's messages for some errors end in "at" ("Unterminated string starting at")
    return f"invalid JSON: {exc.msg} {at}" if exc.msg.endswith(" at") else f"invalid JSON: {exc.msg} at {at}"


@dataclass(slots=True)
class Record:
    source: str
    line: int  # 1-based line in the file (for a JSON array: the element's index, 1-based)
    call: Call | None
    error: str | None
    size: int  # bytes read for this record (progress)


def describe_validation_error(exc: ValidationError, limit: int = 5) -> str:
    """One line a person can act on: each bad field's path, what is wrong, what was given."""
    parts = []
    for err in exc.errors()[:limit]:
        if err["type"] == "json_invalid":
            detail = err["ctx"].get("error", err["msg"]) if err.get("ctx") else err["msg"]
            if "hex escape" in detail or "lone leading surrogate" in detail:
                detail += " (a lone surrogate escape such as \\ud800 is not a character)"
            return f"invalid JSON: {detail}".replace(" at line 1 column", " at column")
        loc = ".".join(str(x) for x in err["loc"]) or "(the record)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "required field is missing"
        given = err.get("input")
        if err["type"] not in ("missing",) and given is not None and not isinstance(given, (dict, list)):
            shown = repr(given)
            msg += f" (got {shown[:60]}{'…' if len(shown) > 60 else ''})"
        parts.append(f"{loc}: {msg}")
    more = len(exc.errors()) - limit
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)


_NATIVE_SPEAKER = re.compile(rb'"speaker"\s*:\s*"(?:agent|customer)"')


def looks_native(data: bytes) -> bool:
    """A cheap first guess (one C-level search each) that JSON is a native call: it holds
    utterances and a speaker written as agent or customer. Others (Volcengine's
    result.utterances, with speakers "1" and "2") go to the format readers at once."""
    return data.find(b'"utterances"', 0, 65536) >= 0 and _NATIVE_SPEAKER.search(data, 0, 65536) is not None


def not_native(exc: ValidationError) -> bool:
    """Does this refusal of a native parse mean the input is another format (a JSON object
    with neither call_id nor utterances at the top), rather than a native call with a mistake?"""
    missing = {e["loc"][0] for e in exc.errors() if e["type"] == "missing" and len(e["loc"]) == 1}
    return {"call_id", "utterances"} <= missing


def parse_call(text: str | bytes) -> Call:
    """Parse one native call; raises pydantic's ValidationError (see describe_validation_error)."""
    return Call.model_validate_json(text)


def _record(source: str, line: int, data: bytes) -> Record:
    try:
        return Record(source, line, parse_call(data), None, len(data))
    except ValidationError as exc:
        return Record(source, line, None, describe_validation_error(exc), len(data))


def _other(source: str, line: int, data: bytes, fmt: str | None, hints, fallback: str,
           native: bool | None = None) -> Iterator[Record]:
    """The calls of an input in another format (app.ingest.formats), as records. `native`: what
    looks_native said of it, where asked already."""
    from app.ingest.formats import Hints, read_body

    try:
        calls = read_body(data, fmt, hints or Hints(), fallback, native)
    except InputError as exc:
        yield Record(source, line, None, str(exc), len(data))
        return
    for i, call in enumerate(calls):
        yield Record(source, line + i if line else i + 1, call, None, len(data) if i == 0 else 0)


def read_lines(source: str, stream, first_line: int = 1, fmt: str | None = None, hints=None) -> Iterator[Record]:
    """JSON Lines, read as bytes: a line that is not UTF-8 is refused alone. A line in another
    format than native JSON (or any line, with `fmt`) is read by app.ingest.formats.
    `first_line`: the number of the stream's first line in its file (a block of a file's lines
    read on its own)."""
    stem = Path(source).stem
    for number, line in enumerate(stream, first_line):
        if isinstance(line, str):
            line = line.encode("utf-8", "surrogateescape")
        line = line.strip()
        if number == 1:
            line = line.removeprefix(BOM)
        if not line:
            continue
        if fmt not in (None, "native"):
            yield from _other(source, number, line, fmt, hints, f"{stem}:{number}")
            continue
        if fmt is None and not looks_native(line):
            yield from _other(source, number, line, fmt, hints, f"{stem}:{number}", native=False)
            continue
        try:
            yield Record(source, number, parse_call(line), None, len(line))
        except ValidationError as exc:
            if fmt is None and not_native(exc):  # "utterances" further in: a vendor's JSON (Volcengine)
                yield from _other(source, number, line, fmt, hints, f"{stem}:{number}")
            else:
                yield Record(source, number, None, describe_validation_error(exc), len(line))


def _native_doc(doc) -> bool:
    if isinstance(doc, list):
        return not doc or all(isinstance(d, dict) and "utterances" in d for d in doc[:3])
    return isinstance(doc, dict) and "utterances" in doc


def read_calls(path: str | Path, stream=None, fmt: str | None = None, hints=None) -> Iterator[Record]:
    """Records of one input file ("-" with `stream` for standard input). Native JSON (one
    call, an array, JSON Lines) is read here; any other format app.ingest reads (a vendor's
    JSON, SRT, WebVTT, a text export) through app.ingest.formats, one call per file or line;
    `fmt` names the format instead of detecting it."""
    source = str(path)
    if stream is not None or source.endswith(LINE_SUFFIXES):
        if stream is not None:
            yield from read_lines(source, getattr(stream, "buffer", stream), fmt=fmt, hints=hints)
            return
        with open(source, "rb", buffering=LINE_BUFFER) as fh:
            yield from read_lines(source, fh, fmt=fmt, hints=hints)
        return
    raw = Path(source).read_bytes().removeprefix(BOM)
    if fmt not in (None, "native") or (fmt is None and not source.endswith(".json")):
        yield from _other(source, 0, raw, fmt, hints, Path(source).stem)
        return
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        yield Record(source, 0, None, f"file is not UTF-8 text ({exc.reason} at byte {exc.start})", len(raw))
        return
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            yield Record(source, exc.lineno, None, _json_problem(exc), len(raw))
            return
        except RecursionError:
            yield Record(source, 0, None, "invalid JSON: nested too deeply", len(raw))
            return
        if not isinstance(items, list):
            yield Record(source, 0, None, "a file that starts with [ must be one JSON array of calls", len(raw))
            return
        if fmt is None and not _native_doc(items):
            yield from _other(source, 0, raw, fmt, hints, Path(source).stem)
            return
        for i, item in enumerate(items, 1):
            # ASCII escapes: a lone surrogate (\ud800), which Python's JSON reader lets
            # through, is then refused with this record alone
            yield _record(source, i, json.dumps(item, ensure_ascii=True).encode())
        return
    # One object, or JSON Lines saved under another name.
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":
            yield from read_lines(source, iter(raw.splitlines(keepends=True)), fmt=fmt, hints=hints)
            return
    except RecursionError:
        yield Record(source, 0, None, "invalid JSON: nested too deeply", len(raw))
        return
    else:
        if fmt is None and not _native_doc(doc):
            yield from _other(source, 0, raw, fmt, hints, Path(source).stem)
            return
    yield _record(source, 1, raw)
