"""The access log table, and its index of the persons each entry touched."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from joindots.store.base import Base, utcnow


class AccessLog(Base):
    """One logged act on personal data: who, when, what, why; `entry_hash` chains it to the one before."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100), index=True)
    action: Mapped[str] = mapped_column(String(20), index=True)
    subject: Mapped[str] = mapped_column(String(300))  # e.g. "person P000123", "file police_north.csv"
    justification: Mapped[str] = mapped_column(Text)
    recipient: Mapped[str | None] = mapped_column(String(200))  # for disclosures
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)


class AccessLogPerson(Base):
    """Entry `entry_id` showed or touched person `person_id`: the index behind "who looked at P000123?".

    Written with the entry, from what the entry itself says (`people_of`), so it can be rebuilt and
    checked against the hashed entries; keyed person first, so one person's entries are one range. Its
    rows go with their entry (cascade), so removing an entry still shows as a gap in the chain."""

    __tablename__ = "access_log_person"

    person_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("access_log.id", ondelete="CASCADE"), primary_key=True, index=True
    )
