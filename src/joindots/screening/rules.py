"""The screening rules: a versioned YAML file users can read and change, validated with pydantic.

The file says which checks run, with what weight, reason words and parameters; the checks themselves
(what each `check` name tests) live in `checks.py`. A user file replaces the built-in one through the
`screening_rules` setting.
"""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from joindots.errors import InvalidInput
from joindots.settings import get_settings

BUILT_IN = Path(__file__).with_name("rules.yaml")

_VICTIM = {"victim", "victim_age", "victim_age_text"}
# check name -> the names its reason template may use
CHECK_FIELDS: dict[str, frozenset[str]] = {
    "rape_reclassified": frozenset({*_VICTIM, "original_code", "offence_code"}),
    "closed_with_outcome": frozenset({*_VICTIM, "offence_code", "outcome_code"}),
    "notes_mention": frozenset({"phrase"}),
    "suspect_other_victims": frozenset({"suspect", "other_victims", "other_cases", "outcome_code"}),
    "suspect_other_force": frozenset({"suspect", "other_cases", "outcome_code", "force"}),
    "suspect_in_group": frozenset({"suspect", "group_key", "outcome_code", "others"}),
    "missing_child": frozenset({"child", "episodes", "concerning"}),
    "found_with_reported_adult": frozenset({"adult", "reports"}),
    "missing_episodes_at_least": frozenset({"episodes"}),
    "suspects_at_least": frozenset({"suspects"}),
    "rape_offence": frozenset({"code", "recorded"}),
    "not_reviewed": frozenset(),
}
_CLOSED = {"outcomes", "sexual_offences_only"}
_OTHER_VICTIMS = {"other_sexual_offences_only", "max_other_victim_age", "offence_code_ages"}
# the victim's ages (see victim_age.py)
_AGES = {"min_age", "max_age", "report_date_grace_days", "offence_code_ages"}
# check name -> the parameters it reads (any rule may also give `only_with`); others are refused
CHECK_PARAMS: dict[str, frozenset[str]] = {
    "rape_reclassified": frozenset(_AGES),
    "closed_with_outcome": frozenset({*_AGES, *_CLOSED}),
    "notes_mention": frozenset({"phrases"}),
    "suspect_other_victims": frozenset({*_CLOSED, *_OTHER_VICTIMS}),
    "suspect_other_force": frozenset({*_CLOSED, *_OTHER_VICTIMS}),
    "suspect_in_group": frozenset(_CLOSED),
    "missing_child": frozenset({"min_concerning", "max_age", "location_types"}),
    "found_with_reported_adult": frozenset({"event_types"}),
    "missing_episodes_at_least": frozenset({"min_episodes"}),
    "suspects_at_least": frozenset({"min_suspects"}),
    "rape_offence": frozenset(),
    "not_reviewed": frozenset(),
}
MAX_CHILD_AGE = 17  # missing_child's max_age: a missing person is a child under 18
# report_date_grace_days: how many days before a report (or recording) date the offence may have been,
# for a victim one year over max_age on that date to count as possibly within the ages. At most a
# year: only a victim one year over can count.
GRACE_DAYS = 365
# Names a rule file must never mention, in a template or a parameter: they are not evidence.
FORBIDDEN = ("ethnicity", "ic_code", "nationality")


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,59}$")
    kind: Literal["base", "modifier"]
    check: str
    weight: int = Field(ge=0, le=1000)
    reason: str = Field(min_length=1, max_length=500)
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_check_and_fields(self) -> Rule:
        if self.check not in CHECK_FIELDS:
            raise ValueError(f"rule {self.id}: unknown check {self.check!r} (known: {sorted(CHECK_FIELDS)})")
        used = {name for _, name, _, _ in string.Formatter().parse(self.reason) if name}
        unknown = used - CHECK_FIELDS[self.check]
        if unknown:
            raise ValueError(
                f"rule {self.id}: reason uses {sorted(unknown)}; check {self.check} offers "
                f"{sorted(CHECK_FIELDS[self.check])}"
            )
        text = (self.reason + repr(self.params)).lower()
        if any(word in text for word in FORBIDDEN):
            raise ValueError(f"rule {self.id}: ethnicity, IC code and nationality are never evidence")
        self._params_read()
        return self

    def _params_read(self) -> None:
        """Every parameter is one the check reads: a misspelt or dead one is refused, not ignored."""
        unread = set(self.params) - CHECK_PARAMS[self.check] - {"only_with"}
        if unread:
            raise ValueError(
                f"rule {self.id}: check {self.check} reads no parameter {sorted(unread)}; it reads "
                f"{sorted(CHECK_PARAMS[self.check]) or 'none'}"
            )
        if self.check == "missing_child" and int(self.params.get("max_age", 0)) > MAX_CHILD_AGE:
            raise ValueError(
                f"rule {self.id}: max_age is at most {MAX_CHILD_AGE}: a missing child is under 18"
            )
        grace = self.params.get("report_date_grace_days", GRACE_DAYS)
        if isinstance(grace, bool) or not isinstance(grace, int) or not 0 <= grace <= GRACE_DAYS:
            raise ValueError(
                f"rule {self.id}: report_date_grace_days is a whole number of days from 0 (no grace) to "
                f"{GRACE_DAYS}, not {grace!r}: how long before the report date the offence may have been"
            )
        if not isinstance(self.params.get("offence_code_ages", False), bool):
            raise ValueError(
                f"rule {self.id}: offence_code_ages is true or false (whether an offence code that states "
                f"the victim's ages counts on a report date), not {self.params['offence_code_ages']!r}"
            )

    def param(self, name: str, default: Any) -> Any:
        return self.params.get(name, default)


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1, max_length=40)
    rules: tuple[Rule, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> RuleSet:
        ids = [r.id for r in self.rules]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"rule ids must be unique: {dupes}")
        for rule in self.rules:
            missing = set(rule.param("only_with", [])) - set(ids)
            if missing:
                raise ValueError(f"rule {rule.id}: only_with names unknown rules {sorted(missing)}")
        if not any(r.kind == "base" for r in self.rules):
            raise ValueError("a rule set needs at least one base rule")
        return self


def parse_rules(text: str, origin: str = "<text>") -> RuleSet:
    """Validate a rule file's text; a clear InvalidInput says what is wrong and where."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{origin}: not valid YAML: {exc}") from exc
    if isinstance(data, dict) and data.get("version") is not None:
        data["version"] = str(data["version"])
    try:
        return RuleSet.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(f"{origin}: invalid screening rules: {exc}") from exc


@cache
def _load(path: Path) -> RuleSet:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read screening rules {path}: {exc}") from exc
    return parse_rules(text, str(path))


def load_rules(path: Path | None = None) -> RuleSet:
    """The rules in `path`, else the file the `screening_rules` setting names, else the built-in ones."""
    chosen = path or get_settings().screening_rules or BUILT_IN
    return _load(Path(chosen))
