"""Write and verify the access log. Every collection, alteration, consultation, disclosure,
combination and erasure of personal data passes `record_access`."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from joindots.audit.tables import AccessLog
from joindots.store.base import utcnow

GENESIS = "0" * 64


class Action(StrEnum):
    """The kinds of processing DPA 2018 s.62 says must be logged."""

    COLLECTION = "collection"
    ALTERATION = "alteration"
    CONSULTATION = "consultation"
    DISCLOSURE = "disclosure"
    COMBINATION = "combination"
    ERASURE = "erasure"


def _entry_hash(prev_hash: str, entry: AccessLog) -> str:
    body = {
        "at": entry.at.isoformat(timespec="microseconds"),
        "actor": entry.actor,
        "action": entry.action,
        "subject": entry.subject,
        "justification": entry.justification,
        "recipient": entry.recipient,
        "details": entry.details,
    }
    payload = prev_hash + json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _lock_chain(session: Session) -> None:
    """Serialise writers so the chain has one order (PostgreSQL advisory lock; SQLite locks on write)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(620062)"))


def record_access(
    session: Session,
    *,
    actor: str,
    action: Action,
    subject: str,
    justification: str,
    recipient: str | None = None,
    details: dict[str, Any] | None = None,
) -> AccessLog:
    """Append one entry to the log, in the caller's transaction (so it commits with the act it logs)."""
    _lock_chain(session)
    last = session.scalars(select(AccessLog).order_by(AccessLog.id.desc()).limit(1)).first()
    prev = last.entry_hash if last else GENESIS
    entry = AccessLog(
        at=utcnow(),
        actor=actor,
        action=str(action),
        subject=subject,
        justification=justification,
        recipient=recipient,
        details=details or {},
        prev_hash=prev,
    )
    entry.entry_hash = _entry_hash(prev, entry)
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    entries: int
    ok: bool
    first_bad_id: int | None = None
    problem: str | None = None


def verify_chain(session: Session) -> ChainReport:
    """Recompute every hash in order; the first entry that does not fit is reported."""
    prev = GENESIS
    count = 0
    for entry in session.scalars(select(AccessLog).order_by(AccessLog.id)).yield_per(1000):
        count += 1
        if entry.prev_hash != prev:
            return ChainReport(
                count, False, entry.id, "entry does not follow the one before (removed or reordered)"
            )
        if _entry_hash(prev, entry) != entry.entry_hash:
            return ChainReport(count, False, entry.id, "entry was altered after it was written")
        prev = entry.entry_hash
    return ChainReport(count, True)
