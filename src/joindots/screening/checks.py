"""What each rule's `check` tests, and the evaluation of a rule set over the facts.

A check looks at one case and returns a `Hit` (the names its reason fills in, and the evidence:
event refs, record ids, person ids, group key) or None. Checks never see ethnicity, IC code or
nationality: the facts do not carry them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from joindots.domain.codes import OFFENCE_CODES, RAPE_CODES
from joindots.screening.born import age_on
from joindots.screening.facts import Ev, Facts, Rec
from joindots.screening.rules import GRACE_DAYS, Rule, RuleSet
from joindots.screening.victim_age import VictimAge, code_ages, victim_in_ages

SUSPECT_ROLES = ("suspect", "alleged_perpetrator")
VICTIM_ROLES = ("victim", "subject")
FOUND_WITH = "found_with"  # the adult a missing child was found with
CHILD_UNDER = 18  # a missing person under 18 is a child: their episodes make a case
CaseKey = tuple[str, str]


@dataclass
class Case:
    key: CaseKey
    kind: str  # crime | child
    event: Ev  # the crime, or the child's latest missing episode
    child: str | None = None
    episodes: list[Ev] = field(default_factory=list)


@dataclass
class Hit:
    fields: dict[str, Any]
    evidence: dict[str, Any]


@dataclass
class Finding:
    case: Case
    rules: list[str] = field(default_factory=list)
    parts: list[dict[str, Any]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def priority(self) -> int:
        return sum(int(p["weight"]) for p in self.parts)

    def add(self, rule: Rule, hit: Hit) -> None:
        self.rules.append(rule.id)
        self.parts.append({"rule": rule.id, "weight": rule.weight})
        self.reasons.append(" ".join(rule.reason.format(**hit.fields).split()))
        self.evidence[rule.id] = hit.evidence


def _records(recs: list[Rec]) -> list[str]:
    return [f"{r.source}/{r.record_id}" for r in recs]


def _persons(recs: list[Rec]) -> list[str]:
    return sorted({r.label for r in recs})


def _aged_victim(case: Case, rule: Rule) -> VictimAge | None:
    """A victim within the rule's ages on the case's date, else one possibly within them at the offence
    (one year over on a report date, within the rule's report_date_grace_days: see victim_age.py)."""
    low, high = int(rule.param("min_age", 13)), int(rule.param("max_age", 15))
    grace = int(rule.param("report_date_grace_days", GRACE_DAYS))
    return victim_in_ages(case.event, low, high, grace, bool(rule.param("offence_code_ages", False)))


def _victim_hit(case: Case, found: VictimAge, fields: dict[str, Any]) -> Hit:
    """The victim's names (label, age, age in words) and the evidence, with where the birth date came
    from and, for a victim only possibly within the ages, why."""
    ev, rec = case.event, found.rec
    evidence: dict[str, Any] = {"events": [ev.ref], "records": _records([rec]), "persons": _persons([rec])}
    if rec.born is not None:
        evidence["birth_date"] = rec.born.evidence()
    evidence |= found.evidence(ev)
    words = {"victim": rec.label, "victim_age": found.age, "victim_age_text": found.words(ev)}
    return Hit(words | fields, evidence)


def _sexual(ev: Ev) -> bool:
    return ev.offence_code in OFFENCE_CODES or ev.offence_code_original in OFFENCE_CODES


def _closed(case: Case, rule: Rule) -> bool:
    """Closed with one of the rule's outcomes (and a sexual offence, unless sexual_offences_only: false)."""
    if rule.param("sexual_offences_only", True) and not _sexual(case.event):
        return False
    return (case.event.outcome_code or "") in {str(o) for o in rule.param("outcomes", [])}


def rape_reclassified(case: Case, facts: Facts, rule: Rule) -> Hit | None:
    ev = case.event
    if ev.offence_code_original not in RAPE_CODES or not ev.offence_code or ev.offence_code in RAPE_CODES:
        return None
    found = _aged_victim(case, rule)
    if found is None:
        return None
    return _victim_hit(
        case, found, {"original_code": ev.offence_code_original, "offence_code": ev.offence_code}
    )


def closed_with_outcome(case: Case, facts: Facts, rule: Rule) -> Hit | None:
    ev = case.event
    if not _closed(case, rule):
        return None
    found = _aged_victim(case, rule)
    if found is None:
        return None
    return _victim_hit(case, found, {"offence_code": ev.offence_code, "outcome_code": ev.outcome_code})


def notes_mention(case: Case, facts: Facts, rule: Rule) -> Hit | None:
    notes = (case.event.notes or "").lower()
    for phrase in rule.param("phrases", []):
        if str(phrase).lower() in notes:
            return Hit({"phrase": phrase}, {"events": [case.event.ref], "notes": case.event.notes})
    return None


def _other_case(ev: Ev, rule: Rule) -> bool:
    """A case that counts as another link: a sexual offence (unless other_sexual_offences_only is
    false) or a safeguarding record (a referral naming an alleged perpetrator)."""
    if ev.type != "crime":
        return ev.type == "referral"
    return _sexual(ev) or not rule.param("other_sexual_offences_only", True)


def _victims_of(ev: Ev, rule: Rule, exclude: set[str]) -> list[Rec]:
    """The event's victims not in `exclude`, children only (age unknown counts) unless
    max_other_victim_age is null. With `offence_code_ages`, a victim older on a report or recording
    date counts when the offence code says they were a child at the offence (see victim_age.py)."""
    top = rule.param("max_other_victim_age", 17)
    stated = code_ages(ev) if rule.param("offence_code_ages", False) else None
    child_by_code = top is not None and stated is not None and stated[1][1] <= int(top)
    out = []
    for v in ev.role(*VICTIM_ROLES):
        age = age_on(v.birth, ev.date)
        if v.person not in exclude and (top is None or age is None or age <= int(top) or child_by_code):
            out.append(v)
    return out


def _suspect_links(case: Case, facts: Facts, rule: Rule, keep: Callable[[Ev], bool]) -> Hit | None:
    """The first suspect who is a suspect in other cases that `keep` accepts, with their victims."""
    mine = {r.person for r in case.event.people}
    for sus in case.event.role(*SUSPECT_ROLES):
        others = [
            ev for ev, role in facts.by_person.get(sus.person, [])
            if role in SUSPECT_ROLES and ev.id != case.event.id and _other_case(ev, rule) and keep(ev)
        ]  # fmt: skip
        victims = [v for ev in others for v in _victims_of(ev, rule, mine)]
        if others:
            refs = sorted({f"{ev.source}/{ev.ref}" for ev in others})
            return Hit(
                {"suspect": sus.label, "other_cases": ", ".join(refs[:5]), "other_victims": len(_persons(victims)),
                 "outcome_code": case.event.outcome_code, "force": case.event.force},
                {"events": [case.event.ref, *refs], "records": _records([sus, *victims]),
                 "persons": _persons([sus]), "other_victims": _persons(victims)},
            )  # fmt: skip
    return None


def suspect_other_victims(case: Case, facts: Facts, rule: Rule) -> Hit | None:
    """A suspect of other cases with other child victims, or found with other children when they were
    missing (the adult a missing child is found with is an indicator practitioners look for)."""
    if not _closed(case, rule):
        return None
    mine = {r.person for r in case.event.people}
    hit = _suspect_links(case, facts, rule, lambda ev: bool(_victims_of(ev, rule, mine)))
    return hit or _suspect_found_with_children(case, facts, rule, mine)


def _suspect_found_with_children(case: Case, facts: Facts, rule: Rule, mine: set[str]) -> Hit | None:
    """The first suspect found with other missing children (under max_other_victim_age then)."""
    top = rule.param("max_other_victim_age", 17)
    for sus in case.event.role(*SUSPECT_ROLES):
        episodes = [
            ev for ev, role in facts.by_person.get(sus.person, [])
            if role == FOUND_WITH and ev.type == "missing_episode" and ev.id != case.event.id
        ]  # fmt: skip
        children = [
            (ev, child) for ev in episodes for child in ev.role("missing_person")
            if child.person not in mine and (top is None or (age := age_on(child.birth, ev.date)) is None
                                             or age <= int(top))
        ]  # fmt: skip
        if children:
            refs = sorted({f"{ev.source}/{ev.ref}" for ev, _ in children})
            found = [child for _, child in children]
            shown = ", ".join(refs[:5]) + (f" and {len(refs) - 5} more" if len(refs) > 5 else "")
            return Hit(
                {"suspect": sus.label, "other_cases": f"{shown} (found with them while they were missing)",
                 "other_victims": len(_persons(found)), "outcome_code": case.event.outcome_code,
                 "force": case.event.force},
                {"events": [case.event.ref, *refs], "records": _records([sus, *found]),
                 "persons": _persons([sus]), "other_victims": _persons(found)},
            )  # fmt: skip
    return None


def suspect_other_force(case: Case, facts: Facts, rule: Rule) -> Hit | None:
    force = case.event.force
    if not _closed(case, rule) or not force:
        return None
    return _suspect_links(
        case, facts, rule, lambda ev: ev.type == "crime" and bool(ev.force) and ev.force != force
    )


def suspect_in_group(case: Case, facts: Facts, rule: Rule) -> Hit | None:
    """A suspect is in a detected group with someone who is not a suspect on this case: a group made
    only of this case's own co-suspects links the case to nothing new."""
    if not _closed(case, rule):
        return None
    suspects = case.event.role(*SUSPECT_ROLES)
    on_case = {s.person for s in suspects}
    for sus in suspects:
        for key in facts.groups.get(sus.person, []):
            others = sorted(facts.group_members.get(key, frozenset()) - on_case)
            if others:
                fields = {"suspect": sus.label, "group_key": key, "outcome_code": case.event.outcome_code,
                          "others": len(others)}  # fmt: skip
                evidence = {"events": [case.event.ref], "records": _records([sus]), "persons": [sus.person],
                            "group": key, "group_others": others}  # fmt: skip
                return Hit(fields, evidence)
    return None


def _concerning(ev: Ev, types: set[str]) -> bool:
    return (ev.location_type or "").strip().lower() in types or bool(ev.role("found_with"))


def _child_then(ev: Ev, top: int) -> bool:
    """The missing person was at most `top` years old at the episode (unknown age counts)."""
    ages = [age_on(r.birth, ev.date) for r in ev.role("missing_person")]
    return any(age is None or age <= top for age in ages)


def missing_child(case: Case, facts: Facts, rule: Rule) -> Hit | None:
    types = {str(t).lower() for t in rule.param("location_types", ["hotel", "address"])}
    episodes = [ev for ev in case.episodes if _child_then(ev, int(rule.param("max_age", CHILD_UNDER - 1)))]
    bad = [ev for ev in episodes if _concerning(ev, types)]
    if not episodes or len(bad) < int(rule.param("min_concerning", 2)):
        return None
    if any(role == "victim" and ev.type == "crime" for ev, role in facts.by_person.get(case.child or "", [])):
        return None
    recs = [r for ev in episodes for r in ev.role("missing_person")]
    return Hit(
        {"child": recs[0].label, "episodes": len(episodes), "concerning": len(bad)},
        {"events": [ev.ref for ev in bad], "records": _records(recs), "persons": _persons(recs)},
    )


def missing_episodes_at_least(case: Case, facts: Facts, rule: Rule) -> Hit | None:
    if len(case.episodes) < int(rule.param("min_episodes", 3)):
        return None
    return Hit({"episodes": len(case.episodes)}, {"events": [ev.ref for ev in case.episodes]})


def found_with_reported_adult(case: Case, facts: Facts, rule: Rule) -> Hit | None:
    types = set(rule.param("event_types", ["hotel_report", "taxi_licence"]))
    for adult in (r for ev in case.episodes for r in ev.role("found_with")):
        reports = sorted(
            {f"{ev.source}/{ev.ref}" for ev, _ in facts.by_person.get(adult.person, []) if ev.type in types}
        )
        if reports:
            return Hit(
                {"adult": adult.label, "reports": ", ".join(reports[:5])},
                {"events": reports, "records": _records([adult]), "persons": _persons([adult])},
            )
    return None


def suspects_at_least(case: Case, facts: Facts, rule: Rule) -> Hit | None:
    sus = case.event.role(*SUSPECT_ROLES)
    n = len({r.person for r in sus})
    if n < int(rule.param("min_suspects", 2)):
        return None
    return Hit(
        {"suspects": n}, {"events": [case.event.ref], "records": _records(sus), "persons": _persons(sus)}
    )


def rape_offence(case: Case, facts: Facts, rule: Rule) -> Hit | None:
    ev = case.event
    code = ev.offence_code if ev.offence_code in RAPE_CODES else ev.offence_code_original
    if code not in RAPE_CODES:
        return None
    recorded = "is recorded" if code == ev.offence_code else "was first recorded"
    return Hit({"code": code, "recorded": recorded}, {"events": [ev.ref]})


UNDECIDED = "undecided_when_screened"  # marks the evidence of a not_reviewed hit (see service.shown_reasons)


def not_reviewed(case: Case, facts: Facts, rule: Rule) -> Hit | None:
    return None if case.key in facts.decided else Hit({}, {UNDECIDED: True})


Check = Callable[[Case, Facts, Rule], Hit | None]
CHECKS: dict[str, tuple[Check, frozenset[str]]] = {
    "rape_reclassified": (rape_reclassified, frozenset({"crime"})),
    "closed_with_outcome": (closed_with_outcome, frozenset({"crime"})),
    "notes_mention": (notes_mention, frozenset({"crime", "child"})),
    "suspect_other_victims": (suspect_other_victims, frozenset({"crime"})),
    "suspect_other_force": (suspect_other_force, frozenset({"crime"})),
    "suspect_in_group": (suspect_in_group, frozenset({"crime"})),
    "missing_child": (missing_child, frozenset({"child"})),
    "found_with_reported_adult": (found_with_reported_adult, frozenset({"child"})),
    "missing_episodes_at_least": (missing_episodes_at_least, frozenset({"child"})),
    "suspects_at_least": (suspects_at_least, frozenset({"crime"})),
    "rape_offence": (rape_offence, frozenset({"crime"})),
    "not_reviewed": (not_reviewed, frozenset({"crime", "child"})),
}


def cases(facts: Facts) -> list[Case]:
    """Every crime is a case; so is every child with missing episodes (keyed by the latest episode)."""
    found = [Case((ev.source, ev.ref), "crime", ev) for ev in facts.events.values() if ev.type == "crime"]
    episodes: dict[str, list[Ev]] = {}
    for ev in facts.events.values():
        if ev.type == "missing_episode":
            for rec in ev.role("missing_person"):
                age = age_on(rec.birth, ev.date)
                if age is None or age < CHILD_UNDER:
                    episodes.setdefault(rec.person, []).append(ev)
    for child, evs in episodes.items():
        evs.sort(key=lambda e: (e.date.isoformat() if e.date else "", e.ref))
        latest = evs[-1]
        found.append(Case((latest.source, latest.ref), "child", latest, child, evs))
    return found


def _fire(rule: Rule, case: Case, facts: Facts) -> Hit | None:
    check, kinds = CHECKS[rule.check]
    return check(case, facts, rule) if case.kind in kinds else None


def evaluate(ruleset: RuleSet, facts: Facts) -> dict[CaseKey, Finding]:
    """Run every base rule on every case; where one fires, add the modifiers that fire too."""
    findings: dict[CaseKey, Finding] = {}
    base = [r for r in ruleset.rules if r.kind == "base"]
    modifiers = [r for r in ruleset.rules if r.kind == "modifier"]
    for case in cases(facts):
        finding = Finding(case)
        for rule in base:
            hit = _fire(rule, case, facts)
            if hit is not None:
                finding.add(rule, hit)
        if not finding.rules:
            continue
        for rule in modifiers:
            needed = set(rule.param("only_with", []))
            if needed and not needed & set(finding.rules):
                continue
            hit = _fire(rule, case, facts)
            if hit is not None:
                finding.add(rule, hit)
        findings[case.key] = finding
    return findings
