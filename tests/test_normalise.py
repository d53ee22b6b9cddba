"""Normalisers: examples for each rule and Hypothesis properties over generated values."""

from __future__ import annotations

import datetime as dt
import re

import pycountry
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from joindots.domain.codes import ETHNICITY_NUMERIC, IC_CODES, SELF_DEFINED_ETHNICITY
from joindots.ingest import normalise as norm

TODAY = dt.date(2026, 1, 15)
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéëöüçñåøÉÖ"
words = st.text(alphabet=LETTERS, min_size=1, max_size=12)
names = st.lists(st.one_of(words, st.just("O'BRIEN"), st.just("smith-jones")), min_size=1, max_size=4)
spaces = st.text(alphabet=" \t", min_size=1, max_size=3)


# --------------------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("MOHAMMED", "Mohammed"),
        ("mohammed", "Mohammed"),
        ("O'BRIEN", "O'Brien"),
        ("MCDONALD", "McDonald"),
        ("SMITH-JONES", "Smith-Jones"),
        ("  ZOË   ANNE ", "Zoë Anne"),
        ("DeShawn", "DeShawn"),  # mixed case is kept as written
        ("", None),
        ("   ", None),
    ],
)
def test_display_name(raw, expected):
    assert norm.display_name(raw) == expected


@given(parts=names, gaps=st.lists(spaces, min_size=4, max_size=4))
def test_display_name_properties(parts, gaps):
    raw = gaps[0] + "".join(p + g for p, g in zip(parts, gaps[1:] + [""] * 4, strict=False))
    shown = norm.display_name(raw)
    assert shown is not None
    assert shown == shown.strip() and "  " not in shown and "\t" not in shown
    assert norm.display_name(shown) == shown  # idempotent
    assert norm.fold_name(shown) == norm.fold_name(raw)  # only case and spacing changed


def test_fold_name_strips_diacritics_case_and_apostrophes():
    assert norm.fold_name("Zoë") == norm.fold_name("ZOE") == "zoe"
    assert norm.fold_name("O'Brien") == norm.fold_name("OBRIEN")
    assert norm.fold_name("Smith-Jones") == "smith jones"


@pytest.mark.parametrize(
    ("raw", "fmt", "expected"),
    [
        ("WINTER, Jade Claire", "SURNAME, Forename", ("Jade", "Claire", "Winter")),
        ("WINTER, Jade", "SURNAME, Forename Middle", ("Jade", None, "Winter")),
        ("jade winter", "forename surname", ("Jade", None, "Winter")),
        ("Jade Claire Anne Winter", "Forename Middle Surname", ("Jade", "Claire Anne", "Winter")),
        ("Mr Dickinson", "forename surname", (None, None, "Dickinson")),
        ("Mrs J. Smith", "forename surname", ("J", None, "Smith")),
        ("J Smith", "forename surname", ("J", None, "Smith")),
        ("Domantas", "forename surname", ("Domantas", None, None)),
        ("SMITH John Paul", "surname forename", ("John", "Paul", "Smith")),
        ("Kaz", "forename", ("Kaz", None, None)),
        ("", "forename surname", (None, None, None)),
    ],
)
def test_split_name(raw, fmt, expected):
    parts = norm.split_name(raw, fmt)
    assert (parts.forename, parts.middle_names, parts.surname) == expected


def test_split_name_refuses_an_unknown_format():
    with pytest.raises(ValueError, match="unknown name format"):
        norm.split_name("Jade Winter", "given family")


@given(forename=words, surname=words)
def test_surname_comma_round_trip(forename, surname):
    assume(forename.casefold() not in norm.TITLES)  # 'SMITH, Mr' is Mr Smith: no forename
    parts = norm.split_name(f"{surname.upper()}, {forename}", "SURNAME, Forename")
    assert norm.fold_name(parts.surname) == norm.fold_name(surname)
    assert norm.fold_name(parts.forename) == norm.fold_name(forename)


# --------------------------------------------------------------------------------------- dates

past_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
EXPLICIT = ["%Y-%m-%d", "%Y%m%d", "%d %B %Y", "%d-%b-%Y", "%d %b %Y"]


@given(day=past_dates, fmt=st.sampled_from(EXPLICIT))
def test_unambiguous_forms_round_trip(day, fmt):
    parsed = norm.parse_date(day.strftime(fmt), today=TODAY)
    assert parsed == norm.ParsedDate(day)


@given(day=past_dates, sep=st.sampled_from("/.-"))
def test_day_first_dates_and_ambiguity(day, sep):
    text = f"{day.day:02d}{sep}{day.month:02d}{sep}{day.year}"
    parsed = norm.parse_date(text, dayfirst=True, today=TODAY)
    assert parsed.value == day
    assert parsed.ambiguous == (day.day <= 12 and day.month <= 12 and day.day != day.month)
    explicit = norm.parse_date(text, (f"%d{sep}%m{sep}%Y",), today=TODAY)
    assert explicit == norm.ParsedDate(day)  # an explicit format is never ambiguous


@given(day=past_dates)
def test_month_first_when_the_source_says_so(day):
    parsed = norm.parse_date(f"{day.month}/{day.day}/{day.year}", dayfirst=False, today=TODAY)
    assert parsed.value == day


@given(moment=st.datetimes(min_value=dt.datetime(1930, 1, 1), max_value=dt.datetime(2025, 12, 31)))
def test_excel_serials_and_datetimes(moment):
    serial = (moment.date() - norm.EXCEL_EPOCH).days
    assert norm.parse_date(str(serial), today=TODAY).value == moment.date()
    assert norm.parse_date(moment.isoformat(sep=" ", timespec="seconds"), today=TODAY).value == moment.date()


@pytest.mark.parametrize(
    ("raw", "problem"),
    [("31/02/2010", "impossible"), ("2010-13-01", "impossible"), ("30 February 2001", "impossible"),
     ("2030-01-01", "future"), ("yesterday", "unparsed"), ("1 Smarch 2001", "unparsed")],
)  # fmt: skip
def test_bad_dates_are_rejected_with_a_reason(raw, problem):
    assert norm.parse_date(raw, today=TODAY) == norm.ParsedDate(None, problem=problem)


def test_formats_from_the_mapping_come_first():
    assert norm.parse_date("04/03/2010", ("%m/%d/%Y",), today=TODAY).value == dt.date(2010, 4, 3)
    assert norm.parse_date("3 April 1975", ("%d %B %Y",), today=TODAY).value == dt.date(1975, 4, 3)
    assert norm.parse_date("12-Mar-2001", today=TODAY).value == dt.date(2001, 3, 12)


# ------------------------------------------------------------------------ phones, places, marks


@given(n=st.integers(0, 999), style=st.sampled_from(["07700 900{:03d}", "07700900{:03d}", "+44 7700 900{:03d}",
                                                      "0044 7700 900{:03d}", "(07700) 900{:03d}", "447700900{:03d}",
                                                      "07700-900-{:03d}"]))  # fmt: skip
def test_drama_numbers_to_e164(n, style):
    assert norm.phone_e164(style.format(n)) == f"+447700900{n:03d}"


@pytest.mark.parametrize("raw", ["12", "not a phone", "", None, "0770"])
def test_impossible_phones_are_none(raw):
    assert norm.phone_e164(raw) is None


outward = st.from_regex(r"[A-Z]{1,2}[0-9][A-Z0-9]?", fullmatch=True)
inward = st.from_regex(r"[0-9][ABD-HJLNP-UW-Z]{2}", fullmatch=True)


@given(out=outward, inw=inward, gap=st.sampled_from(["", " ", "  "]), lower=st.booleans())
def test_postcodes(out, inw, gap, lower):
    raw = f"{out}{gap}{inw}"
    assert norm.postcode(raw.lower() if lower else raw) == f"{out} {inw}"
    assert norm.postcode(f"{out} {inw}") == f"{out} {inw}"  # idempotent


@pytest.mark.parametrize("raw", ["XX", "12345", "SW1A", "AB1 2CI", "", None, "LS1 1AAA"])
def test_invalid_postcodes_are_none(raw):
    assert norm.postcode(raw) is None


@given(raw=st.text(alphabet="ab12 CDE-.9xyz", max_size=12))
def test_vehicle_marks(raw):
    mark = norm.vehicle_mark(raw)
    assert mark is None or (re.fullmatch(r"[A-Z0-9]{2,7}", mark) and norm.vehicle_mark(mark) == mark)


def test_vehicle_mark_examples():
    assert norm.vehicle_mark("ab12 cde") == "AB12CDE"
    assert norm.vehicle_mark("UE55 VYG") == "UE55VYG"
    assert norm.vehicle_mark("hello") is None and norm.vehicle_mark("AB12CDEFG") is None


# ---------------------------------------------------------------------------------------- codes


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("M", "M"), ("male", "M"), ("1", "M"), ("Female", "F"), ("2", "F"), ("f", "F"), ("U", "U"),
     ("9", "U"), ("Unknown", "U"), ("banana", None), (None, None)],
)  # fmt: skip
def test_sex(raw, expected):
    assert norm.sex(raw) == expected


def test_ethnicity_codes_numbers_words_and_nhs_letters():
    for code in SELF_DEFINED_ETHNICITY:
        assert norm.ethnicity(code) == code and norm.ethnicity(code.lower()) == code
    for number, code in ETHNICITY_NUMERIC.items():
        assert norm.ethnicity(number) == code
    assert norm.ethnicity("Pakistani") == "A2" and norm.ethnicity("7") == "M3"
    assert norm.ethnicity("White British") == "W1" and norm.ethnicity("J") == "A2"
    assert norm.ethnicity("martian") is None


def test_ic_codes():
    assert all(norm.ic_code(c) == c for c in IC_CODES)
    assert norm.ic_code("4") == "IC4" and norm.ic_code("ic 3") == "IC3" and norm.ic_code("IC7") is None


@settings(max_examples=60)
@given(country=st.sampled_from(list(pycountry.countries)))
def test_nationality_from_alpha3_alpha2_and_name(country):
    assert norm.nationality(country.alpha_3) == country.alpha_3
    assert norm.nationality(country.alpha_2.lower()) in {country.alpha_3, "GBR"}  # 'gb' is GBR
    assert norm.nationality(country.name) == country.alpha_3


def test_nationality_demonyms():
    assert norm.nationality("British") == "GBR" and norm.nationality("UK") == "GBR"
    assert norm.nationality("Pakistani") == "PAK" and norm.nationality("Polish") == "POL"
    assert norm.nationality("Atlantean") is None


@pytest.mark.parametrize(
    ("raw", "formula"),
    [('=HYPERLINK("http://example.invalid/x","open")', True), ("@SUM(A1)", True), ("+cmd|' /C calc'!A0", True),
     ("-2+3", True), ("+44 7700 900123", False), ("-5", False), ("Went missing", False), ("", False)],
)  # fmt: skip
def test_formula_like(raw, formula):
    assert norm.is_formula_like(raw) is formula


@given(
    moment=st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2025, 12, 31)),
    fmt=st.sampled_from(["%d/%m/%Y", "%Y-%m-%d", "%Y%m%d", "%d.%m.%Y", "%Y-%m-%d %H:%M", "%m/%d/%Y"]),
)
def test_the_fast_numeric_path_agrees_with_strptime(moment, fmt):
    text = moment.strftime(fmt)
    assert norm.parse_date(text, (fmt,), today=TODAY).value == dt.datetime.strptime(text, fmt).date()
