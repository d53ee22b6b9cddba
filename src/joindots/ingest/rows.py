"""One source row -> an event, person records and their objects, by the mapping; or a reason to
quarantine it. Pure: no database. Every value that normalising drops or changes is counted.

Speed: the mapping is compiled once per file into small functions (one per field), and each
normaliser's result is kept per raw value for the file (agency files repeat the same postcodes,
codes, dates and names many times), with what that value counts ('postcode_reformatted'...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from joindots.domain.pole import Role
from joindots.ingest import normalise as norm
from joindots.ingest.mapping import FieldSpec, Mapping, PersonSpec
from joindots.ingest.readers import Faulty, Row

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
REF_LENGTH = 200  # event.ref's column: a longer ref is cut here, before events are looked up by it
CACHE_VALUES = 200_000  # distinct raw values kept per normaliser and file (then the cache restarts)

Getter = Callable[[Row], Any]
Counts = list[str]  # labels of the values a row's normalising dropped or changed, one per value


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
    counts: Counts = field(default_factory=list)  # the persons' values
    event_counts: Counts = field(default_factory=list)  # the event's: counted once per event

    def __reduce__(self) -> tuple[Any, ...]:  # compact and quick to pickle (to and from a worker)
        return (MappedRow, (self.record_id, self.event, self.persons, self.counts, self.event_counts))


Outcome = MappedRow | tuple[str, str]  # a mapped row, or (reason code, reason) to quarantine it


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


_ABSENT = object()


def getter(spec: FieldSpec) -> Getter:
    """`resolve` for one spec, compiled: a function of the row giving the same value."""
    if spec.value is not None:
        constant = resolve(spec, {})
        return lambda row: constant
    column, default, values = spec.column or "", spec.default, dict(spec.values)
    if not values:
        return lambda row: row.get(column) or default  # '' and None -> the default
    folded = _folded(tuple(values.items()))

    def translated(row: Row) -> str | None:
        raw = row.get(column) or default
        if raw is None:
            return None
        hit = values.get(raw, _ABSENT)
        if hit is not _ABSENT:
            return hit  # type: ignore[return-value]
        return folded.get(raw.casefold().strip(), raw)

    return translated


def list_getter(specs: list[FieldSpec]) -> Getter:
    """The non-empty values of several specs (phones, vehicles), as a list."""
    getters = [getter(s) for s in specs]
    if len(getters) == 1:
        only = getters[0]

        def one(row: Row) -> list[str]:
            value = only(row)
            return [value] if value else []

        return one

    def several(row: Row) -> list[str]:
        values = []
        for get in getters:
            if value := get(row):
                values.append(value)
        return values

    return several


Normaliser = Callable[[str | None, Counts], Any]


def cached(fn: Callable[[str | None], Any], invalid: str | None, changed: str | None = None) -> Normaliser:
    """`fn` with its results kept per raw value, counting the label `invalid` when a non-empty
    value gives None and `changed` when it gives something else than the raw value."""
    cache: dict[str | None, tuple[Any, str | None]] = {}

    def normalise(raw: str | None, counts: Counts) -> Any:
        hit = cache.get(raw)
        if hit is None:
            value = fn(raw)
            note = None
            if raw is not None:
                note = invalid if value is None else changed if value != raw else None
            if len(cache) >= CACHE_VALUES:
                cache.clear()
            cache[raw] = hit = (value, note)
        if hit[1] is not None:
            counts.append(hit[1])
        return hit[0]

    return normalise


def date_parser(
    spec: FieldSpec, formats: tuple[str, ...], dayfirst: bool, label: str
) -> Callable[[str | None, Counts], norm.ParsedDate]:
    """A date field's parser: the spec's format first, then the mapping's; counts problems and
    ambiguous dates under `label` (dob_impossible, event_date_ambiguous...)."""
    formats = ((spec.format,) if spec.format else ()) + formats
    cache: dict[str | None, tuple[norm.ParsedDate, tuple[str, ...]]] = {}

    def parse(raw: str | None, counts: Counts) -> norm.ParsedDate:
        hit = cache.get(raw)
        if hit is None:
            parsed = norm.parse_date(raw, formats, dayfirst)
            notes = ((f"{label}_{parsed.problem}",) if parsed.problem else ()) + (
                (f"{label}_ambiguous",) if parsed.ambiguous else ()
            )
            if len(cache) >= CACHE_VALUES:
                cache.clear()
            cache[raw] = hit = (parsed, notes)
        if hit[1]:
            counts.extend(hit[1])
        return hit[0]

    return parse


def _flag(raw: str | None) -> bool | None:
    if raw is None:
        return None
    folded = raw.casefold()
    if folded in TRUE_WORDS:
        return True
    if folded in FALSE_WORDS:
        return False
    return None


CODED = ("sex", "postcode", "email", "ethnicity", "ic_code", "nationality")  # one normaliser each


class _PersonPlan:
    """One person entry of the mapping, compiled: plain columns are read straight from the row,
    and only the fields the entry has are normalised (the others are None, counting nothing)."""

    def __init__(
        self, spec: PersonSpec, formats: tuple[str, ...], dayfirst: bool, coded: dict[str, Normaliser]
    ) -> None:
        self.optional = spec.optional
        self.columns: list[tuple[str, str]] = []  # (field, column) read as they are
        self.getters: list[tuple[str, Getter]] = []  # the rest: constants, translations, lists
        for name, fspec in spec.fields.items():
            if isinstance(fspec, list):
                self.getters.append((name, list_getter(fspec)))
            elif fspec.column is not None and not fspec.values and fspec.default is None:
                self.columns.append((name, fspec.column))
            else:
                self.getters.append((name, getter(fspec)))
        self.identity = [name for name in spec.fields if name in IDENTITY_FIELDS]  # in the mapping's order
        self.coded = [(name, coded[name]) for name in CODED if name in spec.fields]
        self.address = "address" in spec.fields
        self.role = getter(spec.role)
        name_spec = spec.fields.get("name")
        self.name_format = (
            name_spec.format if isinstance(name_spec, FieldSpec) and name_spec.format else "forename surname"
        )
        dob_spec = spec.fields.get("dob")
        self.dob = (
            date_parser(dob_spec, formats, dayfirst, "dob") if isinstance(dob_spec, FieldSpec) else None
        )


class RowMapper:
    """Applies one mapping to rows. Rows sharing an event ref (a crime's victim, suspects and
    witnesses) map the event's fields once; later rows carry only the ref. With `share_events`
    False every row maps its event in full (for a worker that cannot know which rows will load)."""

    def __init__(self, mapping: Mapping, share_events: bool = True) -> None:
        self.mapping = mapping
        self.share_events = share_events
        self.formats = tuple(mapping.dates.formats)
        self.dayfirst = mapping.dates.dayfirst
        self.known_refs: set[str] = set()  # events already mapped in full (or in the database)
        self.record_id_of = getter(mapping.record_id)
        self.recased = cached(norm.display_name, "name_recased", "name_recased")
        self.sex = cached(norm.sex, "sex_invalid", "sex_reformatted")
        self.postcode = cached(norm.postcode, "postcode_invalid", "postcode_reformatted")
        self.email = cached(norm.email, "email_invalid", "email_reformatted")
        self.phone = cached(norm.phone_e164, "phone_invalid", "phone_reformatted")
        self.vehicle = cached(norm.vehicle_mark, "vehicle_invalid", "vehicle_reformatted")
        self.ethnicity = cached(norm.ethnicity, "ethnicity_unrecognised")
        self.ic_code = cached(norm.ic_code, "ic_code_unrecognised")
        self.nationality = cached(norm.nationality, "nationality_unrecognised")
        self.cse_flag = cached(_flag, "cse_flag_invalid")
        self.roles: dict[str, str | None] = {}
        coded = {name: getattr(self, name) for name in CODED}
        self.plans = [_PersonPlan(p, self.formats, self.dayfirst, coded) for p in mapping.persons]
        specs = mapping.event or {}
        self.event_ref = getter(specs["ref"]) if "ref" in specs else None
        self.event_keys = dict.fromkeys(specs)
        self.event_fields: list[tuple[str, Getter, Normaliser | None]] = []
        for name, spec in specs.items():
            if name == "ref":
                continue
            fn: Normaliser | None = None
            if name in {"date", "outcome_date"}:
                parse = date_parser(spec, self.formats, self.dayfirst, f"event_{name}")
                fn = _date_value(parse)
            elif name == "cse_flag":
                fn = self.cse_flag
            elif name == "location_postcode":
                fn = self.postcode
            else:
                fn = _text_kept(f"formula_kept_{name}")
            self.event_fields.append((name, getter(spec), fn))

    # -- events -----------------------------------------------------------------------------

    def event(self, row: Row, record_id: str, counts: Counts) -> dict[str, Any] | None:
        if self.mapping.event is None:
            return None
        ref = (self.event_ref(row) if self.event_ref else None) or record_id
        cut = len(ref) > REF_LENGTH  # cut before events are looked up by their ref
        if cut:
            ref = ref[:REF_LENGTH]
        if ref in self.known_refs:  # its other rows carried it: values are counted once per event
            return {"ref": ref}
        if cut:
            counts.append("ref_truncated")
        out: dict[str, Any] = self.event_keys | {"ref": ref}
        for name, get, fn in self.event_fields:
            raw = get(row)
            out[name] = fn(raw, counts) if fn is not None else raw
        return out

    # -- persons ----------------------------------------------------------------------------

    def names(self, plan: _PersonPlan, raw: dict[str, Any], counts: Counts) -> tuple[Any, Any, Any]:
        forename = middle = surname = None
        if raw.get("name"):
            parts = norm.split_name(raw["name"], plan.name_format)
            forename, middle, surname = parts.forename, parts.middle_names, parts.surname
        if raw.get("forename"):
            forename = self.recased(raw["forename"], counts)
        if raw.get("middle_names"):
            middle = self.recased(raw["middle_names"], counts)
        if raw.get("surname"):
            surname = self.recased(raw["surname"], counts)
        if forename and " " in forename and not raw.get("middle_names"):
            forename, middle = forename.split(" ", 1)  # 'Forenames' columns hold middle names too
        return forename, middle, surname

    def person(self, plan: _PersonPlan, row: Row, counts: Counts) -> dict[str, Any] | None:
        get = row.get
        raw: dict[str, Any] = {name: get(column) or None for name, column in plan.columns}
        for name, field_getter in plan.getters:
            raw[name] = field_getter(row)
        if plan.optional and not any(raw[name] for name in plan.identity):
            return None  # an optional person is made when anything identifies them: a name, a phone...
        for name in plan.identity:
            value = raw[name]
            if not value:
                continue
            if value.__class__ is list:  # phones, vehicles: non-empty values
                first = value[0]
                formula = any(v[0] in FORMULA_START and norm.is_formula_like(v) for v in value)
            else:
                first = value
                formula = value[0] in FORMULA_START and norm.is_formula_like(value)
            if formula:
                raise Quarantined("formula_value", f"{name} holds a spreadsheet formula: {first!r}")
        role = self.role(plan, row)
        forename, middle, surname = self.names(plan, raw, counts)
        out: dict[str, Any] = {
            "forename": forename, "middle_names": middle, "surname": surname, "role": role,
            "dob": None, "dob_ambiguous": False, "sex": None, "postcode": None, "address": None,
            "email": None, "ethnicity": None, "ic_code": None, "nationality": None,
        }  # fmt: skip
        if plan.dob:
            parsed = plan.dob(raw["dob"], counts)
            out["dob"], out["dob_ambiguous"] = parsed.value, parsed.ambiguous
        for name, normaliser in plan.coded:
            out[name] = normaliser(raw[name], counts)
        if plan.address and (address := norm.clean(raw["address"])):
            out["address"] = address
            if address[0] in FORMULA_START and norm.is_formula_like(address):
                counts.append("formula_kept_address")
        out["objects"] = self.objects(raw, out["email"], counts)
        return out

    def role(self, plan: _PersonPlan, row: Row) -> str:
        value = plan.role(row)
        if value is None:
            raise Quarantined("missing_role", "the row does not say what part the person played")
        role = self.roles.get(value)
        if role is None:
            role = value.strip().casefold().replace(" ", "_")
            if role not in ROLES:
                raise Quarantined("unknown_role", f"role {value!r} is not one the mapping knows")
            self.roles[value] = role
        return role

    def objects(self, raw: dict[str, Any], email: str | None, counts: Counts) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for text in raw.get("phones") or ():
            phone = self.phone(text, counts)
            if phone and ("phone", phone) not in found:
                found.append(("phone", phone))
        for text in raw.get("vehicles") or ():
            mark = self.vehicle(text, counts)
            if mark and ("vehicle", mark) not in found:
                found.append(("vehicle", mark))
        if email:
            found.append(("email", email))
        return found

    # -- rows -------------------------------------------------------------------------------

    def record_id(self, row: Row) -> str:
        if isinstance(row, Faulty):  # the reader could not read it cleanly
            raise Quarantined(row.code, row.reason)
        value = norm.clean(self.record_id_of(row))
        if value is None:
            raise Quarantined("missing_record_id", "the row has no record id")
        if norm.is_formula_like(value):
            raise Quarantined("formula_value", f"the record id holds a spreadsheet formula: {value!r}")
        if len(value) > 200:
            raise Quarantined("bad_record_id", "the record id is longer than 200 characters")
        return value

    def map_row(self, row: Row, record_id: str) -> MappedRow:
        counts: Counts = []
        persons: list[dict[str, Any]] = []
        for i, plan in enumerate(self.plans):  # first: a quarantined row leaves no event
            person = self.person(plan, row, counts)
            if person is not None:
                person["record_id"] = record_id if i == 0 else f"{record_id}#{i}"
                persons.append(person)
        event_counts: Counts = []
        event = self.event(row, record_id, event_counts)
        if event is not None and self.share_events:
            self.known_refs.add(event["ref"])
        return MappedRow(record_id, event, persons, counts, event_counts)

    def outcome(self, row: Row, record_id: str) -> Outcome:
        """The mapped row, or why it is quarantined as (code, reason)."""
        try:
            return self.map_row(row, record_id)
        except Quarantined as q:
            return (q.code, q.reason)


def map_chunk(mapper: RowMapper, chunk: list[tuple[int, Row]]) -> list[tuple[str | None, Outcome]]:
    """Each row's record id and outcome: (None, (code, reason)) when the record id itself fails."""
    out: list[tuple[str | None, Outcome]] = []
    for _, row in chunk:
        try:
            rid = mapper.record_id(row)
        except Quarantined as q:
            out.append((None, (q.code, q.reason)))
            continue
        out.append((rid, mapper.outcome(row, rid)))
    return out


def _date_value(parse: Callable[[str | None, Counts], norm.ParsedDate]) -> Normaliser:
    return lambda raw, counts: parse(raw, counts).value


def _text_kept(label: str) -> Normaliser:
    """Free text kept as it is; a formula-like value counted (never evaluated)."""

    def kept(raw: str | None, counts: Counts) -> str | None:
        if raw and raw[0] in FORMULA_START and norm.is_formula_like(raw):
            counts.append(label)
        return raw

    return kept
