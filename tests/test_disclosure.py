"""Disclosure control: no published cell below the threshold, and no suppressed value can be worked
out by subtraction - within a table or across two releases, with exact or rounded totals. The attacker
here is independent of the protector's own check: it reads only what was printed (numbers, [c], the
rounding base) and solves for each suppressed cell by linear programming (min and max subject to
every line adding up, non-negative counts, and each rounded total within half a base of the truth)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from joindots.stats.disclosure import TOTAL, C, Grid, Protected, Release, Share, exposed, intervals, protect


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
            # published in some release, or a true zero (zeros are published as they are): no secret
            if var in known or not rel.grid.value(key):
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
    assert exposed(released, threshold) == []


def test_an_earlier_release_keeps_the_threshold_it_was_made_with() -> None:
    """Release 1 hid every count of 1 to 4; the threshold is then lowered to 2. Release 2 of the
    changed table must not show that release 1's hidden 1 was small by its own threshold (at most 4),
    as it would if release 1 were judged by today's threshold: then row a's total, 4, is printed."""
    grid = Grid(("a", "b"), ("x", "y"), {("a", "x"): 2, ("a", "y"): 1, ("b", "x"): 4, ("b", "y"): 3})
    first = protect(grid, 4).release()
    assert first.threshold == 4 and ("a", "y") in first.suppressed
    later = Grid(grid.rows, grid.cols, {("a", "x"): 3, ("a", "y"): 1, ("b", "x"): 5, ("b", "y"): 3})
    judged_today = protect(later, 2, history=[dataclasses.replace(first, threshold=None)])
    assert judged_today.published()[("a", TOTAL)] == 4
    assert exposed([first, judged_today.release()], 2) == [(0, ("a", "y"))]
    second = protect(later, 2, history=[first])
    assert second.published()[("a", TOTAL)] == C
    assert exposed([first, second.release()], 2) == []


def test_a_zero_hidden_beside_its_published_copy_is_no_secret() -> None:
    """Found by the difference test: a one-row table whose small cell became 0 publishes it as 0 the
    second time, while its column total (the same 0) stays hidden as before. Nothing is revealed."""
    grid = Grid(("r0",), ("c0", "c1"), {("r0", "c0"): 1, ("r0", "c1"): 5})
    first = protect(grid, 4).release()
    later = Grid(grid.rows, grid.cols, {("r0", "c0"): 0, ("r0", "c1"): 5})
    second = protect(later, 4, history=[first]).release()
    assert second.grid.value((TOTAL, "c0")) == 0 and (TOTAL, "c0") in second.suppressed
    assert attack([first, second]) == [] and exposed([first, second], 4) == []


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


def printed_bounds(out: Protected, threshold: int) -> dict[tuple[str, str], tuple[float, float]]:
    """What an outsider can prove about each suppressed cell from the printed table alone: the
    numbers and [c] as printed, the rounding base, and that counts are never negative. Rounded
    totals are intervals (half up: a printed 15 with base 5 is 13 to 17)."""
    shown = out.published()
    cells = out.grid.cells()
    var = {key: i for i, key in enumerate(cells)}
    base = out.round_totals or 0
    bounds: list[tuple[float, float | None]] = []
    for key in cells:
        value = shown[key]
        if value == C:
            bounds.append((0, None))
        elif TOTAL in key and base:
            assert isinstance(value, int)
            bounds.append((max(0, value - base / 2), value + base / 2 - 0.5))
        else:
            bounds.append((value, value))  # type: ignore[arg-type]
    a_eq = []
    for line in out.grid.lines():
        row = np.zeros(len(cells))
        for sign, key in zip([1] * (len(line) - 1) + [-1], line, strict=True):
            row[var[key]] += sign
        a_eq.append(row)
    found = {}
    for key in out.suppressed:
        c = np.zeros(len(cells))
        c[var[key]] = 1
        lo = linprog(c, A_eq=a_eq, b_eq=np.zeros(len(a_eq)), bounds=bounds, method="highs")
        hi = linprog(-c, A_eq=a_eq, b_eq=np.zeros(len(a_eq)), bounds=bounds, method="highs")
        found[key] = (np.ceil(lo.fun - 1e-6), np.inf if hi.status == 3 else np.floor(-hi.fun + 1e-6))
    return found


@settings(max_examples=60, deadline=None)
@given(grids(max_rows=3, max_cols=3), st.integers(1, 5), st.sampled_from([None, 3, 5, 10]))
def test_no_small_count_is_pinned_by_exact_or_rounded_totals(
    grid: Grid, threshold: int, base: int | None
) -> None:
    """The data team publishes with or without rounded totals; for every suppressed cell from 1 to
    the threshold, what the printed table proves leaves it both below and above the threshold, and
    no suppressed cell but a zero (zeros are published as they are) is pinned to one value."""
    out = protect(grid, threshold, round_totals=base)
    found = printed_bounds(out, threshold)
    note(f"{grid.counts} base={base} suppressed={sorted(out.suppressed)} bounds={found}")
    for key, (lo, hi) in found.items():
        assert lo < hi or not grid.value(key), key
        if 1 <= (grid.value(key) or 0) <= threshold:
            assert lo < threshold < hi, (key, lo, hi)


def test_audit_case_rounded_totals_no_longer_give_back_the_small_cell() -> None:
    """The audit's table: r1 = 9 and 4, r2 = 20 and 20, totals rounded to 5. Hiding only the 4 prints
    r1 total 15 and column y total 25: the row says y is 4 to 8, the column 3 to 7, and a lone [c]
    must be a small count, so y = 4. Now a second cell goes with it and y stays open."""
    grid = Grid(("r1", "r2"), ("x", "y"), {("r1", "x"): 9, ("r1", "y"): 4, ("r2", "x"): 20, ("r2", "y"): 20})
    naive = Release(grid, frozenset({("r1", "y")}), round_totals=5)
    assert intervals([naive])[(0, ("r1", "y"))] == (4, 7)
    assert exposed([naive], 4) == [(0, ("r1", "y"))]
    out = protect(grid, 4, round_totals=5)
    assert len(out.suppressed) >= 2
    lo, hi = printed_bounds(out, 4)[("r1", "y")]
    assert lo < 4 < hi


def test_a_stated_share_counts_among_what_the_attacker_knows() -> None:
    """A stated share ("about 40% of suspects") is published only with its count and total, and is
    part of the check: with a rounded total it narrows the total, so it may cost extra suppression,
    never a recovered cell."""
    grid = Grid(
        ("a", "b", "Not recorded"),
        ("Suspects", "Victims"),
        {
            ("a", "Suspects"): 3,
            ("a", "Victims"): 12,
            ("b", "Suspects"): 30,
            ("b", "Victims"): 9,
            ("Not recorded", "Suspects"): 26,
            ("Not recorded", "Victims"): 14,
        },
    )
    shares = [Share(("Not recorded", w), (TOTAL, w)) for w in grid.cols]
    out = protect(grid, 4, round_totals=5, shares=shares, last_resort=("Not recorded",))
    stated = out.stated_shares()
    assert stated[shares[0]] == 45  # 26 of 59 = 44.07%: nearest 5% is 45
    assert ("Not recorded", "Suspects") not in out.suppressed  # the completeness figure is kept
    assert exposed([out.release()], 4) == []


@pytest.mark.parametrize(("part", "whole", "percent"), [(25, 100, 25), (1, 40, 5), (3, 40, 10), (26, 68, 40)])
def test_shares_round_half_up_not_to_even(part: int, whole: int, percent: int) -> None:
    """2.5% and 7.5% go up (Python's round() would give 0 and 10 for 0.5 and 1.5 steps)."""
    grid = Grid(("n", "Not recorded"), ("x",), {("n", "x"): whole - part, ("Not recorded", "x"): part})
    assert Share(("Not recorded", "x"), (TOTAL, "x")).percent(grid) == percent
