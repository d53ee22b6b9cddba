"""Disclosure control: no published cell below the threshold, and no suppressed value can be worked
out by subtraction - within a table or across two releases. The attacker here is independent of the
protector's own check: it solves for each suppressed cell by linear programming (min and max subject
to every published line total and non-negative counts)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, note, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from joindots.stats.disclosure import TOTAL, C, Grid, Release, protect, recoverable


@st.composite
def grids(draw: st.DrawFn, max_rows: int = 4, max_cols: int = 4) -> Grid:
    n_rows = draw(st.integers(1, max_rows))
    n_cols = draw(st.integers(1, max_cols))
    rows = tuple(f"r{i}" for i in range(n_rows))
    cols = tuple(f"c{j}" for j in range(n_cols))
    values = st.one_of(st.integers(0, 6), st.integers(0, 40))
    counts = {(r, c): draw(values) for r in rows for c in cols}
    return Grid(rows, cols, counts)


def attack(releases: list[Release]) -> list[tuple[int, tuple[str, str]]]:
    """Bounds on every secret value (suppressed, and published in no release) from the published
    ones by linear programming; equal lower and upper bounds mean the value is recovered.

    Variables are shared between releases where the key and the value are the same (the attacker
    assumes unchanged cells), as in the strongest difference attack."""
    ids: dict[tuple[tuple[str, str], int], int] = {}
    known: dict[int, int] = {}
    lines = []
    for rel in releases:
        for line in rel.grid.lines():
            vs = []
            for key in line:
                value = rel.grid.value(key) or 0
                var = ids.setdefault((key, value), len(ids))
                vs.append(var)
                if key not in rel.suppressed:
                    known[var] = value
            lines.append(vs)
    n = len(ids)
    a_eq, b_eq = [], []
    for vs in lines:
        row = np.zeros(n)
        for sign, var in zip([1] * (len(vs) - 1) + [-1], vs, strict=True):
            row[var] += sign
        a_eq.append(row)
        b_eq.append(0.0)
    for var, value in known.items():
        row = np.zeros(n)
        row[var] = 1
        a_eq.append(row)
        b_eq.append(value)
    found = []
    for index, rel in enumerate(releases):
        for key in rel.suppressed:
            var = ids[(key, rel.grid.value(key) or 0)]
            if var in known:  # published in some release: public, not a secret to recover
                continue
            c = np.zeros(n)
            c[var] = 1
            lo = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
            hi = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
            if lo.status == 0 and hi.status == 0 and abs(lo.fun + hi.fun) < 1e-6:
                found.append((index, key))
    return found


@settings(max_examples=40, deadline=None)
@given(grids(), st.integers(1, 5))
def test_no_published_cell_below_threshold(grid: Grid, threshold: int) -> None:
    out = protect(grid, threshold)
    for key, value in out.published().items():
        if isinstance(value, int):
            assert not 1 <= value <= threshold, (key, value)
        else:
            assert value == C
            assert key in out.suppressed


@settings(max_examples=40, deadline=None)
@given(grids(), st.integers(1, 5))
def test_suppressed_cells_cannot_be_recovered_from_totals(grid: Grid, threshold: int) -> None:
    out = protect(grid, threshold)
    released = [out.release()]
    assert attack(released) == []
    assert recoverable(released) == []


@settings(max_examples=40, deadline=None)
@given(grids(max_rows=3, max_cols=3), st.data())
def test_second_release_cannot_reveal_first_by_difference(grid: Grid, data: st.DataObject) -> None:
    first = protect(grid, 4).release()
    changed = data.draw(st.sets(st.sampled_from(sorted(grid.counts)), max_size=len(grid.counts)))
    bumps = {k: data.draw(st.integers(0, 30)) for k in changed}
    later = Grid(grid.rows, grid.cols, {**grid.counts, **bumps})
    second = protect(later, 4, history=[first]).release()
    note(f"{grid.counts} -> {later.counts}; {sorted(first.suppressed)} {sorted(second.suppressed)}")
    assert attack([first, second]) == []


def test_a_lone_small_cell_takes_its_row_and_column_partners_with_it() -> None:
    grid = Grid(("a", "b"), ("x", "y"), {("a", "x"): 2, ("a", "y"): 10, ("b", "x"): 12, ("b", "y"): 20})
    out = protect(grid, 4)
    shown = out.published()
    assert shown[("a", "x")] == C
    assert sum(1 for k in grid.cells() if k[0] == "a" and shown[k] == C) >= 2
    assert sum(1 for k in grid.cells() if k[1] == "x" and shown[k] == C) >= 2
    assert shown[(TOTAL, TOTAL)] == 44


def test_publishing_a_previously_hidden_unchanged_cell_is_refused() -> None:
    grid = Grid(("a", "b"), ("x", "y"), {("a", "x"): 2, ("a", "y"): 10, ("b", "x"): 12, ("b", "y"): 20})
    first = protect(grid, 4).release()
    # a naive second release that hides only the small cell's partners differently
    naive = Release(grid, frozenset({("a", "x"), ("a", TOTAL)}))
    assert attack([first, naive])  # the attack works on a naive release...
    second = protect(grid, 4, history=[first]).release()
    assert attack([first, second]) == []  # ...and fails on a protected one
    assert first.suppressed <= second.suppressed


def test_not_available_cells_are_shown_as_x() -> None:
    grid = Grid(("a",), ("x", "y"), {("a", "x"): None, ("a", "y"): 30})
    assert protect(grid, 4).published()[("a", "x")] == "[x]"


def test_rounded_totals_are_multiples_of_the_base() -> None:
    grid = Grid(("a", "b"), ("x",), {("a", "x"): 23, ("b", "x"): 31})
    shown = protect(grid, 4, round_totals=5).published()
    assert shown[(TOTAL, "x")] == 55 and shown[("a", TOTAL)] == 25
    assert shown[("a", "x")] == 23
