"""The data-quality scorecard: for every source, field and year, how complete, conforming,
duplicated, consistent and timely the records are, with the failing record references for each
data owner.

Completeness is judged on the value the agency sent (`source_row.original`, read through the
source's mapping); conformity on whether a sent value survived normalisation as a valid code or
format. Where no mapping is at hand for a source, completeness falls back to the normalised value.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from joindots.domain.codes import CODE_VICTIM_AGES, CODE_VICTIM_MIN_AGE, IC_CODES, SELF_DEFINED_ETHNICITY
from joindots.ingest.date_kinds import date_kinds
from joindots.ingest.mapping import FieldSpec, Mapping, load_mapping
from joindots.store.link_tables import RecordPerson
from joindots.store.schema import Event, PersonRecord, SourceRow

BUNDLED_MAPPINGS = Path(__file__).resolve().parents[1] / "synth" / "mappings"
# Suspects' self-defined ethnicity and nationality first (mandatory since the 2025 audit), then the
# POLE "4+1": forename, surname, date of birth, sex, and an address or postcode.
FIELDS = ("ethnicity", "nationality", "dob", "forename", "surname", "sex", "postcode", "address", "ic_code")
SUSPECT_FIELDS = ("ethnicity", "nationality")
COLUMNS = [
    "source",
    "field",
    "year",
    "dimension",
    "numerator",
    "denominator",
    "rate",
    "note",
]
# A person's identity in a source: what it recorded about them (see source_identities).
IDENTITY = ("forename", "surname", "dob")
DUPLICATION_NOTE = (
    "identities (name and date of birth as recorded) per linked person; repeat events are not duplicates"
)
# Self-defined ethnicity groups that an officer-observed IC code can agree with.
IC_COMPATIBLE = {
    "W": {"IC1", "IC2"},
    "B": {"IC3"},
    "A": {"IC4", "IC5"},
    "O": {"IC6", "IC4", "IC1", "IC2", "IC3", "IC5"},
    "M": set(IC_CODES),
}


@dataclass
class Scorecard:
    rows: pd.DataFrame  # COLUMNS
    feedback: pd.DataFrame  # source, record_id, check, field, value


def load_frame(session: Session) -> pd.DataFrame:
    """One row per person record, with its original row, event dates and linked person."""
    stmt = (
        select(
            PersonRecord.source,
            PersonRecord.record_id,
            PersonRecord.role,
            *(getattr(PersonRecord, f) for f in FIELDS),
            SourceRow.original,
            Event.date.label("event_date"),
            Event.outcome_date,
            RecordPerson.person_id,
            Event.offence_code,
            Event.batch_id.label("event_batch"),
        )
        .join(SourceRow, SourceRow.id == PersonRecord.source_row_id)
        .outerjoin(Event, Event.id == PersonRecord.event_id)
        .outerjoin(RecordPerson, RecordPerson.person_record_id == PersonRecord.id)
    )
    frame = pd.DataFrame(session.execute(stmt).all(), columns=_frame_columns())
    kinds = date_kinds(session)  # what each batch's event dates are: offence, reported, recorded
    frame["date_kind"] = [kinds.get(int(b), "unknown") if b == b and b is not None else "unknown"
                          for b in frame.pop("event_batch")]  # fmt: skip
    frame["year"] = [
        str(d.year) if d is not None and not pd.isna(d) else "unknown" for d in frame["event_date"]
    ]
    return frame


def _frame_columns() -> list[str]:
    return [
        "source", "record_id", "role", *FIELDS, "original", "event_date", "outcome_date", "person_id",
        "offence_code", "event_batch",
    ]  # fmt: skip


def load_mappings(folder: Path | None) -> dict[str, Mapping]:
    folder = folder or BUNDLED_MAPPINGS
    return {m.source: m for m in (load_mapping(p) for p in sorted(folder.glob("*.yaml")))}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value)) or str(value).strip() == ""


def _spec_column(mapping: Mapping | None, index: int, field: str) -> str | None:
    """The source column a person field comes from (None: derived, constant or not collected)."""
    if mapping is None or index >= len(mapping.persons):
        return None
    fields = mapping.persons[index].fields
    spec = fields.get(field)
    if spec is None and field in ("forename", "surname"):
        spec = fields.get("name")
    return spec.column if isinstance(spec, FieldSpec) else None


def _collected(mapping: Mapping | None, field: str) -> bool:
    if mapping is None:
        return True
    names = {"forename": ("forename", "name"), "surname": ("surname", "name")}.get(field, (field,))
    return any(n in p.fields for p in mapping.persons for n in names)


def sent_values(frame: pd.DataFrame, mappings: dict[str, Mapping], field: str) -> pd.Series:
    """The value each record's row sent for `field` (None when blank or not collected).

    A field the mapping fills from a combined column (a full name) or a constant is judged on its
    normalised value; a field the mapping does not collect at all counts as missing."""
    out = []
    for source, rid, original, normalised in zip(
        frame["source"], frame["record_id"], frame["original"], frame[field], strict=True
    ):
        mapping = mappings.get(source)
        index = int(rid.rsplit("#", 1)[1]) if "#" in rid else 0
        column = _spec_column(mapping, index, field)
        if column is not None and field not in ("forename", "surname"):
            value = (original or {}).get(column)
        elif _collected(mapping, field):
            value = normalised
        else:
            value = None
        out.append(None if _blank(value) else value)
    return pd.Series(out, index=frame.index, dtype=object)


def source_identities(frame: pd.DataFrame, mappings: dict[str, Mapping]) -> pd.Series:
    """Each record's identity as its source holds it: the name and date of birth it recorded (those
    the source collects), case-folded; None when one of them is blank. Record ids cannot serve: the
    sources give one per row (a crime nominal, an episode), not one per person."""
    fields = {s: [f for f in IDENTITY if _collected(m, f)] for s, m in mappings.items()}
    text = {f: _folded(frame[f]) for f in IDENTITY}  # each field's text, None where blank
    out = pd.Series(None, index=frame.index, dtype=object)
    for source, rows in frame.groupby("source", sort=False).groups.items():
        wanted = fields.get(str(source), list(IDENTITY))
        if not wanted:
            continue
        parts = [text[f].loc[rows] for f in wanted]
        joined = parts[0].str.cat(parts[1:], sep="|") if len(parts) > 1 else parts[0]
        out.loc[rows] = joined.astype(object).where(joined.notna(), None)  # a blank part: no identity
    return out


def _folded(values: pd.Series) -> pd.Series:
    """Values as stripped, case-folded text; None where blank (as `_blank` says)."""
    text = values.map(lambda v: None if _blank(v) else str(v).strip().casefold())
    return text.astype(object)


CODE_AGE_NOTE = "victims whose offence code states their ages (22B: 13 to 15); on a report date only the lowest age is checked"
DATE_WORDS = {"offence": "at the offence", "reported": "when reported", "recorded": "when recorded"}
FROM_WORDS = {
    "offence": "offence",
    "reported": "report",
    "recorded": "recording",
}  # "median 90 days report to outcome"


def _age(born: Any, on: Any) -> float | None:
    """Whole years from `born` to `on` (dates), None where either is missing."""
    if _blank(born) or _blank(on):
        return None
    born, on = pd.Timestamp(born), pd.Timestamp(on)
    return float(on.year - born.year - ((on.month, on.day) < (born.month, born.day)))


def _on(frame: pd.DataFrame, part: pd.Series) -> pd.Series:
    """A boolean over some of `frame`'s rows, extended to all of them (False elsewhere)."""
    return part.reindex(frame.index, fill_value=False).astype(bool)


def valid(field: str, value: Any) -> bool:
    """Does a normalised value conform to its code list or format?"""
    if _blank(value):
        return False
    checks = {
        "ethnicity": lambda v: v in SELF_DEFINED_ETHNICITY,
        "ic_code": lambda v: v in IC_CODES,
        "nationality": lambda v: len(v) == 3 and v.isalpha() and v.isupper(),
        "sex": lambda v: v in {"M", "F", "U"},
    }
    check = checks.get(field)
    return bool(check(str(value))) if check else True


def _measure(
    frame: pd.DataFrame, passed: pd.Series, counted: pd.Series, field: str, dimension: str, note: str = ""
) -> list[dict[str, Any]]:
    """`passed` of `counted` records, per source and year and per source overall ('all')."""
    data = pd.DataFrame(
        {"source": frame["source"], "year": frame["year"], "p": passed & counted, "c": counted}
    )
    by_year = data.groupby(["source", "year"])[["p", "c"]].sum()
    overall = data.groupby("source")[["p", "c"]].sum()
    sums = [((s, y), p, c) for (s, y), p, c in by_year.itertuples(name=None)]
    sums += [((s, "all"), p, c) for s, p, c in overall.itertuples(name=None)]
    out = []
    for (source, year), num, den in ((k, int(p), int(c)) for k, p, c in sums):
        out.append(
            {
                "source": source,
                "field": field,
                "year": year,
                "dimension": dimension,
                "numerator": num,
                "denominator": den,
                "rate": round(num / den, 4) if den else None,
                "note": note,
            }
        )
    return out


def _failures(
    frame: pd.DataFrame, failed: pd.Series, check: str, field: str, values: Any = None
) -> pd.DataFrame:
    picked = frame[failed]
    shown = values[failed] if values is not None else pd.Series("", index=picked.index)
    return pd.DataFrame(
        {
            "source": picked["source"],
            "record_id": picked["record_id"],
            "check": check,
            "field": field,
            "value": shown,
        }
    )


class _Builder:
    def __init__(self, frame: pd.DataFrame, mappings: dict[str, Mapping]) -> None:
        self.frame, self.mappings = frame, mappings
        self.rows: list[dict[str, Any]] = []
        self.feedback: list[pd.DataFrame] = []
        self.present: dict[str, pd.Series] = {}

    def field(self, field: str) -> None:
        frame = self.frame
        sent = sent_values(frame, self.mappings, field)
        present = sent.notna()
        self.present[field] = present
        ok = frame[field].map(lambda v: valid(field, v))
        everyone = pd.Series(True, index=frame.index)
        groups = [(field, everyone)]
        if field in SUSPECT_FIELDS:
            groups.insert(0, (f"{field} (suspects)", frame["role"] == "suspect"))
        for name, who in groups:
            self.rows += _measure(frame, present, who, name, "completeness")
            self.rows += _measure(frame, ok, who & present, name, "conformity")
        collected = frame["source"].map(lambda s: _collected(self.mappings.get(s), field))
        self.feedback.append(_failures(frame, collected & ~present, "missing", field))
        self.feedback.append(_failures(frame, present & ~ok, "nonconforming", field, sent.astype(str)))
        if field == "ethnicity":
            stated = ok & (frame[field] != "NS")
            self.rows += _measure(frame, stated, frame["role"] == "suspect", "ethnicity (suspects)", "stated")

    def pole(self) -> None:
        p = self.present
        passed = p["forename"] & p["surname"] & p["dob"] & p["sex"] & (p["postcode"] | p["address"])
        everyone = pd.Series(True, index=self.frame.index)
        self.rows += _measure(self.frame, passed, everyone, "pole_4+1", "completeness")

    def duplication(self) -> None:
        """Two identities for one person in one source: the same linked person recorded under a
        different name or date of birth. Repeat events (a child reported missing five times, each
        time under the same identity) are not duplicates."""
        frame = self.frame
        identity = source_identities(frame, self.mappings)
        judged = frame["person_id"].notna() & identity.notna()
        keyed = frame[judged].assign(identity=identity[judged]).sort_values(["source", "record_id"])
        person = keyed.groupby(["source", "person_id"])
        main = keyed["identity"] == person["identity"].transform("first")
        counted = ~keyed.duplicated(["source", "person_id", "identity"])  # each identity once
        note = DUPLICATION_NOTE if judged.any() else "no linkage results yet"
        self.rows += _measure(
            frame, _on(frame, main & counted), _on(frame, counted), "person", "duplication", note
        )
        same_as = ("same person as " + person["record_id"].transform("first")).reindex(frame.index)
        self.feedback.append(_failures(frame, _on(frame, ~main), "duplicate", "person", same_as))

    def consistency(self) -> None:
        frame = self.frame
        eth, ic = frame["ethnicity"], frame["ic_code"]
        both = eth.map(lambda v: valid("ethnicity", v) and v != "NS") & ic.map(
            lambda v: valid("ic_code", v) and v != "IC9"
        )
        agree = pd.Series(
            [
                bool(b) and i in IC_COMPATIBLE.get(str(e)[0], set())
                for b, e, i in zip(both, eth, ic, strict=True)
            ],
            index=frame.index,
        )
        self.rows += _measure(frame, agree, both, "ethnicity vs IC code", "consistency")
        self.feedback.append(
            _failures(frame, both & ~agree, "self-defined and observed disagree", "ethnicity")
        )
        dated = frame["person_id"].notna() & frame["dob"].notna()
        counts = frame[dated].groupby(["person_id", "dob"]).size().rename("n").reset_index()
        counts = counts.sort_values(["person_id", "n", "dob"], ascending=[True, False, True])
        modal = counts.drop_duplicates("person_id").set_index("person_id")["dob"]  # most given, then earliest
        several = (
            frame[dated].groupby("person_id")["dob"].transform("count").reindex(frame.index).fillna(0) > 1
        )
        same = frame["dob"] == frame["person_id"].map(modal)
        self.rows += _measure(frame, same, dated & several, "dob across records", "consistency")
        self.feedback.append(_failures(frame, dated & several & ~same, "dob differs for one person", "dob"))

    def offence_code_ages(self) -> None:
        """Victims whose offence code does not fit their age: a code states the victim's ages at the
        offence (22B: a child of 13 to 15; 19C: someone of 16 or over). On an offence date the age must
        be within them; on a later date (a report) at least their lowest, an upper bound holding only
        at the offence. The audit's "flawed data": an adult's case coded 22B is read as a child's."""
        frame = self.frame
        if "offence_code" not in frame:
            return
        code = frame["offence_code"].where(frame["offence_code"].notna(), "").astype(str)
        low = code.map(
            lambda c: CODE_VICTIM_AGES[c][0] if c in CODE_VICTIM_AGES else CODE_VICTIM_MIN_AGE.get(c)
        )
        high = code.map(lambda c: CODE_VICTIM_AGES[c][1] if c in CODE_VICTIM_AGES else None)
        age = pd.Series(
            [_age(b, d) for b, d in zip(frame["dob"], frame["event_date"], strict=True)], index=frame.index
        )
        counted = (frame["role"] == "victim") & low.notna() & age.notna()
        at_offence = frame["date_kind"] == "offence"
        fits = pd.Series(
            [
                bool(c) and a >= lo and (not o or hi is None or hi != hi or a <= hi)
                for c, a, lo, hi, o in zip(counted, age, low, high, at_offence, strict=True)
            ],
            index=frame.index,
        )
        self.rows += _measure(
            frame, fits, counted, "offence code vs victim age", "consistency", CODE_AGE_NOTE
        )
        words = pd.Series(
            [
                f"{c}: victim aged {int(a)} {DATE_WORDS.get(k, 'on the case date')} ({d})" if n else ""
                for c, a, k, d, n in zip(
                    code, age, frame["date_kind"], frame["event_date"], counted, strict=True
                )
            ],
            index=frame.index,
        )
        self.feedback.append(
            _failures(
                frame, counted & ~fits, "offence code does not fit the victim's age", "offence_code", words
            )
        )

    def timeliness(self) -> None:
        frame = self.frame
        both = frame["event_date"].notna() & frame["outcome_date"].notna()
        days = pd.Series(
            [
                (o - d).days if b else None
                for b, d, o in zip(both, frame["event_date"], frame["outcome_date"], strict=True)
            ],
            index=frame.index,
            dtype="float64",
        )
        for source in sorted(set(frame["source"])):
            mine = frame["source"] == source
            median = days[mine & both].median()
            kinds = set(frame.loc[mine & both, "date_kind"]) if "date_kind" in frame else set()
            start = FROM_WORDS.get(kinds.pop(), "the case's date") if len(kinds) == 1 else "the case's date"
            note = (
                f"median {median:.0f} days {start} to outcome" if (mine & both).any() else "no outcome dates"
            )
            self.rows += _measure(
                frame[mine], (days >= 0)[mine], both[mine], "outcome date", "timeliness", note
            )
        self.feedback.append(_failures(frame, both & (days < 0), "outcome before offence", "outcome_date"))


def build_scorecard(frame: pd.DataFrame, mappings: dict[str, Mapping]) -> Scorecard:
    builder = _Builder(frame, mappings)
    for field in FIELDS:
        builder.field(field)
    builder.pole()
    builder.duplication()
    builder.consistency()
    builder.offence_code_ages()
    builder.timeliness()
    rows = pd.DataFrame(builder.rows, columns=COLUMNS)
    # suspects' fields only for sources that record suspects
    with_suspects = set(frame.loc[frame["role"] == "suspect", "source"])
    rows = rows[~rows["field"].str.endswith("(suspects)") | rows["source"].isin(with_suspects)]
    rows = rows.reset_index(drop=True)
    for field in FIELDS:
        for source, mapping in mappings.items():
            if not _collected(mapping, field):
                hit = (rows["source"] == source) & rows["field"].str.startswith(field)
                rows.loc[hit & (rows["dimension"] == "completeness"), "note"] = "not collected by this source"
    feedback = pd.concat(builder.feedback, ignore_index=True) if builder.feedback else pd.DataFrame()
    return Scorecard(rows, feedback)
