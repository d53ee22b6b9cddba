"""Data-quality tables: each scorecard run and its rows (source x field x year x dimension)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from joindots.store.base import Base, utcnow


class QualityRun(Base):
    """One computation of the scorecard."""

    __tablename__ = "quality_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    run_by: Mapped[str] = mapped_column(String(100))
    records: Mapped[int] = mapped_column(Integer, default=0)


class ScorecardRow(Base):
    """One measure: `numerator` of `denominator` records pass `dimension` for `field`."""

    __tablename__ = "scorecard_row"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("quality_run.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(64))
    field: Mapped[str] = mapped_column(String(64))
    year: Mapped[str] = mapped_column(String(10))  # '2019', 'unknown' or 'all'
    dimension: Mapped[str] = mapped_column(String(20))
    numerator: Mapped[int] = mapped_column(Integer)
    denominator: Mapped[int] = mapped_column(Integer)
    rate: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")
