"""The shape of lexicon files, as pydantic models. Validation only; compiling is elsewhere."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Kind = Literal["required", "forbidden", "silence"]
RuleSpeaker = Literal["agent", "customer", "any"]
RuleDirection = Literal["inbound", "outbound", "any"]
Boundary = Literal["word", "none"]
Scope = Literal["overlap", "after", "turn"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MatchOptions(_Strict):
    """How phrases may match. Per rule, overridable per phrase."""

    pinyin: bool | None = None
    fuzzy: float | None = Field(default=None, gt=0, le=1)
    boundary: Boundary | None = None
    max_insert: int | None = Field(default=None, ge=0, le=4)
    max_gap: int | None = Field(default=None, ge=0, le=20)


def _flatten(value: Any) -> Any:
    """YAML anchors put lists inside lists ([*help, *not_blunt]); read them as one list."""
    if not isinstance(value, list):
        return value
    out: list[Any] = []
    for item in value:
        out.extend(_flatten(item) if isinstance(item, list) else [item])
    return out


class ExceptionSpec(_Strict):
    text: str = Field(min_length=1)
    scope: Scope = "overlap"


class PhraseSpec(MatchOptions):
    text: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    clause_end: bool = False
    alone: bool = False
    opens_turn: bool = False
    exceptions: list[str | ExceptionSpec] = Field(default_factory=list)

    _flat = field_validator("exceptions", mode="before")(_flatten)


class GroupSpec(_Strict):
    name: str
    phrases: list[str | PhraseSpec] = Field(min_length=1)


class Window(_Strict):
    first_turns: int | None = Field(default=None, ge=1)
    last_turns: int | None = Field(default=None, ge=1)
    first_seconds: float | None = Field(default=None, gt=0)
    last_seconds: float | None = Field(default=None, gt=0)
    before_hold: bool | None = None

    @model_validator(mode="after")
    def _one(self) -> Window:
        set_fields = [k for k, v in self.model_dump().items() if v not in (None, False)]
        if len(set_fields) > 1:
            raise ValueError(
                f"give one window, not {set_fields}: first_turns, last_turns, first_seconds, "
                "last_seconds or before_hold (no window means the whole call)"
            )
        return self


class Deduction(_Strict):
    once: float | None = Field(default=None, ge=0, le=100)
    per_hit: float | None = Field(default=None, ge=0, le=100)
    cap: float | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="after")
    def _one(self) -> Deduction:
        if (self.once is None) == (self.per_hit is None):
            raise ValueError("give exactly one of `once: points` or `per_hit: points` (with optional `cap`)")
        if self.cap is not None and self.per_hit is None:
            raise ValueError("`cap` goes with `per_hit`")
        return self


class Example(_Strict):
    """A small call. `utterances` items are {speaker, text, start_ms?, end_ms?}."""

    utterances: list[dict[str, Any]] = Field(min_length=1)
    variables: dict[str, Any] = Field(default_factory=dict)
    direction: Literal["inbound", "outbound"] | None = None
    note: str | None = None


class Examples(_Strict):
    hit: list[str | Example] = Field(min_length=1)
    miss: list[str | Example] = Field(min_length=1)


class RuleSpec(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,48}$")
    name: str
    kind: Kind
    speaker: RuleSpeaker = "agent"
    direction: RuleDirection = "any"
    window: Window = Field(default_factory=Window)
    match: MatchOptions = Field(default_factory=MatchOptions)
    phrases: list[str | PhraseSpec] = Field(default_factory=list)
    all_of: list[GroupSpec] = Field(default_factory=list)
    exceptions: list[str | ExceptionSpec] = Field(default_factory=list)
    deduction: Deduction
    veto: bool = False
    max_seconds: float | None = Field(default=None, gt=0)
    message: str = Field(min_length=4)
    examples: Examples

    _flat = field_validator("exceptions", "phrases", mode="before")(_flatten)


class VariableSpec(_Strict):
    description: str
    example: str = Field(min_length=1)
    example_aliases: list[str] = Field(default_factory=list)


class PinyinSettings(_Strict):
    fuzzy_pairs: list[str] = Field(default_factory=lambda: ["z/zh", "c/ch", "s/sh", "l/n", "f/h", "n/ng"])


class HoldSettings(_Strict):
    min_seconds: float = Field(default=15, gt=0)


class LexiconSettings(_Strict):
    label: str | None = None
    pinyin: PinyinSettings = Field(default_factory=PinyinSettings)
    holds: HoldSettings = Field(default_factory=HoldSettings)
    variables: dict[str, VariableSpec] = Field(default_factory=dict)
    retired: list[str] = Field(default_factory=list)


class RuleFile(_Strict):
    # `definitions` holds YAML anchors (&help) reused in rules (*help); it is not read otherwise
    definitions: Any = None
    rules: list[dict[str, Any]] = Field(default_factory=list)
