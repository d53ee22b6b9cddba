"""Network tables: each build of the offender-group analysis, its groups (at the strict and the loose
identity threshold, with a stability label), their members with centrality, and the evidence for
every tie. The POLE graph itself is rebuilt from the core tables on demand (indexed, fast); what is
kept here is what analysts review and what must not change silently between builds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from joindots.store.base import Base, utcnow


class NetworkBuild(Base):
    """One build of the groups after a link run, with the thresholds it used and its counts."""

    __tablename__ = "network_build"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    built_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    link_run_id: Mapped[int | None] = mapped_column(ForeignKey("link_run.id"))
    threshold: Mapped[float] = mapped_column(Float)
    loose_threshold: Mapped[float] = mapped_column(Float)
    built_by: Mapped[str] = mapped_column(String(100))
    stats: Mapped[dict] = mapped_column(JSON, default=dict)


class OffenderGroup(Base):
    """A candidate offender group seen under one identity view.

    `view` is 'strict' or 'loose'; `stability` says how the group fares between the two views:
    stable, changed (members differ), strict_only or loose_only. `group_key` (e.g. 'G00012') is kept
    across builds for the group that overlaps most with an earlier one.
    """

    __tablename__ = "offender_group"
    __table_args__ = (UniqueConstraint("build_id", "group_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    build_id: Mapped[int] = mapped_column(ForeignKey("network_build.id", ondelete="CASCADE"), index=True)
    group_key: Mapped[str] = mapped_column(String(20), index=True)
    view: Mapped[str] = mapped_column(String(10))
    stability: Mapped[str] = mapped_column(String(20))
    counterpart_key: Mapped[str | None] = mapped_column(String(20))
    overlap: Mapped[float] = mapped_column(Float, default=0.0)  # Jaccard with the counterpart
    size: Mapped[int] = mapped_column(Integer)
    victims: Mapped[list] = mapped_column(JSON, default=list)  # person ids of linked victims
    uncertain_ties: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)  # tie kinds, sources, forces


class GroupMember(Base):
    """A person in a group, with the measures analysts use (computed inside the group)."""

    __tablename__ = "group_member"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("offender_group.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[str] = mapped_column(String(20), index=True)
    merged_ids: Mapped[list] = mapped_column(JSON, default=list)  # strict persons joined in a loose view
    identity_probability: Mapped[float] = mapped_column(Float, default=1.0)
    degree: Mapped[int] = mapped_column(Integer, default=0)
    betweenness: Mapped[float] = mapped_column(Float, default=0.0)
    eigenvector: Mapped[float] = mapped_column(Float, default=0.0)


class GroupTie(Base):
    """An association between two members, with every piece of evidence (events, objects, records).

    `uncertain` is set when the tie rests only on identity links below the strict threshold: a false
    merge there could implicate an innocent person.
    """

    __tablename__ = "group_tie"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("offender_group.id", ondelete="CASCADE"), index=True)
    person_a: Mapped[str] = mapped_column(String(20))
    person_b: Mapped[str] = mapped_column(String(20))
    kinds: Mapped[list] = mapped_column(JSON, default=list)
    weight: Mapped[float] = mapped_column(Float)
    identity_probability: Mapped[float] = mapped_column(Float, default=1.0)
    uncertain: Mapped[bool] = mapped_column(Boolean, default=False)
    evidence: Mapped[list] = mapped_column(JSON, default=list)
