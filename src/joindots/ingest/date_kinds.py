"""What an event's date is: the offence date, the date it was reported, or the date it was recorded.

Sources differ (police_north maps OFFENCE_DATE to the event's date, police_south ReportedDate) and the
event keeps only the date. Each load batch keeps its rows as sent, so for a few events of each batch
we find the column whose value is the event's date and read its name (once per source and mapping). Where the columns do not say,
or a batch's rows disagree, the kind is "unknown" and reasons word the date neutrally.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from joindots.store.schema import Event, LoadBatch, PersonRecord, SourceRow

SAMPLE = 20  # events looked at per batch
FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d", "%Y%m%d", "%d %b %Y", "%d %B %Y")
# column-name fragment -> kind, first match wins
KINDS = (("report", "reported"), ("record", "recorded"), ("offen", "offence"), ("occur", "offence"),
         ("commit", "offence"), ("incident", "offence"))  # fmt: skip


def _parse(value: object) -> dt.date | None:
    if isinstance(value, dt.date):
        return value if not isinstance(value, dt.datetime) else value.date()
    text = str(value or "").strip()
    if re.match(r"^\d{4}-\d{2}-\d{2}[T ]", text):
        text = text[:10]
    for fmt in FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _kind_of(column: str) -> str | None:
    name = re.sub(r"[^a-z]", "", column.lower())
    return next((kind for part, kind in KINDS if part in name), None)


def column_kind(original: dict[str, object], date: dt.date) -> str | None:
    """What the named column(s) of a source row whose value is `date` say it is; None when no such
    column names a kind, or two that do say different things (offence and report on the same day)."""
    kinds = {_kind_of(col) for col, value in original.items() if _parse(value) == date} - {None}
    return kinds.pop() if len(kinds) == 1 else None


def date_kinds(session: Session) -> dict[int, str]:
    """Load batch id -> what its events' date is (offence, reported, recorded, unknown). Batches of one
    source loaded by the same mapping share the answer, so each mapping is looked at once."""
    by_mapping: dict[tuple[str, str], list[int]] = defaultdict(list)
    for batch, source, mapping in session.execute(
        select(LoadBatch.id, LoadBatch.source, LoadBatch.mapping_sha256).order_by(LoadBatch.id)
    ):
        by_mapping[(source, mapping)].append(batch)
    found: dict[int, str] = {}
    for batches in by_mapping.values():
        stmt = (
            select(Event.date, SourceRow.original)
            .join(PersonRecord, PersonRecord.event_id == Event.id)
            .join(SourceRow, SourceRow.id == PersonRecord.source_row_id)
            .where(Event.batch_id.in_(batches), Event.date.is_not(None))
            .order_by(Event.id)
            .limit(SAMPLE)
        )
        seen = {column_kind(original or {}, date) for date, original in session.execute(stmt)}
        named = {kind for kind in seen if kind is not None}
        kind = named.pop() if len(named) == 1 else "unknown"
        found.update(dict.fromkeys(batches, kind))
    return found
