"""Offender-offender ties and offender-victim links, with the evidence for each, under one identity view.

Ties come from: co-suspects on the same event (crime, social-care referral, or adults found with the
same missing child), suspects of the same victim on different events, and shared phones or vehicles.
An offender known only by a name, with no date of birth ("found with: Kliment"), is tied to the one
known offender whose name fits, where the name is rare (`_mention_ties`): a lead, always uncertain.
An adult (a suspect, alleged perpetrator, "found with" adult, hotel guest or licence holder on any of
their records) who lives at the address where a missing child was found counts as an offender on that
episode (role `host`), as if the report had named them.
Only events that can evidence the exploitation of a child give group ties (`group_events`): a social-care
referral, a missing episode, or a crime that is flagged CSE, whose offence (as now recorded or as first
recorded) is child-specific or exploitation (`CHILD_OFFENCES`), or whose victim was under 18 on the day
(by the victim record's date of birth, else the victim person's most common one). A sexual offence
against an adult is not group-based child sexual exploitation: before this rule, 17 of the 22 strict
groups of a 3,000-person world were pairs of co-suspects of one such crime. A sexual offence whose
victim's age is unknown still counts (`UNKNOWN_AGE_COUNTS`, measured in docs/network.md), and its
evidence says so. Two people who each burgled the same shop are not a group, and on a big store such
ordinary crimes chain thousands of people into one component. `exploitation_events` (any sexual
offence too) is what linkage's context step uses, and stays as it is.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from joindots.domain.codes import OFFENCE_CODES
from joindots.link.names import fold, name_keys
from joindots.network.facts import Facts
from joindots.network.identity import View, birth_dates

OFFENDER_ROLES = frozenset({"suspect", "alleged_perpetrator", "found_with"})
ADULT_ROLES = OFFENDER_ROLES | {"guest", "licence_holder"}
VICTIM_ROLES = frozenset({"victim", "missing_person", "subject"})
HOST = "host"  # lives at the address where a missing child was found
MAX_SHARERS = 12  # an object shared by more people (a switchboard, a firm's car) proves no association
# A name carried by at most this many people on record can point to one of them. Measured (docs/network.md):
# at 1 or 2, 69 of 73 such ties (two 100,000-person worlds) joined one true person's records; at 3, worse.
RARE_NAME = 2


EXPLOITATION_TYPES = frozenset({"referral", "missing_episode"})
# Offences whose victim is a child by definition (rape, assault and sexual activity of a child under 13
# or 16; abuse of position of trust, whose offences concern under-18s) or that name exploitation itself
# (abuse through sexual exploitation, trafficking for it, grooming). See DOMAIN.md and domain/codes.py.
CHILD_OFFENCES = frozenset({"19D", "19E", "19G", "19H", "17B", "20B", "21", "22B", "73", "71", "72", "88A"})
ADULT = 18
# A sexual offence with no victim's age known counts as a group event, marked in its evidence: rare in
# the demo worlds (2 events at 3,000 and at 10,000 people, one extra pair group each, none a true one),
# far commoner in real records, where dropping them would hide a child's case (docs/network.md).
UNKNOWN_AGE_COUNTS = True


def exploitation_events(events: Any) -> set[int]:
    """Ids of the events that can evidence sexual exploitation (see the module's docstring)."""
    sexual = events["offence_code"].isin(list(OFFENCE_CODES))
    sexual |= events["offence_code_original"].isin(list(OFFENCE_CODES))
    flagged = events["cse_flag"].astype("boolean").fillna(False).astype(bool)
    keep = events["type"].isin(list(EXPLOITATION_TYPES)) | ((events["type"] == "crime") & (sexual | flagged))
    return {int(i) for i in events.loc[keep, "id"]}


def _age(dob: Any, on: Any) -> int | None:
    if dob is None or on is None or dob != dob or on != on:  # missing or NaN
        return None
    return int(on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day)))


def _victim_ages(facts: Facts, view: View, events: set[int]) -> dict[int, list[int | None]]:
    """Event -> the age of each of its victims on the event's date (None where no date of birth is known):
    the victim record's date of birth, else the victim person's most common one."""
    recs = facts.records
    dated = dict(zip(facts.events["id"], facts.events["date"], strict=True))
    person_dob = birth_dates(facts, view)
    out: dict[int, list[int | None]] = defaultdict(list)
    victims = recs[recs["role"].isin(list(VICTIM_ROLES)) & recs["event_id"].isin(list(events))]
    for rid, event_id, dob in zip(victims["id"], victims["event_id"], victims["dob"], strict=True):
        known = dob if dob is not None and dob == dob else person_dob.get(view.person_of[int(rid)])
        out[int(event_id)].append(_age(known, dated.get(event_id)))
    return out


def group_events(facts: Facts, view: View) -> tuple[set[int], set[int]]:
    """The events that give group ties (see the module's docstring), and among them the sexual offences
    counted only because no victim's age is known."""
    ev = facts.events
    relevant = exploitation_events(ev)
    child = ev["offence_code"].isin(list(CHILD_OFFENCES)) | ev["offence_code_original"].isin(
        list(CHILD_OFFENCES)
    )
    flagged = ev["cse_flag"].astype("boolean").fillna(False).astype(bool)
    sure = ev["type"].isin(list(EXPLOITATION_TYPES)) | child | flagged
    keep = {int(i) for i in ev.loc[sure, "id"]} & relevant
    ages = _victim_ages(facts, view, relevant - keep)
    unknown: set[int] = set()
    for event_id in relevant - keep:
        known = [a for a in ages.get(event_id, []) if a is not None]
        if any(a < ADULT for a in known):
            keep.add(event_id)
        elif not known and UNKNOWN_AGE_COUNTS:
            keep.add(event_id)
            unknown.add(event_id)
    return keep, unknown


@dataclass
class Tie:
    a: str
    b: str
    kinds: set[str] = field(default_factory=set)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    identity_probability: float = 0.0
    sure_probability: float = 0.0  # the best over evidence resting on no join linkage did not make

    @property
    def weight(self) -> float:
        return float(len(self.evidence))


@dataclass
class TieSet:
    ties: dict[tuple[str, str], Tie]
    victims_of: dict[str, set[str]]  # offender person -> victim persons


def _add(
    ties: dict[tuple[str, str], Tie], a: str, b: str, kind: str, item: dict[str, Any], p: float,
    joined: bool = False,
) -> None:  # fmt: skip
    """Add one piece of evidence; `joined`: it rests on a record whose person is a join linkage did not
    make (the loose view), so it is uncertain whatever its probability."""
    if a == b:
        return
    key = (a, b) if a < b else (b, a)
    tie = ties.setdefault(key, Tie(*key))
    tie.kinds.add(kind)
    tie.evidence.append(
        {"kind": kind, **item, "identity_probability": round(p, 4), **({"joined": True} if joined else {})}
    )
    tie.identity_probability = max(tie.identity_probability, p)
    if not joined:
        tie.sure_probability = max(tie.sure_probability, p)


def build_ties(facts: Facts, view: View) -> TieSet:
    """Every tie between offenders, and which victims each offender is linked to."""
    ties: dict[tuple[str, str], Tie] = {}
    victims_of: dict[str, set[str]] = defaultdict(set)
    relevant, unknown_age = group_events(facts, view)
    ref = dict(zip(facts.events["id"], facts.events["source"] + ":" + facts.events["ref"], strict=True))
    by_event = _people_on_events(facts, view, relevant)
    victim_offenders: dict[str, list[tuple[str, int, int, int]]] = defaultdict(list)
    for event_id, people in by_event.items():
        offenders = [r for r, role in people if role in OFFENDER_ROLES or role == HOST]
        victims = [r for r, role in people if role in VICTIM_ROLES]
        hosts = {r for r, role in people if role == HOST}
        for x, y in itertools.combinations(offenders, 2):
            item: dict[str, Any] = {"event": ref.get(event_id), "records": [x, y]}
            if hosts & {x, y}:
                item["host_records"] = sorted(hosts & {x, y})
            if event_id in unknown_age:
                item["victim_age_unknown"] = True
            _evidence(ties, view, view.person_of[x], view.person_of[y], "co_offender", item, [x, y])
        for o in offenders:
            for v in victims:
                victims_of[view.person_of[o]].add(view.person_of[v])
                victim_offenders[view.person_of[v]].append((view.person_of[o], event_id, o, v))
    for victim, links in victim_offenders.items():
        for (pa, ea, ra, va), (pb, eb, rb, vb) in itertools.combinations(links, 2):
            if ea != eb:
                item = {"victim": victim, "events": [ref.get(ea), ref.get(eb)], "records": [ra, rb]}
                _evidence(ties, view, pa, pb, "shared_victim", item, [ra, rb, va, vb])
    _object_ties(facts, view, ties, relevant)
    _mention_ties(facts, view, ties, relevant)
    return TieSet(ties, dict(victims_of))


def _evidence(
    ties: dict[tuple[str, str], Tie], view: View, a: str, b: str, kind: str, item: dict[str, Any],
    records: list[int],
) -> None:  # fmt: skip
    """Evidence resting on these records: as sure as the least sure of them, joined if any is."""
    p = min(view.record_probability[r] for r in records)
    _add(ties, a, b, kind, item, p, joined=any(r in view.joined for r in records))


def _people_on_events(facts: Facts, view: View, relevant: set[int]) -> dict[int, list[tuple[int, str]]]:
    """Event -> (record, role) of everyone on it, with the adults who live where a child was found."""
    recs = facts.records
    by_event: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for rid, event_id, role in zip(recs["id"], recs["event_id"], recs["role"], strict=True):
        if event_id is not None and event_id == event_id and int(event_id) in relevant:  # not NaN
            by_event[int(event_id)].append((int(rid), str(role)))
    for event_id, residents in _hosts(facts, view, relevant).items():
        by_event[event_id] += [(rid, HOST) for rid in residents]
    return by_event


def _address_key(address: Any, postcode: Any) -> str | None:
    if (
        not isinstance(address, str)
        or not isinstance(postcode, str)
        or not address.strip()
        or not postcode.strip()
    ):
        return None
    return f"{' '.join(address.upper().split())}|{postcode.upper().replace(' ', '')}"


def _hosts(facts: Facts, view: View, relevant: set[int]) -> dict[int, list[int]]:
    """Missing episodes at an address -> a record (one per person) of each adult who lives there."""
    ev = facts.events
    at_address = ev[(ev["type"] == "missing_episode") & ev["id"].isin(list(relevant))]
    wanted: dict[str, list[int]] = defaultdict(list)
    for eid, name, postcode in zip(
        at_address["id"], at_address["location_name"], at_address["location_postcode"], strict=True
    ):
        key = _address_key(name, postcode)
        if key is not None:
            wanted[key].append(int(eid))
    if not wanted:
        return {}
    recs = facts.records
    adults = recs[recs["role"].isin(list(ADULT_ROLES))]
    residents: dict[str, dict[str, int]] = defaultdict(dict)
    for rid, address, postcode in zip(adults["id"], adults["address"], adults["postcode"], strict=True):
        key = _address_key(address, postcode)
        if key in wanted:
            residents[key].setdefault(view.person_of[int(rid)], int(rid))
    out: dict[int, list[int]] = defaultdict(list)
    for key, people in residents.items():
        if len(people) > MAX_SHARERS:  # a hostel or a bad address proves nothing
            continue
        for eid in wanted[key]:
            out[eid] += sorted(people.values())
    return out


def _object_ties(facts: Facts, view: View, ties: dict[tuple[str, str], Tie], relevant: set[int]) -> None:
    """Shared phones and vehicles among adults: offenders on relevant events, hotel guests, licence holders."""
    recs = facts.records
    offender = recs["role"].isin(list(OFFENDER_ROLES)) & recs["event_id"].isin(list(relevant))
    other_adult = recs["role"].isin(list(ADULT_ROLES - OFFENDER_ROLES))
    adult = set(recs.loc[offender | other_adult, "id"].astype(int))
    holders: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for rid, kind, value in facts.objects.itertuples(index=False):
        if kind in ("phone", "vehicle") and int(rid) in adult:
            holders[(kind, value)].setdefault(view.person_of[int(rid)], int(rid))
    for (kind, value), people in holders.items():
        if len(people) > MAX_SHARERS:
            continue
        for (pa, ra), (pb, rb) in itertools.combinations(sorted(people.items()), 2):
            item = {"object": f"{kind}:{value}", "records": [ra, rb]}
            _evidence(ties, view, pa, pb, f"shared_{kind}", item, [ra, rb])


@dataclass
class _Names:
    """Who gives which name. Keys: a first name's keys (itself, nicknames, variants) and 'key surname'."""

    carriers: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # key -> known persons
    fits: dict[str, dict[str, int]] = field(
        default_factory=lambda: defaultdict(dict)
    )  # key -> offender -> record
    # an undated offender -> (record, name as given, name keys), from a full name where one is given
    mentions: dict[str, tuple[int, str, set[str]]] = field(default_factory=dict)

    def mention(self, pid: str, rid: int, said: str, keys: set[str], full: bool) -> None:
        held = self.mentions.get(pid)
        if held is None or (full and " " not in held[1]):
            self.mentions[pid] = (rid, said, keys)
        elif full == (" " in held[1]):
            held[2].update(keys)


def _names(facts: Facts, view: View, relevant: set[int]) -> _Names:
    """Names given by known persons (a date of birth on some record) and by undated offenders."""
    recs = facts.records
    keys_of = {f: tuple(name_keys(fold(f)) or ()) for f in recs["forename"].dropna().unique()}
    person = [view.person_of[int(r)] for r in recs["id"]]
    surnames = [fold(s) if isinstance(s, str) else None for s in recs["surname"]]
    firsts = [keys_of.get(f, ()) if isinstance(f, str) else () for f in recs["forename"]]
    offender = (recs["role"].isin(list(OFFENDER_ROLES)) & recs["event_id"].isin(list(relevant))).to_numpy()
    known = {p for p, d in zip(person, recs["dob"].notna().to_numpy(), strict=True) if d}
    offenders = {p for p, o in zip(person, offender, strict=True) if o}
    out = _Names()
    for rid, pid, ks, surname, is_offender, forename, last in zip(
        recs["id"], person, firsts, surnames, offender, recs["forename"], recs["surname"], strict=True
    ):
        if not ks or (pid in known and not surname):
            continue
        keys = {f"{k} {surname}" for k in ks} if surname else set(ks)
        if pid in known:  # a known person's named record gives both its first name and its full name
            for k in keys | set(ks):
                out.carriers[k].add(pid)
                if pid in offenders:
                    out.fits[k].setdefault(pid, int(rid))
        elif is_offender:
            said = f"{forename} {last}" if surname else str(forename)
            out.mention(pid, int(rid), said, keys, full=bool(surname))
    return out


def _mention_ties(facts: Facts, view: View, ties: dict[tuple[str, str], Tie], relevant: set[int]) -> None:
    """A person known only by a name, with no date of birth on any record, named as an offender on an
    exploitation event ("found with: Kliment"), and the one known offender (a person with a date of birth,
    an offender on such an event) whose name fits: the same first name, a nickname or a spelling variant,
    and the same surname where the mention gives one.

    Tied only when the name is rare: at most RARE_NAME people with a date of birth on record carry it.
    The tie says "possibly the same person": its identity probability is 1/(n+1) for n such carriers
    (the mention may be someone never recorded), so it is always an uncertain tie, shown as one.
    """
    names = _names(facts, view, relevant)
    for pid, (rid, said, keys) in sorted(names.mentions.items()):
        fitting = set().union(*(names.fits.get(k, {}).keys() for k in keys))
        carried = len(set().union(*(names.carriers.get(k, set()) for k in keys)))
        if len(fitting) != 1 or carried > RARE_NAME:
            continue
        (other,) = fitting
        known_tie = ties.get((pid, other) if pid < other else (other, pid))
        if known_tie is not None and "co_offender" in known_tie.kinds:
            continue  # two offenders on one event are two people
        other_rec = min(names.fits[k][other] for k in keys if other in names.fits.get(k, {}))
        item = {
            "mention": said, "mention_person": pid, "named_person": other, "records": [rid, other_rec],
            "people_with_name": carried,
        }  # fmt: skip
        _add(ties, pid, other, "name_mention", item, 1 / (carried + 1))
