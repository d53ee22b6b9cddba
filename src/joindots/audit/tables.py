"""The access log table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Integer, String, Text
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
