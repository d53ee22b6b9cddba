"""Linkage tables: runs (with their saved model), stable persons, record-to-person assignments,
scored pairs with explanations, analysts' decisions, and lineage of every merge and split."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from joindots.store.base import Base, utcnow


class LinkRun(Base):
    """One linkage run. The Splink model it used is saved with it, so any result can be explained later."""

    __tablename__ = "link_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20), default="running")  # running | done | failed
    backend: Mapped[str] = mapped_column(String(20), default="duckdb")
    threshold: Mapped[float] = mapped_column(Float)
    loose_threshold: Mapped[float] = mapped_column(Float)
    model: Mapped[dict] = mapped_column(JSON, default=dict)  # Splink settings + trained parameters
    stats: Mapped[dict] = mapped_column(JSON, default=dict)  # counts, timings, blocking figures
    started_by: Mapped[str | None] = mapped_column(String(100))


class Person(Base):
    """A resolved person with an ID that stays stable across runs (e.g. 'P000123')."""

    __tablename__ = "person"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    created_run_id: Mapped[int | None] = mapped_column(ForeignKey("link_run.id"))
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | retired
    retired_run_id: Mapped[int | None] = mapped_column(ForeignKey("link_run.id"))


class RecordPerson(Base):
    """Which person a record belongs to now, and how sure we are (its strongest link into the cluster)."""

    __tablename__ = "record_person"

    person_record_id: Mapped[int] = mapped_column(
        ForeignKey("person_record.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("link_run.id"))
    match_probability: Mapped[float] = mapped_column(Float, default=1.0)
    assigned_by: Mapped[str] = mapped_column(String(20), default="run")  # run | instant | decision


class MatchPair(Base):
    """A scored pair of records from a run, down to the loose threshold, with its explanation."""

    __tablename__ = "match_pair"
    __table_args__ = (
        UniqueConstraint("run_id", "record_l", "record_r"),
        Index("ix_match_pair_record_r", "record_r"),
        # a run's pairs in a probability band (the review queue) without reading the whole run
        Index("ix_match_pair_run_id_probability", "run_id", "match_probability"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("link_run.id", ondelete="CASCADE"))
    record_l: Mapped[int] = mapped_column(ForeignKey("person_record.id", ondelete="CASCADE"), index=True)
    record_r: Mapped[int] = mapped_column(ForeignKey("person_record.id", ondelete="CASCADE"))
    match_probability: Mapped[float] = mapped_column(Float)
    match_weight: Mapped[float] = mapped_column(Float)
    explanation: Mapped[dict] = mapped_column(JSON, default=dict)  # field -> level, weight
    # "model": scored by the model alone; "context": a partial record and the person its context
    # points to (joined at the strict threshold, or suggested for review below it)
    found_by: Mapped[str] = mapped_column(String(16), default="model", server_default="model")


class MatchDecision(Base):
    """An analyst's decision that two records are (or are not) the same person. Every run honours it."""

    __tablename__ = "match_decision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_l: Mapped[int] = mapped_column(ForeignKey("person_record.id", ondelete="CASCADE"), index=True)
    record_r: Mapped[int] = mapped_column(ForeignKey("person_record.id", ondelete="CASCADE"), index=True)
    decision: Mapped[str] = mapped_column(String(10))  # same | different
    decided_by: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)


class Lineage(Base):
    """Every change to a person: created, merged, split, records moved, undone - when, by what, which records."""

    __tablename__ = "lineage"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("link_run.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(20))  # created | merged | split | moved | retired | undone
    person_id: Mapped[str] = mapped_column(String(20), index=True)
    other_person_ids: Mapped[list] = mapped_column(JSON, default=list)
    record_ids: Mapped[list] = mapped_column(JSON, default=list)
    caused_by: Mapped[str] = mapped_column(String(200))  # "run 7", "decision 12 by analyst1", ...
