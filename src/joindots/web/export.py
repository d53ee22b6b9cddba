"""Disclosures as CSV that a spreadsheet cannot turn into a formula (CSV/formula injection)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "|")


def safe_cell(value: Any) -> str:
    """The cell as text; text a spreadsheet would read as a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    writer.writerow([safe_cell(h) for h in header])
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return out.getvalue()


RECORD_COLUMNS = (
    "source",
    "record_id",
    "role",
    "forename",
    "middle_names",
    "surname",
    "dob",
    "sex",
    "postcode",
)


def records_csv(records: list[dict[str, Any]]) -> str:
    header = [*RECORD_COLUMNS, "event_ref", "event_date", "phones_and_vehicles"]
    rows = [
        [
            *(r.get(c) for c in RECORD_COLUMNS),
            (r["event"] or {}).get("ref"),
            (r["event"] or {}).get("date"),
            "; ".join(o["value"] for o in r["objects"]),
        ]
        for r in records
    ]
    return to_csv(header, rows)
