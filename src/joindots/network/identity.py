"""Identity views: which person each record belongs to under the strict and the loose threshold.

Strict: the persons linkage made (RecordPerson). Records not yet linked stand alone as 'R<id>'.
Loose: strict persons additionally joined by scored pairs at or above the loose threshold, except
where an analyst decided two of their records are different people, or where their dated records
contradict (their most common birth dates differ: a namesake is not the offender). Linkage kept every
such pair apart, so each join is uncertain whatever its probability: every record of a joined person
is in `View.joined`, and a tie resting on one is never counted as confirmed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from joindots.network.facts import Facts


@dataclass
class View:
    """person id for every record id, and how sure we are of each record's place in its person."""

    name: str
    person_of: dict[int, str]
    record_probability: dict[int, float]
    merged: dict[str, list[str]] = field(default_factory=dict)  # loose id -> strict ids joined
    joined: frozenset[int] = frozenset()  # records whose person rests on a join linkage did not make
    joins: list[Join] = field(default_factory=list)  # the joins, strongest first


@dataclass(frozen=True)
class Join:
    """Two strict persons the loose view takes to be one: "possibly the same person"."""

    a: str
    b: str
    probability: float


def strict_view(facts: Facts) -> View:
    person_of: dict[int, str] = {}
    prob: dict[int, float] = {}
    for rec, pid, p in facts.assignments.itertuples(index=False):
        person_of[int(rec)] = str(pid)
        prob[int(rec)] = float(p)
    for rec in facts.records["id"]:
        person_of.setdefault(int(rec), f"R{int(rec)}")
        prob.setdefault(int(rec), 1.0)
    return View("strict", person_of, prob, {p: [p] for p in set(person_of.values())})


class _Union:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.members: dict[str, set[str]] = {}

    def find(self, x: str) -> str:
        if x not in self.parent:
            self.parent[x] = x
            self.members[x] = {x}
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = sorted((self.find(a), self.find(b)))
        if ra != rb:
            self.parent[rb] = ra
            self.members[ra] |= self.members.pop(rb)


def birth_dates(facts: Facts, strict: View) -> dict[str, Any]:
    """Each strict person's most common date of birth over their records (the earliest of equally
    common ones); persons with no dated record are left out."""
    counts: dict[str, Counter[Any]] = defaultdict(Counter)
    for rec, dob in zip(facts.records["id"], facts.records["dob"], strict=True):
        if dob is not None and dob == dob:  # not NaN
            counts[strict.person_of[int(rec)]][dob] += 1
    return {pid: min(c, key=lambda d: (-c[d], str(d))) for pid, c in counts.items()}


def _refused(facts: Facts, strict: View) -> set[tuple[str, str]]:
    """Strict person pairs an analyst said are different people (both orders)."""
    forbidden: set[tuple[str, str]] = set()
    for a, b in facts.cannot_link.itertuples(index=False):
        pa, pb = strict.person_of.get(int(a)), strict.person_of.get(int(b))
        if pa and pb:
            forbidden |= {(pa, pb), (pb, pa)}
    return forbidden


def loose_view(facts: Facts, strict: View) -> View:
    """Join strict persons by loose pairs, strongest first, never across a 'different' decision nor
    between persons whose most common birth dates differ (a joined person takes its members' date)."""
    forbidden = _refused(facts, strict)
    dob = birth_dates(facts, strict)
    uf = _Union()
    joins: list[Join] = []
    pairs = facts.pairs.sort_values("match_probability", ascending=False)
    for a, b, p in pairs.itertuples(index=False):
        pa, pb = strict.person_of.get(int(a)), strict.person_of.get(int(b))
        if not pa or not pb or uf.find(pa) == uf.find(pb):
            continue
        ra, rb = uf.find(pa), uf.find(pb)
        da, db = dob.get(ra), dob.get(rb)
        if da is not None and db is not None and da != db:
            continue
        if any((x, y) in forbidden for x in uf.members[ra] for y in uf.members[rb]):
            continue
        uf.union(pa, pb)
        dob[uf.find(pa)] = da if da is not None else db
        first, second = sorted((pa, pb))
        joins.append(Join(first, second, float(p)))
    return _joined_view(strict, uf, joins)


def _joined_view(strict: View, uf: _Union, joins: list[Join]) -> View:
    """The loose view from the unions: a joined person's records carry its weakest join's probability
    (capped by their own), and all of them are `joined`."""
    weakest: dict[str, float] = {}
    for j in joins:
        root = uf.find(j.a)
        weakest[root] = min(weakest.get(root, 1.0), j.probability)
    person_of: dict[int, str] = {}
    prob: dict[int, float] = {}
    joined: set[int] = set()
    for rec, sp in strict.person_of.items():
        root = uf.find(sp)
        person_of[rec] = root
        prob[rec] = min(strict.record_probability[rec], weakest.get(root, 1.0))
        if root in weakest:
            joined.add(rec)
    merged = {root: sorted(members) for root, members in uf.members.items()}
    return View("loose", person_of, prob, merged, frozenset(joined), joins)
