"""How long the synthetic world takes to make, and how big it is.

    .venv/bin/python benchmarks/synth.py [--people 1000000] [--seed 1]

Prints wall time, peak memory (max RSS of this process) and the records per source. The issue's goal:
1,000,000 people in a few minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import pandas as pd

from joindots.synth import generate_world


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        generate_world(tmp, args.people, args.seed)
        seconds = time.perf_counter() - started
        records = pd.read_csv(Path(tmp) / "truth" / "records.csv", usecols=["source"])
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"synth: {args.people:,} people in {seconds:.1f} s, peak memory {peak_gib:.2f} GiB")
    print(f"person records: {len(records):,} ({len(records) / seconds:,.0f} per second)")
    for source, count in records["source"].value_counts().sort_index().items():
        print(f"  {source:<14} {count:>10,}")


if __name__ == "__main__":
    main()
