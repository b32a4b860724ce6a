"""Response models of the service (they shape the OpenAPI docs at /docs)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from app.models import CallResult


class CallSummary(BaseModel):
    call_id: str
    agent_id: str | None = None
    team_id: str | None = None
    started_at: datetime | None = None
    score: float
    passed: bool
    lexicon_version: str


class CallPage(BaseModel):
    items: list[CallSummary]
    total: int
    next_cursor: str | None = None


class CallDetail(BaseModel):
    call: dict
    result: CallResult


class DayTrend(BaseModel):
    day: str
    calls: int
    average_score: float
    pass_rate: float


class AgentSummary(BaseModel):
    agent_id: str
    calls: int
    average_score: float | None
    pass_rate: float | None
    violations: dict[str, int]
    trend: list[DayTrend]


class PhraseCount(BaseModel):
    phrase: str
    hits: int


class RuleStat(BaseModel):
    rule_id: str
    calls_applicable: int
    violations: int
    violation_rate: float | None
    hits: int
    top_phrases: list[PhraseCount]


class RuleInfo(BaseModel):
    id: str
    name: str
    kind: str
    speaker: str
    direction: str
    window: dict
    deduction: dict
    veto: bool
    message: str
    phrases: list[str]


class LexiconInfo(BaseModel):
    version: str
    directory: str
    rules: list[RuleInfo]


class Health(BaseModel):
    status: str
    database: str
    lexicon_version: str


class ErrorDetail(BaseModel):
    status: int
    code: str = Field(description="bad_request, unauthorized, forbidden, not_found, too_large, invalid, ...")
    message: str = Field(description="what went wrong and what to do about it")
    details: list[dict] | None = Field(None, description="each field problem with its path, or each lexicon problem")


class ErrorBody(BaseModel):
    """Every error the service answers has this shape."""

    error: ErrorDetail
