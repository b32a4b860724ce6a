"""Tables of scored calls. A call, the rules it failed and its hits are written together.

`violations` and `hits` repeat the call's agent, team and start time so that the questions
QA staff ask (violations per rule and agent over a range) are answered from one table and
its indexes, without joining a million calls.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})


class UtcDateTime(TypeDecorator):
    """A timestamp stored in UTC. PostgreSQL keeps offsets itself, but SQLite would store a
    `+08:00` time as its bare wall-clock reading and compare it wrongly with a UTC one."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a time without an offset reached the store; app.store.days.to_utc places it first")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = metadata


class CallRow(Base):
    __tablename__ = "calls"

    call_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    agent_id: Mapped[str | None] = mapped_column(String(200))
    team_id: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    direction: Mapped[str | None] = mapped_column(String(16))
    score: Mapped[float] = mapped_column(Float, nullable=False)
    passed: Mapped[bool] = mapped_column(Boolean, nullable=False)
    lexicon_version: Mapped[str] = mapped_column(String(80), nullable=False)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    # Stored documents, written by pydantic's serializer as UTF-8 JSON text: they are read
    # back whole, never queried inside (violations, hits and the rollups are what queries read).
    transcript: Mapped[str] = mapped_column(Text, nullable=False)
    result: Mapped[str] = mapped_column(Text, nullable=False)

    __table_args__ = (
        Index(None, "started_at", "call_id"),
        Index(None, "agent_id", "started_at"),
        Index(None, "team_id", "started_at"),
        Index(None, "score", "call_id"),
    )


class ViolationRow(Base):
    """One row per rule a call failed. Verdicts that passed or did not apply live only in the
    stored result (and in the daily rollups' counts): writing eight rows per call to find the
    few that failed cost more than all the rest of storing it."""

    __tablename__ = "violations"

    call_id: Mapped[str] = mapped_column(ForeignKey("calls.call_id", ondelete="CASCADE"), primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(50), primary_key=True)
    deduction: Mapped[float] = mapped_column(Float, nullable=False)
    hit_count: Mapped[int] = mapped_column(Integer, nullable=False)
    agent_id: Mapped[str | None] = mapped_column(String(200))
    team_id: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    call_passed: Mapped[bool] = mapped_column(Boolean, nullable=False)  # the call's verdict

    __table_args__ = (
        # "calls that failed rule X": an index-only semi-join, no heap reads
        Index(None, "rule_id", "call_id"),
        # how many of them (and of those, how many failed overall), counted in one index range
        Index(None, "rule_id", "call_passed"),
    )


class HitRow(Base):
    __tablename__ = "hits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.call_id", ondelete="CASCADE"), nullable=False)
    rule_id: Mapped[str] = mapped_column(String(50), nullable=False)
    phrase: Mapped[str] = mapped_column(Text, nullable=False)
    matched: Mapped[str] = mapped_column(Text, nullable=False)
    method: Mapped[str] = mapped_column(String(16), nullable=False)
    utterance_index: Mapped[int] = mapped_column(Integer, nullable=False)
    agent_id: Mapped[str | None] = mapped_column(String(200))
    team_id: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index(None, "call_id"),
        Index(None, "phrase", "call_id"),
        Index(None, "phrase", "started_at", "call_id"),  # counting the calls with a phrase over a range
    )


# Per-day rollups, in the center's time zone, kept up to date by every write (a replaced
# call is subtracted before its new result is added). Statistics read these instead of
# millions of verdict rows. A call without agent or team is counted under ''.

class DailyCallsRow(Base):
    __tablename__ = "daily_calls"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    calls: Mapped[int] = mapped_column(Integer, nullable=False)
    passed: Mapped[int] = mapped_column(Integer, nullable=False)
    score_sum: Mapped[float] = mapped_column(Float, nullable=False)

    __table_args__ = (Index(None, "agent_id", "day"), Index(None, "team_id", "day"))


class DailyRulesRow(Base):
    __tablename__ = "daily_rules"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(50), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    calls: Mapped[int] = mapped_column(Integer, nullable=False)  # verdicts of any status
    applicable: Mapped[int] = mapped_column(Integer, nullable=False)
    failed: Mapped[int] = mapped_column(Integer, nullable=False)
    hits: Mapped[int] = mapped_column(Integer, nullable=False)

    __table_args__ = (Index(None, "agent_id", "day"), Index(None, "team_id", "day"))


class DailyPhrasesRow(Base):
    __tablename__ = "daily_phrases"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(50), primary_key=True)
    phrase: Mapped[str] = mapped_column(Text, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, nullable=False)

    __table_args__ = (Index(None, "agent_id", "day"), Index(None, "team_id", "day"))


class StoreMetaRow(Base):
    """Facts about the stored data itself, e.g. the time zone its rollups count days in."""

    __tablename__ = "store_meta"

    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)
