"""Typed models shared by every layer: the call that comes in and the result that goes out."""

from __future__ import annotations

import re
from datetime import date, datetime
from operator import attrgetter, lt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

# Times are ISO 8601 text only. Pydantic would also read a number, or a string of digits, as
# Unix seconds: "20261102" would quietly become 1970-08-23.
_ISO_START = re.compile(r"\d{4}-\d{2}-\d{2}")
# Calls happen within these years. Outside them a time could not even be moved to another
# time zone (year 9999 at -14:00 overflows), and 0001-01-01 is the store's "no start time".
FIRST_YEAR, LAST_YEAR = 1900, 2999


def _iso_only(value):
    if isinstance(value, (datetime, date)):
        return value
    if not isinstance(value, str) or not _ISO_START.match(value):
        raise PydanticCustomError("iso_8601", "write it as ISO 8601 text: 2026-10-05, or 2026-10-05T09:30:00+08:00")
    return value


# A time is kept in UTC: one a day inside the years' ends stays inside them in any time zone
# (2999-12-31T23:59:59-14:00 would be the year 3000 in UTC, and no cursor could name it).
FIRST_TIME, LAST_TIME = date(FIRST_YEAR, 1, 2), date(LAST_YEAR, 12, 30)


def _in_years(value):
    if isinstance(value, datetime):
        if not FIRST_TIME <= value.date() <= LAST_TIME:
            raise PydanticCustomError("time_range", "must be a time between {first} and {last}",
                                      {"first": FIRST_TIME.isoformat(), "last": LAST_TIME.isoformat()})
    elif not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise PydanticCustomError("time_range", "must be a day between {first} and {last}",
                                  {"first": f"{FIRST_YEAR}-01-01", "last": f"{LAST_YEAR}-12-31"})
    return value


IsoTime = Annotated[datetime, BeforeValidator(_iso_only), AfterValidator(_in_years)]
IsoDay = Annotated[date, BeforeValidator(_iso_only), AfterValidator(_in_years)]


def _no_nul(value: str | None) -> str | None:
    if value is not None and "\x00" in value:
        raise PydanticCustomError("nul_character", "contains a NUL character (\\u0000); remove it")
    return value


def _ident(value: str | None) -> str | None:
    if value is not None and value and not value.strip():
        raise PydanticCustomError("blank", "is only blanks; give a name a person can find the call by")
    return _no_nul(value)


# Identifiers: never empty of meaning to a person (all blanks) or to a database (PostgreSQL
# refuses NUL in text).
Ident = Annotated[str, AfterValidator(_ident)]


def _no_bool(value):
    # JSON true is not a time: Python would read it as 1.
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "must be a whole number of milliseconds, not true or false")
    return value


# A time within a call, in milliseconds: at most 15 digits (some systems send Unix epoch
# milliseconds, 13 digits). Readers refuse longer digit strings before converting them.
MAX_MS = 10**15 - 1
Millis = Annotated[int, BeforeValidator(_no_bool), Field(ge=0, le=MAX_MS)]

Speaker = Literal["agent", "customer"]
_TEXT, _START, _END = attrgetter("text"), attrgetter("start_ms"), attrgetter("end_ms")
Direction = Literal["inbound", "outbound"]


class Utterance(BaseModel):
    """One recognised fragment of speech. Consecutive fragments of one speaker form a turn."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    speaker: Speaker
    text: str
    start_ms: Millis | None = None
    end_ms: Millis | None = None


class Source(BaseModel):
    """Where a call read from another format came from, and how its roles were settled."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    format: str
    roles: Literal["format", "mapped", "inferred"]
    agent_speaker: str | None = Field(default=None, description="the agent's speaker label as the format writes it")
    note: str = Field(description="why these roles, in words")


class Call(BaseModel):
    """A finished call's transcript in the native JSON form."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    call_id: Ident = Field(min_length=1, max_length=200)
    agent_id: Ident | None = Field(default=None, max_length=200)
    team_id: Ident | None = Field(default=None, max_length=200)
    started_at: IsoTime | None = None
    direction: Direction | None = None
    # A variable is a name ("瑞丰电器"), or a list whose first item is the name and the rest
    # aliases, or {"name": ..., "aliases": [...]}. `scripts` is this call's standard scripts:
    # {"rule id": ["script with {slots}", ...]} (app.lexicon.scripts).
    variables: dict[str, str | list[str] | VariableValue | dict[str, list[str]]] = Field(default_factory=dict)
    utterances: list[Utterance] = Field(json_schema_extra={"minItems": 1})  # checked below, with its own message
    source: Source | None = None  # set when the call was read from another format (app.ingest)

    @field_validator("utterances")
    @classmethod
    def _check_utterances(cls, value: list[Utterance]) -> list[Utterance]:
        if not value:
            raise ValueError("a call needs at least one utterance")
        # One pass per call, at C level where it can be (the parse is a hot path); the
        # utterance at fault is looked for only when something is wrong.
        if "\x00" in "".join(map(_TEXT, value)):
            i = next(i for i, u in enumerate(value) if "\x00" in u.text)
            raise ValueError(f"utterance {i}: the text contains a NUL character (\\u0000); remove it")
        try:
            backwards = any(map(lt, map(_END, value), map(_START, value)))
        except TypeError:  # some times missing: compare where both are given
            backwards = any(u.end_ms < u.start_ms for u in value if u.end_ms is not None and u.start_ms is not None)
        if backwards:
            i, u = next((i, u) for i, u in enumerate(value)
                        if u.end_ms is not None and u.start_ms is not None and u.end_ms < u.start_ms)
            raise ValueError(
                f"utterance {i}: end_ms ({u.end_ms}) is before start_ms ({u.start_ms}); "
                "times are milliseconds from the start of the call"
            )
        return value

    @field_validator("variables")
    @classmethod
    def _check_variables(cls, value: dict) -> dict:
        for name, v in value.items():
            if name == SCRIPTS:
                if not isinstance(v, dict):
                    raise ValueError('variable "scripts": write it as {"rule id": ["script with {slots}", ...]}')
                texts = [t for items in v.values() for t in items]
                if any("\x00" in t for t in [*v, *texts]):
                    raise ValueError('variable "scripts": contains a NUL character (\\u0000); remove it')
                continue
            if isinstance(v, dict):
                raise ValueError(f"variable {name!r}: write it as a name, a list (name first, then aliases) or "
                                 '{"name": ..., "aliases": [...]}')
            forms = [name, *variable_forms(v)]
            if any("\x00" in f for f in forms):
                raise ValueError(f"variable {name!r}: contains a NUL character (\\u0000); remove it")
        return value

    def time_warnings(self, starts: list[int | None] | None = None) -> list[str]:
        """What is odd about the times, in words (the call is still scored). `starts`: the
        utterances' start times, where the caller has them at hand."""
        out = []
        if starts is None:
            starts = [u.start_ms for u in self.utterances]
        missing = None in starts
        if missing and any(s is not None for s in starts):
            out.append("some utterances have no times: time windows and hold checks are not applied")
        timed = [s for s in starts if s is not None] if missing else starts
        if timed != sorted(timed):  # cheap test first; find the place only when needed
            prev = None
            for i, start in enumerate(starts):
                if start is None:
                    continue
                if prev is not None and start < prev[1]:
                    out.append(f"utterance {i} starts before utterance {prev[0]}: turns follow the input order")
                    break
                prev = (i, start)
        return out


SCRIPTS = "scripts"  # the variable that holds a call's own standard scripts, not a name


class VariableValue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)


Call.model_rebuild()


def variable_forms(value: str | list[str] | VariableValue) -> tuple[str, ...]:
    """All written forms of a variable: its name first, then its aliases, blanks dropped."""
    if isinstance(value, str):
        forms = [value]
    elif isinstance(value, VariableValue):
        forms = [value.name, *value.aliases]
    else:
        forms = list(value)
    return tuple(dict.fromkeys(f.strip() for f in forms if f and f.strip()))


Method = Literal["exact", "pinyin", "fuzzy", "frame", "script", "silence"]


class Hit(BaseModel):
    """One piece of evidence: where in the input a rule found what it looks for."""

    utterance_index: int
    speaker: Speaker
    start_ms: int | None = None
    offset: int = Field(description="character offset of the match in that utterance's text")
    phrase: str
    matched: str
    method: Method
    similarity: float
    detail: str | None = None


class Nearest(BaseModel):
    """For a failed required rule: the utterance that came closest to what was required."""

    utterance_index: int
    text: str
    similarity: float
    missing: str = Field(description="the part of the rule that was not found")


RuleStatus = Literal["passed", "failed", "not_applicable"]


class RuleResult(BaseModel):
    rule_id: str
    kind: str
    status: RuleStatus
    passed: bool
    deduction: float
    veto: bool = False
    hits: list[Hit] = Field(default_factory=list)
    nearest: Nearest | None = None
    message: str | None = None
    note: str | None = None


class CallResult(BaseModel):
    call_id: str
    agent_id: str | None = None
    score: float
    passed: bool
    lexicon_version: str
    rules: list[RuleResult]
    warnings: list[str] = Field(default_factory=list)
    source: Source | None = None
