"""Disclosure control for published two-way tables: pure functions, no I/O.

A table is a grid of counts with row totals, column totals and a grand total (the "extended" table,
where every line - body cells plus its total - adds up). Counts from 1 to the threshold are
suppressed as `[c]` (primary suppression). Then more cells are suppressed (secondary suppression)
until every suppressed value is protected from an attacker who knows every published value of this
and every earlier release of the same table, that counts are never negative, that a rounded total
lies within half a rounding base of the true total, what each stated share ("about 35% of suspects")
allows, and who assumes a cell with the same key kept its value between releases (we identify such
cells by their true value, the strongest assumption they could make).

The attacker's knowledge is a set of linear constraints; the protector bounds each suppressed value
by linear programming (its minimum and maximum over everything the constraints allow). A suppressed
value is protected when it is not pinned (minimum < maximum) and, for a primary cell, when the
published figures leave it both below and above the threshold (minimum < threshold < maximum): they
must not show that it is small, and an attacker who guesses that it is primary (1 to threshold) must
still be left with at least two values. A zero may be pinned: zeros are published as they are.

Shorthand: `[c]` confidential, `[x]` not available, `[z]` not applicable.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from collections.abc import Mapping as MappingType
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linprog

C, X, Z = "[c]", "[x]", "[z]"
TOTAL = "Total"
Key = tuple[str, str]
Published = int | str
Slot = tuple[int, Key]  # (release index, key)
_EPS = 1e-6


@dataclass(frozen=True)
class Grid:
    """Counts by (row, column); None means not available ([x]). Totals are computed, never given."""

    rows: tuple[str, ...]
    cols: tuple[str, ...]
    counts: MappingType[Key, int | None]

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
class Share:
    """A share stated beside a table: `part` as a percentage of `whole`, rounded half up to a
    multiple of `step` ("about 35%")."""

    part: Key
    whole: Key
    step: int = 5

    def percent(self, grid: Grid) -> int | None:
        """The stated percentage, in integer arithmetic (half up, never banker's rounding)."""
        whole, part = grid.value(self.whole) or 0, grid.value(self.part) or 0
        if whole <= 0:
            return None
        return self.step * ((200 * part + self.step * whole) // (2 * self.step * whole))


@dataclass(frozen=True)
class Release:
    """A table as released: its grid (true values, kept internally), what was suppressed, the base
    its totals were rounded to (None: exact) and the shares stated with it."""

    grid: Grid
    suppressed: frozenset[Key]
    round_totals: int | None = None
    shares: tuple[tuple[Share, int], ...] = ()
    threshold: int | None = None  # the threshold it was made with (None: judged by the check's)


@dataclass
class Protected:
    grid: Grid
    suppressed: set[Key] = field(default_factory=set)
    primary: set[Key] = field(default_factory=set)
    round_totals: int | None = None
    shares: tuple[Share, ...] = ()
    threshold: int | None = None  # the threshold it was protected with

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
                out[key] = round_half_up(value, self.round_totals) if TOTAL in key else value
        return out

    def stated_shares(self) -> dict[Share, int]:
        """The shares that may be stated: those whose part and whole are both published."""
        out = {}
        for share in self.shares:
            percent = share.percent(self.grid)
            if percent is not None and not {share.part, share.whole} & self.suppressed:
                out[share] = percent
        return out

    def release(self) -> Release:
        stated = tuple(self.stated_shares().items())
        return Release(self.grid, frozenset(self.suppressed), self.round_totals, stated, self.threshold)


def round_half_up(value: int, base: int | None) -> int:
    """`value` to the nearest multiple of `base`, halves up (None or 0: unchanged)."""
    if not base:
        return value
    return base * ((2 * value + base) // (2 * base))


def rounding_interval(published: int, base: int) -> tuple[int, int]:
    """The true totals that round (half up) to `published`."""
    return max(0, published - base // 2), published + (base + 1) // 2 - 1


@dataclass
class _System:
    """The attacker's linear system: one variable per (key, true value), shared across releases."""

    ids: dict[tuple[Key, int], int] = field(default_factory=dict)
    a_eq: list[dict[int, float]] = field(default_factory=list)
    a_ub: list[dict[int, float]] = field(default_factory=list)
    b_ub: list[float] = field(default_factory=list)
    low: dict[int, float] = field(default_factory=dict)
    high: dict[int, float] = field(default_factory=dict)
    _arrays: tuple[np.ndarray, np.ndarray, list[tuple[float, float | None]]] | None = None

    def var(self, grid: Grid, key: Key) -> int:
        return self.ids.setdefault((key, grid.value(key) or 0), len(self.ids))

    def know(self, var: int, low: float, high: float) -> None:
        self.low[var] = max(self.low.get(var, 0.0), low)
        self.high[var] = min(self.high.get(var, math.inf), high)

    def add(self, rel: Release) -> None:
        grid = rel.grid
        for line in grid.lines():
            self.a_eq.append({})
            for sign, key in zip([1] * (len(line) - 1) + [-1], line, strict=True):
                var = self.var(grid, key)
                self.a_eq[-1][var] = self.a_eq[-1].get(var, 0.0) + sign
        for key in grid.cells():
            if key in rel.suppressed:
                continue
            value = grid.value(key) or 0
            if TOTAL in key and rel.round_totals:
                self.know(
                    self.var(grid, key),
                    *rounding_interval(round_half_up(value, rel.round_totals), rel.round_totals),
                )
            else:
                self.know(self.var(grid, key), value, value)
        for share, percent in rel.shares:
            part, whole = self.var(grid, share.part), self.var(grid, share.whole)
            # percent - step/2 <= 100 part / whole < percent + step/2, in integers
            self.a_ub.append({whole: 2 * percent - share.step, part: -200.0})
            self.b_ub.append(0.0)
            self.a_ub.append({part: 200.0, whole: -(2 * percent + share.step)})
            self.b_ub.append(-1.0)

    def known(self, var: int) -> bool:
        return self.low.get(var, 0.0) == self.high.get(var, math.inf)

    def bounds(self, var: int) -> tuple[int, float]:
        """The least and greatest value the published figures allow (inf: no upper bound)."""
        n = len(self.ids)
        if self._arrays is None:
            limits = [(self.low.get(v, 0.0), self.high.get(v)) for v in range(n)]
            self._arrays = (_dense(self.a_eq, n), _dense(self.a_ub, n), limits)
        a_eq, a_ub, limits = self._arrays
        extremes = []
        for sign in (1.0, -1.0):
            cost = np.zeros(n)
            cost[var] = sign
            res = linprog(
                cost,
                A_ub=a_ub if len(self.a_ub) else None,
                b_ub=self.b_ub or None,
                A_eq=a_eq,
                b_eq=np.zeros(len(self.a_eq)),
                bounds=limits,
                method="highs",
            )
            extremes.append(math.inf if res.status == 3 else sign * float(res.fun))
        low, high = extremes
        return math.ceil(low - _EPS), high if high == math.inf else math.floor(high + _EPS)


def _dense(rows: list[dict[int, float]], n: int) -> np.ndarray:
    out = np.zeros((len(rows), n))
    for i, row in enumerate(rows):
        for var, coef in row.items():
            out[i, var] = coef
    return out


def _system(releases: Sequence[Release]) -> _System:
    system = _System()
    for rel in releases:
        system.add(rel)
    return system


def _secrets(releases: Sequence[Release], system: _System) -> list[tuple[Slot, int, int]]:
    """(slot, variable, true value) of every suppressed value published in no release."""
    out = []
    for index, rel in enumerate(releases):
        for key in sorted(rel.suppressed):
            var = system.var(rel.grid, key)
            if not system.known(var):
                out.append(((index, key), var, rel.grid.value(key) or 0))
    return out


def protected_enough(low: float, high: float, value: int, threshold: int) -> bool:
    """Not pinned; and a primary value (1 to threshold) could be below and above the threshold. A
    zero may be pinned: zeros are published as they are, so knowing one reveals nothing protected."""
    if value == 0:
        return True
    if low >= high:
        return False
    return not 1 <= value <= threshold or low < threshold < high


def intervals(releases: Sequence[Release]) -> dict[Slot, tuple[int, float]]:
    """The attacker's bounds on every secret value (see module doc)."""
    system = _system(releases)
    return {slot: system.bounds(var) for slot, var, _ in _secrets(releases, system)}


def exposed(releases: Sequence[Release], threshold: int, skip: Collection[int] = ()) -> list[Slot]:
    """Suppressed values that are not protected enough; `skip` holds variables not to judge."""
    return [slot for slot, _ in _exposures(releases, threshold, skip)]


def _exposures(
    releases: Sequence[Release], threshold: int, skip: Collection[int], first_only: bool = False
) -> list[tuple[Slot, int]]:
    """Each secret value judged by the strictest threshold of the releases that hid it (a release
    made with threshold 4 keeps its 3s protected as small after the setting is lowered to 2)."""
    system = _system(releases)
    judged: dict[int, tuple[Slot, int, int]] = {}  # variable -> its first slot, value, threshold
    for slot, var, value in _secrets(releases, system):
        if var in skip:
            continue
        own = releases[slot[0]].threshold or threshold
        first, _, strictest = judged.get(var, (slot, value, own))
        judged[var] = (first, value, max(strictest, own))
    out: list[tuple[Slot, int]] = []
    for var, (slot, value, strictest) in judged.items():
        if not protected_enough(*system.bounds(var), value, strictest):
            out.append((slot, var))
            if first_only:
                break
    return out


def primary_cells(grid: Grid, threshold: int) -> set[Key]:
    """Cells and totals from 1 to `threshold`: each could identify someone."""
    return {k for k in grid.cells() if (v := grid.value(k)) is not None and 1 <= v <= threshold}


def protect(
    grid: Grid,
    threshold: int,
    history: Iterable[Release] = (),
    round_totals: int | None = None,
    shares: Sequence[Share] = (),
    last_resort: Collection[str] = (),
) -> Protected:
    """Suppress primary cells, then more, until every suppressed value is protected (module doc).

    `history` holds earlier releases of the same table; cells suppressed there keep being protected
    (a value an earlier release already gave away is not this release's to protect). Cells in a row
    or column named in `last_resort` (e.g. "Not recorded") are the last choice for secondary
    suppression.
    """
    earlier = list(history)
    out = Protected(
        grid, primary=primary_cells(grid, threshold), round_totals=round_totals, threshold=threshold
    )
    out.shares = tuple(shares)
    out.suppressed = set(out.primary) | _still_hidden(grid, earlier)
    given_away = {var for _, var in _exposures(earlier, threshold, ())}
    while True:
        leaks = _exposures([*earlier, out.release()], threshold, given_away, first_only=True)
        if not leaks:
            return out
        extra = _next_cell(out, leaks[0][0][1], frozenset(last_resort))
        if extra is None:
            return out
        out.suppressed.add(extra)


def _still_hidden(grid: Grid, earlier: Sequence[Release]) -> set[Key]:
    """Keys suppressed in an earlier release whose value has not changed stay suppressed."""
    keep = set()
    cells = set(grid.cells())
    for rel in earlier:
        for key in rel.suppressed:
            if key in cells and rel.grid.value(key) == grid.value(key):
                keep.add(key)
    return keep


def _pinned_zero(grid: Grid, key: Key) -> bool:
    """A zero known to be zero whatever is hidden (counts are never negative): a body cell in a line
    whose total is zero, or a total in a table whose grand total is zero. Hiding it protects nothing."""
    if grid.value(key) != 0:
        return False
    if TOTAL in key:
        return grid.value((TOTAL, TOTAL)) == 0
    return grid.value((key[0], TOTAL)) == 0 or grid.value((TOTAL, key[1])) == 0


def _next_cell(out: Protected, leak: Key, last_resort: frozenset[str]) -> Key | None:
    """The cheapest further cell to suppress: in a line through the leaking key, or else through a
    suppressed cell on its lines; body cells before totals, body cells of a last-resort row or column
    after everything else, then the smallest positive count first."""
    grid = out.grid
    open_keys = [k for k in grid.cells() if k not in out.suppressed and not _pinned_zero(grid, k)]
    if not open_keys:
        return None
    partners = [k for k in out.suppressed if k[0] == leak[0] or k[1] == leak[1]]
    rows, cols = {k[0] for k in (leak, *partners)}, {k[1] for k in (leak, *partners)}

    def cost(key: Key) -> tuple[bool, bool, bool, bool, int]:
        value = grid.value(key) or 0
        kept = TOTAL not in key and bool(set(key) & last_resort)
        far = key[0] != leak[0] and key[1] != leak[1]
        return (kept, TOTAL in key, far, value == 0, value)

    near = [k for k in open_keys if k[0] in rows or k[1] in cols]
    return min(near or open_keys, key=cost)
