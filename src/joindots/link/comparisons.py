"""The comparisons and blocking rules of the joindots linkage model, designed for the noise our sources
carry: nicknames and transliterations, typing slips (a wrong key or two keys swapped), forename and
surname swapped (even with a slip), day and month swapped, a year slip, partial records that share only
a phone."""

from __future__ import annotations

from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.comparison_creator import ComparisonCreator


def _name(part: str, other: str) -> cl.CustomComparison:
    col = f"{part}_fold"
    return cl.CustomComparison(
        output_column_name=part,
        comparison_levels=[
            cll.NullLevel(col),
            cll.ExactMatchLevel(col, term_frequency_adjustments=True).configure(
                tf_minimum_u_value=0.001, label_for_charts="exact"
            ),
            cll.ArrayIntersectLevel(f"{part}_keys").configure(label_for_charts="known variant"),
            cll.ExactMatchLevel(f"{part}_phonetic").configure(label_for_charts="sounds alike"),
            cll.JaroWinklerLevel(col, 0.92).configure(label_for_charts="Jaro-Winkler >= 0.92"),
            cll.JaroWinklerLevel(col, 0.80).configure(label_for_charts="Jaro-Winkler >= 0.80"),
            *_initial(part),
            _swapped(part, other),
            cll.ElseLevel(),
        ],
        comparison_description=f"{part}: exact, variant, phonetic, similar, swapped",
    )


def _initial(part: str) -> list[cll.CustomLevel]:
    """An initial ('S') against a full name ('Susan'): only forenames are written as initials."""
    if part != "forename":
        return []
    condition = "(length(forename_fold_l) = 1 OR length(forename_fold_r) = 1) AND forename_initial_l = forename_initial_r"
    return [cll.CustomLevel(condition, "initial agrees")]


def _swapped(part: str, other: str) -> cll.CustomLevel:
    """Forename and surname written the other way round, spelt the same or with a slip ('James Laverty'
    against 'Lavety Jamds'): the threshold of the 'similar' level above, across the two fields."""
    condition = f"jaro_winkler_similarity({part}_fold_l, {other}_fold_r) >= 0.92"
    return cll.CustomLevel(condition, "swapped with " + other)


def _dob() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="dob",
        comparison_levels=[
            cll.CustomLevel("dob_l IS NULL OR dob_r IS NULL", "missing on one side"),
            cll.ExactMatchLevel("dob").configure(label_for_charts="exact"),
            cll.CustomLevel("dob_l = dob_swapped_r", "day and month swapped"),
            cll.CustomLevel(
                "dob_month_day_l = dob_month_day_r AND levenshtein(dob_year_l, dob_year_r) = 1",
                "same day, year one digit off",
            ),
            _one_character_off("dob"),  # '1994-08-31' keyed as '1994-80-31'
            cll.ElseLevel(),
        ],
        comparison_description="dob: exact, day/month swapped, year digit slip, one character off",
    )


def _one_character_off(col: str) -> cll.CustomLevel:
    """One wrong key or two neighbouring keys swapped (Damerau-Levenshtein 1). Levenshtein, four times
    faster in DuckDB, goes first: within Splink's CASE it spares the slow test on most pairs, and it
    is at most 2 wherever Damerau-Levenshtein is 1, so the level is the same."""
    condition = f"levenshtein({col}_l, {col}_r) <= 2 AND damerau_levenshtein({col}_l, {col}_r) <= 1"
    return cll.CustomLevel(condition, "one character off")


def _postcode() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="postcode",
        comparison_levels=[
            cll.NullLevel("postcode"),
            cll.ExactMatchLevel("postcode").configure(label_for_charts="full"),
            cll.ExactMatchLevel("postcode_sector").configure(label_for_charts="sector"),
            cll.ExactMatchLevel("postcode_district").configure(label_for_charts="district"),
            _one_character_off("postcode"),  # a slip in the district: 'LS6' keyed as 'LS8' or 'SL6'
            cll.ElseLevel(),
        ],
        comparison_description="postcode: full, sector, district, one character off",
    )


def _address() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="address",
        comparison_levels=[
            cll.NullLevel("address_fold"),
            cll.ExactMatchLevel("address_fold").configure(label_for_charts="exact"),
            cll.JaroWinklerLevel("address_fold", 0.92).configure(label_for_charts="Jaro-Winkler >= 0.92"),
            cll.ArrayIntersectLevel("address_keys", 3).configure(label_for_charts="3 or more words shared"),
            # slips that join or split words ('victoriaktreet'), which no longer share words
            cll.JaroWinklerLevel("address_fold", 0.85).configure(label_for_charts="Jaro-Winkler >= 0.85"),
            cll.ArrayIntersectLevel("address_keys", 2).configure(label_for_charts="2 words shared"),
            cll.ElseLevel(),
        ],
        comparison_description="address: exact, similar, words shared",
    )


def _overlap(col: str) -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name=col,
        comparison_levels=[
            cll.NullLevel(col),
            cll.ArrayIntersectLevel(col).configure(label_for_charts="shared"),
            cll.ElseLevel(),
        ],
        comparison_description=f"{col}: any in common",
    )


def _exact(col: str) -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name=col,
        comparison_levels=[cll.NullLevel(col), cll.ExactMatchLevel(col), cll.ElseLevel()],
        comparison_description=f"{col}: exact",
    )


def comparisons() -> list[ComparisonCreator | dict[str, Any]]:
    return [
        _name("forename", "surname"),
        _name("surname", "forename"),
        _dob(),
        _postcode(),
        _address(),
        _overlap("phones"),
        _overlap("vehicles"),
        _exact("email"),
        _exact("sex"),
    ]


# Broad keys (a birth date, a name) pair a million records by the tens of millions: each is paired only
# with something more that agrees, an equality, a missing value or a slip. Splink leaves out of each
# rule the pairs of the rules before it by evaluating the earlier rules' whole conditions on its
# candidates, with no short cut (coalesce(condition, false)), so blocking cost about the sum over
# rules of candidates x earlier conditions (27 s of the 41 s prediction at 1M records, with one rule
# per alternative). So the alternatives of one key are one rule, the keys with most candidates come
# first, and each rule's alternatives are behind a CASE on its key, which the database evaluates only
# where the key agrees (a later rule's candidates pay for the key's equality, not for its string
# functions). The same 7,357,955 candidate pairs at 1M records, in 18.5 s instead of 27 s.
DOB_NEAR = ("l.dob_year = r.dob_year", "l.dob_month_day = r.dob_month_day", "l.dob IS NULL", "r.dob IS NULL")
SAME_DISTRICT = "l.postcode_district = r.postcode_district"
NO_FORENAME = ("l.forename_fold IS NULL", "r.forename_fold IS NULL")
# slips only a string function sees: a postcode a key or two off (a wrong key, two keys swapped), a
# surname one key off, an address with a slip (Jaro-Winkler, six times faster here than words shared)
POSTCODE_SLIP = "levenshtein(l.postcode, r.postcode) <= 2"
SURNAME_SLIP = "levenshtein(l.surname_fold, r.surname_fold) <= 1"
ADDRESS_SLIP = "jaro_winkler_similarity(l.address_fold, r.address_fold) >= 0.92"


def _any(keys: str, *alternatives: str) -> CustomRule:
    """The pairs with equal `keys` (SQL equalities, the index) of which any alternative holds, the
    alternatives evaluated only where the keys agree."""
    return CustomRule(f"{keys} AND CASE WHEN {keys} THEN ({' OR '.join(alternatives)}) ELSE false END")


def prediction_blocking_rules() -> list[BlockingRuleCreator | dict[str, Any]]:
    """Candidate pairs: each rule catches what the others miss (swaps, slips, partial records)."""
    return [
        # the same birth date and names that agree somewhere: an initial, the surname's start, the
        # two swapped, one missing or a slip; or the same postcode district, or a postcode slip
        _any(
            "l.dob = r.dob",
            "l.forename_initial = r.forename_initial",
            "l.surname_start = r.surname_start",
            SAME_DISTRICT,
            "l.forename_phonetic = r.surname_phonetic",
            "l.surname_phonetic = r.forename_phonetic",
            *NO_FORENAME,
            "l.surname_fold IS NULL",
            "r.surname_fold IS NULL",
            SURNAME_SLIP,
            POSTCODE_SLIP,
        ),
        # a forename and the surname's start (a slip late in the surname changes its sound code:
        # 'Maynard', 'Maymard'), and a birth date that agrees somewhere or is missing, or the same
        # district, or a slip in the postcode or address
        _any(
            "l.forename_fold = r.forename_fold AND l.surname_start = r.surname_start",
            *DOB_NEAR,
            SAME_DISTRICT,
            POSTCODE_SLIP,
            ADDRESS_SLIP,
        ),
        # the same names by sound and a birth date that agrees somewhere or is missing, or the same district
        _any(
            "l.forename_phonetic = r.forename_phonetic AND l.surname_phonetic = r.surname_phonetic",
            *DOB_NEAR,
            SAME_DISTRICT,
        ),
        # the same surname and year: the forenames share an initial or one is missing, or the birth
        # date agrees but for a slip (the other rules find a forename's slips)
        _any(
            "l.surname_phonetic = r.surname_phonetic AND l.dob_year = r.dob_year",
            "l.forename_initial = r.forename_initial",
            "l.dob_month_day = r.dob_month_day",
            "l.dob = r.dob_swapped",
            *NO_FORENAME,
        ),
        block_on("postcode"),
        # no forename against the same surname: the missing side filtered before the join (one rule per
        # side), so a million records never pair every same-surname record first (the same year: the
        # surname sound's rule above); with no forename either side, a slip in the postcode or address
        _any(
            "l.surname_fold = r.surname_fold AND l.forename_fold IS NULL",
            "l.dob_month_day = r.dob_month_day",
            SAME_DISTRICT,
            f"(r.forename_fold IS NULL AND ({POSTCODE_SLIP} OR {ADDRESS_SLIP}))",
        ),
        _any(
            "l.surname_fold = r.surname_fold AND r.forename_fold IS NULL",
            "l.dob_month_day = r.dob_month_day",
            SAME_DISTRICT,
        ),
        block_on("address_fold"),
        CustomRule("l.forename_fold = r.surname_fold AND l.surname_fold = r.forename_fold"),
        # an initial ('J Lees') against the same surname
        CustomRule("l.surname_fold = r.surname_fold AND l.forename_fold = r.forename_initial"),
        CustomRule("l.surname_fold = r.surname_fold AND l.forename_initial = r.forename_fold"),
        block_on("email"),
        # shared phones and vehicles last: Splink pairs their lists' items apart and leaves out the
        # pairs of the rules before them
        block_on("phones", arrays_to_explode=["phones"]),
        block_on("vehicles", arrays_to_explode=["vehicles"]),
    ]


def training_blocking_rules() -> list[BlockingRuleCreator]:
    """EM sessions: each leaves some comparisons free to be estimated."""
    return [
        block_on("dob"),
        block_on("forename_phonetic", "surname_phonetic"),
        # a slip late in the surname changes its sound code ('Maynard', 'Maymard'): its start does not
        block_on("forename_fold", "surname_start"),
        block_on("postcode"),
        block_on("phones"),
    ]


def settings_creator() -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=prediction_blocking_rules(),
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=False,
    )
