"""A full linkage run: load the records, score pairs with the saved (or a newly trained) model, keep the
pairs down to the loose threshold, cluster at the strict threshold honouring analysts' decisions, give
clusters stable person IDs and assign every record. All in one transaction: a run that fails leaves the
last good state as it was, and is marked failed in a transaction of its own."""

from __future__ import annotations

import logging
import resource
import time
import weakref
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, cast

import numpy as np
import pandas as pd
from sqlalchemy import Engine, Table, delete, insert, select
from sqlalchemy.orm import Session

from joindots.audit import Action, record_access
from joindots.errors import InvalidInput, NotFound
from joindots.link.bridges import bridging_records, thin_records
from joindots.link.cluster import Edges, cluster_records
from joindots.link.identity import assign_ids
from joindots.settings import get_settings
from joindots.store.base import utcnow
from joindots.store.db import bulk_writes, json_text, session_scope
from joindots.store.link_tables import Lineage, LinkRun, MatchDecision, MatchPair, RecordPerson
from joindots.store.schema import PersonRecord

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
Clusters = dict[int, int]  # record -> cluster
Recluster = Callable[[list[tuple[int, int, float]]], Clusters]  # clusters with extra pairs joined
STEPS = (
    "load records",
    "train model",
    "score pairs",
    "cluster",
    "link partial records by context",
    "store pairs",
    "assign IDs",
)

# pairs and record assignments stored as plain table inserts (no ORM bookkeeping per row)
MATCH_PAIR = cast(Table, MatchPair.__table__)
RECORD_PERSON = cast(Table, RecordPerson.__table__)


class Scorer(Protocol):
    """What a run needs from a linkage model: a frame of records, training, and scoring."""

    def frame(self, engine: Engine) -> pd.DataFrame: ...

    def train(self, frame: pd.DataFrame) -> dict[str, Any]: ...

    def score(
        self, frame: pd.DataFrame, model: dict[str, Any], threshold: float, backend: str
    ) -> pd.DataFrame:
        """Pairs at or above `threshold`: record_l, record_r, match_probability, match_weight, explanation."""
        ...

    def context(
        self,
        engine: Engine,
        frame: pd.DataFrame,
        model: dict[str, Any],
        clusters: Clusters,
        recluster: Recluster,
        cannot: list[tuple[int, int]],
    ) -> tuple[pd.DataFrame, Clusters]:
        """Pairs found by context (same columns as `score`) and the clusters with them joined; with
        them, below the match threshold, the pairs it suggests for review (not joined). The shares of
        the context's tiers it estimated, by kind of record, in `attrs["shares"]` (instant matching
        by context reads them from the run's stats)."""
        ...

    def contradictions(
        self,
        frame: pd.DataFrame,
        model: dict[str, Any],
        clusters: Clusters,
        must: list[tuple[int, int]],
        scored: Iterable[tuple[int, int, float]],
    ) -> list[tuple[int, int]]:
        """Record pairs of one cluster the model says are different people (never two an analyst
        joined, nor two `scored` kept as a pair): kept apart when the run clusters again."""
        ...


class SplinkScorer:
    """The Splink model from joindots.link.model (imported when first used: Splink is heavy). One
    scorer serves one run: the frame's signatures, which the contradictions and the context step
    both need, are coded once."""

    def __init__(self) -> None:
        self._signed: tuple[weakref.ref[pd.DataFrame], np.ndarray] | None = None

    def _codes(self, frame: pd.DataFrame, model: dict[str, Any]) -> np.ndarray:
        from joindots.link.context import frame_signatures

        if self._signed is None or self._signed[0]() is not frame:
            self._signed = (weakref.ref(frame), frame_signatures(frame, model))
        return self._signed[1]

    def frame(self, engine: Engine) -> pd.DataFrame:
        from joindots.link.frame import load_person_frame

        return load_person_frame(engine)

    def train(self, frame: pd.DataFrame) -> dict[str, Any]:
        from joindots.link.model import train_model

        return train_model(frame)

    def score(
        self, frame: pd.DataFrame, model: dict[str, Any], threshold: float, backend: str
    ) -> pd.DataFrame:
        from joindots.link.model import score_pairs

        return score_pairs(frame, model, threshold, backend)  # type: ignore[arg-type]

    def context(
        self,
        engine: Engine,
        frame: pd.DataFrame,
        model: dict[str, Any],
        clusters: Clusters,
        recluster: Recluster,
        cannot: list[tuple[int, int]],
    ) -> tuple[pd.DataFrame, Clusters]:
        """Partial records linked to the person in their context who fits (joindots.link.context), and
        those whose best fit reaches only the loose threshold paired with it for match review; none
        when the model holds a condition the fast scorer cannot mirror."""
        from joindots.link.context import ContextLinker, load_context
        from joindots.link.scorer import Unsupported

        try:
            linker = ContextLinker(frame, model, load_context(engine), self._codes(frame, model))
        except Unsupported as why:
            log.warning("partial records not linked by context: %s", why)
            return pd.DataFrame(), clusters
        apart = {(min(a, b), max(a, b)) for a, b in cannot}
        settings = get_settings()
        found, clusters = linker.link(
            clusters, recluster, settings.match_threshold, apart, review=settings.loose_match_threshold
        )
        both = [f for f in (found, linker.suggested) if len(f)]
        out = pd.concat(both, ignore_index=True) if both else found
        out.attrs["shares"] = {kind: list(tiers) for kind, tiers in (linker.pi or {}).items()}
        return out, clusters

    def contradictions(
        self,
        frame: pd.DataFrame,
        model: dict[str, Any],
        clusters: Clusters,
        must: list[tuple[int, int]],
        scored: Iterable[tuple[int, int, float]],
    ) -> list[tuple[int, int]]:
        """Pairs joined by a chain that the model scores as different people (joindots.link.contradictions)."""
        from joindots.link.contradictions import contradictions
        from joindots.link.scorer import Unsupported

        try:
            kept = scored if isinstance(scored, Edges) else ((a, b) for a, b, _ in scored)
            return contradictions(frame, model, clusters, must, kept, self._codes(frame, model))
        except Unsupported as why:
            log.warning("persons not checked for contradictions: %s", why)
            return []


@dataclass
class RunSummary:
    run_id: int
    records: int
    persons: int
    pairs: int
    strong_pairs: int
    trained: bool
    seconds: float
    changes: dict[str, int]  # lineage actions in this run: created, added, merged, moved, split, retired
    timings: dict[str, float]  # seconds per step
    peak_mib: dict[str, int] = field(default_factory=dict)  # process peak so far, after each step
    context_pairs: int = 0  # pairs of a partial record and the person its context points to
    context_suggestions: int = 0  # such pairs below the match threshold: for match review, not joined
    split_pairs: int = 0  # pairs of records of one chain the model said were different people
    bridge_pairs: int = 0  # pairs of a thin record and a person it only bridged to (link/bridges.py)
    context_shares: dict[str, list[float]] = field(default_factory=dict)  # kind -> pi of each tier


def latest_done_run(session: Session) -> LinkRun | None:
    query = select(LinkRun).where(LinkRun.status == "done").order_by(LinkRun.id.desc()).limit(1)
    return session.scalars(query).first()


def decisions_in_force(session: Session) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(must-link, cannot-link) record pairs from analysts' decisions not withdrawn."""
    rows = session.execute(
        select(MatchDecision.record_l, MatchDecision.record_r, MatchDecision.decision).where(
            MatchDecision.withdrawn_at.is_(None)
        )
    ).all()
    must = [(a, b) for a, b, d in rows if d == "same"]
    cannot = [(a, b) for a, b, d in rows if d == "different"]
    return must, cannot


def run_linkage(
    engine: Engine,
    *,
    retrain: bool = False,
    backend: str | None = None,
    actor: str = "cli",
    progress: Progress | None = None,
    scorer: Scorer | None = None,
) -> RunSummary:
    """Run linkage over every record; see the module docstring."""
    settings = get_settings()
    with session_scope(engine) as session:
        if session.scalars(select(PersonRecord.id).limit(1)).first() is None:
            raise InvalidInput("no person records to link: ingest some sources first")
        run = LinkRun(
            status="running",
            backend=backend or settings.link_backend,
            threshold=settings.match_threshold,
            loose_threshold=settings.loose_match_threshold,
            model={},
            stats={},
            started_by=actor,
        )
        session.add(run)
        session.flush()
        run_id = run.id
    try:
        with session_scope(engine) as session:
            return _Run(session, engine, run_id, scorer or SplinkScorer(), progress or _quiet).go(
                retrain, actor
            )
    except BaseException as exc:
        with session_scope(engine) as session:
            failed = session.get_one(LinkRun, run_id)
            failed.status, failed.finished_at = "failed", utcnow()
            failed.stats = {"error": f"{type(exc).__name__}: {exc}"[:1000]}
        raise


def _quiet(step: str) -> None:
    return None


def _peak_mib() -> int:
    """The process's peak resident memory so far (Linux reports KiB)."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)


def _edges(pairs: pd.DataFrame) -> Edges:
    return Edges(
        pairs["record_l"].to_numpy(dtype="int64"),
        pairs["record_r"].to_numpy(dtype="int64"),
        pairs["match_probability"].to_numpy(dtype=float),
    )


def _with_context(pairs: pd.DataFrame, found: pd.DataFrame) -> pd.DataFrame:
    """Scored pairs with the context pairs added; a context pair replaces the model's score of the
    same two records (it is that score with the context's evidence added)."""
    if found.empty:
        return pairs
    keys = pd.MultiIndex.from_frame(found[["record_l", "record_r"]])
    mine = pd.MultiIndex.from_frame(pairs[["record_l", "record_r"]])
    kept = pairs[~mine.isin(keys)]
    return pd.concat([kept, found[list(pairs.columns)]], ignore_index=True)


class _Run:
    def __init__(self, session: Session, engine: Engine, run_id: int, scorer: Scorer, progress: Progress):
        self.s, self.engine, self.scorer, self.progress = session, engine, scorer, progress
        self.run = session.get_one(LinkRun, run_id)
        self.started = self.mark = time.perf_counter()
        self.timings: dict[str, float] = {}
        self.peak_mib: dict[str, int] = {}  # the process's peak memory so far, at the end of each step
        self.current: str | None = None
        self.context_pairs = self.context_suggestions = 0
        self.context_shares: dict[str, list[float]] = {}
        self.contradictions: list[tuple[int, int]] = []
        self.bridges: list[tuple[int, int]] = []  # thin records kept from persons they only bridge to

    def step(self, name: str | None) -> None:
        now = time.perf_counter()
        if self.current is not None:
            self.timings[self.current] = round(now - self.mark, 3)
            self.peak_mib[self.current] = _peak_mib()
        self.current, self.mark = name, now
        if name is not None:
            self.progress(name)

    def go(self, retrain: bool, actor: str) -> RunSummary:
        self.step("load records")
        frame = self.scorer.frame(self.engine)
        previous = latest_done_run(self.s)
        model = previous.model if previous is not None and previous.model and not retrain else None
        self.step("train model")
        trained = model is None
        self.run.model = model = self.scorer.train(frame) if model is None else model
        self.step("score pairs")
        pairs = self._score(frame, model)
        self.step("cluster")
        records = list(self.s.scalars(select(PersonRecord.id)))
        edges = _edges(pairs)
        must, cannot = decisions_in_force(self.s)

        clusters = cluster_records(records, edges, self.run.threshold, must, cannot)
        self.contradictions = self.scorer.contradictions(frame, model, clusters, must, edges)
        cannot = cannot + self.contradictions

        def cluster(extra: list[tuple[int, int, float]]) -> dict[int, int]:
            return cluster_records(records, edges + extra, self.run.threshold, must, cannot)

        if self.contradictions:
            clusters = cluster([])
        self.bridges = bridging_records(thin_records(frame), clusters, edges, self.run.threshold, must)
        if self.bridges:
            cannot = cannot + self.bridges
            clusters = cluster([])
        if get_settings().link_by_context:
            self.step("link partial records by context")
            found, clusters = self.scorer.context(self.engine, frame, model, clusters, cluster, cannot)
            pairs = _with_context(pairs, found)
            edges = _edges(pairs)
            probability = found["match_probability"] if len(found) else pd.Series(dtype=float)
            self.context_pairs = int((probability >= self.run.threshold).sum())
            self.context_suggestions = len(found) - self.context_pairs
            self.context_shares = found.attrs.get("shares", {})
        del frame  # the run's largest object: storing pairs and IDs needs none of it
        with bulk_writes(self.s):
            self.step("store pairs")
            self._store_pairs(pairs)
            self.step("assign IDs")
            given = assign_ids(self.s, clusters, self.run)
            self._assign_records(clusters, given, edges, must)
        return self._finish(records, pairs, trained, len(set(given.values())), actor)

    def _score(self, frame: pd.DataFrame, model: dict[str, Any]) -> pd.DataFrame:
        """Pairs down to the loose threshold; with sources declared duplicate-free, their pairs scored
        as a one-to-one matching first (joindots.link.one_to_one)."""
        loose, declared = self.run.loose_threshold, get_settings().duplicate_free_sources
        if not declared:
            return self.scorer.score(frame, model, loose, self.run.backend)
        from joindots.link.one_to_one import SCORING_FLOOR, one_to_one

        pairs = self.scorer.score(frame, model, min(SCORING_FLOOR, loose), self.run.backend)
        source_of = dict(zip(frame["unique_id"].astype(int), frame["source"], strict=True))
        prior = float(model["probability_two_random_records_match"])
        pairs = one_to_one(pairs, source_of, declared, prior)
        return pairs[pairs["match_probability"] >= loose].reset_index(drop=True)

    def _store_pairs(self, pairs: pd.DataFrame) -> None:
        """Insert in chunks, building each chunk's rows as it goes (a million pairs' row dicts at once
        would hold about 0.4 KB each), as plain table inserts (no ORM bookkeeping per row), each
        explanation shared by many pairs encoded once."""
        with json_text.remembering():
            for start in range(0, len(pairs), 5000):
                chunk = pairs.iloc[start : start + 5000]
                rows = [
                    {
                        "run_id": self.run.id,
                        "record_l": int(row.record_l),
                        "record_r": int(row.record_r),
                        "match_probability": float(row.match_probability),
                        "match_weight": float(row.match_weight),
                        "explanation": row.explanation or {},
                        "found_by": "context"
                        if row.explanation and "context" in row.explanation
                        else "model",
                    }
                    for row in chunk.itertuples(index=False)
                ]
                self.s.execute(insert(MATCH_PAIR), rows)

    def _assign_records(
        self,
        clusters: dict[int, int],
        given: dict[int, str],
        edges: Edges,
        must: list[tuple[int, int]],
    ) -> None:
        strongest: dict[int, float] = {}
        for a, b, p in edges:
            if clusters.get(a) == clusters.get(b):
                strongest[a] = max(p, strongest.get(a, 0.0))
                strongest[b] = max(p, strongest.get(b, 0.0))
        decided = {r for pair in must for r in pair if clusters[pair[0]] == clusters[pair[1]]}
        by_decision = {r for r in decided if strongest.get(r, 0.0) < self.run.threshold}
        self.s.execute(delete(RecordPerson))
        rows = [
            {
                "person_record_id": record,
                "person_id": given[cluster],
                "run_id": self.run.id,
                "match_probability": 1.0 if record in by_decision else strongest.get(record, 1.0),
                "assigned_by": "decision" if record in by_decision else "run",
            }
            for record, cluster in clusters.items()
        ]
        for start in range(0, len(rows), 5000):
            self.s.execute(insert(RECORD_PERSON), rows[start : start + 5000])

    def _finish(
        self, records: list[int], pairs: pd.DataFrame, trained: bool, persons: int, actor: str
    ) -> RunSummary:
        self.step(None)
        actions = self.s.scalars(select(Lineage.action).where(Lineage.run_id == self.run.id)).all()
        summary = RunSummary(
            run_id=self.run.id,
            records=len(records),
            persons=persons,
            pairs=len(pairs),
            strong_pairs=int((pairs["match_probability"] >= self.run.threshold).sum()),
            trained=trained,
            seconds=round(time.perf_counter() - self.started, 3),
            changes=dict(Counter(actions)),
            timings=self.timings,
            peak_mib=self.peak_mib,
            context_pairs=self.context_pairs,
            context_suggestions=self.context_suggestions,
            split_pairs=len(self.contradictions),
            bridge_pairs=len(self.bridges),
            context_shares=self.context_shares,
        )
        self.run.stats = asdict(summary)
        self.run.status, self.run.finished_at = "done", utcnow()
        record_access(
            self.s,
            actor=actor,
            action=Action.COMBINATION,
            subject=f"link run {self.run.id}",
            justification="record linkage run",
            details={"records": summary.records, "persons": persons, "pairs": summary.pairs},
        )
        return summary


def explain_records(engine: Engine, record_a: int, record_b: int) -> dict[str, Any]:
    """Why two records score as they do under the latest run's model: the stored explanation when the
    run kept the pair, else the waterfall computed now with the same model."""
    a, b = sorted((record_a, record_b))
    with session_scope(engine) as session:
        run = latest_done_run(session)
        if run is None:
            raise NotFound("no linkage run yet: run `joindots link` first")
        stored = session.scalars(
            select(MatchPair).where(
                MatchPair.run_id == run.id, MatchPair.record_l == a, MatchPair.record_r == b
            )
        ).first()
        head = {"record_a": a, "record_b": b, "run_id": run.id}
        if stored is not None:
            return head | {
                "from": "stored",
                "fields": stored.explanation,
                "match_weight": stored.match_weight,
                "match_probability": stored.match_probability,
            }
        model = run.model
    from joindots.link.explain import explain_pair
    from joindots.link.frame import load_person_frame

    rows = load_person_frame(engine, [a, b]).to_dict("records")
    if len(rows) != 2:
        raise NotFound(f"records {a} and {b} are not both on file")
    return head | {"from": "computed"} | explain_pair(model, rows[0], rows[1])
