"""Linking partial records by their context: "found with: Ricky" in a child's missing episode, a hotel
guest who gave only a first name.

Such a record carries too little for the model to link it against everyone on file, yet analysts link
it every day by asking who *Ricky* is among the people already around that child. This step asks the
same question with numbers. A partial record's context has three tiers. Near: the persons on other
telling events (those that can evidence exploitation, as the network counts them: missing episodes,
referrals, sexual or CSE-flagged crimes) of the persons in its event (the child's other episodes,
crimes and referrals). Far: one step further out (the near persons' other telling events), and the
persons seen at its event's place within a year of it (the same hotel) or living there (the address
where the child was found). Same role: the persons named in the same role of the same kind of event elsewhere (the member
of staff who made another hotel report). If the record is one of the k_t persons of tier t with probability pi_t, and the model's
fields give candidate X the Bayes factor BF(X) (the Splink weights, term frequencies included,
mirrored by the fast scorer), then

    P(record is X) = (pi_t / k_t) BF(X) / (sum over Y of (pi_t(Y) / k_t(Y)) BF(Y) + 1 - sum of pi_t)

so two persons called Chris around the same child share the probability and neither is linked: the
record stays apart unless one candidate fits clearly better; an unresolved fragment that fits is not
counted beside a fuller candidate (it is most likely a piece of it). A candidate's fit is that of its
best record among those giving every name part the partial record gives, where it has such a record:
a first-name-only mention of a person known as Nadia Akhtar does not make her fit "Nadia Miah" (at 1M
records, hotel staff called Nadia with five surnames had become one person so; precision 0.99605 ->
0.99691, recall unchanged; at 100k 0.9992 -> 0.9994). The shares pi_t are estimated
without labels by EM, for each kind of record (event type and role) with enough questions. A record
whose best candidate reaches the match threshold is joined to it; joined fragments can then fit
better, so the step runs two rounds. One whose best candidate reaches only the loose threshold is paired
with it for an analyst to decide (match review), not joined.

Only event membership, kinds and roles, event places and postcodes are read besides the linkage frame:
ethnicity and nationality never reach this step (tests/test_ethics.py shuffles them end to end).
"""

from __future__ import annotations

import math
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from joindots.link.cluster import sorted_distinct, sorted_has
from joindots.link.scorer import (
    SHIFT,
    FastScorer,
    compared_columns,
    frame_list_columns,
    is_list_column,
    ragged_rows,
    ragged_slices,
)
from joindots.network.ties import exploitation_events
from joindots.store.schema import Event, PersonRecord

Place = tuple[str, str]  # (place name folded, postcode)
Clusters = dict[int, int]  # record -> cluster
Recluster = Callable[[list[tuple[int, int, float]]], Clusters]

NEAR, FAR, ROLE = 0, 1, 2
TIERS = (NEAR, FAR, ROLE)
Tiers = tuple[float, ...]  # pi of each tier: near, far, the same role
ROUNDS = 2  # measured at 100k people: 263 pairs, then 25, then 3
MAX_CONTEXT = 200  # a near context this wide (a busy hotel over years) is no evidence of who someone is
MAX_FAR = 3000
# days either side of the record's event in which being at its place counts as context: a hotel's
# guests of other years are no evidence of who someone was (measured on the 100,000-person world:
# F1 0.98931 with every visit, 0.99004 with a year either side; seed 2, 0.99084 -> 0.99097)
AROUND = 365
EM_STEPS = 50
CHUNK = 4096  # questions weighed together (their candidates' records in flat arrays)
BATCH = 250_000  # pairs scored in one pass of array operations (each holds its fields' levels and weights)


@dataclass(frozen=True)
class Context:
    """Who appears where: event membership, event places and home postcodes."""

    event_of: dict[int, int]  # record -> its event
    records_in: dict[int, list[int]]  # event -> its records
    place_of: dict[int, Place]  # event -> where it happened (only events with a named place)
    events_at: dict[Place, list[int]] = field(default_factory=dict)
    living_at: dict[str, list[int]] = field(default_factory=dict)  # postcode -> records giving it
    telling: frozenset[int] | None = None  # events a context extends through (None: every event)
    kind_of: dict[int, str] = field(default_factory=dict)  # record -> "event type/role", as EM groups it
    day_of: dict[int, int] = field(default_factory=dict)  # event -> its date (proleptic ordinal)


def load_context(engine: Engine) -> Context:
    """Read only record ids, event ids, postcodes, event places and the kinds of event that can
    evidence exploitation (as the network counts them); never protected fields."""
    with engine.connect() as conn:
        records = conn.execute(
            select(PersonRecord.id, PersonRecord.event_id, PersonRecord.postcode, PersonRecord.role)
        ).all()
        places = conn.execute(
            select(Event.id, Event.location_name, Event.location_postcode).where(
                Event.location_name.is_not(None), Event.location_postcode.is_not(None)
            )
        ).all()
        kinds = conn.execute(
            select(Event.id, Event.type, Event.offence_code, Event.offence_code_original, Event.cse_flag)
        ).all()
        dates = conn.execute(select(Event.id, Event.date).where(Event.date.is_not(None))).all()
    columns = ["id", "type", "offence_code", "offence_code_original", "cse_flag"]
    events = pd.DataFrame(kinds, columns=columns)
    telling = exploitation_events(events)
    event_type = dict(zip(events["id"].astype(int), events["type"].astype(str), strict=True))
    kinds_of = {int(r): f"{event_type.get(int(e), '')}/{role}" for r, e, _, role in records if e is not None}
    days = {int(e): d.toordinal() for e, d in dates if d is not None}
    return build_context([(r, e, p) for r, e, p, _ in records], places, frozenset(telling), kinds_of, days)


def build_context(
    records: Iterable[tuple[int, int | None, str | None]],
    places: Iterable[tuple[int, str | None, str | None]],
    telling: frozenset[int] | None = None,
    kind_of: dict[int, str] | None = None,
    day_of: dict[int, int] | None = None,
) -> Context:
    event_of: dict[int, int] = {}
    records_in: dict[int, list[int]] = defaultdict(list)
    living_at: dict[str, list[int]] = defaultdict(list)
    for record, event, postcode in records:
        if event is not None:
            event_of[int(record)] = int(event)
            records_in[int(event)].append(int(record))
        if postcode:
            living_at[postcode].append(int(record))
    place_of: dict[int, Place] = {}
    events_at: dict[Place, list[int]] = defaultdict(list)
    for event, name, postcode in places:
        if name and name.strip() and postcode and postcode.strip():
            place = (" ".join(name.lower().split()), postcode.strip())
            place_of[int(event)] = place
            events_at[place].append(int(event))
    kinds = {record: sys.intern(kind) for record, kind in (kind_of or {}).items()}
    return Context(
        dict(event_of),
        dict(records_in),
        place_of,
        dict(events_at),
        dict(living_at),
        telling,
        kinds,
        day_of or {},
    )


FORENAME, SURNAME = 1, 2


def name_parts(frame: pd.DataFrame) -> np.ndarray:
    """record id -> which name parts it gives (FORENAME | SURNAME bits), as an array indexed by id."""
    ids = frame["unique_id"].to_numpy(dtype=np.int64)
    parts = np.zeros(int(ids.max(initial=0)) + 1, np.int8)
    given = frame["forename"].notna().to_numpy() * FORENAME + frame["surname"].notna().to_numpy() * SURNAME
    parts[ids] = given
    return parts


def partial_records(frame: pd.DataFrame) -> set[int]:
    """Records with no date of birth, postcode or address: a name, perhaps a phone or a car."""
    bare = frame["dob"].isna() & frame["postcode"].isna() & frame["address"].isna()
    return set(frame.loc[bare, "unique_id"].astype(int).tolist())


@dataclass
class Candidate:
    cluster: int
    record: int  # the cluster's record that fits best
    weight: float  # the model's evidence for it, log2 Bayes factor (prior excluded)
    tier: int = NEAR  # NEAR: around the record's event; FAR: one step further out


@dataclass(frozen=True)
class _Described:
    """The persons in this round's contexts: whether each is a fragment, and its distinct records,
    all persons' records in one flat array (person i's are flat[bounds[i]:bounds[i + 1]])."""

    fragment: np.ndarray
    flat: np.ndarray
    bounds: np.ndarray

    def records(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The records of these persons, flat, and for each the position of its person in `rows`."""
        return ragged_rows(self.flat, self.bounds, rows)


class _Grouped:
    """Values grouped by an integer key, as two arrays sorted by key then value: a million records'
    clusters or events as lists in dicts took seconds to build every round."""

    def __init__(self, keys: np.ndarray, values: np.ndarray):
        order = np.lexsort((values, keys))
        self.keys, self.values = keys[order], values[order]

    def bounds(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.searchsorted(self.keys, keys, "left"), np.searchsorted(self.keys, keys, "right")

    def get(self, key: int) -> list[int]:
        """The values of one key, in order ([] for a key it does not hold)."""
        lo, hi = self.keys.searchsorted(key), self.keys.searchsorted(key, "right")
        found: list[int] = self.values[lo:hi].tolist()
        return found


class _Visits:
    """Who was at each place when, for one round: each place's dated events in date order with the
    persons on them, so the persons seen within AROUND days of a date are one slice (a busy hotel has
    thousands of events, and every record of them asks). Undated events and residents always count."""

    def __init__(self, context: Context, clusters: Clusters):
        self.context, self.clusters = context, clusters
        self.known: dict[Place, tuple[np.ndarray, np.ndarray, np.ndarray, set[int]]] = {}

    def around(self, place: Place, day: int | None) -> set[int]:
        days, persons, starts, always = self._of(place)
        lo, hi = (0, len(days)) if day is None else np.searchsorted(days, [day - AROUND, day + AROUND + 1])
        return always | set(persons[starts[lo] : starts[hi]].tolist())

    def _of(self, place: Place) -> tuple[np.ndarray, np.ndarray, np.ndarray, set[int]]:
        found = self.known.get(place)
        if found is None:
            ctx, cluster = self.context, self.clusters
            dated = sorted((ctx.day_of[e], e) for e in ctx.events_at.get(place, []) if e in ctx.day_of)
            on = [[cluster.get(r, r) for r in ctx.records_in.get(e, [])] for _, e in dated]
            always = {cluster.get(r, r) for r in ctx.living_at.get(place[1], [])}
            for e in ctx.events_at.get(place, []):
                if e not in ctx.day_of:
                    always.update(cluster.get(r, r) for r in ctx.records_in.get(e, []))
            persons = np.fromiter((x for p in on for x in p), np.int64, sum(map(len, on)))
            starts = np.concatenate([[0], np.cumsum([len(p) for p in on], dtype=np.int64)])
            found = self.known[place] = (np.array([d for d, _ in dated], np.int64), persons, starts, always)
        return found


class _Question:
    """One partial record and the persons in its context, scored. The candidates are kept as arrays:
    a million records ask tens of thousands of questions of up to 3,000 persons each, and as objects
    they took two gigabytes."""

    def __init__(
        self,
        record: int,
        via: str,
        candidates: list[Candidate],
        kind: str = "",  # the record's event type and role: how often it is someone in context varies
        sizes: tuple[int, ...] = (),  # persons in each tier, where more than its candidates (ROLE)
    ):
        self.record, self.via, self.kind, self.sizes = record, via, kind, sizes
        n = len(candidates)
        self.clusters = np.fromiter((c.cluster for c in candidates), np.int64, n)
        self.records = np.fromiter((c.record for c in candidates), np.int64, n)
        self.weights = np.fromiter((c.weight for c in candidates), np.float64, n)
        self.tiers = np.fromiter((c.tier for c in candidates), np.int64, n)

    @classmethod
    def of(
        cls,
        record: int,
        via: str,
        clusters: np.ndarray,
        records: np.ndarray,
        weights: np.ndarray,
        tiers: np.ndarray,
        kind: str,
        sizes: tuple[int, ...],
    ) -> _Question:
        """A question whose candidates are already arrays (the context step's)."""
        q = cls(record, via, [], kind, sizes)
        q.clusters, q.records, q.weights, q.tiers = clusters, records, weights.astype(np.float64), tiers
        return q

    def __len__(self) -> int:
        return len(self.weights)

    def candidate(self, i: int) -> Candidate:
        return Candidate(
            int(self.clusters[i]), int(self.records[i]), float(self.weights[i]), int(self.tiers[i])
        )

    def persons(self, tiers: int) -> list[int]:
        """k_t: the persons in each tier, candidates or not (a tier's unlikely persons are not scored)."""
        counted = np.bincount(self.tiers, minlength=tiers)[:tiers].tolist()
        given = [*self.sizes, *[0] * tiers][:tiers]
        return [max(c, g) for c, g in zip(counted, given, strict=True)]

    def posterior(self, pi: Tiers) -> list[float]:
        """P(the record is candidate X) for each candidate, the record being one of the k_t persons
        of tier t with probability pi_t (tiers with no persons pass their share to 'elsewhere')."""
        k = self.persons(len(pi))
        top = float(self.weights.max())
        share = np.array([p / n if n else 0.0 for p, n in zip(pi, k, strict=True)])
        scaled = share[self.tiers] * np.exp2(self.weights - top)
        rest = (1.0 - sum(pi[t] for t in range(len(pi)) if k[t])) * math.pow(2.0, -top)
        return (scaled / (float(scaled.sum()) + rest)).tolist()


class ContextLinker:
    """Links partial records to persons in their context; see the module docstring."""

    def __init__(
        self, frame: pd.DataFrame, model: dict[str, Any], context: Context, codes: np.ndarray | None = None
    ):
        """`codes`: the frame's `frame_signatures`, where the caller has them already."""
        self.frame = frame  # not a re-indexed copy: at a million records that is another 1.2 GiB
        self.position = pd.Index(frame["unique_id"].astype("int64"))
        self.partial = partial_records(frame)
        partial_rows = frame[frame["unique_id"].isin(self.partial)].to_dict("records")
        self.rows = {int(row["unique_id"]): row for row in partial_rows}
        self.context = context
        lists = frame_list_columns(frame)
        self.scorer = FastScorer(model, frame[frame["unique_id"].isin(self.partial)], lists, blocking=False)
        self.scorer.count_terms_of(frame)  # the whole frame's name frequencies, as Splink scores
        self.indexed = set(self.partial)
        self.labels = self.scorer.labels()
        self.pi: dict[str, Tiers] | None = None  # kind ("" for all kinds) -> shares of the tiers
        codes = frame_signatures(frame, model) if codes is None else codes
        ids = self.position.to_numpy()
        self.signature = np.full(int(ids.max(initial=0)) + 1, -1, np.int64)  # record id -> its code
        self.signature[ids] = codes
        self.is_partial = np.zeros(len(self.signature), bool)
        self.is_partial[sorted(self.partial)] = True
        events = context.event_of
        self.event_records = np.fromiter(events.keys(), np.int64, len(events))
        self.event_ids = np.fromiter(events.values(), np.int64, len(events))
        self.pool_keys = self._pool_keys()
        # every (partial record, candidate record) pair scored, as record * SHIFT + candidate, and its
        # evidence (log2 Bayes factor, prior excluded), a chunk of questions' keys sorted in each array
        self.evidence: list[tuple[np.ndarray, np.ndarray]] = []
        self.named = name_parts(frame)

    def _index(self, records: Iterable[int]) -> None:
        """Make these records scorable (the index starts with the partial records only)."""
        missing = sorted(set(records) - self.indexed)
        if missing:
            rows = self.position.get_indexer(missing)
            self.scorer.append(self.frame.iloc[rows].reset_index(drop=True))
            self.indexed.update(missing)

    def link(
        self,
        clusters: Clusters,
        recluster: Recluster,
        threshold: float,
        cannot: set[tuple[int, int]],
        review: float | None = None,
    ) -> tuple[pd.DataFrame, Clusters]:
        """Context pairs found over a few rounds, and the clusters with them joined. With `review` (the
        loose threshold), each record left unjoined whose best candidate reaches it is paired with that
        candidate in `self.suggested`, for an analyst to decide: not joined."""
        found: dict[tuple[int, int], dict[str, Any]] = {}
        suggested: dict[int, tuple[tuple[int, int], dict[str, Any]]] = {}  # record -> its latest
        self.rounds: list[int] = []
        for _ in range(ROUNDS):
            questions = self._questions(clusters, cannot)
            if not questions:
                break
            if self.pi is None:
                self.pi = estimate_pi_by_kind(questions)
            new, maybe = self._answers(questions, threshold, review)
            for q in questions:  # a record asked again: this round's answer stands
                suggested.pop(q.record, None)
            suggested |= maybe
            new = {k: v for k, v in new.items() if k not in found}
            if not new:
                break
            found |= new
            self.rounds.append(len(new))
            questions = []  # the next round's are built without this round's in memory
            clusters = recluster([(a, b, v["match_probability"]) for (a, b), v in found.items()])
        # a record joined in a later round was asked again there, so its earlier suggestion is gone
        self.suggested = _pairs_frame(
            {
                pair: info
                for pair, info in suggested.values()
                if clusters.get(pair[0], pair[0]) != clusters.get(pair[1], pair[1])
            }
        )
        return _pairs_frame(found), clusters

    def _questions(self, clusters: Clusters, cannot: set[tuple[int, int]]) -> list[_Question]:
        """Each partial record's question: its context's persons and its evidence for each, a chunk
        of questions' (record, candidate record) pairs at a time in flat arrays."""
        asked = self._ask(clusters, cannot)  # the round's lookups (members, events) freed on return
        if not asked:
            return []
        self._index(sorted_distinct(self.described.flat).tolist())
        questions: list[_Question] = []
        while asked:
            part, asked[:CHUNK] = asked[:CHUNK], []  # each chunk's lists freed once weighed
            rows = np.concatenate([q[-1] for q in part])  # one per (question, person): an entry
            of_entry = np.repeat(np.arange(len(part)), [len(q[-1]) for q in part])
            records, owner = self.described.records(rows)  # each entry's records, and their entry
            askers = np.fromiter((q[0] for q in part), np.int64, len(part))
            fits = self._evidence(askers[of_entry[owner]] * SHIFT + records)
            questions += self._weighed(part, of_entry, rows, records, owner, fits)
        return questions

    def _ask(self, clusters: Clusters, cannot: set[tuple[int, int]]) -> list[tuple[Any, ...]]:
        """Each partial record not yet part of a fuller person, the persons in its context by tier (as
        rows of `self.described`, which this sets), how it found them and its kind."""
        apart: dict[int, set[int]] = defaultdict(set)  # record -> records it must stay apart from
        for a, b in cannot:
            apart[a].add(b)
            apart[b].add(a)
        cluster_of = self._cluster_array(clusters)
        members = _Grouped(cluster_of, np.arange(len(cluster_of)))  # each person's records
        events_of = _Grouped(cluster_of[self.event_records], self.event_ids)
        pools = self._role_pools(cluster_of)
        sharing: dict[int, set[int]] = {}  # person -> the persons on its telling events (this round)
        seen_at = _Visits(self.context, clusters)  # who was at each place when (this round)
        kind_of = self.context.kind_of
        asked = []
        for record in sorted(self.partial):
            cluster = clusters.get(record, record)
            mine = members.get(cluster)
            if not all(m in self.partial for m in mine):
                continue  # already part of a person with fuller records
            near, far, via = self._context_of(record, clusters, events_of, sharing, seen_at)
            kind = kind_of.get(record, "")
            role, pool_size = self._same_role(record, kind, pools, near | far | {cluster})
            if role:
                via = f"{via}; people named in other records as {kind.split('/')[-1]}"
            # persons holding a record this one must stay apart from (a decision, a contradiction)
            held = {clusters.get(r, r) for m in mine if m in apart for r in apart[m]}
            tiered = [sorted(t - held if held else t) for t in (near, far, role)]
            persons = np.fromiter((x for t in tiered for x in t), np.int64, sum(map(len, tiered)))
            if not len(persons):
                continue
            tier_of = np.repeat(np.array(TIERS, np.int64), [len(t) for t in tiered])
            asked.append((record, via, persons, tier_of, kind, pool_size))
        everyone = sorted_distinct(np.concatenate([q[2] for q in asked])) if asked else np.empty(0, np.int64)
        self.described = self._describe(everyone, members)
        return [(*q, np.searchsorted(everyone, q[2])) for q in asked]

    def _cluster_array(self, clusters: Clusters) -> np.ndarray:
        """record id -> its cluster (itself where the clusters do not list it), for every id in sight."""
        ids = np.fromiter(clusters.keys(), np.int64, len(clusters))
        size = max(int(ids.max(initial=0)), int(self.event_records.max(initial=0)), len(self.signature) - 1)
        cluster_of = np.arange(size + 1, dtype=np.int64)
        cluster_of[ids] = np.fromiter(clusters.values(), np.int64, len(clusters))
        return cluster_of

    def _describe(self, persons: np.ndarray, members: _Grouped) -> _Described:
        """Each person (sorted ids): whether it is a fragment, and its distinct records (the lowest
        record of each set of comparable values), in arrays: a busy round describes 100,000s of persons."""
        lo, hi = members.bounds(persons)
        records, owner = ragged_slices(members.values, lo, hi - lo)
        first = np.concatenate([[0], np.cumsum(hi - lo)[:-1]]).astype(np.int64)
        fragment = (
            np.logical_and.reduceat(self.is_partial[records], first) if len(records) else np.empty(0, bool)
        )
        codes = self.signature[records]
        _, kept = np.unique(owner * (int(codes.max(initial=0)) + 2) + codes + 1, return_index=True)
        kept.sort()
        counts = np.bincount(owner[kept], minlength=len(persons))
        return _Described(fragment, records[kept], np.concatenate([[0], np.cumsum(counts)]))

    def _pool_keys(self) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
        """The records of each kind of partial record (a hotel's reporting member of staff, a guest, a
        person a child was found with) with each of their name keys (names and their variants), as
        arrays of the kinds, key codes and records, and the keys' names."""
        wanted = {self.context.kind_of.get(r) for r in self.partial} - {None, ""}
        rs = [r for r, kind in self.context.kind_of.items() if kind in wanted]
        rows = self.frame.iloc[self.position.get_indexer(rs)]
        self.pool_kinds = {kind: i for i, kind in enumerate(sorted({self.context.kind_of[r] for r in rs}))}
        self.pool_records = {
            kind: np.array(sorted(r for r in rs if self.context.kind_of[r] == kind), np.int64)
            for kind in self.pool_kinds
        }
        kind_of = np.fromiter((self.pool_kinds[self.context.kind_of[r]] for r in rs), np.int64, len(rs))
        at, keys = [], []
        for column in ("forename_keys", "surname_keys"):
            each = pd.Series(rows[column].to_numpy(), dtype=object).explode()  # index: the record's position
            each = each[each.notna()]
            at.append(each.index.to_numpy(dtype=np.int64))
            keys.append(each.to_numpy(dtype=object))
        positions = np.concatenate(at)
        key_codes, key_names = pd.factorize(np.concatenate(keys)) if len(positions) else (positions, [])
        records = np.array(rs, np.int64)
        return list(key_names), kind_of[positions], key_codes.astype(np.int64), records[positions]

    def _role_pools(self, cluster_of: np.ndarray) -> dict[str, tuple[dict[str, set[int]], int]]:
        """For each kind of partial record: the persons with a record of that kind, by name key, and how
        many there are (this round's clusters)."""
        names, kinds, keys, records = self.pool_keys
        persons = cluster_of[records]
        width = int(persons.max(initial=0)) + 1
        triples = sorted_distinct((kinds * (len(names) + 1) + keys) * width + persons)
        group, person = triples // width, triples % width
        cut = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if len(group) else np.empty(0, np.int64)
        pools: dict[str, tuple[dict[str, set[int]], int]] = {}
        by_kind: dict[int, dict[str, set[int]]] = defaultdict(dict)
        for a, b in zip(cut.tolist(), [*cut[1:].tolist(), len(group)][: len(cut)], strict=True):
            code, key = divmod(int(group[a]), len(names) + 1)
            by_kind[code][names[key]] = set(person[a:b].tolist())
        for kind, code in self.pool_kinds.items():
            size = len(sorted_distinct(cluster_of[self.pool_records[kind]]))
            pools[kind] = (by_kind.get(code, {}), size)
        return pools

    def _same_role(
        self, record: int, kind: str, pools: dict[str, tuple[dict[str, set[int]], int]], skip: set[int]
    ) -> tuple[set[int], int]:
        """The persons named in the same role elsewhere (another report by a hotel's staff) whose names
        share a key with the record's, and how many persons that role has in all: the rest fit too
        badly to count, but still share the tier's probability."""
        if kind not in pools:
            return set(), 0
        by_key, size = pools[kind]
        row = self.rows[record]
        keys = [*_listed(row["forename_keys"]), *_listed(row["surname_keys"])]
        persons = set().union(*(by_key.get(key, set()) for key in keys)) - skip if keys else set()
        if len(persons) > MAX_FAR:
            return set(), 0
        return persons, max(size - 1, len(persons))

    def _context_of(
        self,
        record: int,
        clusters: Clusters,
        events_of: _Grouped,
        sharing: dict[int, set[int]],
        seen_at: _Visits,
    ) -> tuple[set[int], set[int], str]:
        """Near: persons sharing another telling event with the persons in the record's event. Far: one
        step further out, and persons seen at the event's place within AROUND days of it or living
        there. Too wide a tier is dropped."""
        ctx = self.context
        event = ctx.event_of.get(record)
        if event is None:
            return set(), set(), ""
        own = clusters.get(record, record)
        here = {clusters.get(r, r) for r in ctx.records_in.get(event, []) if r != record}
        near = self._sharing(here, clusters, events_of, sharing) - here - {own}
        far = self._sharing(near, clusters, events_of, sharing)
        via = ["people on other events with those in this one"]
        place = ctx.place_of.get(event)
        if place is not None:
            far |= seen_at.around(place, ctx.day_of.get(event))
            via.append(f"people seen within a year or living at {place[0]}, {place[1]}")
        far -= near | here | {own}
        near = near if len(near) <= MAX_CONTEXT else set()
        far = far if len(far) <= MAX_FAR else set()
        return near, far, "; ".join(via)

    def _sharing(
        self,
        persons: set[int],
        clusters: Clusters,
        events_of: _Grouped,
        known: dict[int, set[int]],
    ) -> set[int]:
        """The persons on any telling event of these persons (each person's worked out once a round,
        in `known`: a busy person is in many contexts)."""
        telling = self.context.telling
        out: set[int] = set()
        for person in persons:
            theirs = known.get(person)
            if theirs is None:
                theirs = set()
                for other in events_of.get(person):
                    if telling is None or other in telling:
                        theirs.update(clusters.get(r, r) for r in self.context.records_in.get(other, []))
                known[person] = theirs
            out |= theirs
        return out

    def _weighed(
        self,
        asked: list[tuple[Any, ...]],
        of_entry: np.ndarray,
        rows: np.ndarray,
        records: np.ndarray,
        owner: np.ndarray,
        fits: np.ndarray,
    ) -> list[_Question]:
        """Each question's evidence for each person: its best fit among the person's records (the
        lowest record id among equal fits). Each pair is scored once: later rounds score only records
        new to the record's context.

        A fragment (a person known only from partial records, like the asking one) is not counted as a
        person of its own when another candidate fits at least as well: it is most likely a record of
        that candidate still waiting for its own question, and counting both would split the
        probability between one person's two pieces. Of fragments that fit, only the best is kept.
        Every question at once: `of_entry` gives each (question, person) entry's question, `owner`
        each record's entry (each entry's records together, entries in question order)."""
        persons = np.concatenate([q[2] for q in asked])
        tiers = np.concatenate([q[3] for q in asked])
        askers = np.fromiter((q[0] for q in asked), np.int64, len(asked))
        fits = np.where(self._speaks_for(askers[of_entry][owner], records, owner, len(rows)), fits, -np.inf)
        lengths = self.described.bounds[rows + 1] - self.described.bounds[rows]
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])  # each entry's first record
        weight = np.maximum.reduceat(fits, starts)  # each entry's best fit, and its lowest record
        best = np.minimum.reduceat(np.where(fits == weight[owner], records, np.iinfo(np.int64).max), starts)
        fragment = self.described.fragment[rows]
        first = np.flatnonzero(np.r_[True, of_entry[1:] != of_entry[:-1]])  # each question's first entry
        top = np.maximum.reduceat(np.where(fragment, -np.inf, weight), first)  # by question
        keep = ~fragment | (weight <= 0)
        fitting = np.flatnonzero(fragment & (weight > 0))
        if len(
            fitting
        ):  # each question's best fitting fragment (lowest person id among equals), if it beats all
            fitting = fitting[
                np.lexsort(
                    (best[fitting], persons[fitting], tiers[fitting], -weight[fitting], of_entry[fitting])
                )
            ]
            chosen = fitting[np.flatnonzero(np.r_[True, of_entry[fitting][1:] != of_entry[fitting][:-1]])]
            keep[chosen] = weight[chosen] > top[of_entry[chosen]]
        at = np.flatnonzero(keep)  # each question's persons in its own order (near, far, same role)
        bounds = np.searchsorted(of_entry[at], np.arange(len(asked) + 1))
        questions = []
        for i, (record, via, _, _, kind, pool_size, _) in enumerate(asked):
            mine = at[bounds[i] : bounds[i + 1]]
            questions.append(
                _Question.of(
                    record, via, persons[mine], best[mine], weight[mine], tiers[mine], kind, (0, 0, pool_size)
                )
            )
        return questions

    def _speaks_for(
        self, askers: np.ndarray, records: np.ndarray, owner: np.ndarray, entries: int
    ) -> np.ndarray:
        """Which of each person's records may stand for the person against the asking record: one
        giving every name part the asking record gives, where the person has such a record. "Nadia",
        a person's first-name-only mention, fits "Nadia Miah" without a word against her; but when the
        person's other records call her Nadia Akhtar, her surname is known, and it is not Miah."""
        need = self.named[askers]
        full = (self.named[records] & need) == need
        known = np.zeros(entries, bool)
        known[owner[full]] = True
        return np.asarray(full | ~known[owner])

    def _evidence(self, keys: np.ndarray) -> np.ndarray:
        """The evidence (log2 Bayes factor, prior excluded) of each (record, candidate record) pair,
        given as key record * SHIFT + candidate: looked up where scored before, else scored now in
        batches of array operations (one record at a time, the per-call cost dominated at a million
        records) and kept, each chunk's keys sorted in an array of their own, for later rounds: a
        million records' questions in dicts would not fit."""
        fits = np.empty(len(keys))
        todo = np.ones(len(keys), bool)
        for known, weights in self.evidence:
            ask = np.flatnonzero(todo)
            if not len(ask):
                break
            hit = ask[sorted_has(known, keys[ask])]
            fits[hit] = weights[np.searchsorted(known, keys[hit])]
            todo[hit] = False
        new = np.flatnonzero(todo)
        for start in range(0, len(new), BATCH):
            at = new[start : start + BATCH]
            scored = self.scorer.score_row_pairs(
                self.scorer.positions(keys[at] // SHIFT), self.scorer.positions(keys[at] % SHIFT)
            )
            fits[at] = scored.match_weight - self.scorer.prior_weight
        if len(new):
            new = new[np.argsort(keys[new])]
            self.evidence.append((keys[new], fits[new]))
        return fits

    def _answers(
        self, questions: list[_Question], threshold: float, review: float | None = None
    ) -> tuple[dict[tuple[int, int], dict[str, Any]], dict[int, tuple[tuple[int, int], dict[str, Any]]]]:
        """Each record whose best candidate reaches the threshold, paired with it; and, by record, each
        whose best reaches only `review`: the pairs' field explanations scored in one batch."""
        assert self.pi is not None
        floor = threshold if review is None else min(review, threshold)
        answered: list[tuple[_Question, Candidate, float]] = []
        for q in questions:
            posterior = q.posterior(self.pi.get(q.kind, self.pi[""]))
            best = int(np.argmax(posterior))
            if posterior[best] >= floor:
                answered.append((q, q.candidate(best), posterior[best]))
        if not answered:
            return {}, {}
        scored = self.scorer.score_row_pairs(
            self.scorer.positions(np.array([q.record for q, _, _ in answered], np.int64)),
            self.scorer.positions(np.array([c.record for _, c, _ in answered], np.int64)),
        )
        joined: dict[tuple[int, int], dict[str, Any]] = {}
        maybe: dict[int, tuple[tuple[int, int], dict[str, Any]]] = {}
        for i, (q, chosen, probability) in enumerate(answered):
            pair = (min(q.record, chosen.record), max(q.record, chosen.record))
            info = context_pair(
                q, chosen, probability, scored.explanation(i, self.labels), scored.match_weight[i]
            )
            if probability >= threshold:
                joined[pair] = info
            else:
                maybe[q.record] = (pair, info)
        return joined, maybe


def context_pair(
    q: _Question, chosen: Candidate, probability: float, fields: dict[str, Any], model_weight: float
) -> dict[str, Any]:
    """The pair of a record and the candidate its context chose, as stored: the model's field
    explanation with the context's evidence as one more part, so the parts still add up to the weight."""
    probability = min(probability, 1.0 - 1e-12)
    weight = math.log2(probability / (1.0 - probability))
    shift = weight - float(model_weight)
    tier = int((q.tiers == chosen.tier).sum())
    where = ("around it", "one step further out", "named in the same role elsewhere")[chosen.tier]
    fields["context"] = {
        "level": f"fits best of {len(q)} {'person' if len(q) == 1 else 'persons'} in context; "
        f"of {tier} {where} ({q.via})",
        "weight": shift,
        "bayes_factor": math.pow(2.0, shift),
    }
    return {"match_probability": probability, "match_weight": weight, "explanation": fields}


def frame_signatures(frame: pd.DataFrame, model: dict[str, Any]) -> np.ndarray:
    """`signature_codes` over the columns the model compares, in the frame's row order: the
    contradictions and the context step both key on them (a million records: about 4 s to code)."""
    lists = frame_list_columns(frame)
    return signature_codes(frame, compared_columns(model, lists))


def signature_codes(frame: pd.DataFrame, columns: Iterable[str]) -> np.ndarray:
    """A code for each record's values in `columns` outside dates of birth, postcodes and addresses
    (what a partial record, which has none of those, can be compared on), in the frame's row order:
    records with equal codes score equally. Each column is coded, then a row's codes are combined
    as the digits of one number (mixed radix), renumbered only when the next digit would overflow,
    all in array operations. A list counts as the set of its elements, as the scorer compares lists."""
    skip = ("dob", "postcode", "address")
    codes, span = np.zeros(len(frame), dtype=np.int64), 1  # codes in [0, span)
    for column in sorted(c for c in columns if not c.startswith(skip)):
        values = frame[column].to_numpy(dtype=object)
        parts = _set_codes(values) if is_list_column(frame[column]) else [pd.factorize(values)[0]]
        for part in parts:  # part: -1 null or a code
            width = int(part.max(initial=0)) + 2
            if span * width >= 2**62:
                codes, uniques = pd.factorize(codes)
                span = len(uniques)
            codes, span = codes * width + part + 1, span * width
    return pd.factorize(codes)[0]


def _set_codes(values: np.ndarray) -> list[np.ndarray]:
    """A list column as arrays that together code each row's set of elements: whether it is null,
    then the k-th smallest element code of each row (-1 where it has fewer)."""
    n = len(values)
    nulls = pd.isna(pd.Series(values, dtype=object)).to_numpy().astype(np.int64)
    exploded = pd.Series(values, dtype=object).explode()
    exploded = exploded[exploded.notna()]
    elements, _ = pd.factorize(exploded.to_numpy(dtype=object))
    size = int(elements.max(initial=0)) + 1
    keys = sorted_distinct(exploded.index.to_numpy(dtype=np.int64) * size + elements)  # distinct, by row
    rows, elements = keys // size, keys % size
    rank = np.arange(len(rows)) - np.searchsorted(rows, rows)
    parts = [nulls]
    for k in range(int(rank.max(initial=-1)) + 1):
        part = np.full(n, -1, dtype=np.int64)
        part[rows[rank == k]] = elements[rank == k]
        parts.append(part)
    return parts


def _listed(values: Any) -> list[Any]:
    return [] if values is None else list(values)


def estimate_pi(questions: list[_Question], steps: int = EM_STEPS) -> Tiers:
    """How often a partial record is one of the persons in each tier of its context, by EM (no
    labels): each tier's share is the mean posterior mass on it over the records that have it.
    A tier's posterior mass in a question is its per-person share times the sum of its candidates'
    Bayes factors, so those sums are taken once and each step works on a few numbers a question (at
    a million records there are tens of thousands of questions and millions of candidates)."""
    pi: Tiers = (0.3, 0.1, 0.1)
    if not questions:
        return pi
    tiers = len(TIERS)
    weights = np.concatenate([q.weights for q in questions])
    tier = np.concatenate([q.tiers for q in questions])
    sizes = np.array([len(q) for q in questions])
    which = np.repeat(np.arange(len(questions)), sizes)
    top = np.maximum.reduceat(weights, np.concatenate([[0], np.cumsum(sizes)[:-1]]))
    k = np.array([q.persons(tiers) for q in questions], dtype=np.float64)
    present = k > 0
    has = present.sum(axis=0)
    lifted = np.bincount(
        which * tiers + tier, np.exp2(weights - top[which]), minlength=len(questions) * tiers
    )
    lifted = lifted.reshape(len(questions), tiers)  # each question's Bayes factors by tier, over its top
    below = np.exp2(-top)
    for _ in range(steps):
        shares = np.asarray(pi)
        scaled = np.where(present, shares / np.maximum(k, 1.0), 0.0) * lifted
        rest = (1.0 - (present * shares).sum(axis=1)) * below
        mass = (scaled / (scaled.sum(axis=1) + rest)[:, None]).sum(axis=0)
        new = [min(max(float(m) / h, 1e-6), 0.98) if h else 0.0 for m, h in zip(mass, has, strict=True)]
        if sum(new) > 0.99:  # the shares of one record's tiers must leave room for 'elsewhere'
            new = [x * 0.99 / sum(new) for x in new]
        done = max(abs(a - b) for a, b in zip(new, pi, strict=True)) < 1e-6
        pi = tuple(new)
        if done:
            break
    return pi


MIN_KIND = 100  # questions a kind needs for its own shares; fewer use the shares of all kinds


def estimate_pi_by_kind(questions: list[_Question]) -> dict[str, Tiers]:
    """The tiers' shares for each kind of record with enough questions to say ("" for all kinds): a
    hotel's reporting member of staff is usually someone named on other reports, a guest rarely."""
    by_kind: dict[str, list[_Question]] = defaultdict(list)
    for q in questions:
        by_kind[q.kind].append(q)
    shares = {kind: estimate_pi(qs) for kind, qs in by_kind.items() if kind and len(qs) >= MIN_KIND}
    return {"": estimate_pi(questions), **shares}


def _pairs_frame(found: dict[tuple[int, int], dict[str, Any]]) -> pd.DataFrame:
    rows = [{"record_l": a, "record_r": b, **v} for (a, b), v in sorted(found.items())]
    columns = ["record_l", "record_r", "match_probability", "match_weight", "explanation"]
    return pd.DataFrame(rows, columns=columns)
