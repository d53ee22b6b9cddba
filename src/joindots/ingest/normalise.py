"""Pure normalisers: what an agency wrote -> the normalised form the core tables hold.

Each function takes text (or None) and returns the normalised value, or None when the value cannot be
normalised; the pipeline counts every None it makes from a non-empty value. Functions are cached
because agency files repeat the same postcodes, dates and codes many times.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
import pycountry

from joindots.domain.codes import (
    DEMONYMS,
    ETHNICITY_NUMERIC,
    ETHNICITY_WORDS,
    IC_CODES,
    SELF_DEFINED_ETHNICITY,
)

_SPACES = re.compile(r"\s+")
TITLES = frozenset({"mr", "mrs", "miss", "ms", "mx", "dr", "master", "sir", "dame", "prof", "rev"})


# ----------------------------------------------------------------------------------------- names


def clean(text: str | None) -> str | None:
    """Whitespace collapsed and trimmed; None for nothing."""
    if text is None:
        return None
    return " ".join(text.split()) or None  # str.split() splits on what \s+ matches (Unicode spaces)


def _title_word(word: str) -> str:
    """One ALL-CAPS or all-lower word in title case: 'o'brien' -> "O'Brien", 'mcdonald' -> 'McDonald'."""
    titled = word.title()  # capitalises after ' and -, keeps diacritics
    return re.sub(r"\bMc([a-z])", lambda m: "Mc" + m.group(1).upper(), titled)


@lru_cache(maxsize=65536)
def display_name(text: str | None) -> str | None:
    """A name in display form: whitespace collapsed; ALL-CAPS or all-lower words in title case.

    Mixed-case words are kept as written ('McDonald', 'DeShawn'); diacritics are kept ('Zoë').
    """
    cleaned = clean(text)
    if cleaned is None:
        return None
    words = [_title_word(w) if (w.isupper() or w.islower()) else w for w in cleaned.split(" ")]
    return " ".join(words)


@lru_cache(maxsize=65536)
def fold_name(text: str | None) -> str | None:
    """A name for comparison: diacritics stripped, case folded, only letters and single spaces."""
    cleaned = clean(text)
    if cleaned is None:
        return None
    decomposed = unicodedata.normalize("NFKD", cleaned.casefold())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    joined = re.sub(r"['\u2019`]", "", letters)  # O'Brien and OBrien compare equal
    folded = _SPACES.sub(" ", re.sub(r"[^\w ]|[\d_]", " ", joined)).strip()
    return folded or None


@dataclass(frozen=True)
class NameParts:
    forename: str | None = None
    middle_names: str | None = None
    surname: str | None = None


NAME_FORMATS = {
    "SURNAME, Forename": "surname_comma",
    "SURNAME, Forename Middle": "surname_comma",
    "forename surname": "forename_first",
    "Forename Middle Surname": "forename_first",
    "surname forename": "surname_first",
    "forename": "forename_only",
}


def _words(text: str) -> list[str]:
    """Name words with titles dropped and initials' full stops removed ('J.' -> 'J')."""
    words = [w.strip(".") for w in text.replace(",", " ").split(" ")]
    words = [w for w in words if w]
    while words and words[0].casefold() in TITLES:
        words = words[1:]
    return words


def _forename_first(words: list[str], had_title: bool) -> NameParts:
    if not words:
        return NameParts()
    if len(words) == 1:  # one word: a forename ('Kaz'), or a surname after a title ('Mr Dickinson')
        return NameParts(surname=words[0]) if had_title else NameParts(forename=words[0])
    return NameParts(words[0], " ".join(words[1:-1]) or None, words[-1])


@lru_cache(maxsize=65536)
def split_name(text: str | None, name_format: str = "forename surname") -> NameParts:
    """Split a whole name by the source's format; titles dropped, initials kept as 1-letter names."""
    kind = NAME_FORMATS.get(name_format)
    if kind is None:
        raise ValueError(f"unknown name format {name_format!r}; known: {list(NAME_FORMATS)}")
    cleaned = display_name(text)
    if cleaned is None:
        return NameParts()
    first = cleaned.split(" ", 1)[0].strip(".").casefold()
    had_title = first in TITLES
    if kind == "surname_comma" and "," in cleaned:
        surname, _, rest = cleaned.partition(",")
        given = _words(rest)
        sur = clean(surname.replace(".", " "))  # a surname is never a title: 'MR, Ann' is Ann Mr
        return NameParts(given[0] if given else None, " ".join(given[1:]) or None, sur)
    words = _words(cleaned)
    if kind == "surname_first" and len(words) > 1:
        return NameParts(words[1], " ".join(words[2:]) or None, words[0])
    if kind == "forename_only":
        return NameParts(forename=" ".join(words) or None)
    return _forename_first(words, had_title)


# ----------------------------------------------------------------------------------------- dates


@dataclass(frozen=True)
class ParsedDate:
    value: dt.date | None
    ambiguous: bool = False  # day and month could be swapped (both <= 12, format not explicit)
    problem: str | None = None  # 'unparsed', 'impossible', 'future' when value is None


_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_NUMERIC = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})$")
_WORDY = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?[ \-]([A-Za-z]{3,9})[ \-,]+(\d{4})$")
_MONTHS = {
    m.casefold(): i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1
    )
}
EXCEL_EPOCH = dt.date(1899, 12, 30)


def _make(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _year(two_or_four: str, today: dt.date) -> int:
    year = int(two_or_four)
    if len(two_or_four) == 2:  # a two-digit year: the latest century that is not in the future
        year += 2000 if 2000 + year <= today.year else 1900
    return year


def _general(text: str, dayfirst: bool, today: dt.date) -> ParsedDate:
    if m := _ISO.match(text):
        day = _make(int(m[1]), int(m[2]), int(m[3]))
        return ParsedDate(day, problem=None if day else "impossible")
    if m := _COMPACT.match(text):
        day = _make(int(m[1]), int(m[2]), int(m[3]))
        return ParsedDate(day, problem=None if day else "impossible")
    if m := _NUMERIC.match(text):
        a, b, year = int(m[1]), int(m[2]), _year(m[3], today)
        day_, month = (a, b) if dayfirst else (b, a)
        if month > 12 >= day_:  # the other order is the only possible one
            day_, month = month, day_
        value = _make(year, month, day_)
        ambiguous = value is not None and a <= 12 and b <= 12 and a != b
        return ParsedDate(value, ambiguous, None if value else "impossible")
    if m := _WORDY.match(text):
        month_no = _MONTHS.get(m[2][:3].casefold())
        if month_no is None:
            return ParsedDate(None, problem="unparsed")
        value = _make(int(m[3]), month_no, int(m[1]))
        return ParsedDate(value, problem=None if value else "impossible")
    if re.fullmatch(r"\d{5}(\.0+)?", text):  # an Excel serial day number (1927-2173)
        value = EXCEL_EPOCH + dt.timedelta(days=int(float(text)))
        return ParsedDate(value)
    return ParsedDate(None, problem="unparsed")


_NUMERIC_DIRECTIVES = {"%d": r"(?P<d>\d{1,2})", "%m": r"(?P<m>\d{1,2})", "%Y": r"(?P<Y>\d{4})",
                       "%H": r"\d{1,2}", "%M": r"\d{2}", "%S": r"\d{2}"}  # fmt: skip


@lru_cache(maxsize=256)
def _numeric_format(fmt: str) -> re.Pattern[str] | None:
    """A regex for a strptime format made only of %d %m %Y (and times), else None."""
    parts = re.split(r"(%.)", fmt)
    if not all(p in _NUMERIC_DIRECTIVES for p in parts[1::2]) or not {"%d", "%m", "%Y"} <= set(parts):
        return None
    return re.compile("".join(_NUMERIC_DIRECTIVES.get(p, re.escape(p)) for p in parts))


def _strptime(text: str, fmt: str) -> dt.date:
    """strptime's date, with a fast path for numeric formats such as %d/%m/%Y (raises ValueError)."""
    pattern = _numeric_format(fmt)
    if pattern is None:
        return dt.datetime.strptime(text, fmt).date()
    m = pattern.fullmatch(text)
    if m is None:
        raise ValueError(f"{text!r} does not match {fmt!r}")
    return dt.date(int(m["Y"]), int(m["m"]), int(m["d"]))


@lru_cache(maxsize=262144)
def parse_date(
    text: str | None,
    formats: tuple[str, ...] = (),
    dayfirst: bool = True,
    today: dt.date | None = None,
) -> ParsedDate:
    """A date from many forms: the mapping's strptime formats first, then ISO, dd/mm/yyyy (day first
    by default; flagged ambiguous when day and month could swap), yyyymmdd, '3 April 1975',
    '12-Mar-2001' and Excel serial numbers. Impossible and future dates give None with a problem."""
    cleaned = clean(text)
    if cleaned is None:
        return ParsedDate(None)
    today = today or dt.date.today()
    parsed: ParsedDate | None = None
    for fmt in formats:
        try:
            parsed = ParsedDate(_strptime(cleaned, fmt))
            break
        except ValueError:
            continue
    if parsed is None:
        parsed = _general(cleaned, dayfirst, today)
    if parsed.value is not None and parsed.value > today:
        return ParsedDate(None, problem="future")
    return parsed


# -------------------------------------------------------------------------- phones, places, marks


_PHONE_PUNCTUATION = re.compile(r"[\s\-().]")
_UK_MOBILE = re.compile(r"(?:0|\+44|0044|44)([1-9]\d{9})")


@lru_cache(maxsize=65536)
def phone_e164(text: str | None, region: str = "GB") -> str | None:
    """A phone number in E.164 ('+447700900123'); UK assumed without a country code.

    'Possible' rather than 'valid' numbers are accepted: Ofcom's drama numbers (07700 900xxx) too.
    """
    cleaned = clean(text)
    if cleaned is None:
        return None
    if region == "GB" and (fast := _UK_MOBILE.fullmatch(_PHONE_PUNCTUATION.sub("", cleaned))):
        return "+44" + fast[1]  # what phonenumbers gives for any 10-digit UK number, 30x faster
    try:
        number = phonenumbers.parse(cleaned, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number) or len(str(number.national_number)) < 7:
        return None  # too short to be a subscriber's number ('0770')
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_POSTCODE = re.compile(r"(GIR0AA|[A-Z]{1,2}\d[A-Z\d]?\d[ABD-HJLNP-UW-Z]{2})")


@lru_cache(maxsize=262144)
def postcode(text: str | None) -> str | None:
    """A full UK postcode as 'AB1 2CD'; None for anything else (partial, foreign, nonsense)."""
    if text is None:
        return None
    compact = re.sub(r"\s+", "", text.upper())
    if not _POSTCODE.fullmatch(compact):
        return None
    return f"{compact[:-3]} {compact[-3:]}"


@lru_cache(maxsize=65536)
def vehicle_mark(text: str | None) -> str | None:
    """A registration mark in capitals without spaces ('ab12 cde' -> 'AB12CDE'); None unless 2-7
    letters and digits with at least one of each."""
    if text is None:
        return None
    compact = re.sub(r"[\s\-.]", "", text.upper())
    if not re.fullmatch(r"[A-Z0-9]{2,7}", compact):
        return None
    if not (re.search(r"[A-Z]", compact) and re.search(r"\d", compact)):
        return None
    return compact


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def email(text: str | None) -> str | None:
    """An email address in lower case; None unless it looks like one."""
    cleaned = clean(text)
    if cleaned is None or not _EMAIL.fullmatch(cleaned):
        return None
    return cleaned.lower()


# ----------------------------------------------------------------------------------------- codes

SEX_CODES: dict[str, str] = {
    "m": "M", "male": "M", "1": "M", "man": "M", "boy": "M",
    "f": "F", "female": "F", "2": "F", "woman": "F", "girl": "F",
    "u": "U", "unknown": "U", "not known": "U", "9": "U", "0": "U", "x": "U", "not stated": "U",
}  # fmt: skip

# NHS ethnic category letters (Data Dictionary) -> the police 18+1 code.
NHS_ETHNIC_CATEGORY: dict[str, str] = {
    "A": "W1", "B": "W2", "C": "W9", "D": "M1", "E": "M2", "F": "M3", "G": "M9", "H": "A1",
    "J": "A2", "K": "A3", "L": "A9", "M": "B1", "N": "B2", "P": "B9", "R": "A4", "S": "O9", "Z": "NS",
}  # fmt: skip


@lru_cache(maxsize=4096)
def sex(text: str | None) -> str | None:
    """M, F or U from M/F/1/2/Male/Female/U/9...; None when not recognised."""
    cleaned = clean(text)
    return SEX_CODES.get(cleaned.casefold()) if cleaned else None


@lru_cache(maxsize=4096)
def ethnicity(text: str | None) -> str | None:
    """The 18+1 self-defined code from a code ('A2'), a number ('10'), words ('Pakistani',
    'White British') or an NHS letter. Recorded for audit and statistics only: never evidence."""
    cleaned = clean(text)
    if cleaned is None:
        return None
    upper = cleaned.upper()
    if upper in SELF_DEFINED_ETHNICITY:
        return upper
    if cleaned in ETHNICITY_NUMERIC:
        return ETHNICITY_NUMERIC[cleaned]
    if upper in NHS_ETHNIC_CATEGORY:
        return NHS_ETHNIC_CATEGORY[upper]
    words = re.sub(r"[^a-z ]", " ", cleaned.casefold())
    return ETHNICITY_WORDS.get(_SPACES.sub(" ", words).strip())


@lru_cache(maxsize=1024)
def ic_code(text: str | None) -> str | None:
    """An officer-observed IC code ('IC4') from 'IC4', 'ic 4' or '4'. Never evidence."""
    cleaned = clean(text)
    if cleaned is None:
        return None
    compact = re.sub(r"\s+", "", cleaned.upper())
    code = compact if compact.startswith("IC") else f"IC{compact}"
    return code if code in IC_CODES else None


@lru_cache(maxsize=4096)
def nationality(text: str | None) -> str | None:
    """ISO 3166-1 alpha-3 from alpha-3, alpha-2, a country name or a demonym. Never evidence."""
    cleaned = clean(text)
    if cleaned is None:
        return None
    folded = cleaned.casefold()
    if folded in DEMONYMS:
        return DEMONYMS[folded]
    if folded in {"uk", "gb", "great britain", "united kingdom"}:
        return "GBR"
    try:
        country = pycountry.countries.lookup(cleaned)
    except LookupError:
        return None
    return str(country.alpha_3)


# -------------------------------------------------------------------------------------- formulas

_FORMULA_SIGNED = re.compile(r"[+\-](?![\d\s().\-]*$)")


def is_formula_like(text: str | None) -> bool:
    """A value a spreadsheet would run as a formula: leading '=' or '@', or '+'/'-' followed by
    anything but a number (so '+44 7700 900123' and '-5' are not formulas, '+cmd|...' is)."""
    if not text:
        return False
    first = text.lstrip()[:1]
    if first in {"=", "@"}:
        return True
    return first in {"+", "-"} and bool(_FORMULA_SIGNED.match(text.lstrip()))
