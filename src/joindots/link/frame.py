"""The linkage frame: one row per person record with the fields the model compares.

Only identity fields are read. Ethnicity, IC code and nationality are never selected here, so they
cannot reach blocking, comparisons or training (tests/test_link_ethics.py proves it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import pandas as pd
from sqlalchemy import Engine, select

from joindots.link.names import fold, fold_address, name_keys, phonetic
from joindots.store.schema import PersonRecord, RecordObject

# The only PersonRecord columns linkage may read. Never add ethnicity, ic_code or nationality.
IDENTITY_COLUMNS = (
    "id",
    "source",
    "record_id",
    "forename",
    "middle_names",
    "surname",
    "dob",
    "dob_ambiguous",
    "sex",
    "postcode",
    "address",
    "email",
)
FORBIDDEN_COLUMNS = frozenset({"ethnicity", "ic_code", "nationality"})
# The derived columns that hold lists (name variants, address words, phones, vehicles): lists even
# where every record's is missing (an agency's file with no addresses), so the model's list
# comparisons still apply to them.
LIST_COLUMNS = frozenset({"forename_keys", "surname_keys", "address_keys", "phones", "vehicles"})
T = TypeVar("T")


def _objects(engine: Engine, record_ids: list[int] | None) -> dict[tuple[int, str], list[str]]:
    query = select(RecordObject.person_record_id, RecordObject.kind, RecordObject.value)
    if record_ids is not None:
        query = query.where(RecordObject.person_record_id.in_(record_ids))
    found: dict[tuple[int, str], list[str]] = defaultdict(list)
    with engine.connect() as conn:
        for rid, kind, value in conn.execute(query.order_by(RecordObject.id)):
            found[(rid, kind)].append(value)
    return found


def _raw_records(engine: Engine, record_ids: list[int] | None) -> pd.DataFrame:
    columns = [getattr(PersonRecord, name) for name in IDENTITY_COLUMNS]
    query = select(*columns).order_by(PersonRecord.id)
    if record_ids is not None:
        query = query.where(PersonRecord.id.in_(record_ids))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return pd.DataFrame(rows, columns=list(IDENTITY_COLUMNS))


def load_person_rows(engine: Engine, record_ids: list[int]) -> list[dict[str, Any]]:
    """These records' identity fields as `load_person_frame` reads them, before deriving (for
    `joindots.link.instant.frame_row`: a few records without pandas' cost)."""
    columns = [getattr(PersonRecord, name) for name in IDENTITY_COLUMNS]
    query = select(*columns).where(PersonRecord.id.in_(record_ids)).order_by(PersonRecord.id)
    with engine.connect() as conn:
        rows = [dict(zip(IDENTITY_COLUMNS, row, strict=True)) for row in conn.execute(query)]
    objects = _objects(engine, record_ids)
    for row in rows:
        row["unique_id"] = row.pop("id")
        for kind, column in (("phone", "phones"), ("vehicle", "vehicles")):
            row[column] = objects.get((row["unique_id"], kind), [])
        emails = objects.get((row["unique_id"], "email"), [])
        row["email"] = row["email"] if row["email"] else (emails[0] if emails else None)
    return rows


def load_person_frame(engine: Engine, record_ids: list[int] | None = None) -> pd.DataFrame:
    """One row per PersonRecord (or only those in `record_ids`), with the derived matching columns."""
    raw = _raw_records(engine, record_ids)
    objects = _objects(engine, record_ids)
    raw["phones"] = [objects.get((int(i), "phone"), []) for i in raw["id"]]
    raw["vehicles"] = [objects.get((int(i), "vehicle"), []) for i in raw["id"]]
    emails = [objects.get((int(i), "email"), []) for i in raw["id"]]
    raw["email"] = [e if e else (m[0] if m else None) for e, m in zip(raw["email"], emails, strict=True)]
    return build_frame(raw.rename(columns={"id": "unique_id"}))


def _blank_to_none(value: Any) -> Any:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _iso(value: Any) -> str | None:
    value = _blank_to_none(value)
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)[:10]


def _swap_day_month(iso: str | None) -> str | None:
    if iso is None or len(iso) != 10:
        return None
    return f"{iso[:4]}-{iso[8:10]}-{iso[5:7]}"


def _postcode_parts(postcode: str | None) -> tuple[str | None, str | None]:
    if postcode is None or " " not in postcode:
        return (postcode, None) if postcode else (None, None)
    outward, inward = postcode.split(" ", 1)
    return outward, f"{outward} {inward[:1]}"


def _list(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value if v]


# identity fields taken as they are (blank -> None); the rest are derived from them
PLAIN_COLUMNS = (
    "source",
    "record_id",
    "forename",
    "middle_names",
    "surname",
    "sex",
    "postcode",
    "address",
    "email",
)


def _each(derive: Callable[[Any], T], values: Iterable[Any]) -> list[T]:
    """`derive` of each value, worked out once per distinct value, so equal values share one result:
    a million records hold one 'smith' and one key list for it, not a million copies (the frame of
    1M records: 2.0 -> 1.2 GiB). Shared lists are read, never changed."""
    done: dict[Any, T] = {}
    out = []
    for value in values:
        try:
            result = done[value]
        except KeyError:
            result = done[value] = derive(value)
        except TypeError:  # a value that cannot be a key (a list, pd.NA): derived on its own
            result = derive(value)
        out.append(result)
    return out


def _address_keys(folded: str | None) -> list[str] | None:
    return sorted(set(folded.split())) if folded else None


def build_frame(raw: pd.DataFrame) -> pd.DataFrame:
    """Add the derived matching columns to a frame of identity fields (one row per record)."""
    out = pd.DataFrame({"unique_id": raw["unique_id"].astype("int64")})
    for col in PLAIN_COLUMNS:
        out[col] = _each(_blank_to_none, raw[col]) if col in raw else None
    out["dob"] = _each(_iso, raw["dob"]) if "dob" in raw else None
    out["dob_ambiguous"] = (
        raw["dob_ambiguous"].fillna(False).astype(bool) if "dob_ambiguous" in raw else False
    )
    out["dob_swapped"] = _each(_swap_day_month, out["dob"])
    out["dob_month_day"] = _each(lambda d: d[5:] if d else None, out["dob"])
    out["dob_year"] = _each(lambda d: d[:4] if d else None, out["dob"])
    parts = _each(_postcode_parts, out["postcode"])
    out["postcode_district"] = [p[0] for p in parts]
    out["postcode_sector"] = [p[1] for p in parts]
    for part in ("forename", "surname"):
        out[f"{part}_fold"] = _each(fold, out[part])
        out[f"{part}_keys"] = _each(name_keys, out[f"{part}_fold"])
        out[f"{part}_phonetic"] = _each(phonetic, out[f"{part}_fold"])
    out["forename_initial"] = _each(lambda v: v[0] if v else None, out["forename_fold"])
    out["surname_start"] = _each(lambda v: v[:3] if v else None, out["surname_fold"])
    out["address_fold"] = _each(fold_address, out["address"])
    out["address_keys"] = _each(_address_keys, out["address_fold"])
    out["phones"] = [_list(v) for v in raw["phones"]] if "phones" in raw else [[] for _ in range(len(out))]
    out["vehicles"] = (
        [_list(v) for v in raw["vehicles"]] if "vehicles" in raw else [[] for _ in range(len(out))]
    )
    out["phones"] = [v or None for v in out["phones"]]
    out["vehicles"] = [v or None for v in out["vehicles"]]
    return out
