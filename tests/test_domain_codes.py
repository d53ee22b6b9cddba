"""The code lists our users work with are complete and consistent."""

from __future__ import annotations

import pycountry

from joindots.domain import codes


def test_self_defined_ethnicity_is_the_18_plus_1_list():
    assert len(codes.SELF_DEFINED_ETHNICITY) == 19
    assert "NS" in codes.SELF_DEFINED_ETHNICITY


def test_numeric_ethnicity_maps_onto_real_codes():
    assert set(codes.ETHNICITY_NUMERIC.values()) <= set(codes.SELF_DEFINED_ETHNICITY)
    assert codes.ETHNICITY_NUMERIC["1"] == "W1"


def test_words_map_onto_real_codes():
    assert set(codes.ETHNICITY_WORDS.values()) <= set(codes.SELF_DEFINED_ETHNICITY)
    assert codes.ETHNICITY_WORDS["pakistani"] == "A2"


def test_observed_codes_are_kept_apart_from_self_defined():
    assert not set(codes.IC_CODES) & set(codes.SELF_DEFINED_ETHNICITY)


def test_demonyms_are_iso_alpha3():
    for word, alpha3 in codes.DEMONYMS.items():
        assert pycountry.countries.get(alpha_3=alpha3) is not None, word


def test_closed_without_charge_outcomes_are_known_outcomes():
    assert set(codes.OUTCOME_TYPES) >= codes.CLOSED_WITHOUT_CHARGE
    assert codes.CHILD_RAPE_CODES <= codes.RAPE_CODES <= set(codes.OFFENCE_CODES)
