"""The review queue: one item per case (source, case_ref), the decisions reviewers take on it, and
each screening run with what it changed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from joindots.store.base import Base, utcnow


class ScreenRun(Base):
    """One run of the rules over the whole store: who ran it, which rule version, what changed."""

    __tablename__ = "screen_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ran_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ran_by: Mapped[str] = mapped_column(String(100))
    rules_version: Mapped[str] = mapped_column(String(40))
    stats: Mapped[dict] = mapped_column(JSON, default=dict)


class ReviewItem(Base):
    """A case the rules say deserves a second look, with the transparent parts of its priority.

    `active` is false once no base rule fires any more (the item is kept, with its decisions).
    `status` is the reviewer's side: open, assigned or decided.
    """

    __tablename__ = "review_item"
    __table_args__ = (UniqueConstraint("source", "case_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    case_ref: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # crime | child
    priority: Mapped[int] = mapped_column(Integer, index=True)
    rules: Mapped[list] = mapped_column(JSON, default=list)  # rule ids that fired
    parts: Mapped[list] = mapped_column(JSON, default=list)  # [{rule, weight}]
    reasons: Mapped[list] = mapped_column(JSON, default=list)  # plain words, one per rule
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)  # rule -> refs, records, persons, group
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    assigned_to: Mapped[str | None] = mapped_column(String(100))
    first_run_id: Mapped[int] = mapped_column(ForeignKey("screen_run.id"))
    last_run_id: Mapped[int] = mapped_column(ForeignKey("screen_run.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ReviewDecision(Base):
    """A reviewer's decision on an item, with their rationale. Decisions are never overwritten."""

    __tablename__ = "review_decision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_item.id", ondelete="CASCADE"), index=True)
    decision: Mapped[str] = mapped_column(String(30))
    rationale: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
