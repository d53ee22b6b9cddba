"""The declarative mapping format (docs/mapping.md): how one agency's file becomes POLE records.

A mapping names the source, how to read the file, which column is the record id, the event each row
describes and the people it mentions. Each field is a *field spec*: a column name, or a small object
with the column, a constant value, a format, and a table of values to translate.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from joindots.domain.pole import EVENT_FIELDS, PERSON_FIELDS
from joindots.errors import IngestError

NAME_FORMATS = (
    "forename surname",
    "Forename Middle Surname",
    "SURNAME, Forename",
    "SURNAME, Forename Middle",
    "surname forename",
    "forename",
)


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
    sheet: str | int | None = None  # Excel sheet name or index (first sheet by default)


class DateSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    formats: list[str] = Field(default_factory=list)  # tried in order before the general parser
    dayfirst: bool = True  # UK habit: 03/04/2010 is 3 April


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
        return fields


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
        return event

    def columns_used(self) -> set[str]:
        """Every column the mapping reads."""
        specs: list[FieldSpec] = [self.record_id, *(self.event or {}).values()]
        for person in self.persons:
            specs.append(person.role)
            for spec in person.fields.values():
                specs.extend(spec if isinstance(spec, list) else [spec])
        return {s.column for s in specs if s.column is not None} | set(self.required_columns)


def load_mapping(path: str | Path) -> Mapping:
    """Read and validate a mapping file; errors name the file and the offending field."""
    path = Path(path)
    try:
        return Mapping.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise IngestError(f"cannot read the mapping {path}: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise IngestError(f"the mapping {path.name} is not valid YAML: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}" for e in exc.errors())
        raise IngestError(f"the mapping {path.name} is not valid: {problems}") from exc
