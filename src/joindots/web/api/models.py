"""Shapes the API accepts and returns (separate from the tables, so nothing leaks by accident)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

RowId = Annotated[int, Path(ge=1, le=2**31 - 1, description="A row id.")]
PersonKey = Annotated[
    str,
    Path(
        pattern=r"^(P\d{1,12}|R\d{1,9})$",
        description="P000123 (a person), or R123 (a record not yet linked).",
    ),
]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=500)]


class Me(BaseModel):
    username: str
    role: str


class NewToken(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    days: int | None = Field(
        default=None, ge=1, le=366, description="How long it lasts; at most, and by default, api_token_days."
    )


class TokenIssued(BaseModel):
    token: str = Field(description="Shown once; store it safely. Send as 'Authorization: Bearer <token>'.")
    id: int
    expires_at: dt.datetime = Field(description="UTC; the token is refused from then on.")


class TokenPublic(BaseModel):
    """One of your tokens as it may be shown: never its secret."""

    id: int
    label: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    state: Literal["live", "expired", "revoked"]


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    dob: dt.date | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=30)] | None = None
    vehicle: Annotated[str, StringConstraints(strip_whitespace=True, max_length=12)] | None = None


class PersonHit(BaseModel):
    key: str
    names: list[str]
    dobs: list[str]
    sources: list[str]
    records: int = Field(description="The person's records that match the search (not all their records).")
    linked: bool


class SearchResult(BaseModel):
    hits: list[PersonHit]
    more: bool = Field(False, description="More people match than are listed: narrow the search.")


class Profile(BaseModel):
    key: str
    linked: bool
    records: list[dict[str, Any]]
    links: list[dict[str, Any]]
    decisions: list[dict[str, Any]]
    timeline: list[dict[str, Any]]
    reports: list[dict[str, Any]] = []  # reports naming them since the last run, not yet placed


class Network(BaseModel):
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    truncated: bool


class ExportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason
    recipient: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]


class Pair(BaseModel):
    id: int
    run_id: int
    record_l: int
    record_r: int
    match_probability: float
    match_weight: float
    explanation: Any
    found_by: Literal["model", "context"]


class DecisionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["same", "different"]
    reason: Reason


class DecisionMade(BaseModel):
    id: int | None = Field(description="The stored decision.")
    decision: str
    message: str = Field(
        description="What it did to the current persons, e.g. 'P000012 split into 2 persons'."
    )
    lineage_ids: list[int] = Field(description="Lineage entries written for the merge or split.")
    persons: dict[str, str | None] = Field(description="Record id -> the person holding it now.")


class Availability(BaseModel):
    """For parts whose results may not exist yet: says so instead of showing an empty success."""

    available: bool
    message: str
    items: list[dict[str, Any]] = Field(default_factory=list)
    total: int = Field(0, description="How many items there are in all (items holds one page of them).")
    offset: int = Field(0, description="Where this page starts.")


class LogEntry(BaseModel):
    id: int
    at: dt.datetime
    actor: str
    action: str
    subject: str
    justification: str
    recipient: str | None
    details: dict[str, Any]


class LogPage(BaseModel):
    total: int
    entries: list[LogEntry]


class ChainStatus(BaseModel):
    entries: int
    ok: bool
    first_bad_id: int | None
    problem: str | None


class ReceiptSummary(BaseModel):
    receipt: str
    kind: str
    filed_at: dt.datetime
    police_area: str | None
    local_authority: str | None
    match_status: str


class NamedPerson(BaseModel):
    """A person a report names: its record, as named ("suspect Ricky"), and the person a full run
    has placed it in since filing (null until one has; `matches` holds the instant matches, each
    with `age_then` where known)."""

    record: int
    label: str
    person_id: str | None
    age_then: int | None = None  # that person's age on the report's date, where both are known


class TriageEntry(BaseModel):
    """One triage outcome as it was recorded: what, by whom, when (UTC) and why."""

    outcome: str
    triaged_by: str
    triaged_at: dt.datetime
    note: str


class ReportDetail(ReceiptSummary):
    filed_by: str
    matches: list[dict[str, Any]]
    payload: dict[str, Any]
    people: list[NamedPerson] = []
    triage: str | None = Field(None, description="What was done about it; null while it awaits triage.")
    triaged_by: str | None = None
    triaged_at: dt.datetime | None = None
    triage_note: str | None = None
    triage_history: list[TriageEntry] = Field(
        default_factory=list,
        description="Every outcome recorded, newest first (the first is the latest, as in `triage`).",
    )


class TriageRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["referred", "existing", "no_further_action"]
    reason: Reason
