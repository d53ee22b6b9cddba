"""The saved Splink model, mirrored in numpy: a warm candidate index and a scorer for one new record.

Everything is read from the model JSON through Splink's own settings objects: the blocking rules that
generate candidates, each comparison level's SQL condition, its match weight (m/u, defaults and clamps
as Splink applies them) and its term-frequency adjustment. The SQL conditions are compiled into numpy
operations over the candidates; a condition the compiler does not know raises `Unsupported`, and the
caller scores with Splink instead. Scores agree with Splink's `predict_between` (new record on the
left, existing records on the right) to floating-point rounding: tests/test_link_instant.py proves it.

Ethnicity and nationality are not in the linkage frame, so they cannot reach this index either.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import sqlglot
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler, Levenshtein
from rapidfuzz.process import cpdist
from splink import SettingsCreator
from splink.internals.blocking import ExplodingBlockingRule
from splink.internals.misc import prob_to_match_weight
from sqlglot import exp

from joindots.link.cluster import sorted_distinct
from joindots.link.explain import plain_label
from joindots.link.frame import LIST_COLUMNS

NULL = -1
SHIFT = np.int64(2**31)  # two codes in one int64 key
Side = str  # "l" (the new record) or "r" (the existing records)


def one_of_each(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each key the number of its distinct value, and a position holding each distinct value
    (hashing, not sorting: a quarter of a million keys at a time)."""
    again, distinct = pd.factorize(keys)
    where = np.empty(len(distinct), np.int64)
    where[again] = np.arange(len(keys))  # any of a value's positions will do
    return again, where


class Unsupported(ValueError):
    """A model condition the fast scorer cannot mirror exactly: score with Splink instead."""


def ragged_rows(flat: np.ndarray, bounds: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of a ragged array (row i is flat[bounds[i]:bounds[i + 1]]), flat, and for each value the
    position of its row in `rows`."""
    starts = bounds[rows]
    return ragged_slices(flat, starts, bounds[rows + 1] - starts)


def ragged_slices(flat: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The slices flat[starts[i]:starts[i] + lengths[i]], one after another, and for each value the
    slice it came from."""
    owner = np.repeat(np.arange(len(starts)), lengths)
    at = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths - starts, lengths)
    return flat[at], owner


def is_list_column(values: pd.Series) -> bool:
    for value in values:
        if value is not None and not (isinstance(value, float) and math.isnan(value)):
            return isinstance(value, list | tuple | np.ndarray)
    return False


def frame_list_columns(frame: pd.DataFrame) -> set[str]:
    """The frame's list-valued columns: the linkage frame's lists (LIST_COLUMNS) even where all are
    missing, and any other column whose first value given is a list."""
    return {c for c in frame.columns if c in LIST_COLUMNS or is_list_column(frame[c])}


def _as_set(value: Any) -> frozenset[Any] | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return frozenset(value)


def _as_scalar(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


class Growing:
    """An array taken in a few rows at a time (a report's records) into room kept spare, so a report
    does not copy the million rows before it; `values` is a view of what is filled. The first fill is
    exact (a full run's index never grows); when the room runs out it grows by an eighth of the
    length, so each row is copied a few times at most."""

    def __init__(self, values: np.ndarray):
        self._buffer = self.values = values

    def extend(self, more: np.ndarray, at: int | None = None) -> np.ndarray:
        """`more` written from `at` (the end by default: a slot kept last is written over) on."""
        n, k = len(self.values) if at is None else at, len(more)
        if n + k > len(self._buffer):
            room = max((n + k) // 8, 64) if len(self._buffer) else 0
            bigger = np.empty(n + k + room, dtype=self._buffer.dtype)
            bigger[:n] = self.values[:n]
            self._buffer = bigger
        self._buffer[n : n + k] = more
        self.values = self._buffer[: n + k]
        return self.values


class Grown:
    """Named arrays each grown in place (`Growing`); an array set anew elsewhere starts afresh."""

    def __init__(self) -> None:
        self._arrays: dict[str, Growing] = {}

    def extend(self, name: str, current: np.ndarray, more: np.ndarray, at: int | None = None) -> np.ndarray:
        growing = self._arrays.get(name)
        if growing is None or growing.values is not current:
            growing = self._arrays[name] = Growing(current)
        return growing.extend(more, at)


class Columns:
    """The existing records' matching columns, encoded once: scalars as codes into one shared
    vocabulary (so `forename_l = surname_r` compares codes), lists as the codes of their distinct
    elements, all rows' elements in one flat array with each row's offsets into it."""

    def __init__(self, scalar: Iterable[str], lists: Iterable[str]):
        self.scalar, self.lists = sorted(set(scalar)), sorted(set(lists))
        self.vocab: dict[Any, int] = {}
        self.words: list[Any] = []
        self._words_array: np.ndarray = np.empty(0, dtype=object)
        self._texts_array: np.ndarray = np.empty(0, dtype=object)
        self._lengths_array: np.ndarray = np.empty(0, dtype=float)
        self.codes = {c: np.empty(0, dtype=np.int32) for c in self.scalar}
        self.flat = {c: np.empty(0, dtype=np.int32) for c in self.lists}
        self.offsets = {c: np.zeros(1, dtype=np.int64) for c in self.lists}
        self.list_nulls = {c: np.empty(0, dtype=bool) for c in self.lists}
        self.ids = np.empty(0, dtype=np.int64)
        self._grown = Grown()

    def __len__(self) -> int:
        return len(self.ids)

    def _code(self, value: Any) -> int:
        value = _as_scalar(value)
        if value is None:
            return NULL
        code = self.vocab.get(value)
        if code is None:
            if isinstance(value, str):  # a fresh copy: the frame's strings (and their heap) can go
                value = value.encode().decode()
            code = self.vocab[value] = len(self.words)
            self.words.append(value)
        return code

    def _encode(self, values: pd.Series) -> np.ndarray:
        """Codes of a column's values in the shared vocabulary (null -1), vectorized."""
        local, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
        mapping = np.fromiter((self._code(u) for u in uniques), dtype=np.int32, count=len(uniques))
        return np.where(local >= 0, mapping[np.maximum(local, 0)] if len(mapping) else NULL, NULL).astype(
            np.int32
        )

    def append(self, frame: pd.DataFrame) -> None:
        grow = self._grown.extend
        for c in self.scalar:
            self.codes[c] = grow(f"codes {c}", self.codes[c], self._encode(frame[c]))
        for c in self.lists:
            self._append_list(c, frame[c].to_numpy(dtype=object))
        self.ids = grow("ids", self.ids, frame["unique_id"].to_numpy(dtype=np.int64))

    def _append_list(self, column: str, values: np.ndarray) -> None:
        n = len(values)
        nulls = np.fromiter((_as_scalar(v) is None for v in values), dtype=bool, count=n)
        exploded = pd.Series(values, dtype=object).explode()
        exploded = exploded[exploded.notna()]
        codes = self._encode(exploded).astype(np.int64)
        pairs = sorted_distinct(exploded.index.to_numpy(dtype=np.int64) * SHIFT + codes)  # distinct, by row
        rows, codes = pairs // SHIFT, pairs % SHIFT
        lengths = np.bincount(rows, minlength=n)
        offsets, grow = self.offsets[column], self._grown.extend
        self.flat[column] = grow(f"flat {column}", self.flat[column], codes.astype(np.int32))
        self.offsets[column] = grow(f"offsets {column}", offsets, offsets[-1] + np.cumsum(lengths))
        self.list_nulls[column] = grow(f"nulls {column}", self.list_nulls[column], nulls)

    def elements(self, column: str, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The element codes of `rows`, flat, and for each element the position of its row in `rows`."""
        return ragged_rows(self.flat[column], self.offsets[column], rows)

    def strings(self, column: str, rows: np.ndarray) -> np.ndarray:
        self._words()
        return self._words_array[self.codes[column][rows]]

    def texts(self, column: str, rows: np.ndarray) -> list[str]:
        """The values of `rows` (none null) as text, for the string functions."""
        self._words()
        texts: list[str] = self._texts_array[self.codes[column][rows]].tolist()
        return texts

    def lengths(self, column: str, rows: np.ndarray) -> np.ndarray:
        """The length of each row's value as text (0 where null)."""
        self._words()
        return self._lengths_array[self.codes[column][rows]]

    def _words(self) -> None:
        """The vocabulary as arrays, with a last slot for code -1 (null): values, values as text, text
        lengths. Words only grow: the arrays are extended by the new ones."""
        n, have = len(self.words), len(self._words_array) - 1
        if have == n:
            return
        have, grow = max(have, 0), self._grown.extend  # the null slot, last, is written over
        new = self.words[have:]
        texts = [str(w) for w in new]
        self._words_array = grow("words", self._words_array, np.array([*new, None], dtype=object), have)
        self._texts_array = grow("texts", self._texts_array, np.array([*texts, ""], dtype=object), have)
        lengths = np.fromiter(map(len, texts), float, len(texts))
        self._lengths_array = grow("lengths", self._lengths_array, np.append(lengths, 0.0), have)


class Query:
    """One new record (a row of the linkage frame), encoded against the existing records' vocabulary."""

    def __init__(self, row: dict[str, Any], columns: Columns):
        self.row, self.columns = row, columns
        self._unknown: dict[Any, int] = {}

    def value(self, column: str) -> Any:
        return _as_scalar(self.row.get(column))

    def code(self, column: str) -> int:
        value = self.value(column)
        if value is None:
            return NULL
        code = self.columns.vocab.get(value)
        if code is None:  # a value no existing record has: equal only to itself
            code = self._unknown.setdefault(value, -2 - len(self._unknown))
        return code

    def set(self, column: str) -> frozenset[Any] | None:
        return _as_set(self.row.get(column))

    def element_codes(self, column: str) -> np.ndarray:
        """Codes of the list's elements that some existing record has (no other can be shared)."""
        codes = {self.columns.vocab.get(v) for v in self.set(column) or ()}
        return np.array(sorted(c for c in codes if c is not None), dtype=np.int64)


@dataclass
class Pairs:
    """The new record (left) against existing rows `rows` (right)."""

    query: Query
    rows: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)

    def subset(self, at: np.ndarray) -> Pairs:
        return Pairs(self.query, self.rows[at])

    def codes(self, side: Side, column: str) -> np.ndarray:
        if side == "l":
            return np.full(len(self.rows), self.query.code(column), dtype=np.int64)
        return self.query.columns.codes[column][self.rows].astype(np.int64)

    def strings(self, side: Side, column: str) -> np.ndarray:
        if side == "l":
            out = np.empty(len(self.rows), dtype=object)
            out[:] = [self.query.value(column)] * len(self.rows)
            return out
        return self.query.columns.strings(column, self.rows)

    def list_nulls(self, side: Side, column: str) -> np.ndarray:
        if side == "l":
            return np.full(len(self.rows), self.query.set(column) is None)
        return self.query.columns.list_nulls[column][self.rows]

    def texts(self, side: Side, column: str) -> list[str]:
        """Values as text, for pairs where the column is not null."""
        if side == "l":
            return [str(self.query.value(column))] * len(self.rows)
        return self.query.columns.texts(column, self.rows)

    def lengths(self, side: Side, column: str) -> np.ndarray:
        if side == "l":
            value = self.query.value(column)
            return np.full(len(self.rows), 0.0 if value is None else float(len(str(value))))
        return self.query.columns.lengths(column, self.rows)

    def shared(self, left: str, right: str) -> np.ndarray:
        """How many elements the new record's list `left` shares with each row's list `right`."""
        wanted = self.query.element_codes(left)
        if not len(wanted) or not len(self.rows):
            return np.zeros(len(self.rows))
        codes, owner = self.query.columns.elements(right, self.rows)
        return np.bincount(owner, weights=np.isin(codes, wanted), minlength=len(self.rows)).astype(float)


@dataclass
class RowPairs:
    """Index rows against index rows, pair by pair (`left[i]` with `right[i]`): many records' pairs
    scored in one pass of array operations, where `Pairs` scores one record's."""

    columns: Columns
    left: np.ndarray
    right: np.ndarray
    at: np.ndarray | None = None  # these pairs' positions among the pairs first scored (None: all)
    memo: dict[Any, tuple[np.ndarray, np.ndarray]] | None = None  # values worked out for those pairs

    def __len__(self) -> int:
        return len(self.right)

    def subset(self, at: np.ndarray) -> RowPairs:
        memo = {} if self.memo is None else self.memo
        self.memo = memo
        return RowPairs(
            self.columns, self.left[at], self.right[at], at if self.at is None else self.at[at], memo
        )

    def remembered(self, key: Any, work_out: Callable[[RowPairs], np.ndarray]) -> np.ndarray:
        """A value of each pair (a string distance), worked out once for any pair across the levels
        that ask for it (Jaro-Winkler >= 0.92, then >= 0.80, on the same names)."""
        if self.memo is None:
            self.memo = {}
        mine = self.at if self.at is not None else np.arange(len(self))
        size = int(mine.max(initial=-1)) + 1
        values, known = self.memo.get(key, (np.zeros(0), np.zeros(0, bool)))
        if len(values) < size:
            values = np.concatenate([values, np.zeros(size - len(values))])
            known = np.concatenate([known, np.zeros(size - len(known), bool)])
        todo = np.flatnonzero(~known[mine])
        if len(todo):
            values[mine[todo]] = work_out(self.subset(todo))
            known[mine[todo]] = True
        self.memo[key] = (values, known)
        return values[mine]

    def _rows(self, side: Side) -> np.ndarray:
        return self.left if side == "l" else self.right

    def codes(self, side: Side, column: str) -> np.ndarray:
        return self.columns.codes[column][self._rows(side)].astype(np.int64)

    def strings(self, side: Side, column: str) -> np.ndarray:
        return self.columns.strings(column, self._rows(side))

    def list_nulls(self, side: Side, column: str) -> np.ndarray:
        return self.columns.list_nulls[column][self._rows(side)]

    def texts(self, side: Side, column: str) -> list[str]:
        return self.columns.texts(column, self._rows(side))

    def lengths(self, side: Side, column: str) -> np.ndarray:
        return self.columns.lengths(column, self._rows(side))

    def shared(self, left: str, right: str) -> np.ndarray:
        """How many elements each pair's left list `left` shares with its right list `right` (each
        row's elements are distinct, so a pair's shared elements are its equal (pair, code) keys)."""
        a, a_owner = self.columns.elements(left, self.left)
        b, b_owner = self.columns.elements(right, self.right)
        keys = np.concatenate([a_owner.astype(np.int64) * SHIFT + a, b_owner.astype(np.int64) * SHIFT + b])
        keys.sort()
        both = keys[1:][keys[1:] == keys[:-1]]  # a key twice: in the pair's left list and its right
        return np.bincount(both // SHIFT, minlength=len(self.right)).astype(float)


AnyPairs = Pairs | RowPairs
Predicate = Callable[[AnyPairs], np.ndarray]
Value = Callable[[AnyPairs], tuple[np.ndarray, np.ndarray]]  # values, not-null mask


def _is_false(node: exp.Expr | None) -> bool:
    return isinstance(node, exp.Boolean) and not node.this


def _column(node: exp.Expr) -> tuple[Side, str]:
    if not isinstance(node, exp.Column):
        raise Unsupported(f"not a column: {node.sql()}")
    table, name = node.table, node.name
    if table in ("l", "r"):
        return table, name
    if name.endswith(("_l", "_r")):
        return name[-1], name[:-2]
    raise Unsupported(f"column without a side: {node.sql()}")


class Compiler:
    """SQL conditions of a Splink model -> numpy predicates; records which columns they read."""

    def __init__(self, list_columns: set[str]):
        self.list_columns = list_columns
        self.scalar: set[str] = set()
        self.lists: set[str] = set()

    def _use(self, column: str, as_list: bool) -> None:
        if (column in self.list_columns) != as_list:
            raise Unsupported(f"{column}: list and scalar use mixed")
        (self.lists if as_list else self.scalar).add(column)

    def predicate(self, sql: str) -> Predicate:
        return self._predicate(sqlglot.parse_one(sql, read="duckdb"))

    def _predicate(self, node: exp.Expr) -> Predicate:
        if isinstance(node, exp.Paren):
            return self._predicate(node.this)
        if isinstance(node, exp.And | exp.Or):
            a, b = self._predicate(node.this), self._predicate(node.expression)
            if isinstance(node, exp.And):
                return lambda p: a(p) & b(p)
            return lambda p: a(p) | b(p)
        if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
            return self._is_null(node.this)
        if (
            isinstance(node, exp.Case)
            and node.args.get("this") is None
            and _is_false(node.args.get("default"))
        ):
            return self._case([(i.this, i.args["true"]) for i in node.args["ifs"]])
        if isinstance(node, exp.Not) and isinstance(node.this, exp.Is):  # IS NOT NULL: never unknown
            inner = self._predicate(node.this)
            return lambda p: ~inner(p)
        if isinstance(node, exp.EQ) and all(isinstance(x, exp.Column) for x in node.args.values()):
            return self._equal(node.this, node.expression)
        if (
            isinstance(node, exp.EQ)
            and isinstance(node.expression, exp.Literal)
            and node.expression.is_string
        ):
            return self._equal_literal(node.this, node.expression.this)
        compare = _COMPARE.get(type(node))
        if compare is not None and isinstance(node.expression, exp.Literal):
            if node.expression.is_string:
                raise Unsupported(node.sql())
            value, limit = self._value(node.this), float(node.expression.this)
            return lambda p: _compared(value(p), compare, limit)
        raise Unsupported(f"condition: {node.sql()}")

    def _case(self, branches: list[tuple[exp.Expr, exp.Expr]]) -> Predicate:
        """CASE WHEN a THEN x WHEN b THEN y ELSE false END: the first WHEN that holds decides."""
        compiled = [(self._predicate(when), self._predicate(then)) for when, then in branches]

        def case(p: AnyPairs) -> np.ndarray:
            holds = np.zeros(len(p), dtype=bool)
            decided = np.zeros(len(p), dtype=bool)
            for when, then in compiled:
                chosen = when(p) & ~decided
                holds |= chosen & then(p)
                decided |= chosen
            return holds

        return case

    def _is_null(self, node: exp.Expr) -> Predicate:
        side, column = _column(node)
        if column in self.list_columns:
            self._use(column, True)
            return lambda p: p.list_nulls(side, column)
        self._use(column, False)
        return lambda p: p.codes(side, column) == NULL

    def _equal(self, left: exp.Expr, right: exp.Expr) -> Predicate:
        (sa, ca), (sb, cb) = _column(left), _column(right)
        self._use(ca, False)
        self._use(cb, False)

        def equal(p: AnyPairs) -> np.ndarray:
            a = p.codes(sa, ca)
            return (a == p.codes(sb, cb)) & (a != NULL)

        return equal

    def _equal_literal(self, node: exp.Expr, literal: str) -> Predicate:
        side, column = _column(node)
        self._use(column, False)
        return lambda p: p.strings(side, column) == literal

    def _value(self, node: exp.Expr) -> Value:
        if isinstance(node, exp.ArraySize):
            inner = node.this
            if isinstance(inner, exp.Anonymous) and inner.name.lower() == "list_intersect":
                a, b = inner.expressions
                return self._intersect_size(a, b)
            raise Unsupported(node.sql())
        if isinstance(node, exp.Length) and set(node.args) <= {"this"}:
            return self._string_length(node.this)
        if isinstance(node, exp.JarowinklerSimilarity) and set(node.args) <= {"this", "expression"}:
            return self._string_function(node.this, node.expression, JaroWinkler.normalized_similarity)
        if isinstance(node, exp.Levenshtein) and set(node.args) <= {"this", "expression"}:
            return self._string_function(node.this, node.expression, Levenshtein.distance)
        if isinstance(node, exp.Anonymous) and node.name.lower() == "damerau_levenshtein":
            a, b = node.expressions
            return self._string_function(a, b, DamerauLevenshtein.distance)
        raise Unsupported(f"value: {node.sql()}")

    def _string_length(self, node: exp.Expr) -> Value:
        side, column = _column(node)
        self._use(column, False)

        def length(p: AnyPairs) -> tuple[np.ndarray, np.ndarray]:
            return p.lengths(side, column), p.codes(side, column) != NULL

        return length

    def _intersect_size(self, left: exp.Expr, right: exp.Expr) -> Value:
        (sa, ca), (sb, cb) = _column(left), _column(right)
        self._use(ca, True)
        self._use(cb, True)
        if sa == sb:
            raise Unsupported("list_intersect of two columns of the same record")
        query_column, existing_column = (ca, cb) if sa == "l" else (cb, ca)

        def size(p: AnyPairs) -> tuple[np.ndarray, np.ndarray]:
            valid = ~(p.list_nulls(sa, ca) | p.list_nulls(sb, cb))
            sizes = p.shared(query_column, existing_column) if valid.any() else np.zeros(len(p))
            return sizes, valid

        return size

    def _string_function(self, left: exp.Expr, right: exp.Expr, scorer: Any) -> Value:
        """A rapidfuzz scorer, run pairwise in C++ (`cpdist`): its results equal DuckDB's functions
        (the same algorithms; tested against DuckDB on 200k name pairs, no threshold disagreed)."""
        (sa, ca), (sb, cb) = _column(left), _column(right)
        self._use(ca, False)
        self._use(cb, False)

        def value(p: AnyPairs) -> tuple[np.ndarray, np.ndarray]:
            a, b = p.codes(sa, ca), p.codes(sb, cb)
            valid = (a != NULL) & (b != NULL)
            out = np.zeros(len(p))
            at = np.flatnonzero(valid)
            if len(at):
                both = p.subset(at)
                if isinstance(both, RowPairs):
                    out[at] = both.remembered((sa, ca, sb, cb, scorer), distinct_pairs)
                else:
                    out[at] = distinct_pairs(both)
            return out, valid

        def distinct_pairs(p: AnyPairs) -> np.ndarray:
            """The scorer on each distinct pair of values once (equal codes are equal values)."""
            again, where = one_of_each(p.codes(sa, ca) * SHIFT + p.codes(sb, cb))
            both = p.subset(where)
            texts_a, texts_b = both.texts(sa, ca), both.texts(sb, cb)
            return cpdist(texts_a, texts_b, scorer=scorer, dtype=np.float64, workers=1)[again]

        return value


_COMPARE: dict[type, Callable[[np.ndarray, float], np.ndarray]] = {
    exp.GTE: lambda v, x: v >= x,
    exp.GT: lambda v, x: v > x,
    exp.LTE: lambda v, x: v <= x,
    exp.LT: lambda v, x: v < x,
    exp.EQ: lambda v, x: v == x,
}


def _compared(
    value: tuple[np.ndarray, np.ndarray], compare: Callable[[np.ndarray, float], np.ndarray], limit: float
) -> np.ndarray:
    values, valid = value
    return compare(values, limit) & valid


@dataclass
class Level:
    gamma: int
    label: str
    condition: Predicate | None  # None: the ELSE level
    weight: float
    tf_column: str | None
    tf_weight: float
    tf_min_u: float
    tf_log2_u: float


@dataclass
class Comparison:
    name: str
    levels: list[Level]


def _level_label(level: Any) -> str:
    if level.is_null_level:
        return "missing"
    return plain_label(str(level.label_for_charts or level.sql_condition))


def _comparisons(settings: Any, compiler: Compiler) -> list[Comparison]:
    out = []
    for comparison in settings.comparisons:
        levels = []
        for lv in comparison.comparison_levels:
            tf_column, tf_weight, tf_min_u, tf_log2_u = None, 0.0, 0.0, 0.0
            if lv._has_tf_adjustments and lv._tf_adjustment_weight != 0 and not lv.is_null_level:  # noqa: SLF001
                tf_column = lv._tf_adjustment_input_column.unquote().name  # noqa: SLF001
                tf_weight = float(lv._tf_adjustment_weight)  # noqa: SLF001
                tf_min_u = float(lv._tf_minimum_u_value)  # noqa: SLF001
                u = lv._u_probability_corresponding_to_exact_match(comparison.comparison_levels)  # noqa: SLF001
                tf_log2_u = math.log2(u)
            is_else = bool(lv._is_else_level)  # noqa: SLF001
            weight = lv._match_weight  # noqa: SLF001
            if weight is None:
                raise Unsupported(f"{comparison.output_column_name}: a level without m or u")
            levels.append(
                Level(
                    gamma=int(lv.comparison_vector_value),
                    label=_level_label(lv),
                    condition=None if is_else else compiler.predicate(lv.sql_condition),
                    weight=float(weight),
                    tf_column=tf_column,
                    tf_weight=tf_weight,
                    tf_min_u=tf_min_u,
                    tf_log2_u=tf_log2_u,
                )
            )
        out.append(Comparison(comparison.output_column_name, levels))
    return out


@dataclass
class Rule:
    """A blocking rule: equalities `l.a = r.b` (AND-ed; some columns exploded) give the index key, at
    most KEY_COLUMNS of them; any other AND-ed condition (further equalities included) filters the rows
    the key finds."""

    left: list[str]
    right: list[str]
    exploded: set[str]
    filters: list[Predicate]


KEY_COLUMNS = 2  # a key of two vocabulary codes fits an int64 (CodeIndex): a third equality filters


def _terms(node: exp.Expr) -> list[exp.Expr]:
    if isinstance(node, exp.Paren):
        return _terms(node.this)
    if isinstance(node, exp.And):
        return _terms(node.this) + _terms(node.expression)
    return [node]


def _side_equality(node: exp.Expr) -> tuple[tuple[Side, str], tuple[Side, str]] | None:
    if not (isinstance(node, exp.EQ) and all(isinstance(x, exp.Column) for x in node.args.values())):
        return None
    a, b = _column(node.this), _column(node.expression)
    if a[0] == "r" and b[0] == "l":
        a, b = b, a
    return (a, b) if (a[0], b[0]) == ("l", "r") else None


def _rule(blocking_rule: Any, compiler: Compiler) -> Rule:
    sql = blocking_rule.blocking_rule_sql
    exploded = (
        set(blocking_rule.array_columns_to_explode)
        if isinstance(blocking_rule, ExplodingBlockingRule)
        else set()
    )
    left: list[str] = []
    right: list[str] = []
    filters: list[Predicate] = []
    for term in _terms(sqlglot.parse_one(sql, read="duckdb")):
        pair = _side_equality(term)
        if pair is None or (not exploded and len(left) == KEY_COLUMNS):
            filters.append(compiler._predicate(term))
            continue
        (_, a), (_, b) = pair
        lists = {a, b} & compiler.list_columns
        if lists and (a != b or a not in exploded):  # lists are only compared exploded
            raise Unsupported(f"blocking rule: {sql}")
        left.append(a)
        right.append(b)
    if not left:
        raise Unsupported(f"blocking rule without an equality to index: {sql}")
    return Rule(left, right, exploded, filters)


def _keys(values: list[Any], exploded: list[bool]) -> list[Any]:
    """The blocking keys of one record: none if a value is missing; one per element of an exploded list."""
    options: list[list[Any]] = []
    for value, explode in zip(values, exploded, strict=True):
        if explode:
            items = [v for v in (value if value is not None else []) if v is not None]
            options.append(list(dict.fromkeys(items)))
        else:
            value = _as_scalar(value)
            options.append([] if value is None else [value])
    if len(options) == 1:  # one column: the value itself is the key (smaller than a 1-tuple)
        return list(options[0])
    keys: list[Any] = [()]
    for items in options:
        keys = [k + (v,) for k in keys for v in items]
    return keys


def _coded(rule: Rule) -> bool:
    """Rules a CodeIndex serves: one or two scalar equalities, or one exploded list column."""
    if rule.exploded:
        return len(rule.right) == 1 and rule.left == rule.right and rule.right[0] in rule.exploded
    return len(rule.right) <= 2


class CodeIndex:
    """Blocking key -> existing rows, for a rule of one or two scalar equalities: the key is built
    from vocabulary codes (vectorized), kept sorted, and looked up by binary search."""

    def __init__(self, rule: Rule, columns: Columns):
        self.rule, self.columns = rule, columns
        self.keys = np.empty(0, dtype=np.int64)
        self.bounds = np.zeros(1, dtype=np.int64)
        self.rows = np.empty(0, dtype=np.int32)
        self.extra: dict[int, list[int]] = defaultdict(list)

    def _keys(self, start: int) -> tuple[np.ndarray, np.ndarray]:
        if self.rule.exploded:  # one list column: a key per element
            (column,) = self.rule.right
            rows = np.arange(start, len(self.columns))
            codes, owner = self.columns.elements(column, rows)
            return codes.astype(np.int64), rows[owner].astype(np.int32)
        key = np.zeros(len(self.columns) - start, dtype=np.int64)
        valid = np.ones(len(key), dtype=bool)
        for column in self.rule.right:
            codes = self.columns.codes[column][start:]
            valid &= codes != NULL
            key = key * SHIFT + codes
        rows = np.arange(start, len(self.columns), dtype=np.int32)
        return key[valid], rows[valid]

    def build(self, frame: pd.DataFrame) -> None:
        keys, rows = self._keys(0)
        order = np.argsort(keys, kind="stable")
        self.rows, sorted_keys = rows[order], keys[order]
        self.keys, starts = np.unique(sorted_keys, return_index=True)
        self.bounds = np.append(starts, len(sorted_keys)).astype(np.int64)

    def append(self, frame: pd.DataFrame, start: int) -> None:
        keys, rows = self._keys(start)
        for key, row in zip(keys.tolist(), rows.tolist(), strict=True):
            self.extra[key].append(row)

    def candidates(self, query: dict[str, Any]) -> list[np.ndarray]:
        if self.rule.exploded:
            (column,) = self.rule.left
            values = dict.fromkeys(v for v in (_as_set(query.get(column)) or ()) if v in self.columns.vocab)
            return [rows for v in values for rows in self._rows(self.columns.vocab[v])]
        key = 0
        for column in self.rule.left:
            value = _as_scalar(query.get(column))
            code = self.columns.vocab.get(value) if value is not None else None
            if code is None:
                return []
            key = key * int(SHIFT) + code
        return self._rows(key)

    def _rows(self, key: int) -> list[np.ndarray]:
        found = []
        at = int(np.searchsorted(self.keys, key))
        if at < len(self.keys) and self.keys[at] == key:
            found.append(self.rows[self.bounds[at] : self.bounds[at + 1]])
        if key in self.extra:
            found.append(np.asarray(self.extra[key], dtype=np.int32))
        return found


class Index:
    """Blocking key -> existing rows, for one rule: a sorted row array sliced per key, plus rows
    appended since (kept in small lists until the next full warm-up)."""

    def __init__(self, rule: Rule, columns: Columns):
        self.rule = rule
        self.groups: dict[Any, int] = {}  # key -> its rows: rows[bounds[g] : bounds[g + 1]]
        self.bounds = np.zeros(1, dtype=np.int64)
        self.rows = np.empty(0, dtype=np.int32)
        self.extra: dict[Any, list[int]] = defaultdict(list)

    def _record_keys(self, frame: pd.DataFrame, start: int) -> Iterable[tuple[Any, int]]:
        explode = [c in self.rule.exploded for c in self.rule.right]
        columns = [frame[c].tolist() for c in self.rule.right]
        for i, values in enumerate(zip(*columns, strict=True)):
            for key in _keys(list(values), explode):
                yield key, start + i

    def build(self, frame: pd.DataFrame) -> None:
        pairs = list(self._record_keys(frame, 0))
        if not pairs:
            return
        keys = pd.Series([k for k, _ in pairs], dtype=object).to_numpy()
        rows = np.fromiter((r for _, r in pairs), dtype=np.int32, count=len(pairs))
        codes, uniques = pd.factorize(keys, sort=False)
        order = np.argsort(codes, kind="stable")
        self.rows = rows[order]
        self.bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1)).astype(np.int64)
        self.groups = dict(zip(uniques.tolist(), range(len(uniques)), strict=True))

    def append(self, frame: pd.DataFrame, start: int) -> None:
        for key, row in self._record_keys(frame, start):
            self.extra[key].append(row)

    def candidates(self, query: dict[str, Any]) -> list[np.ndarray]:
        explode = [c in self.rule.exploded for c in self.rule.left]
        found = []
        for key in _keys([query.get(c) for c in self.rule.left], explode):
            group = self.groups.get(key)
            if group is not None:
                found.append(self.rows[self.bounds[group] : self.bounds[group + 1]])
            if key in self.extra:
                found.append(np.asarray(self.extra[key], dtype=np.int32))
        return found


@dataclass
class Scored:
    """Candidates of one query at or above the threshold, best first."""

    record_ids: np.ndarray
    match_weight: np.ndarray
    match_probability: np.ndarray
    gammas: dict[str, np.ndarray]
    weights: dict[str, np.ndarray]  # each comparison's weight, term-frequency adjustment included

    def explanation(self, i: int, labels: dict[str, dict[int, str]]) -> dict[str, Any]:
        """Row i's explanation as stored with pairs: field -> level, weight, Bayes factor."""
        out = {}
        for field, gammas in self.gammas.items():
            gamma, weight = int(gammas[i]), float(self.weights[field][i])
            level = labels[field].get(gamma, str(gamma))
            out[field] = {"level": level, "weight": weight, "bayes_factor": math.pow(2.0, weight)}
        return out

    def take(self, order: np.ndarray) -> Scored:
        return Scored(
            record_ids=self.record_ids[order],
            match_weight=self.match_weight[order],
            match_probability=self.match_probability[order],
            gammas={k: v[order] for k, v in self.gammas.items()},
            weights={k: v[order] for k, v in self.weights.items()},
        )


def probability_of(weight: np.ndarray) -> np.ndarray:
    """Splink's match probability of a match weight, computed the way its SQL computes it."""
    out = np.empty_like(weight)
    high = weight >= 0
    out[high] = 1.0 / (1.0 + np.power(2.0, -weight[high]))
    low = ~high
    out[low] = np.power(2.0, weight[low]) / (1.0 + np.power(2.0, weight[low]))
    return out


def compared_columns(model: dict[str, Any], list_columns: set[str]) -> list[str]:
    """The linkage-frame columns the model's comparisons read (term frequencies included): records
    equal in these score equally against anyone."""
    settings = SettingsCreator.from_path_or_dict(model).get_settings("duckdb")
    compiler = Compiler(list_columns)
    comparisons = _comparisons(settings, compiler)
    tf = {lv.tf_column for c in comparisons for lv in c.levels if lv.tf_column}
    return sorted(compiler.scalar | compiler.lists | tf)


class FastScorer:
    """A warm index of the existing records and the model's comparisons, compiled."""

    def __init__(
        self,
        model: dict[str, Any],
        frame: pd.DataFrame,
        list_columns: set[str] | None = None,
        *,
        blocking: bool = True,
    ):
        """`list_columns`: the frame's list-valued columns, when `frame` is a part of the records in
        which some list column may hold only nulls (`frame_list_columns` otherwise). `blocking=False`
        builds no candidate index: for scoring given rows only (`score_rows`), which needs none."""
        settings = SettingsCreator.from_path_or_dict(model).get_settings("duckdb")
        lists = list_columns if list_columns is not None else frame_list_columns(frame)
        compiler = Compiler(lists)
        self.comparisons = _comparisons(settings, compiler)
        self.rules = [_rule(br, compiler) for br in settings._blocking_rules_to_generate_predictions]  # noqa: SLF001
        self.prior_weight = prob_to_match_weight(settings._probability_two_random_records_match)  # noqa: SLF001
        self.tf_columns = sorted({lv.tf_column for c in self.comparisons for lv in c.levels if lv.tf_column})
        rule_columns = {c for r in self.rules for c in r.right}
        missing = (compiler.scalar | compiler.lists | rule_columns | set(self.tf_columns)) - set(
            frame.columns
        )
        if missing:
            raise Unsupported(f"columns not in the linkage frame: {sorted(missing)}")
        coded = [r for r in self.rules if _coded(r)]
        scalar = {c for r in coded if not r.exploded for c in r.left + r.right}
        lists = {c for r in coded if r.exploded for c in r.left + r.right}
        self.columns = Columns(compiler.scalar | set(self.tf_columns) | scalar, compiler.lists | lists)
        # one index per distinct key, shared by the rules that only filter it differently
        shared: dict[tuple[Any, ...], tuple[CodeIndex | Index, list[list[Predicate]]]] = {}
        for rule in self.rules if blocking else []:
            key = (tuple(rule.left), tuple(rule.right), frozenset(rule.exploded))
            if key not in shared:
                shared[key] = (
                    CodeIndex(rule, self.columns) if _coded(rule) else Index(rule, self.columns),
                    [],
                )
            shared[key][1].append(rule.filters)
        self.indexes = [index for index, _ in shared.values()]
        self.lookups = list(shared.values())
        self.tf_counts = {c: np.zeros(0, dtype=np.int64) for c in self.tf_columns}
        self.tf_totals = dict.fromkeys(self.tf_columns, 0)
        self._grown = Grown()
        self.columns.append(frame)
        for index in self.indexes:
            index.build(frame)
        self._count_terms(0)
        self._position: tuple[np.ndarray, np.ndarray] | None = None  # sorted ids, their rows
        self.terms_fixed = False  # True once counted over a whole frame (`count_terms_of`)

    def __len__(self) -> int:
        return len(self.columns)

    def _count_terms(self, start: int) -> None:
        for c in self.tf_columns:
            codes = self.columns.codes[c][start:]
            codes = codes[codes != NULL]
            counts = self.tf_counts[c]
            if len(self.columns.words) > len(counts):  # words new since: counted from nought
                more = np.zeros(len(self.columns.words) - len(counts), dtype=np.int64)
                counts = self._grown.extend(f"terms {c}", counts, more)
            np.add.at(counts, codes, 1)  # in place: readers hold the matcher's lock
            self.tf_counts[c], self.tf_totals[c] = counts, self.tf_totals[c] + len(codes)

    def append(self, frame: pd.DataFrame) -> None:
        """Records stored since the warm-up: candidates at once, their terms counted."""
        start = len(self.columns)
        self.columns.append(frame)
        for index in self.indexes:
            index.append(frame, start)
        if not self.terms_fixed:
            self._count_terms(start)

    def candidate_rows(self, row: dict[str, Any]) -> np.ndarray:
        query = Query(row, self.columns)
        found = []
        for index, filter_sets in self.lookups:
            for rows in index.candidates(row):
                for filters in filter_sets:
                    kept = rows
                    for keep in filters:
                        kept = kept[keep(Pairs(query, kept))]
                    found.append(kept)
        if not found:
            return np.empty(0, dtype=np.int32)
        return sorted_distinct(np.concatenate(found))

    def _tf(self, column: str, codes: np.ndarray) -> np.ndarray:
        counts, total = self.tf_counts[column], self.tf_totals[column]
        out = np.full(len(codes), np.nan)
        known = (codes >= 0) & (codes < len(counts))
        if total:
            out[known] = counts[codes[known]] / total
        out[known & (out == 0)] = np.nan  # a value no existing record has: no term frequency
        return out

    def _tf_adjustment(self, level: Level, sub: AnyPairs) -> np.ndarray:
        assert level.tf_column is not None
        tf_l, tf_r = (
            self._tf(level.tf_column, sub.codes("l", level.tf_column)),
            self._tf(level.tf_column, sub.codes("r", level.tf_column)),
        )
        a, b = np.where(np.isnan(tf_l), tf_r, tf_l), np.where(np.isnan(tf_r), tf_l, tf_r)
        exists = ~np.isnan(a)
        u = np.maximum(np.maximum(np.nan_to_num(a), np.nan_to_num(b)), level.tf_min_u)
        out = np.zeros(len(sub))
        out[exists] = level.tf_weight * (level.tf_log2_u - np.log2(u[exists]))
        return out

    def score(self, row: dict[str, Any], threshold_probability: float) -> Scored:
        """Score one new record (a linkage-frame row) against its blocked candidates."""
        scored = self.score_rows(row, self.candidate_rows(row))
        total = scored.match_weight
        keep = (
            total >= prob_to_match_weight(threshold_probability)
            if threshold_probability > 0
            else total == total
        )
        order = np.flatnonzero(keep)[np.lexsort((scored.record_ids[keep], -total[keep]))]
        return scored.take(order)

    def score_rows(self, row: dict[str, Any], rows: np.ndarray) -> Scored:
        """Score one record against the given index rows (positions, see `positions`), in that order."""
        return self._scored(Pairs(Query(row, self.columns), rows), rows)

    def score_row_pairs(self, left: np.ndarray, right: np.ndarray) -> Scored:
        """Score index rows against index rows pair by pair (`left[i]` with `right[i]`, the left
        record taking the new record's side), in that order: the scores `score_rows` gives."""
        return self._scored(RowPairs(self.columns, left, right), right)

    def _scored(self, pairs: AnyPairs, rows: np.ndarray) -> Scored:
        total = np.full(len(rows), self.prior_weight)
        gammas: dict[str, np.ndarray] = {}
        weights: dict[str, np.ndarray] = {}
        for comparison in self.comparisons:
            gamma = np.full(len(rows), -99, dtype=np.int64)
            weight = np.zeros(len(rows))
            open_ = np.arange(len(rows))
            for level in comparison.levels:
                if len(open_) == 0:
                    break
                condition = level.condition
                took = np.ones(len(open_), bool) if condition is None else condition(pairs.subset(open_))
                hit = open_[took]
                gamma[hit] = level.gamma
                weight[hit] = level.weight
                if level.tf_column is not None and len(hit):
                    weight[hit] += self._tf_adjustment(level, pairs.subset(hit))
                open_ = open_[~took]
            gammas[comparison.name], weights[comparison.name] = gamma, weight
            total = total + weight
        return Scored(
            record_ids=self.columns.ids[rows],
            match_weight=total,
            match_probability=probability_of(total),
            gammas=gammas,
            weights=weights,
        )

    def positions(self, record_ids: Iterable[int]) -> np.ndarray:
        """Index rows of these records (each must be in the index)."""
        known = 0 if self._position is None else len(self._position[0])
        if self._position is None or known != len(self.columns):
            added = self.columns.ids[known:]
            if self._position is not None and known and added.min() > self._position[0][-1]:
                order = np.argsort(added, kind="stable")  # records stored since: ids above all others
                ids, rows = self._position
                rows = self._grown.extend("rows", rows, (order + known).astype(np.int32))
                self._position = (self._grown.extend("ids", ids, added[order]), rows)
            else:
                order = np.argsort(self.columns.ids, kind="stable")
                self._position = (self.columns.ids[order], order.astype(np.int32))
        ids, order = self._position
        wanted = (
            np.fromiter(record_ids, dtype=np.int64) if not isinstance(record_ids, np.ndarray) else record_ids
        )
        at = np.minimum(np.searchsorted(ids, wanted), max(len(ids) - 1, 0))
        if len(wanted) and (not len(ids) or (ids[at] != wanted).any()):
            raise KeyError(
                f"records not in the index: {sorted(set(wanted.tolist()) - set(ids.tolist()))[:5]}"
            )
        return order[at]

    def count_terms_of(self, frame: pd.DataFrame) -> None:
        """Term frequencies counted over `frame` (every record) when the index holds only some records:
        the frequencies Splink's scoring of the whole frame uses."""
        for c in self.tf_columns:
            codes = self.columns._encode(frame[c])  # noqa: SLF001 - the shared vocabulary
            codes = codes[codes != NULL]
            self.tf_counts[c] = np.bincount(codes, minlength=len(self.columns.words)).astype(np.int64)
            self.tf_totals[c] = len(codes)
        self.terms_fixed = True

    def labels(self) -> dict[str, dict[int, str]]:
        return {c.name: {lv.gamma: lv.label for lv in c.levels} for c in self.comparisons}
