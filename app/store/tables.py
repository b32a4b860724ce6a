"""Tables of scored calls. A call, its per-rule verdicts and its hits are written together.

`rule_results` and `hits` repeat the call's agent, team and start time so that the questions
QA staff ask (violations per rule and agent over a range) are answered from one table and
its indexes, without joining a million calls.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})


class Base(DeclarativeBase):
    metadata = metadata


class CallRow(Base):
    __tablename__ = "calls"

    call_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    agent_id: Mapped[str | None] = mapped_column(String(200))
    team_id: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    direction: Mapped[str | None] = mapped_column(String(16))
    score: Mapped[float] = mapped_column(Float, nullable=False)
    passed: Mapped[bool] = mapped_column(Boolean, nullable=False)
    lexicon_version: Mapped[str] = mapped_column(String(80), nullable=False)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # Stored documents, written by pydantic's serializer as UTF-8 JSON text: they are read
    # back whole, never queried inside (rule_results and hits are what queries read).
    transcript: Mapped[str] = mapped_column(Text, nullable=False)
    result: Mapped[str] = mapped_column(Text, nullable=False)

    __table_args__ = (
        Index(None, "started_at", "call_id"),
        Index(None, "agent_id", "started_at"),
        Index(None, "team_id", "started_at"),
        Index(None, "score", "call_id"),
    )


class RuleResultRow(Base):
    __tablename__ = "rule_results"

    call_id: Mapped[str] = mapped_column(ForeignKey("calls.call_id", ondelete="CASCADE"), primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(50), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    deduction: Mapped[float] = mapped_column(Float, nullable=False)
    hit_count: Mapped[int] = mapped_column(Integer, nullable=False)
    agent_id: Mapped[str | None] = mapped_column(String(200))
    team_id: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        # "calls that failed rule X": an index-only semi-join, no heap reads
        Index(None, "rule_id", "status", "call_id"),
        Index(None, "agent_id", "rule_id", "status"),
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
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index(None, "call_id"),
        Index(None, "phrase", "call_id"),
        Index(None, "rule_id", "started_at"),
    )
