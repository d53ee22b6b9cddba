"""One source row -> an event, person records and their objects, by the mapping; or a reason to
quarantine it. Pure: no database. Every value that normalising drops or changes is counted."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from joindots.domain.pole import Role
from joindots.ingest import normalise as norm
from joindots.ingest.mapping import FieldSpec, Mapping, PersonSpec
from joindots.ingest.readers import Row

ROLES = {r.value for r in Role}
# Fields that identify someone: a formula-like value here quarantines the row (it cannot be trusted
# as an identifier). Elsewhere (notes, addresses) the value is kept verbatim as text and counted.
IDENTITY_FIELDS = frozenset(
    {"name", "forename", "middle_names", "surname", "dob", "postcode", "phones", "vehicles", "email"}
)
NAME_FIELDS = ("name", "forename", "middle_names", "surname")
FORMULA_START = frozenset("=+-@ ")
TRUE_WORDS = {"true", "t", "y", "yes", "1"}
FALSE_WORDS = {"false", "f", "n", "no", "0"}


class Quarantined(Exception):
    """A row that cannot be loaded, with a reason code and a plain-language reason."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass
class MappedRow:
    record_id: str
    event: dict[str, Any] | None
    persons: list[dict[str, Any]]  # person_record columns plus 'objects': [(kind, value)]
    counts: Counter[str] = field(default_factory=Counter)


@lru_cache(maxsize=256)
def _folded(values: tuple[tuple[str, str | None], ...]) -> dict[str, str | None]:
    return {k.casefold().strip(): v for k, v in values}


def resolve(spec: FieldSpec, row: Row) -> str | None:
    """The raw value a field spec gives for a row: the constant or the column, the default when
    empty, then translated by the spec's `values` table (exact, then ignoring case)."""
    raw = spec.value if spec.value is not None else row.get(spec.column or "")
    if raw is None or raw == "":
        raw = spec.default
    if raw is None or not spec.values:
        return raw
    if raw in spec.values:
        return spec.values[raw]
    return _folded(tuple(spec.values.items())).get(raw.casefold().strip(), raw)


class RowMapper:
    """Applies one mapping to rows. Rows sharing an event ref (a crime's victim, suspects and
    witnesses) map the event's fields once; later rows carry only the ref."""

    def __init__(self, mapping: Mapping) -> None:
        self.mapping = mapping
        self.formats = tuple(mapping.dates.formats)
        self.dayfirst = mapping.dates.dayfirst
        self.known_refs: set[str] = set()  # events already mapped in full (or in the database)

    # -- values -----------------------------------------------------------------------------

    def date(self, spec: FieldSpec, raw: str | None, label: str, counts: Counter[str]) -> Any:
        explicit = (spec.format,) if spec.format else ()
        parsed = norm.parse_date(raw, explicit + self.formats, self.dayfirst)
        if parsed.problem:
            counts[f"{label}_{parsed.problem}"] += 1
        if parsed.ambiguous:
            counts[f"{label}_ambiguous"] += 1
        return parsed

    def checked(self, raw: str | None, value: str | None, label: str, counts: Counter[str]) -> str | None:
        """Count a non-empty value normalised away (invalid) or changed (reformatted)."""
        if raw is not None and value is None:
            counts[f"{label}_invalid"] += 1
        elif raw is not None and value != raw:
            counts[f"{label}_reformatted"] += 1
        return value

    # -- events -----------------------------------------------------------------------------

    def event(self, row: Row, record_id: str, counts: Counter[str]) -> dict[str, Any] | None:
        specs = self.mapping.event
        if specs is None:
            return None
        ref = (resolve(specs["ref"], row) if "ref" in specs else None) or record_id
        if ref in self.known_refs:  # its other rows carried it: values are counted once per event
            return {"ref": ref}
        out: dict[str, Any] = dict.fromkeys(specs) | {"ref": ref}
        for name, spec in specs.items():
            if name == "ref":
                continue
            raw = resolve(spec, row)
            if name in {"date", "outcome_date"}:
                out[name] = self.date(spec, raw, f"event_{name}", counts).value
            elif name == "cse_flag":
                out[name] = self._flag(raw, counts)
            elif name == "location_postcode":
                out[name] = self.checked(raw, norm.postcode(raw), "postcode", counts)
            elif raw is not None:
                if norm.is_formula_like(raw):
                    counts[f"formula_kept_{name}"] += 1
                out[name] = raw
        return out

    @staticmethod
    def _flag(raw: str | None, counts: Counter[str]) -> bool | None:
        if raw is None:
            return None
        folded = raw.casefold()
        if folded in TRUE_WORDS:
            return True
        if folded in FALSE_WORDS:
            return False
        counts["cse_flag_invalid"] += 1
        return None

    # -- persons ----------------------------------------------------------------------------

    def raw_fields(self, spec: PersonSpec, row: Row) -> dict[str, Any]:
        raw: dict[str, Any] = {}
        for name, fspec in spec.fields.items():
            if isinstance(fspec, list):
                raw[name] = [v for v in (resolve(s, row) for s in fspec) if v]
            else:
                raw[name] = resolve(fspec, row)
        return raw

    def names(self, spec: PersonSpec, raw: dict[str, Any], counts: Counter[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"forename": None, "middle_names": None, "surname": None}
        if raw.get("name"):
            name_spec = spec.fields["name"]
            fmt = (
                name_spec.format
                if isinstance(name_spec, FieldSpec) and name_spec.format
                else "forename surname"
            )
            parts = norm.split_name(raw["name"], fmt)
            out.update(forename=parts.forename, middle_names=parts.middle_names, surname=parts.surname)
        for part in ("forename", "middle_names", "surname"):
            if raw.get(part):
                out[part] = norm.display_name(raw[part])
                if out[part] != raw[part]:
                    counts["name_recased"] += 1
        if out["forename"] and " " in out["forename"] and not raw.get("middle_names"):
            first, rest = out["forename"].split(" ", 1)  # 'Forenames' columns hold middle names too
            out["forename"], out["middle_names"] = first, rest
        return out

    def person(self, spec: PersonSpec, row: Row, counts: Counter[str]) -> dict[str, Any] | None:
        raw = self.raw_fields(spec, row)
        if spec.optional and not any(raw.get(n) for n in NAME_FIELDS):
            return None
        for name, value in raw.items():
            values = value if isinstance(value, list) else [value]
            if name in IDENTITY_FIELDS and any(
                v and v[0] in FORMULA_START and norm.is_formula_like(v) for v in values
            ):
                raise Quarantined("formula_value", f"{name} holds a spreadsheet formula: {values[0]!r}")
        role = self.role(spec, row)
        out = self.names(spec, raw, counts) | {"role": role}
        dob_spec = spec.fields.get("dob")
        parsed = (
            self.date(dob_spec, raw.get("dob"), "dob", counts) if isinstance(dob_spec, FieldSpec) else None
        )
        out["dob"] = parsed.value if parsed else None
        out["dob_ambiguous"] = bool(parsed and parsed.ambiguous)
        out["sex"] = self.checked(raw.get("sex"), norm.sex(raw.get("sex")), "sex", counts)
        out["postcode"] = self.checked(
            raw.get("postcode"), norm.postcode(raw.get("postcode")), "postcode", counts
        )
        out["address"] = norm.clean(raw.get("address"))
        if norm.is_formula_like(out["address"]):
            counts["formula_kept_address"] += 1
        out["email"] = self.checked(raw.get("email"), norm.email(raw.get("email")), "email", counts)
        for name, fn in (
            ("ethnicity", norm.ethnicity),
            ("ic_code", norm.ic_code),
            ("nationality", norm.nationality),
        ):
            value = fn(raw.get(name))
            if raw.get(name) is not None and value is None:
                counts[f"{name}_unrecognised"] += 1
            out[name] = value
        out["objects"] = self.objects(raw, out["email"], counts)
        return out

    def role(self, spec: PersonSpec, row: Row) -> str:
        value = resolve(spec.role, row)
        if value is None:
            raise Quarantined("missing_role", "the row does not say what part the person played")
        role = value.strip().casefold().replace(" ", "_")
        if role not in ROLES:
            raise Quarantined("unknown_role", f"role {value!r} is not one the mapping knows")
        return role

    def objects(self, raw: dict[str, Any], email: str | None, counts: Counter[str]) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for text in raw.get("phones") or []:
            phone = self.checked(text, norm.phone_e164(text), "phone", counts)
            if phone and ("phone", phone) not in found:
                found.append(("phone", phone))
        for text in raw.get("vehicles") or []:
            mark = self.checked(text, norm.vehicle_mark(text), "vehicle", counts)
            if mark and ("vehicle", mark) not in found:
                found.append(("vehicle", mark))
        if email:
            found.append(("email", email))
        return found

    # -- rows -------------------------------------------------------------------------------

    def record_id(self, row: Row) -> str:
        value = norm.clean(resolve(self.mapping.record_id, row))
        if value is None:
            raise Quarantined("missing_record_id", "the row has no record id")
        if norm.is_formula_like(value):
            raise Quarantined("formula_value", f"the record id holds a spreadsheet formula: {value!r}")
        if len(value) > 200:
            raise Quarantined("bad_record_id", "the record id is longer than 200 characters")
        return value

    def map_row(self, row: Row, record_id: str) -> MappedRow:
        counts: Counter[str] = Counter()
        persons: list[dict[str, Any]] = []
        for i, spec in enumerate(self.mapping.persons):  # first: a quarantined row leaves no event
            person = self.person(spec, row, counts)
            if person is not None:
                person["record_id"] = record_id if i == 0 else f"{record_id}#{i}"
                persons.append(person)
        event = self.event(row, record_id, counts)
        if event is not None:
            self.known_refs.add(event["ref"])
        return MappedRow(record_id, event, persons, counts)
