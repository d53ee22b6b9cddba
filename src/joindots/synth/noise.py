"""The mistakes clerks really make, applied in whole columns: typos, nicknames, spelling variants,
swapped names, day and month swapped, missing and out-of-date values, and each source's own way of
writing phones, postcodes, registration marks and dates.

Only a small share of values is changed, so the per-value Python work touches few rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from joindots.synth.names import nickname_lookup, variant_lookup

# Street names offenders use; also used where a child knows a man only by a short name.
EXTRA_NICKNAMES: dict[str, tuple[str, ...]] = {
    "Mohammed": ("Mo", "Mohd"),
    "Muhammad": ("Mo",),
    "Mohamed": ("Mo",),
    "Ibrahim": ("Ibby",),
    "Abdul": ("Abz",),
    "Richard": ("Ricky", "Rick"),
    "Tariq": ("Taz",),
    "Imran": ("Immy",),
    "Shahid": ("Shaz",),
    "Kamran": ("Kam",),
    "Zubair": ("Zub",),
    "Bilal": ("Billy",),
}
MONTHS = np.array(
    ["", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], dtype=object
)
MONTH_NAMES = np.array(
    [
        "",
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    dtype=object,
)
KEYS = "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class NoiseProfile:
    """How carefully one source writes identities down (shares of values affected)."""

    typo: float = 0.03
    nickname: float = 0.05
    variant: float = 0.5  # of names that have variants
    swap_names: float = 0.01
    forename_missing: float = 0.01
    dob_missing: float = 0.03
    dob_swap: float = 0.02
    dob_typo: float = 0.01
    stale_address: float = 0.3  # of people who have moved
    postcode_missing: float = 0.05
    phone_missing: float = 0.4
    vrm_missing: float = 0.6


def _subset(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    return np.flatnonzero(rng.random(n) < share)


def typo(rng: np.random.Generator, values: np.ndarray, share: float) -> np.ndarray:
    """One slip per chosen value: a letter dropped, doubled, swapped with its neighbour or mistyped."""
    out = values.copy()
    idx = _subset(rng, len(values), share)
    ops = rng.integers(0, 4, len(idx))
    where = rng.random(len(idx))
    letters = rng.integers(0, 26, len(idx))
    for i, op, w, letter in zip(idx, ops, where, letters, strict=True):
        out[i] = _slip(str(values[i]), int(op), float(w), KEYS[letter])
    return out


def _slip(text: str, op: int, where: float, letter: str) -> str:
    if len(text) < 3:
        return text
    k = 1 + int(where * (len(text) - 2))  # never the first letter: clerks rarely get that wrong
    if op == 0:
        return text[:k] + text[k + 1 :]
    if op == 1:
        return text[:k] + text[k] + text[k:]
    if op == 2:
        return text[: k - 1] + text[k] + text[k - 1] + text[k + 1 :] if k >= 2 else text
    return text[:k] + letter + text[k + 1 :]


def replace_from(
    rng: np.random.Generator, values: np.ndarray, table: dict[str, tuple[str, ...]], share: float
) -> np.ndarray:
    """Swap a name for one of its listed alternatives (nickname or spelling variant)."""
    out = values.copy()
    has = np.flatnonzero(pd.Series(values).isin(table.keys()).to_numpy())
    chosen = has[rng.random(len(has)) < share]
    picks = rng.random(len(chosen))
    for i, r in zip(chosen, picks, strict=True):
        options = table[str(values[i])]
        out[i] = options[int(r * len(options))]
    return out


def nicknames() -> dict[str, tuple[str, ...]]:
    table = dict(nickname_lookup())
    for name, extra in EXTRA_NICKNAMES.items():
        table[name] = tuple(dict.fromkeys((*extra, *table.get(name, ()))))
    return table


def noisy_names(
    rng: np.random.Generator, forename: np.ndarray, surname: np.ndarray, profile: NoiseProfile
) -> tuple[np.ndarray, np.ndarray]:
    """Forename and surname as a clerk typed them."""
    forename = replace_from(rng, forename, nicknames(), profile.nickname)
    forename = replace_from(rng, forename, variant_lookup(), profile.variant)
    surname = replace_from(rng, surname, variant_lookup(), profile.variant)
    forename = typo(rng, forename, profile.typo)
    surname = typo(rng, surname, profile.typo)
    swap = _subset(rng, len(forename), profile.swap_names)
    forename[swap], surname[swap] = surname[swap].copy(), forename[swap].copy()
    forename[_subset(rng, len(forename), profile.forename_missing)] = ""
    return forename, surname


def split_days(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Whole days since 1970 -> (year, month, day) integer arrays."""
    dates = np.asarray(days, dtype="datetime64[D]")
    years = dates.astype("datetime64[Y]")
    months = dates.astype("datetime64[M]")
    y = years.astype(int) + 1970
    m = (months - years).astype(int) + 1
    d = (dates - months).astype(int) + 1
    return y, m, d


def noisy_dob(
    rng: np.random.Generator, dob: np.ndarray, profile: NoiseProfile
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Birth date parts with day/month swapped (when both <= 12), a year slip, or missing (year 0)."""
    y, m, d = split_days(dob)
    swap = _subset(rng, len(y), profile.dob_swap)
    swap = swap[(d[swap] <= 12) & (d[swap] != m[swap])]
    m[swap], d[swap] = d[swap].copy(), m[swap].copy()
    slip = _subset(rng, len(y), profile.dob_typo)
    y[slip] += rng.choice([-1, 1, 10, -10], len(slip))
    y[_subset(rng, len(y), profile.dob_missing)] = 0
    return y, m, d


def format_date(y: np.ndarray, m: np.ndarray, d: np.ndarray, style: str) -> np.ndarray:
    """Dates as text in a source's style; year 0 means missing and gives ''."""
    ys = y.astype(str).astype(object)
    ms = np.char.zfill(m.astype(str), 2).astype(object)
    ds = np.char.zfill(d.astype(str), 2).astype(object)
    if style == "dd/mm/yyyy":
        out = ds + "/" + ms + "/" + ys
    elif style == "yyyy-mm-dd":
        out = ys + "-" + ms + "-" + ds
    elif style == "dd-Mon-yyyy":
        out = ds + "-" + MONTHS[m] + "-" + ys
    elif style == "yyyymmdd":
        out = ys + ms + ds
    elif style == "dd.mm.yyyy":
        out = ds + "." + ms + "." + ys
    elif style == "d Month yyyy":
        out = d.astype(str).astype(object) + " " + MONTH_NAMES[m] + " " + ys
    else:
        raise ValueError(f"unknown date style {style!r}")
    return np.where(y > 0, out, "").astype(object)


def format_days(days: np.ndarray, style: str) -> np.ndarray:
    """Event dates (never noisy here) in a source's style; negative days give ''."""
    days = np.asarray(days, dtype=np.int64)
    y, m, d = split_days(np.where(days < 0, 0, days))
    return format_date(np.where(days < 0, 0, y), m, d, style)


def format_phones(rng: np.random.Generator, national: np.ndarray, styles: dict[str, float]) -> np.ndarray:
    """'07700900123' written as a source writes it: spaced, +44, 44..., bracketed."""
    keys = list(styles)
    pick = rng.choice(
        len(keys), size=len(national), p=np.asarray(list(styles.values())) / sum(styles.values())
    )
    s = pd.Series(national, dtype=object).fillna("")
    rest = s.str[1:]
    forms = {
        "plain": s,
        "spaced": s.str[:5] + " " + s.str[5:],
        "intl": "+44 " + rest.str[:4] + " " + rest.str[4:],
        "intl_bare": "44" + rest,
        "bracketed": "(" + s.str[:5] + ") " + s.str[5:8] + " " + s.str[8:],
        "dashed": s.str[:5] + "-" + s.str[5:],
    }
    out = np.empty(len(national), dtype=object)
    for i, key in enumerate(keys):
        mask = pick == i
        out[mask] = forms[key].to_numpy()[mask]
    return np.where(s.to_numpy() == "", "", out).astype(object)


def format_postcodes(
    rng: np.random.Generator, postcode: np.ndarray, no_space: float, lower: float
) -> np.ndarray:
    s = pd.Series(postcode, dtype=object).fillna("")
    r = rng.random(len(s))
    s = s.where(r >= no_space, s.str.replace(" ", "", regex=False))
    s = s.where(rng.random(len(s)) >= lower, s.str.lower())
    return s.to_numpy()


def format_plates(rng: np.random.Generator, plate: np.ndarray, spaced: float, lower: float) -> np.ndarray:
    s = pd.Series(plate, dtype=object).fillna("")
    s = s.where(rng.random(len(s)) >= spaced, s.str[:4] + " " + s.str[4:])
    s = s.where(rng.random(len(s)) >= lower, s.str.lower())
    return s.where(s.str.strip() != "", "").to_numpy()


def blank(rng: np.random.Generator, values: np.ndarray, share: float) -> np.ndarray:
    out = values.copy()
    out[_subset(rng, len(values), share)] = ""
    return out
