"""Offender-offender ties and offender-victim links, with the evidence for each, under one identity view.

Ties come from: co-suspects on the same event (crime, social-care referral, or adults found with the
same missing child), suspects of the same victim on different events, and shared phones or vehicles.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from joindots.network.facts import Facts
from joindots.network.identity import View

OFFENDER_ROLES = frozenset({"suspect", "alleged_perpetrator", "found_with"})
ADULT_ROLES = OFFENDER_ROLES | {"guest", "licence_holder"}
VICTIM_ROLES = frozenset({"victim", "missing_person", "subject"})
MAX_SHARERS = 12  # an object shared by more people (a switchboard, a firm's car) proves no association


@dataclass
class Tie:
    a: str
    b: str
    kinds: set[str] = field(default_factory=set)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    identity_probability: float = 0.0

    @property
    def weight(self) -> float:
        return float(len(self.evidence))


@dataclass
class TieSet:
    ties: dict[tuple[str, str], Tie]
    victims_of: dict[str, set[str]]  # offender person -> victim persons


def _add(ties: dict[tuple[str, str], Tie], a: str, b: str, kind: str, item: dict[str, Any], p: float) -> None:
    if a == b:
        return
    key = (a, b) if a < b else (b, a)
    tie = ties.setdefault(key, Tie(*key))
    tie.kinds.add(kind)
    tie.evidence.append({"kind": kind, **item, "identity_probability": round(p, 4)})
    tie.identity_probability = max(tie.identity_probability, p)


def build_ties(facts: Facts, view: View) -> TieSet:
    """Every tie between offenders, and which victims each offender is linked to."""
    ties: dict[tuple[str, str], Tie] = {}
    victims_of: dict[str, set[str]] = defaultdict(set)
    prob = view.record_probability
    recs = facts.records
    ref = dict(zip(facts.events["id"], facts.events["source"] + ":" + facts.events["ref"], strict=True))
    by_event: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for rid, event_id, role in zip(recs["id"], recs["event_id"], recs["role"], strict=True):
        if event_id is not None and event_id == event_id:  # not NaN
            by_event[int(event_id)].append((int(rid), str(role)))
    victim_offenders: dict[str, list[tuple[str, int, int, int]]] = defaultdict(list)
    for event_id, people in by_event.items():
        offenders = [r for r, role in people if role in OFFENDER_ROLES]
        victims = [r for r, role in people if role in VICTIM_ROLES]
        for x, y in itertools.combinations(offenders, 2):
            item = {"event": ref.get(event_id), "records": [x, y]}
            _add(ties, view.person_of[x], view.person_of[y], "co_offender", item, min(prob[x], prob[y]))
        for o in offenders:
            for v in victims:
                victims_of[view.person_of[o]].add(view.person_of[v])
                victim_offenders[view.person_of[v]].append((view.person_of[o], event_id, o, v))
    for victim, links in victim_offenders.items():
        for (pa, ea, ra, va), (pb, eb, rb, vb) in itertools.combinations(links, 2):
            if ea != eb:
                item = {"victim": victim, "events": [ref.get(ea), ref.get(eb)], "records": [ra, rb]}
                p = min(prob[ra], prob[rb], prob[va], prob[vb])
                _add(ties, pa, pb, "shared_victim", item, p)
    _object_ties(facts, view, ties)
    return TieSet(ties, dict(victims_of))


def _object_ties(facts: Facts, view: View, ties: dict[tuple[str, str], Tie]) -> None:
    adult = set(facts.records.loc[facts.records["role"].isin(ADULT_ROLES), "id"].astype(int))
    holders: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for rid, kind, value in facts.objects.itertuples(index=False):
        if kind in ("phone", "vehicle") and int(rid) in adult:
            holders[(kind, value)].setdefault(view.person_of[int(rid)], int(rid))
    for (kind, value), people in holders.items():
        if len(people) > MAX_SHARERS:
            continue
        for (pa, ra), (pb, rb) in itertools.combinations(sorted(people.items()), 2):
            item = {"object": f"{kind}:{value}", "records": [ra, rb]}
            p = min(view.record_probability[ra], view.record_probability[rb])
            _add(ties, pa, pb, f"shared_{kind}", item, p)
