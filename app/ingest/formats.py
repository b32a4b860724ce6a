"""One way in: bytes of any supported format to native calls.

    read_body(data, format=None, hints=Hints()) -> list[Call]

The format is detected (or given); its reader yields the call as the format has it; roles are
settled (app.ingest.roles); the utterances are sorted by time, empty ones dropped, and what the
format has no place for (call id, agent, team, direction, variables) comes from `hints`.
The service, `callqa score` and batch scoring all read through here, so a call parses the same
everywhere.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from pydantic import ValidationError

from app.errors import InputError
from app.ingest import projected
from app.ingest.native import BOM, looks_native
from app.ingest.native import describe_validation_error as describe
from app.ingest.raw import FormatMismatch, MalformedInput, RawCall, json_value
from app.ingest.roles import settle
from app.ingest.text import TEXT_READERS
from app.ingest.vendors import JSON_READERS, candidates, tencent
from app.models import Call

_START = itemgetter("start_ms")
_TEXT = itemgetter("text")
FORMATS = ("native", *JSON_READERS, "tencent-callback", *TEXT_READERS)


@dataclass(frozen=True)
class Hints:
    """What the input may not say, given by the caller (query parameters, command options,
    settings). Given values take precedence over the file's."""

    call_id: str | None = None
    agent_id: str | None = None
    team_id: str | None = None
    direction: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    agent: str | None = None  # the agent's speaker label, for this input
    agents: dict[str, str] = field(default_factory=dict)  # format -> the agent's label (settings)
    company: tuple[str, ...] = ()  # the company's forms, to recognise the agent by
    fallback_call_id: str | None = None  # used when neither the file nor `call_id` gives one (a file's name)

    def given(self) -> dict[str, Any]:
        out = {k: v for k, v in (("call_id", self.call_id), ("agent_id", self.agent_id), ("team_id", self.team_id),
                                  ("direction", self.direction)) if v is not None}
        return out


class InvalidCall(InputError):
    """The input was read, but the call in it is not valid (a field, a time, no utterances);
    `details` lists each field problem with its path."""

    def __init__(self, message: str, details: list[dict] | None = None):
        super().__init__(message)
        self.details = details or []


def _invalid(exc: ValidationError) -> InvalidCall:
    details = [{"field": ".".join(str(x) for x in e["loc"]) or "(body)",
                "message": "required field is missing" if e["type"] == "missing" else e["msg"].removeprefix("Value error, ")}
               for e in exc.errors()]
    return InvalidCall(describe(exc), details)


class UnknownFormat(InputError):
    """No reader takes the input; `tried` says why each did not."""

    def __init__(self, tried: dict[str, str]):
        self.tried = tried
        reasons = "; ".join(f"{name}: {why}" for name, why in tried.items())
        super().__init__(f"unknown format: no reader recognised it ({reasons}). "
                         f"Give the format explicitly (one of: {', '.join(FORMATS)})")


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as utf8:
        try:
            return data.decode("gb18030")  # exports from Chinese Windows tools
        except UnicodeDecodeError:
            raise InputError(f"not UTF-8 (nor GB18030) text: {utf8.reason} at byte {utf8.start}") from None


def _json(data: bytes) -> Any:
    """The JSON document (raw.json_value: a lone surrogate escape is refused)."""
    try:
        return json_value(data)
    except ValueError as exc:
        raise InputError(f"invalid JSON: {str(exc).strip()}") from None


def _is_native(doc: Any) -> bool:
    if isinstance(doc, list):
        return bool(doc) and all(isinstance(d, dict) and "utterances" in d for d in doc[:3])
    return isinstance(doc, dict) and isinstance(doc.get("utterances"), list)


def _form(text: str) -> dict[str, str] | None:
    """A form-encoded body (Tencent's callback), or None."""
    if "=" not in text or text.lstrip()[:1] in "{[" or "\n" in text.strip():
        return None
    fields = urllib.parse.parse_qs(text.strip(), keep_blank_values=True)
    return {k: v[0] for k, v in fields.items()} if fields else None


_NOT_JSON = object()


def detect(data: bytes, fmt: str | None = None, native: bool | None = None) -> tuple[str, list[RawCall] | Any]:
    """(format, raw calls) of the input, or ("native", the parsed JSON document). `native`: what
    app.ingest.native.looks_native said of the input, where the caller asked it already."""
    if fmt is not None and fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}")
    data = data.removeprefix(BOM)
    if b"\x00" in data[:4096]:
        raise InputError("a binary file, not a transcript (it holds NUL bytes)")
    head = data[:64].lstrip()[:1]
    json_error = None
    text = ""
    try:
        if fmt in JSON_READERS or (fmt is None and head == b"{" and not (looks_native(data) if native is None else native)):
            found = projected.read(data, fmt)  # only the keys the readers read; else the whole document, below
            if found is not None:
                return found
        doc = _NOT_JSON
        if fmt in JSON_READERS or fmt == "native" or (fmt is None and head in (b"{", b"[")):
            try:
                doc = _json(data)
            except InputError as exc:
                if fmt is not None or head == b"{":
                    raise
                json_error = exc  # "[00:00:01] 坐席：…" starts like a JSON array too
        if doc is not _NOT_JSON:
            if fmt == "native" or (fmt is None and _is_native(doc)):
                return "native", doc
            if fmt is not None:
                return fmt, JSON_READERS[fmt](doc)
            for name in candidates(doc.keys()) if isinstance(doc, dict) else JSON_READERS:  # (no reader that cannot take it)
                try:
                    return name, JSON_READERS[name](doc)
                except FormatMismatch:
                    pass
            tried = {"native": "no utterances[] of {speaker, text}"}
            for name, reader in JSON_READERS.items():  # no reader took it: each says why
                try:
                    reader(doc)
                except FormatMismatch as exc:
                    tried[name] = str(exc)
            raise UnknownFormat(tried)
        text = _decode(data)
        if fmt == "tencent-callback" or fmt is None:
            form = _form(text)
            if form is not None and "resultDetail" in form:
                return "tencent-callback", tencent(form)
            if fmt is not None:
                raise InputError("not a form-encoded Tencent callback (no resultDetail field)")
        if fmt is not None:
            return fmt, TEXT_READERS[fmt](text)
        tried = {"json formats": "the input is not JSON", "tencent-callback": "not a form with resultDetail"}
        for name, reader in TEXT_READERS.items():
            try:
                return name, reader(text)
            except FormatMismatch as exc:
                tried[name] = str(exc)
        if json_error is not None:
            raise json_error
        raise UnknownFormat(tried)
    except FormatMismatch as exc:
        raise InputError(f"not {fmt}: {exc}") from None
    except MalformedInput as exc:
        raise InputError(f"malformed {fmt or 'input'}: {exc}") from None


def _native(doc: Any, hints: Hints) -> list[Call]:
    docs = doc if isinstance(doc, list) else [doc]
    given = hints.given()
    out = []
    for i, d in enumerate(docs):
        if not isinstance(d, dict):
            where = f"item {i} of the array" if isinstance(doc, list) else "the body"
            raise InvalidCall(f"{where} is not a call (a JSON object with call_id and utterances)",
                              [{"field": str(i) if isinstance(doc, list) else "(body)", "message": "not a JSON object"}])
        if given or hints.variables:
            d = {**d, **given}
            if hints.variables:
                d["variables"] = {**hints.variables, **(d.get("variables") or {})}
        try:
            out.append(Call.model_validate(d))
        except ValidationError as exc:
            raise _invalid(exc) from None
    return out


def to_call(raw: RawCall, hints: Hints, fallback_call_id: str | None = None) -> Call:
    """A native call from a format's raw call: roles settled, empty utterances dropped,
    sorted by time, the hints applied. The raw call is used up: its utterances become the call's."""
    company = hints.company
    if "company" in hints.variables:
        value = hints.variables["company"]
        company = (value,) if isinstance(value, str) else tuple(value) if isinstance(value, list) else company
    settled = settle(raw, hints.agent if hints.agent is not None else hints.agents.get(raw.format), company)
    for u, role in zip(raw.utterances, settled.roles, strict=True):
        u["speaker"] = role  # the raw utterance becomes the native one (its other keys are not read)
    utterances = list(filter(_TEXT, raw.utterances))  # (no empty ones)
    starts = list(map(_START, utterances))
    if None not in starts and starts != sorted(starts):
        utterances.sort(key=_START)  # stable: two channels' sentences interleave by time
    call_id = hints.call_id or raw.call_id or fallback_call_id or hints.fallback_call_id
    if not call_id:
        raise InvalidCall(f"the {raw.format} input holds no call id; give one (the call_id query parameter)")
    doc = {"call_id": call_id, "utterances": utterances, "variables": hints.variables,
           "source": {"format": raw.format, "roles": settled.method, "agent_speaker": settled.agent, "note": settled.reason}}
    if raw.started_at:
        doc["started_at"] = raw.started_at
    if raw.direction:
        doc["direction"] = raw.direction
    doc.update(hints.given())
    try:
        return Call.model_validate(doc)
    except ValidationError as exc:
        raise _invalid(exc) from None


def read_body(data: bytes, fmt: str | None = None, hints: Hints = Hints(), fallback_call_id: str | None = None,
              native: bool | None = None) -> list[Call]:
    """Every call in the input (a vendor's file holds one; a native JSON array may hold many).
    `fallback_call_id`: the call id where neither the file nor the hints give one (instead of
    hints.fallback_call_id); `native`: as for detect. Raises InputError (UnknownFormat,
    RolesUnknown) saying what is wrong."""
    name, found = detect(data, fmt, native)
    if name == "native":
        return _native(found, hints)
    return [to_call(raw, hints, fallback_call_id) for raw in found]
