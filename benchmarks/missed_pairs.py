"""Where joindots' missed true pairs lie on the synthetic world, and what their pieces share.

Runs joindots as benchmarks/linkage.py does, then splits every true person by the persons found and
counts the true pairs between its pieces (the missed pairs) three ways:

- by the pieces' shapes: D, the piece holds a dated record; N, a full name but no date; P, a name part
  only ("found with: Ricky", a guest who gave a surname);
- by the kind of person in the truth (offender, child at risk, hotel staff, anyone else);
- by the evidence the two pieces share beyond their names, the first that holds of: a shared
  identifier (phone, vehicle, email, full postcode, address); a path over telling events (those the
  context step follows) through at most three other persons; a visit to the same named place within
  a year; else nothing, "names only".

Then the recall and F1 if every missed pair with shared evidence were joined and no false pair added:
what better use of the evidence other than names could reach, the precision unchanged. Last, the pairs
the context step suggests for match review (a partial record's best fit below the match threshold):
how often right by band, and the scores had an analyst confirmed the right ones. A benchmark,
not a test: it prints its figures.

    .venv/bin/python benchmarks/missed_pairs.py                      # 100,000 records
    .venv/bin/python benchmarks/missed_pairs.py --records 1000000    # about 7 minutes, 3.7 GiB
"""

from __future__ import annotations

import argparse
import pickle
import tempfile
from collections import defaultdict
from pathlib import Path

import pandas as pd
from linkage import pairwise_scores, read_frame, run_joindots, synthetic

from joindots.link.cluster import cluster_records
from joindots.link.context import AROUND, Context

HOPS = 3  # persons between the pieces' events, at most
IDENTIFIERS = ("phones", "vehicles", "email", "postcode", "address_fold")


def pieces(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (true person, person found) with its size and shape, for true persons found split."""
    dated = frame["dob"].notna()
    named = frame["forename_fold"].notna() & frame["surname_fold"].notna()
    rank = pd.Series(2, index=frame.index).mask(named, 1).mask(dated, 0)  # the piece's best record
    out = (
        frame.assign(rank=rank)
        .groupby(["truth", "cluster_id"])
        .agg(records=("unique_id", "size"), rank=("rank", "min"))
        .reset_index()
    )
    out["shape"] = out["rank"].map(dict(enumerate("DNP")))
    split = out.groupby("truth")["cluster_id"].transform("size") > 1
    return out[split].drop(columns="rank")


def missed_pairs(split: pd.DataFrame) -> pd.DataFrame:
    """Each two pieces of a true person, with the true pairs between them."""
    both = split.merge(split, on="truth", suffixes=("_a", "_b"))
    both = both[both["cluster_id_a"] < both["cluster_id_b"]].copy()
    both["pairs"] = both["records_a"] * both["records_b"]
    both["shapes"] = ["".join(sorted(p)) for p in zip(both["shape_a"], both["shape_b"], strict=True)]
    return both


class Evidence:
    """What two persons found share beyond their names."""

    def __init__(self, frame: pd.DataFrame, context: Context):
        cluster_of = dict(zip(frame["unique_id"].astype(int), frame["cluster_id"].astype(int), strict=True))
        self.items: dict[int, set[tuple[str, object]]] = defaultdict(set)
        for col in IDENTIFIERS:
            values = frame[["cluster_id", col]].dropna()
            if col in ("phones", "vehicles"):  # lists
                values = values.explode(col).dropna()
            for cluster, value in zip(values["cluster_id"], values[col], strict=True):
                self.items[int(cluster)].add((col, value))
        self.events_of: dict[int, set[int]] = defaultdict(set)
        self.persons_in: dict[int, set[int]] = defaultdict(set)
        self.visits: dict[int, list[tuple[object, int | None]]] = defaultdict(list)
        for record, event in context.event_of.items():
            person = cluster_of.get(record)
            if person is None:
                continue
            if context.telling is None or event in context.telling:
                self.events_of[person].add(event)
                self.persons_in[event].add(person)
            place = context.place_of.get(event)
            if place is not None:
                self.visits[person].append((place, context.day_of.get(event)))

    def between(self, a: int, b: int) -> str:
        if self.items.get(a, set()) & self.items.get(b, set()):
            return "a shared identifier"
        if self._path(a, b) or self._path(b, a):
            return f"a path through {HOPS} persons or fewer"
        if self._same_place(a, b):
            return "the same place within a year"
        return "names only"

    def _path(self, start: int, goal: int) -> bool:
        frontier = {p for e in self.events_of.get(start, ()) for p in self.persons_in[e]} - {start}
        seen = frontier | {start}
        for _ in range(HOPS + 1):
            if goal in frontier:
                return True
            frontier = {
                p for q in frontier for e in self.events_of.get(q, ()) for p in self.persons_in[e]
            } - seen
            seen |= frontier
            if not frontier:
                return False
        return False

    def _same_place(self, a: int, b: int) -> bool:
        return any(
            pa == pb and (da is None or db is None or abs(da - db) <= AROUND)
            for pa, da in self.visits.get(a, ())
            for pb, db in self.visits.get(b, ())
        )


def kinds_of_people(world: Path) -> pd.Series:
    people = pd.read_csv(world / "truth" / "people.csv", usecols=["person_id", "kind", "is_hotel_staff"])
    kind = people["kind"].where(people["is_hotel_staff"] == 0, "hotel staff").str.replace("_", " ")
    return pd.Series(kind.to_numpy(), index=people["person_id"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1, help="synthetic world seed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        frame = read_frame(synthetic(args.records, Path(tmp), args.seed))
        found = run_joindots(frame)
        scores = pairwise_scores(found, frame, Path(tmp) / "truth.csv")
        context = pickle.loads(Path(frame.attrs["context"]).read_bytes())
        kinds = kinds_of_people(Path(tmp) / "world")
    frame = frame.merge(found, on="unique_id")
    missed = missed_pairs(pieces(frame))
    evidence = Evidence(frame, context)
    missed["evidence"] = [
        evidence.between(a, b) for a, b in zip(missed["cluster_id_a"], missed["cluster_id_b"], strict=True)
    ]
    missed["person"] = missed["truth"].map(kinds)
    print(f"synthetic world (seed {args.seed}), {len(frame):,} records")
    print(f"precision {scores['precision']:.5f}, recall {scores['recall']:.5f}, F1 {scores['f1']:.5f}")
    print(f"true pairs {scores['pairs_true']:,}, missed {int(missed['pairs'].sum()):,}\n")
    for columns in ("shapes", "person"):
        table = missed.pivot_table(
            index="evidence", columns=columns, values="pairs", aggfunc="sum", fill_value=0, margins=True
        )
        print(table.to_string(), "\n")
    found_true = scores["recall"] * scores["pairs_true"]
    with_evidence = int(missed.loc[missed["evidence"] != "names only", "pairs"].sum())
    recall = (found_true + with_evidence) / scores["pairs_true"]
    precision = scores["precision"]
    f1 = 2 * precision * recall / (precision + recall)
    print(
        f"every missed pair with shared evidence joined ({with_evidence:,} pairs), no false pair added: "
        f"recall {recall:.5f}, F1 {f1:.5f} at precision {precision:.5f}"
    )
    suggested = found.attrs.get("suggested")
    if suggested is not None and len(suggested):
        review(suggested, frame, scores)


def review(suggested: pd.DataFrame, frame: pd.DataFrame, scores: dict) -> None:
    """The context step's suggestions for match review: how many, how often right by band, and the
    scores if an analyst confirmed the right ones (their two persons joined)."""
    truth = dict(zip(frame["unique_id"].astype(int), frame["truth"], strict=True))
    cluster = dict(zip(frame["unique_id"].astype(int), frame["cluster_id"].astype(int), strict=True))
    pairs = list(zip(suggested["record_l"].astype(int), suggested["record_r"].astype(int), strict=True))
    right = [truth[a] == truth[b] for a, b in pairs]
    bands = pd.cut(suggested["match_probability"], [0.5, 0.6, 0.7, 0.8, 0.9], right=False)
    table = pd.Series(right).groupby(bands.to_numpy(), observed=True).agg(["size", "sum"])
    print(f"\nsuggested by context for match review: {len(right):,} pairs, {sum(right):,} right")
    print(table.rename(columns={"size": "pairs", "sum": "right"}).to_string())
    joined = cluster_records(
        sorted(set(cluster.values())),
        [(cluster[a], cluster[b], 1.0) for (a, b), ok in zip(pairs, right, strict=True) if ok],
        0.5,
    )
    after = frame.assign(cluster_id=frame["cluster_id"].astype(int).map(joined))
    precision, recall = pair_counts(after, scores["pairs_true"])
    f1 = 2 * precision * recall / (precision + recall)
    print(
        f"had an analyst confirmed the right ones: precision {precision:.5f}, recall {recall:.5f}, F1 {f1:.5f}"
    )


def pair_counts(frame: pd.DataFrame, pairs_true: int) -> tuple[float, float]:
    """Pairwise precision and recall of the frame's clusters against its truth."""
    both = frame.groupby(["cluster_id", "truth"]).size()
    right = int((both * (both - 1) // 2).sum())
    sizes = frame.groupby("cluster_id").size()
    found = int((sizes * (sizes - 1) // 2).sum())
    return right / found, right / pairs_true


if __name__ == "__main__":
    main()
