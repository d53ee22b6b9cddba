"""Core tables: load batches, source rows with their original values, quarantine, events, person
records and the objects (phones, vehicles, emails) they mention. Every record keeps its provenance."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from joindots.store.base import Base, utcnow


class LoadBatch(Base):
    """One load of one file: atomic, so a batch is either all there (status 'loaded') or not at all."""

    __tablename__ = "load_batch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64), index=True)
    file_name: Mapped[str] = mapped_column(String(500))
    file_sha256: Mapped[str] = mapped_column(String(64))
    mapping_sha256: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20), default="loaded")
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_loaded: Mapped[int] = mapped_column(Integer, default=0)
    rows_quarantined: Mapped[int] = mapped_column(Integer, default=0)
    rows_already_loaded: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[dict] = mapped_column(JSON, default=dict)  # counts by reason, value changes


class SourceRow(Base):
    """A row as the agency sent it: the original values, untouched."""

    __tablename__ = "source_row"
    __table_args__ = (UniqueConstraint("source", "source_record_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batch.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(64))
    source_record_id: Mapped[str] = mapped_column(String(200))
    row_number: Mapped[int] = mapped_column(Integer)
    original: Mapped[dict] = mapped_column(JSON)


class Quarantine(Base):
    """A row that could not be loaded, with why. Nothing is silently lost."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batch.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(64), index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    source_record_id: Mapped[str | None] = mapped_column(String(200))
    reason_code: Mapped[str] = mapped_column(String(64), index=True)
    reason: Mapped[str] = mapped_column(Text)
    original: Mapped[dict] = mapped_column(JSON)


class Event(Base):
    """A crime, referral, missing episode, attendance, hotel report, licence or professional report."""

    __tablename__ = "event"
    __table_args__ = (
        UniqueConstraint("source", "ref"),
        Index("ix_event_location_postcode", "location_postcode"),  # who was at a place (instant context)
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batch.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(64))
    ref: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(40), index=True)
    date: Mapped[dt.date | None] = mapped_column(Date)
    force: Mapped[str | None] = mapped_column(String(100))
    offence_code: Mapped[str | None] = mapped_column(String(10))
    offence_code_original: Mapped[str | None] = mapped_column(String(10))
    outcome_code: Mapped[str | None] = mapped_column(String(10))
    outcome_date: Mapped[dt.date | None] = mapped_column(Date)
    cse_flag: Mapped[bool | None] = mapped_column(Boolean)
    notes: Mapped[str | None] = mapped_column(Text)
    location_name: Mapped[str | None] = mapped_column(String(200))
    location_postcode: Mapped[str | None] = mapped_column(String(10))
    location_type: Mapped[str | None] = mapped_column(String(40))


class PersonRecord(Base):
    """One mention of a person in one source row, in one role, with normalised values.

    Raw values stay in `source_row.original`; the normalised ones here feed linkage. Ethnicity and
    nationality are kept for audit and aggregate statistics only.
    """

    __tablename__ = "person_record"
    __table_args__ = (
        UniqueConstraint("source", "record_id"),
        Index("ix_person_record_surname", "surname"),
        Index("ix_person_record_postcode", "postcode"),  # the network's address hop
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_row_id: Mapped[int] = mapped_column(ForeignKey("source_row.id", ondelete="CASCADE"), index=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batch.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[str] = mapped_column(String(220))  # source record id, '#n' for the nth person
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(40), index=True)
    forename: Mapped[str | None] = mapped_column(String(100))
    middle_names: Mapped[str | None] = mapped_column(String(200))
    surname: Mapped[str | None] = mapped_column(String(100))
    dob: Mapped[dt.date | None] = mapped_column(Date)
    dob_ambiguous: Mapped[bool] = mapped_column(Boolean, default=False)  # day and month could swap
    sex: Mapped[str | None] = mapped_column(String(1))
    postcode: Mapped[str | None] = mapped_column(String(10))
    address: Mapped[str | None] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(200))
    ethnicity: Mapped[str | None] = mapped_column(String(4))  # self-defined 18+1 code; never evidence
    ic_code: Mapped[str | None] = mapped_column(String(4))  # officer-observed; never evidence
    nationality: Mapped[str | None] = mapped_column(String(3))  # ISO alpha-3; never evidence


class RecordObject(Base):
    """A phone, vehicle or email a person record mentions, normalised (E.164, registration mark)."""

    __tablename__ = "record_object"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_record_id: Mapped[int] = mapped_column(
        ForeignKey("person_record.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(200), index=True)
