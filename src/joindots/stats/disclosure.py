"""Disclosure control for published two-way tables: pure functions, no I/O.

A table is a grid of counts with row totals, column totals and a grand total (the "extended" table,
where every line - body cells plus its total - adds up). Counts from 1 to the threshold are
suppressed as `[c]` (primary suppression). Then more cells are suppressed (secondary suppression)
until no suppressed value can be worked out exactly from the published values by adding and
subtracting - within this table and together with every earlier release of the same table. The
attacker we defend against knows every published value of every release and assumes a cell with the
same key kept its value between releases (we identify such cells by their true value, which is the
strongest assumption they could make). The check is exact linear algebra (a suppressed value is
recoverable iff its unit vector lies in the row space of the line equations once the published values
are substituted), so it also catches patterns the "two per line" rule of thumb misses.

Shorthand: `[c]` confidential, `[x]` not available, `[z]` not applicable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

C, X, Z = "[c]", "[x]", "[z]"
TOTAL = "Total"
Key = tuple[str, str]
Published = int | str


@dataclass(frozen=True)
class Grid:
    """Counts by (row, column); None means not available ([x]). Totals are computed, never given."""

    rows: tuple[str, ...]
    cols: tuple[str, ...]
    counts: Mapping[Key, int | None]

    def value(self, key: Key) -> int | None:
        """The true value of a body cell or a total (a total over missing cells counts them as 0)."""
        r, c = key
        if r != TOTAL and c != TOTAL:
            return self.counts.get(key, 0)
        rows = self.rows if r == TOTAL else (r,)
        cols = self.cols if c == TOTAL else (c,)
        return sum(self.counts.get((i, j)) or 0 for i in rows for j in cols)

    def cells(self) -> list[Key]:
        return [(r, c) for r in (*self.rows, TOTAL) for c in (*self.cols, TOTAL)]

    def lines(self) -> list[list[Key]]:
        """Each line of the extended table: its body cells then its total last."""
        rows, cols = (*self.rows, TOTAL), (*self.cols, TOTAL)
        by_row = [[(r, c) for c in cols] for r in rows]
        by_col = [[(r, c) for r in rows] for c in cols]
        return by_row + by_col


@dataclass(frozen=True)
class Release:
    """A table as released: its grid (true values, kept internally) and what was suppressed."""

    grid: Grid
    suppressed: frozenset[Key]


@dataclass
class Protected:
    grid: Grid
    suppressed: set[Key] = field(default_factory=set)
    primary: set[Key] = field(default_factory=set)
    round_totals: int | None = None

    def published(self) -> dict[Key, Published]:
        """What may be printed, cell by cell: a number, `[c]` or `[x]`."""
        out: dict[Key, Published] = {}
        for key in self.grid.cells():
            if key in self.suppressed:
                out[key] = C
            elif TOTAL not in key and self.grid.counts.get(key, 0) is None:
                out[key] = X
            else:
                value = self.grid.value(key) or 0
                out[key] = _round(value, self.round_totals) if TOTAL in key else value
        return out

    def release(self) -> Release:
        return Release(self.grid, frozenset(self.suppressed))


def _round(value: int, base: int | None) -> int:
    if not base:
        return value
    return int(base * np.floor(value / base + 0.5))


def _variables(releases: Sequence[Release], round_totals: bool) -> tuple[list[list[int]], set[int]]:
    """Line equations over shared variables, and the variables whose value is published somewhere.

    A variable is (key, true value): the same key with the same value in two releases is assumed to
    be the same number. Rounded totals are not exact, so they count as unknown.
    """
    ids: dict[tuple[Key, int], int] = {}
    equations: list[list[int]] = []
    known: set[int] = set()
    for rel in releases:
        grid = rel.grid
        for line in grid.lines():
            eq = []
            for key in line:
                var = ids.setdefault((key, grid.value(key) or 0), len(ids))
                eq.append(var)
                hidden = key in rel.suppressed or (round_totals and TOTAL in key)
                if not hidden:
                    known.add(var)
            equations.append(eq)
    return equations, known


def recoverable(releases: Sequence[Release], round_totals: bool = False) -> list[tuple[int, Key]]:
    """(release index, key) of every suppressed value that the published values determine exactly."""
    equations, known = _variables(releases, round_totals)
    n = 1 + max((v for eq in equations for v in eq), default=-1)
    unknown = [v for v in range(n) if v not in known]
    if not unknown:
        return []
    col = {v: i for i, v in enumerate(unknown)}
    matrix = np.zeros((len(equations), len(unknown)))
    for row, eq in enumerate(equations):
        for sign, var in zip([1] * (len(eq) - 1) + [-1], eq, strict=True):
            if var in col:
                matrix[row, col[var]] += sign
    determined = _determined(matrix)
    ids = _variable_ids(releases)
    found = []
    for index, rel in enumerate(releases):
        for key in sorted(rel.suppressed):
            var = ids[(key, rel.grid.value(key) or 0)]
            if var in col and determined[col[var]]:
                found.append((index, key))
    return found


def _variable_ids(releases: Sequence[Release]) -> dict[tuple[Key, int], int]:
    ids: dict[tuple[Key, int], int] = {}
    for rel in releases:
        for line in rel.grid.lines():
            for key in line:
                ids.setdefault((key, rel.grid.value(key) or 0), len(ids))
    return ids


def _determined(matrix: np.ndarray) -> np.ndarray:
    """For each unknown: is its unit vector in the row space of `matrix`? (i.e. in null(A)^perp)."""
    if matrix.size == 0:
        return np.zeros(matrix.shape[1], dtype=bool)
    _, s, vt = np.linalg.svd(matrix)
    rank = int((s > 1e-9).sum())
    null = vt[rank:]
    if null.shape[0] == 0:
        return np.ones(matrix.shape[1], dtype=bool)
    return np.asarray(np.abs(null).max(axis=0) < 1e-9)


def primary_cells(grid: Grid, threshold: int) -> set[Key]:
    """Cells and totals from 1 to `threshold`: each could identify someone."""
    return {k for k in grid.cells() if (v := grid.value(k)) is not None and 1 <= v <= threshold}


def protect(
    grid: Grid,
    threshold: int,
    history: Iterable[Release] = (),
    round_totals: int | None = None,
) -> Protected:
    """Suppress primary cells, then more, until nothing suppressed can be recovered (see module doc).

    `history` holds earlier releases of the same table; cells suppressed there keep being protected.
    """
    earlier = list(history)
    out = Protected(grid, primary=primary_cells(grid, threshold), round_totals=round_totals)
    out.suppressed = set(out.primary)
    out.suppressed |= _still_hidden(grid, earlier)
    while True:
        leaks = recoverable([*earlier, out.release()], bool(round_totals))
        if not leaks:
            return out
        extra = _next_cell(out, leaks[0][1])
        if extra is None:
            return out
        out.suppressed.add(extra)


def _still_hidden(grid: Grid, earlier: Sequence[Release]) -> set[Key]:
    """Keys suppressed in an earlier release whose value has not changed stay suppressed."""
    keep = set()
    for rel in earlier:
        for key in rel.suppressed:
            if key in set(grid.cells()) and rel.grid.value(key) == grid.value(key):
                keep.add(key)
    return keep


def _pinned_zero(grid: Grid, key: Key) -> bool:
    """A zero in a line whose total is zero is known to be zero (counts are never negative):
    hiding it protects nothing."""
    return grid.value(key) == 0 and (grid.value((key[0], TOTAL)) == 0 or grid.value((TOTAL, key[1])) == 0)


def _next_cell(out: Protected, leak: Key) -> Key | None:
    """The cheapest further cell to suppress: in a line through the leaking key if possible,
    the smallest positive count first, body cells before totals."""
    grid = out.grid
    open_keys = [k for k in grid.cells() if k not in out.suppressed and not _pinned_zero(grid, k)]
    if not open_keys:
        return None
    near = [k for k in open_keys if k[0] == leak[0] or k[1] == leak[1]]

    def cost(key: Key) -> tuple[int, int, int]:
        value = grid.value(key) or 0
        return (TOTAL in key, value == 0, value)

    return min(near or open_keys, key=cost)
