"""Reports from professionals, each with its receipt reference, routing and matching state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from joindots.store.base import Base, utcnow


class Report(Base):
    """A filed report, as the reporter gave it (`payload`), and what joindots made of it.

    `client_key` lets a reporter's software resend a report whose acknowledgement it never saw
    without filing it twice. `match_status` is 'pending' until instant matching has run.
    """

    __tablename__ = "intake_report"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    receipt: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)  # duty_to_report | makesafe
    filed_by: Mapped[str] = mapped_column(String(100), index=True)
    client_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    filed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    payload: Mapped[dict] = mapped_column(JSON)
    postcode_district: Mapped[str | None] = mapped_column(String(5))
    police_area: Mapped[str | None] = mapped_column(String(100))
    local_authority: Mapped[str | None] = mapped_column(String(100))
    routed_by_postcode: Mapped[bool] = mapped_column(Boolean, default=False)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    match_status: Mapped[str] = mapped_column(String(20), default="pending")
    matches: Mapped[list] = mapped_column(JSON, default=list)  # [{record, person, probability}]
    # what was done about it, as last recorded: None while it awaits triage
    # (`joindots.intake.triage.OUTCOMES`); every outcome ever recorded is in `ReportTriage`
    triage: Mapped[str | None] = mapped_column(String(20), index=True)
    triaged_by: Mapped[str | None] = mapped_column(String(100))
    triaged_at: Mapped[datetime | None] = mapped_column(DateTime)
    triage_note: Mapped[str | None] = mapped_column(String(500))

    @property
    def kind_label(self) -> str:
        """What a reader calls it: 'duty to report', 'hotel concern', 'taxi concern'."""
        if self.kind == "makesafe":
            return f"{(self.payload or {}).get('business') or 'business'} concern"
        return self.kind.replace("_", " ")


class ReportTriage(Base):
    """One triage outcome as it was recorded, with who, when and why: the report's decision trail.

    Appended each time an outcome is recorded (never changed or removed), so an outcome that was
    changed ("no further action", then "referred") keeps its reason on the report itself; the report's
    own `triage` columns hold only the latest.
    """

    __tablename__ = "intake_report_triage"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("intake_report.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(20))  # one of `joindots.intake.triage.OUTCOMES`
    triaged_by: Mapped[str] = mapped_column(String(100))
    triaged_at: Mapped[datetime] = mapped_column(DateTime)
    note: Mapped[str] = mapped_column(String(500))
