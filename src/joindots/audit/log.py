"""Write and verify the access log. Every collection, alteration, consultation, disclosure,
combination and erasure of personal data passes `record_access`.

Each entry names the persons it showed or touched in `details["people"]` (sorted person keys), and a
person named in the subject ("person P000123") counts too. `record_access` writes those persons to
the `access_log_person` index in the same transaction, so "who looked at P000123?" is one indexed
range, not a scan of every entry's JSON. The index is derived from the hashed entry (`people_of`),
so `verify_chain` checks it as well: an index row removed to hide a look is found.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from joindots.audit.tables import AccessLog, AccessLogPerson
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


PERSON_KEY = re.compile(r"P\d{1,12}|R\d{1,9}")  # a person, or a record not yet linked (R123)
PERSON_IN_TEXT = re.compile(r"\b(P\d{6,12})\b")
# Where an entry's details list the persons it showed: "people" always now; "people_shown" is what
# searches wrote before, kept so older entries are found (and indexed alike) too.
PEOPLE_KEYS = ("people", "people_shown")


def people_shown(keys: Iterable[str | None]) -> list[str]:
    """Person keys as an entry records them under details["people"]: each once, sorted, no blanks."""
    return sorted({k for k in keys if k})


def people_of(subject: str, details: Mapping[str, Any]) -> list[str]:
    """The persons an entry touched, as the index holds them. Part of the log's format: change it only
    with a migration that rebuilds `access_log_person`, or `verify_chain` fails on older entries."""
    found = set(PERSON_IN_TEXT.findall(subject))
    for key in PEOPLE_KEYS:
        listed = details.get(key)
        if isinstance(listed, list):
            found.update(p for p in listed if isinstance(p, str) and PERSON_KEY.fullmatch(p))
    return sorted(found)


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
    people = people_of(subject, entry.details)
    if people:
        session.execute(insert(AccessLogPerson), [{"person_id": p, "entry_id": entry.id} for p in people])
    return entry


@dataclass(frozen=True)
class ChainReport:
    entries: int
    ok: bool
    first_bad_id: int | None = None
    problem: str | None = None


def _indexed(session: Session) -> Iterator[tuple[int, list[str]]]:
    """(entry id, its persons) from the index, in entry order."""
    rows = session.execute(
        select(AccessLogPerson.entry_id, AccessLogPerson.person_id).order_by(
            AccessLogPerson.entry_id, AccessLogPerson.person_id
        )
    ).yield_per(5000)
    for entry_id, group in groupby(rows, key=itemgetter(0)):
        yield entry_id, [person for _, person in group]


def _problem(prev: str, entry: AccessLog, indexed: list[str]) -> str | None:
    if entry.prev_hash != prev:
        return "entry does not follow the one before (removed or reordered)"
    if _entry_hash(prev, entry) != entry.entry_hash:
        return "entry was altered after it was written"
    if indexed != people_of(entry.subject, entry.details):
        return "the index of persons does not match the entry (index rows removed or added)"
    return None


def verify_chain(session: Session) -> ChainReport:
    """Recompute every hash in order, and check the index of persons against each entry; the first
    entry that does not fit is reported."""
    prev, count = GENESIS, 0
    index = _indexed(session)
    pending = next(index, None)
    for entry in session.scalars(select(AccessLog).order_by(AccessLog.id)).yield_per(1000):
        count += 1
        indexed: list[str] = []
        if pending is not None and pending[0] == entry.id:
            indexed, pending = pending[1], next(index, None)
        problem = _problem(prev, entry, indexed)
        if problem is not None:
            return ChainReport(count, False, entry.id, problem)
        prev = entry.entry_hash
    if pending is not None:
        return ChainReport(count, False, pending[0], "the index of persons names an entry the log lacks")
    return ChainReport(count, True)
