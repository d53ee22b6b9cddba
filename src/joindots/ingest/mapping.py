"""The declarative mapping format (docs/mapping.md): how one agency's file becomes POLE records.

A mapping names the source, how to read the file, which column is the record id, the event each row
describes and the people it mentions. Each field is a *field spec*: a column name, or a small object
with the column, a constant value, a format, and a table of values to translate.
"""

from __future__ import annotations

import codecs
import datetime as dt
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from joindots.domain.pole import EVENT_FIELDS, PERSON_FIELDS, Role
from joindots.errors import IngestError

NAME_FORMATS = (
    "forename surname",
    "Forename Middle Surname",
    "SURNAME, Forename",
    "SURNAME, Forename Middle",
    "surname forename",
    "forename",
)
DATE_FIELDS = ("dob", "date", "outcome_date")
FIELD_SPEC_KEYS = ("column", "value", "format", "values", "default")


def check_date_format(text: str) -> str:
    """A strptime format, or ValueError saying what is wrong with it ('%Q', 'dd/mm/yyyy')."""
    if "%" not in text:
        raise ValueError(f"date format {text!r} has no % directives (write dd/mm/yyyy as '%d/%m/%Y')")
    try:
        dt.datetime.strptime("", text)
    except ValueError as exc:
        if "does not match format" not in str(exc):
            raise ValueError(f"date format {text!r} is not one Python can read: {exc}") from None
    return text


def role_of(text: str) -> str | None:
    """A role word as the loader reads it ('Licence Holder' -> 'licence_holder'), or None."""
    role = text.strip().casefold().replace(" ", "_")
    return role if role in {r.value for r in Role} else None


class FieldSpec(BaseModel):
    """Where one canonical field comes from: a column, or a constant value; optionally translated."""

    model_config = ConfigDict(extra="forbid")

    column: str | None = None
    value: str | None = None
    format: str | None = None  # date format ("%d/%m/%Y"), name format ("SURNAME, Forename")
    values: dict[str, str | None] = Field(default_factory=dict)  # source value -> canonical value
    default: str | None = None  # used when the column is empty

    @model_validator(mode="before")
    @classmethod
    def from_shorthand(cls, data: Any) -> Any:
        return {"column": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def column_or_value(self) -> FieldSpec:
        if (self.column is None) == (self.value is None):
            raise ValueError("a field needs exactly one of 'column' or 'value'")
        return self


class ReaderSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["auto", "csv", "excel", "parquet"] = "auto"
    encoding: str = "auto"  # auto-detects UTF-8 (with or without BOM), UTF-16 and cp1252
    delimiter: str = "auto"  # auto-sniffs , ; | and tab
    sheet: str | int | None = None  # Excel sheet name or index (the only sheet with data by default)

    @field_validator("encoding")
    @classmethod
    def known_encoding(cls, encoding: str) -> str:
        if encoding != "auto":
            try:
                codecs.lookup(encoding)
            except LookupError:
                raise ValueError(f"unknown encoding {encoding!r}: use auto, utf-8, cp1252...") from None
        return encoding

    @field_validator("delimiter")
    @classmethod
    def one_character(cls, delimiter: str) -> str:
        if delimiter != "auto" and (len(delimiter) != 1 or delimiter in {'"', "\n", "\r"}):
            raise ValueError(
                f"the delimiter must be auto or one character, not {delimiter!r} "
                '(write a tab as "\\t", in double quotes)'
            )
        return delimiter

    @field_validator("sheet")
    @classmethod
    def sheet_number(cls, sheet: str | int | None) -> str | int | None:
        if isinstance(sheet, int) and sheet < 0:
            raise ValueError("a sheet number counts from 0")
        return sheet


class DateSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    formats: list[str] = Field(default_factory=list)  # tried in order before the general parser
    dayfirst: bool = True  # UK habit: 03/04/2010 is 3 April

    @field_validator("formats")
    @classmethod
    def readable_formats(cls, formats: list[str]) -> list[str]:
        return [check_date_format(f) for f in formats]


class PersonSpec(BaseModel):
    """One person a row mentions, in one role. `optional` people are made only when named."""

    model_config = ConfigDict(extra="forbid")

    role: FieldSpec
    optional: bool = False
    fields: dict[str, FieldSpec | list[FieldSpec]] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def collect_fields(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        known = {"role", "optional", "fields"}
        fields = dict(data.get("fields", {}))
        fields.update({k: v for k, v in data.items() if k not in known})
        return {k: v for k, v in data.items() if k in known} | {"fields": fields}

    @field_validator("fields")
    @classmethod
    def known_person_fields(cls, fields: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(fields) - set(PERSON_FIELDS))
        if unknown:
            raise ValueError(f"unknown person field(s) {unknown}; known: {list(PERSON_FIELDS)}")
        for many in ("phones", "vehicles"):
            if many in fields and not isinstance(fields[many], list):
                fields[many] = [fields[many]]
        name = fields.get("name")
        if isinstance(name, FieldSpec) and name.format and name.format not in NAME_FORMATS:
            raise ValueError(f"unknown name format {name.format!r}; known: {list(NAME_FORMATS)}")
        dob = fields.get("dob")
        if isinstance(dob, FieldSpec) and dob.format:
            check_date_format(dob.format)
        return fields

    @field_validator("role")
    @classmethod
    def known_roles(cls, role: FieldSpec) -> FieldSpec:
        """A fixed role, and every role the `values` table gives, must be one we know: a typo would
        otherwise quarantine every row."""
        words = [w for w in role.values.values() if w is not None]
        if role.value is not None:
            words.append(role.values.get(role.value) or role.value)
        unknown = sorted({w for w in words if role_of(w) is None})
        if unknown:
            raise ValueError(f"unknown role(s) {unknown}; known: {[r.value for r in Role]}")
        return role


class Mapping(BaseModel):
    """A whole mapping file."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    description: str = ""
    reader: ReaderSpec = Field(default_factory=ReaderSpec)
    record_id: FieldSpec
    required_columns: list[str] = Field(default_factory=list)
    dates: DateSpec = Field(default_factory=DateSpec)
    event: dict[str, FieldSpec] | None = None
    persons: list[PersonSpec] = Field(min_length=1)

    @field_validator("event")
    @classmethod
    def known_event_fields(cls, event: dict[str, FieldSpec] | None) -> dict[str, FieldSpec] | None:
        if event is None:
            return None
        unknown = sorted(set(event) - set(EVENT_FIELDS))
        if unknown:
            raise ValueError(f"unknown event field(s) {unknown}; known: {list(EVENT_FIELDS)}")
        if "type" not in event:
            raise ValueError("an event needs a 'type'")
        for name in DATE_FIELDS:
            if name in event and event[name].format:
                check_date_format(event[name].format or "")
        return event

    def columns_used(self) -> set[str]:
        """Every column the mapping reads."""
        specs: list[FieldSpec] = [self.record_id, *(self.event or {}).values()]
        for person in self.persons:
            specs.append(person.role)
            for spec in person.fields.values():
                specs.extend(spec if isinstance(spec, list) else [spec])
        return {s.column for s in specs if s.column is not None} | set(self.required_columns)


def _problem(error: Any) -> str:
    """One pydantic error in the mapping's words: where (persons.0.forename.normaliser) and what."""
    where = [str(p) for p in error["loc"] if not (isinstance(p, str) and ("[" in p or p == "fields"))]
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "not a key here"
        if len(where) > 1 and where[-2] not in {"reader", "dates"} and not where[-2].isdigit():
            message += f" (a field takes {', '.join(FIELD_SPEC_KEYS)})"
    return f"{'.'.join(where) or '(top)'}: {message}"


def load_mapping(path: str | Path) -> Mapping:
    """Read and validate a mapping file; errors name the file and the offending key."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise IngestError(f"the mapping {path} must be YAML keys and values (source:, record_id:, ...)")
        return Mapping.model_validate(data)
    except OSError as exc:
        raise IngestError(f"cannot read the mapping {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise IngestError(
            f"the mapping {path} is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from exc
    except yaml.YAMLError as exc:
        raise IngestError(f"the mapping {path} is not valid YAML: {exc}") from exc
    except ValidationError as exc:
        errors = exc.errors()
        plain = [e for e in errors if not any(isinstance(p, str) and p.startswith("list[") for p in e["loc"])]
        problems = "; ".join(dict.fromkeys(_problem(e) for e in plain or errors))
        raise IngestError(f"the mapping {path} is not valid: {problems}") from exc
