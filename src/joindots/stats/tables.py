"""The release log: every published statistics table, what it published and what it suppressed, so
a later release cannot reveal a suppressed cell by difference with an earlier one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from joindots.store.base import Base, utcnow


class StatsRelease(Base):
    """One release of statistics (a run of `joindots stats`) with the disclosure settings its figures
    were made with: `threshold` (counts 1 to it suppressed) and `round_totals`, the base its totals
    were rounded to (1: exact totals; None: not recorded, a release logged before revision 0009)."""

    __tablename__ = "stats_release"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    released_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    released_by: Mapped[str] = mapped_column(String(100))
    basis: Mapped[str] = mapped_column(Text)  # which people were counted and how
    threshold: Mapped[int] = mapped_column(Integer)
    round_totals: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ReleaseTable(Base):
    """One table of a release. `published` maps "row|col" to what was printed (number, [c], [x]);
    `counts` keeps the true counts (internal, never published) for the difference check;
    `suppressed` lists the "row|col" keys shown as [c]."""

    __tablename__ = "release_table"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("stats_release.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    title: Mapped[str] = mapped_column(Text)
    caveat: Mapped[str] = mapped_column(Text, default="")
    rows: Mapped[list] = mapped_column(JSON, default=list)
    cols: Mapped[list] = mapped_column(JSON, default=list)
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    published: Mapped[dict] = mapped_column(JSON, default=dict)
    suppressed: Mapped[list] = mapped_column(JSON, default=list)
