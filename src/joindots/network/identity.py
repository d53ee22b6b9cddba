"""Identity views: which person each record belongs to under the strict and the loose threshold.

Strict: the persons linkage made (RecordPerson). Records not yet linked stand alone as 'R<id>'.
Loose: strict persons additionally joined by scored pairs at or above the loose threshold, except
where an analyst decided two of their records are different people.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from joindots.network.facts import Facts


@dataclass
class View:
    """person id for every record id, and how sure we are of each record's place in its person."""

    name: str
    person_of: dict[int, str]
    record_probability: dict[int, float]
    merged: dict[str, list[str]] = field(default_factory=dict)  # loose id -> strict ids joined


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


def loose_view(facts: Facts, strict: View) -> View:
    """Join strict persons by loose pairs, strongest first, never across a 'different' decision."""
    forbidden: set[tuple[str, str]] = set()
    for a, b in facts.cannot_link.itertuples(index=False):
        pa, pb = strict.person_of.get(int(a)), strict.person_of.get(int(b))
        if pa and pb:
            forbidden |= {(pa, pb), (pb, pa)}
    uf = _Union()
    join_prob: dict[str, float] = {}
    pairs = facts.pairs.sort_values("match_probability", ascending=False)
    for a, b, p in pairs.itertuples(index=False):
        pa, pb = strict.person_of.get(int(a)), strict.person_of.get(int(b))
        if not pa or not pb or uf.find(pa) == uf.find(pb):
            continue
        ma, mb = uf.members[uf.find(pa)], uf.members[uf.find(pb)]
        if any((x, y) in forbidden for x in ma for y in mb):
            continue
        for x in (pa, pb):
            join_prob[x] = max(join_prob.get(x, 0.0), float(p))
        uf.union(pa, pb)
    person_of: dict[int, str] = {}
    prob: dict[int, float] = {}
    merged: dict[str, list[str]] = defaultdict(list)
    for rec, sp in strict.person_of.items():
        root = uf.find(sp)
        person_of[rec] = root
        joined = len(uf.members[root]) > 1
        prob[rec] = (
            min(strict.record_probability[rec], join_prob.get(sp, 1.0))
            if joined
            else (strict.record_probability[rec])
        )
    for root, members in uf.members.items():
        merged[root] = sorted(members)
    return View("loose", person_of, prob, dict(merged))
