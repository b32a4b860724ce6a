"""What every reader produces: a call as the format gives it, before roles are settled.

A format names its speakers its own way: a channel number, a diarization label, a role word.
Readers keep that label as written (`speaker`), and set `role` only where the format itself
says who is the agent. app.ingest.roles then maps or infers the rest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, TypedDict

import msgspec
from pydantic_core import from_json

from app.models import MAX_MS

_DECODE = msgspec.json.Decoder()


def json_value(data: bytes | str) -> Any:
    """A JSON document as Python values: parsed by msgspec (the faster), or, where msgspec
    refuses it, by pydantic-core, whose error says where the document is broken (and which
    takes NaN and 1e400, as it always has here). Both refuse a lone surrogate escape; where
    both read a document they read it the same."""
    try:
        return _DECODE.decode(data)
    except (msgspec.DecodeError, RecursionError):
        return from_json(data)


class FormatMismatch(Exception):
    """This reader does not read this input; the message says what it looked for."""


class MalformedInput(Exception):
    """The input is this format, but broken; the message says where."""


class RawUtterance(TypedDict, total=False):
    """One fragment as a format gives it. A plain dict: quick to make, fragment by fragment,
    and to_call hands it on as the native utterance it becomes once its speaker label is
    replaced by the role (no second copy of every fragment)."""

    speaker: str | None  # the format's own label: "0", "spk_1", "SPEAKER_00", "坐席", "Agent"
    text: str
    start_ms: int | None
    end_ms: int | None
    role: str | None  # "agent" / "customer" where the format itself says so (None: it does not say)


def utterance(speaker: str | None, text: str, start_ms: int | None = None, end_ms: int | None = None,
              role: str | None = None) -> RawUtterance:
    u: RawUtterance = {"speaker": speaker, "text": text, "start_ms": start_ms, "end_ms": end_ms}
    if role is not None:
        u["role"] = role
    return u


@dataclass(slots=True)
class RawCall:
    format: str
    utterances: list[RawUtterance]
    call_id: str | None = None
    started_at: str | None = None  # ISO 8601 text as found (an offset or not)
    direction: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def get(obj: Any, *names: str, default: Any = None) -> Any:
    """A field by any of its names, written as given, in lowerCamelCase or in lower case
    (SecretAsrReport writes BeginTime as beginTime)."""
    if not isinstance(obj, dict):
        return default
    for name in names:
        value = obj.get(name, _MISSING)
        if value is _MISSING:
            value = obj.get(name[:1].lower() + name[1:], _MISSING)
            if value is _MISSING:
                value = obj.get(name.lower(), _MISSING)
        if value is not _MISSING:
            return value
    return default


_MISSING = object()
_INF = float("inf")


def place(where: str | tuple) -> str:
    """Where in the document (a tuple is formatted only when there is something to report)."""
    return f"{where[0]}[{where[1]}].{where[2]}" if isinstance(where, tuple) else where


def number(value: Any, where: str | tuple) -> float | None:
    """A number that may arrive as a string ("0.52", "4180"); None for missing or empty."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise MalformedInput(f"{place(where)}: expected a number, got {value!r}")
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise MalformedInput(f"{place(where)}: expected a number, got {_short(value)}") from None
    except OverflowError:  # (an integer beyond any float)
        raise MalformedInput(f"{place(where)}: a time too large, got {_short(value)}") from None
    if not math.isfinite(out) or out < 0:
        raise MalformedInput(f"{place(where)}: expected a time of zero or more, got {_short(value)}")
    return out


def ms_digits(value: Any) -> bool:
    """Whether value is a time in milliseconds written as digits, short enough to convert."""
    return type(value) is str and len(value) <= _MS_DIGITS and value.isdecimal()


_MS_DIGITS = len(str(MAX_MS))


def ms(value: Any, where: str | tuple, scale: float = 1.0) -> int | None:
    """A time in milliseconds from a value in some unit (scale: milliseconds per unit)."""
    kind = type(value)
    if kind is int and 0 <= value <= MAX_MS and scale == 1.0:
        return value  # the usual case, at once
    f = value if kind is int or kind is float else _float(value) if kind is str else -1.0  # ("1.234": seconds as text)
    if 0 <= f < _INF:
        try:
            scaled = f * scale
        except OverflowError:  # (an integer beyond any float)
            scaled = _INF
        if scaled <= MAX_MS:
            return round(scaled)
    if number(value, where) is None:  # missing or empty; else it says what is wrong with the value
        return None
    raise MalformedInput(f"{place(where)}: a time too large (at most {MAX_MS} ms), got {_short(value)}")


def _short(value: Any) -> str:
    """A value for a message, cut short (Python will not even write an int of 5,000 digits)."""
    if type(value) is int and abs(value) >= 10**18:
        return f"a number of about {int(value.bit_length() * 0.30103) + 1} digits"
    if type(value) is str and len(value) > 24:
        return repr(value[:24]) + "…"
    return repr(value)[:60]


def key(obj: dict, name: str) -> str:
    """How this document spells a field (BeginTime, beginTime or begintime): looked up once
    per call, then used for every entry."""
    for k in (name, name[:1].lower() + name[1:], name.lower()):
        if k in obj:
            return k
    return name


def text_of(value: Any) -> str:
    return value.strip() if type(value) is str else ""


def label(value: Any) -> str | None:
    """A speaker label as text ("1" for 1 and "1"); None when absent."""
    if type(value) is int:
        return str(value)
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() or None


def objects(values: list, where: str):
    """(index, entry) of a list whose entries must be JSON objects."""
    for i, value in enumerate(values):
        if not isinstance(value, dict):
            raise MalformedInput(f"{where}[{i}]: expected an object")
        yield i, value


def items(value: Any, where: str | tuple) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise MalformedInput(f"{place(where)}: expected a list, got {type(value).__name__}")
    return value


def _float(text: str) -> float:
    """The number a string holds, or -1 (not a time) when it holds none."""
    try:
        return float(text)
    except ValueError:
        return -1.0


def fragments(entries: list, where: str, speaker: str | None, text: str, start: str, end: str, scale: float = 1.0,
              other_speaker: str | None = None, other_text: str | None = None,
              default_speaker: str | None = None) -> list[RawUtterance]:
    """The utterances of a list of JSON objects with one field each for the speaker, the text
    and the two times (`scale`: milliseconds per unit of time; `speaker` None: no field holds
    the speaker, every fragment is `default_speaker`'s). `other_speaker` / `other_text`:
    fields read where the first is missing; `default_speaker` where both are. The usual value
    types are taken at once here; anything else goes through `label` / `ms`, which say what is
    wrong and where. (A reader's per-utterance work is most of what reading a format costs.)"""
    out: list[RawUtterance] = []
    append = out.append
    speaker_fields = tuple(f for f in (speaker, other_speaker) if f is not None)
    for i, e in enumerate(entries):
        if type(e) is not dict:
            raise MalformedInput(f"{where}[{i}]: expected an object")
        sp = None
        for field_name in speaker_fields:  # the first field that names a speaker
            sp = e.get(field_name)
            kind = type(sp)
            if kind is int:
                sp = str(sp)
                break
            if kind is str:
                sp = sp.strip() or None
            elif sp is not None:
                sp = label(sp)
            if sp is not None:
                break
        if sp is None:
            sp = default_speaker
        t = e.get(text)
        if t is None and other_text is not None:
            t = e.get(other_text)
        t = t.strip() if type(t) is str else ""
        a, b = e.get(start), e.get(end)
        if type(a) is not int or a < 0 or scale != 1.0:  # (milliseconds as integers: taken as they are)
            a = ms(a, (where, i, start), scale)
        if type(b) is not int or b < 0 or scale != 1.0:
            b = ms(b, (where, i, end), scale)
        append({"speaker": sp, "text": t, "start_ms": a, "end_ms": b})
    return out
