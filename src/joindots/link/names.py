"""Name keys for matching: folded spelling, known variants and a phonetic code.

Variants come from two well-kept sources:
- the `nicknames` package (Old Dominion University's curated English nickname list): Jim -> James;
- `TRANSLITERATIONS` below: spellings of the same name that UK records commonly carry after
  transliteration from Arabic, Urdu, Bengali, Polish or Romanian, or as English spelling variants.
  Each tuple is one name; add a spelling to its tuple, never a new meaning.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import jellyfish
from nicknames import NickNamer

TRANSLITERATIONS: tuple[tuple[str, ...], ...] = (
    ("mohammed", "muhammad", "mohamed", "mohamad", "mohammad", "muhammed", "mohamud", "mehmet", "mohd"),
    ("hussain", "hussein", "husain", "hossain", "husein"),
    ("ahmed", "ahmad", "ahmet"),
    ("mahmood", "mahmud", "mahmoud"),
    ("yusuf", "yousef", "yousuf", "youssef", "yusef"),
    ("abdul", "abdel", "abdal"),
    ("rahman", "rehman"),
    ("shahid", "shahed"),
    ("khalid", "khaled"),
    ("iqbal", "ikbal"),
    ("aisha", "ayesha", "aysha", "aishah"),
    ("fatima", "fatimah", "fatma"),
    ("mustafa", "mustapha", "mostafa"),
    ("omar", "umar"),
    ("osman", "usman", "uthman"),
    ("qasim", "kasim", "kassim"),
    ("zainab", "zaynab"),
    ("chowdhury", "choudhury", "chaudhry", "chaudhary"),
    ("mohammadi", "mohammedi"),
    ("stephen", "steven"),
    ("philip", "phillip"),
    ("geoffrey", "jeffrey"),
    ("catherine", "katherine", "kathryn"),
    ("sean", "shaun", "shawn"),
    ("jon", "john"),
    ("mathew", "matthew"),
    ("nicola", "nichola"),
    ("leanne", "lian", "leanna"),
    ("zoe", "zoey"),
    ("thompson", "thomson"),
    ("smith", "smyth"),
    ("macdonald", "mcdonald"),
    ("davies", "davis"),
    ("philips", "phillips"),
    ("wojcik", "voytchik"),
    ("nowak", "novak"),
    ("popescu", "popesku"),
    ("singh", "sing"),
    ("kaur", "kour"),
)


@lru_cache(maxsize=1)
def _transliteration_key() -> dict[str, str]:
    return {spelling: "~" + group[0] for group in TRANSLITERATIONS for spelling in group}


@lru_cache(maxsize=1)
def _nicknamer() -> NickNamer:
    return NickNamer()


def fold(name: str | None) -> str | None:
    """Lower case, accents removed, letters only: 'Wójcik' -> 'wojcik', "O'Neil" -> 'oneil'."""
    if not name:
        return None
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    letters = "".join(ch for ch in plain if "a" <= ch <= "z")
    return letters or None


def fold_address(address: str | None) -> str | None:
    """Lower case, accents removed, letters and digits in single-spaced words: '30 Church Rd.,  Leeds'
    -> '30 church rd leeds'."""
    if not isinstance(address, str) or not address.strip():
        return None
    plain = unicodedata.normalize("NFKD", address).encode("ascii", "ignore").decode().lower()
    words = "".join(ch if ch.isalnum() else " " for ch in plain).split()
    return " ".join(words) or None


@lru_cache(maxsize=65536)
def _keys(folded: str) -> tuple[str, ...]:
    keys = {folded} | set(_nicknamer().canonicals_of(folded))
    if folded in _transliteration_key():
        keys.add(_transliteration_key()[folded])
    return tuple(sorted(keys))


def name_keys(folded: str | None) -> list[str] | None:
    """The keys two spellings of one name share: itself, its formal names and its variant group."""
    return list(_keys(folded)) if folded else None


def phonetic(folded: str | None) -> str | None:
    """Metaphone code ('mohammed' and 'muhammad' both give 'MHMT')."""
    return jellyfish.metaphone(folded) or None if folded else None
