"""Offender groups: communities over offender ties (seeded Louvain) under the strict and the loose identity
view, matched between views, measured, keyed stably across builds and stored."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import networkx as nx
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from joindots.audit import Action, record_access
from joindots.network.facts import load_facts
from joindots.network.identity import View, loose_view, strict_view
from joindots.network.tables import GroupMember, GroupTie, NetworkBuild, OffenderGroup
from joindots.network.ties import TieSet, build_ties
from joindots.settings import get_settings
from joindots.store.db import session_scope

SEED = 20251
# Low resolution: with ties only from exploitation events the components are already small (at most
# about 20 persons at 100k people, a true group's members often split over several persons by linkage),
# so Louvain should split a component only at a weak bridge. Measured (docs/network.md): at 100k people
# 0.1 found 104 and 106 of 117 true groups (seeds 1, 2); 0.5 found 97 and 102; 1.0 fewer still.
RESOLUTION = 0.1
SAME = 0.5  # Jaccard at or above which a group in one view is the counterpart of one in the other


@dataclass
class Found:
    view: str
    members: frozenset[str]
    graph: nx.Graph
    victims: list[str]
    key: str = ""
    stability: str = ""
    counterpart: Found | None = None
    overlap: float = 0.0


def tie_graph(tieset: TieSet) -> nx.Graph:
    g = nx.Graph()
    for (a, b), tie in tieset.ties.items():
        g.add_edge(a, b, weight=tie.weight, tie=tie)
    return g


def _fold_mentions(g: nx.Graph) -> tuple[nx.Graph, dict[str, str]]:
    """The tie graph with each first-name mention folded into the named person it may be (a tie of kind
    `name_mention` only), so a mention's ties count as that person's; returns it and mention -> person."""
    into: dict[str, str] = {}
    for _, _, tie in g.edges(data="tie"):
        if tie.kinds == {"name_mention"}:
            item = tie.evidence[0]
            into[item["mention_person"]] = item["named_person"]
    folded = nx.Graph()
    folded.add_nodes_from(into.get(n, n) for n in g.nodes)
    for a, b, w in g.edges(data="weight"):
        fa, fb = into.get(a, a), into.get(b, b)
        if fa != fb:
            old = folded.get_edge_data(fa, fb, {"weight": 0.0})["weight"]
            folded.add_edge(fa, fb, weight=old + w)
    return folded, into


def communities(g: nx.Graph) -> list[frozenset[str]]:
    """Groups of two or more people: seeded Louvain inside each connected component, with first-name
    mentions folded into the person they may be and put back beside them."""
    folded, into = _fold_mentions(g)
    mentions_of: dict[str, set[str]] = {}
    for mention, person in into.items():
        mentions_of.setdefault(person, set()).add(mention)
    found: list[frozenset[str]] = []
    for comp in nx.connected_components(folded):
        sub = folded.subgraph(comp)
        parts = (
            nx.community.louvain_communities(sub, weight="weight", seed=SEED, resolution=RESOLUTION)
            if len(comp) > 2
            else [comp]
        )
        for part in parts:
            members = set(part).union(*(mentions_of.get(p, set()) for p in part))
            if len(members) >= 2:
                found.append(frozenset(members))
    return sorted(found, key=lambda s: (-len(s), sorted(s)))


def detect(tieset: TieSet, view: str) -> list[Found]:
    g = tie_graph(tieset)
    out = []
    for members in communities(g):
        victims = sorted(set().union(*(tieset.victims_of.get(m, set()) for m in members)) - members)
        out.append(Found(view, members, g.subgraph(members).copy(), victims))
    return out


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def sharing(groups: list[frozenset[str]]) -> Callable[[frozenset[str]], list[int]]:
    """For a set of members, the positions of the groups holding any of them, in order. Only those can
    reach a Jaccard of SAME: comparing every group with every other was quadratic (at 1M records two
    builds of about 6,000 groups a view made 72M scored pairs and 9 GiB)."""
    holding: dict[str, list[int]] = {}
    for i, members in enumerate(groups):
        for member in members:
            holding.setdefault(member, []).append(i)
    return lambda members: sorted({i for m in members for i in holding.get(m, ())})


def match_views(strict: list[Found], loose: list[Found], loose_of: dict[str, str]) -> None:
    """Label each group stable / changed / strict_only / loose_only by Jaccard in the loose id space."""
    near = sharing([lg.members for lg in loose])
    for s in strict:
        mapped = frozenset(loose_of.get(m, m) for m in s.members)
        best = max((loose[i] for i in near(mapped)), key=lambda lg: jaccard(mapped, lg.members), default=None)
        score = jaccard(mapped, best.members) if best else 0.0
        if best is not None and score >= SAME:
            s.counterpart, s.overlap = best, score
            s.stability = "stable" if score == 1.0 else "changed"
            if best.counterpart is None or best.overlap < score:
                best.counterpart, best.overlap, best.stability = s, score, s.stability
        else:
            s.stability = "strict_only"
    for lg in loose:
        if lg.counterpart is None:
            lg.stability = "loose_only"


def unsettle(strict: list[Found], merged: dict[str, list[str]]) -> None:
    """A pair matched with the same loose ids is `changed`, not `stable`, when the loose group's persons
    hold strict persons the strict group does not (a namesake the loose view joined to a member)."""
    for s in strict:
        lg = s.counterpart
        if s.stability != "stable" or lg is None:
            continue
        held = {sp for m in lg.members for sp in merged.get(m, [m])}
        if held != s.members:
            s.stability = "changed"
            if lg.counterpart is s:
                lg.stability = "changed"


def assign_keys(session: Session, found: list[Found]) -> None:
    """Keep each group's key from the previous build's group of the same view it overlaps most."""
    last = session.scalar(select(NetworkBuild.id).order_by(NetworkBuild.id.desc()).limit(1))
    previous: dict[str, tuple[str, frozenset[str]]] = {}
    if last is not None:
        rows = session.execute(
            select(OffenderGroup.group_key, OffenderGroup.view, GroupMember.person_id)
            .join(GroupMember, GroupMember.group_id == OffenderGroup.id)
            .where(OffenderGroup.build_id == last)
        ).all()
        acc: dict[str, tuple[str, set[str]]] = {}
        for key, view, pid in rows:
            acc.setdefault(key, (view, set()))[1].add(pid)
        previous = {k: (v, frozenset(m)) for k, (v, m) in acc.items()}
    all_keys = session.scalars(select(OffenderGroup.group_key).distinct()).all()
    counter = max((int(k[1:]) for k in all_keys if k[1:].isdigit()), default=0)
    taken: set[str] = set()
    keys = list(previous)
    near = sharing([previous[k][1] for k in keys])
    candidates = sorted(
        (
            (jaccard(f.members, previous[k][1]), i, k)
            for i, f in enumerate(found)
            for k in (keys[j] for j in near(f.members))
            if previous[k][0] == f.view
        ),
        reverse=True,
    )
    for score, i, key in candidates:
        if score >= SAME and not found[i].key and key not in taken:
            found[i].key = key
            taken.add(key)
    for f in found:
        if not f.key:
            counter += 1
            f.key = f"G{counter:05d}"


def _eigenvector(g: nx.Graph) -> dict[str, float]:
    try:
        return nx.eigenvector_centrality(g, max_iter=1000, weight="weight")
    except nx.PowerIterationFailedConvergence:
        return nx.eigenvector_centrality_numpy(g, weight="weight")


def _store(
    session: Session,
    build: NetworkBuild,
    f: Found,
    view: View,
    member_prob: dict[str, float],
    threshold: float,
) -> None:
    ties = [d["tie"] for _, _, d in f.graph.edges(data=True)]
    uncertain = sum(t.sure_probability < threshold for t in ties)
    kinds: dict[str, int] = {}
    for t in ties:
        for k in t.kinds:
            kinds[k] = kinds.get(k, 0) + 1
    summary: dict[str, Any] = {"tie_kinds": kinds}
    if view.joins:
        summary["joins"] = _joins_within(view, f.members | set(f.victims))
    group = OffenderGroup(
        build_id=build.id, group_key=f.key, view=f.view, stability=f.stability,
        counterpart_key=f.counterpart.key if f.counterpart else None, overlap=round(f.overlap, 4),
        size=len(f.members), victims=f.victims, uncertain_ties=uncertain, summary=summary,
    )  # fmt: skip
    session.add(group)
    session.flush()
    between = nx.betweenness_centrality(f.graph)
    eigen = _eigenvector(f.graph)
    for pid in sorted(f.members):
        session.add(GroupMember(
            group_id=group.id, person_id=pid, merged_ids=view.merged.get(pid, [pid]),
            identity_probability=member_prob.get(pid, 1.0), degree=f.graph.degree(pid),
            betweenness=round(between[pid], 6), eigenvector=round(eigen[pid], 6),
        ))  # fmt: skip
    for t in ties:
        session.add(GroupTie(
            group_id=group.id, person_a=t.a, person_b=t.b, kinds=sorted(t.kinds), weight=t.weight,
            identity_probability=t.identity_probability, uncertain=t.sure_probability < threshold,
            evidence=t.evidence,
        ))  # fmt: skip


def _joins_within(view: View, persons: frozenset[str] | set[str]) -> list[dict[str, Any]]:
    """The loose view's joins inside these loose persons (members and victims): "possibly the same
    person", each with its pair's probability, for the group page and the i2 export."""
    inside = {sp for p in persons for sp in view.merged.get(p, [p])}
    return [
        {"a": j.a, "b": j.b, "probability": round(j.probability, 4)}
        for j in view.joins
        if j.a in inside and j.b in inside
    ]


def _member_probability(view: View) -> dict[str, float]:
    out: dict[str, float] = {}
    for rec, pid in view.person_of.items():
        out[pid] = min(out.get(pid, 1.0), view.record_probability[rec])
    return out


def build_groups(engine: Engine, actor: str) -> NetworkBuild:
    """Build the groups at both identity views and store them in one transaction (logged as combination)."""
    settings = get_settings()
    facts = load_facts(engine, settings.loose_match_threshold)
    strict = strict_view(facts)
    loose = loose_view(facts, strict)
    strict_groups = detect(build_ties(facts, strict), "strict")
    loose_groups = detect(build_ties(facts, loose), "loose")
    loose_of = {sp: root for root, members in loose.merged.items() for sp in members}
    match_views(strict_groups, loose_groups, loose_of)
    unsettle(strict_groups, loose.merged)
    with session_scope(engine) as session:
        everything = strict_groups + loose_groups
        assign_keys(session, everything)
        build = NetworkBuild(
            link_run_id=facts.link_run_id, threshold=settings.match_threshold,
            loose_threshold=settings.loose_match_threshold, built_by=actor, stats=_stats(everything),
        )  # fmt: skip
        session.add(build)
        session.flush()
        views = {"strict": strict, "loose": loose}
        probs = {name: _member_probability(v) for name, v in views.items()}  # once per view, not per group
        for f in everything:
            _store(session, build, f, views[f.view], probs[f.view], settings.match_threshold)
        record_access(
            session, actor=actor, action=Action.COMBINATION, subject=f"network_build:{build.id}",
            justification="offender group detection", details=build.stats,
        )  # fmt: skip
        session.flush()
        session.expunge(build)
    return build


def _stats(found: list[Found]) -> dict[str, Any]:
    stats: dict[str, Any] = {"groups": len(found)}
    for f in found:
        stats[f"{f.view}_groups"] = stats.get(f"{f.view}_groups", 0) + 1
        stats[f.stability] = stats.get(f.stability, 0) + 1
    return stats
