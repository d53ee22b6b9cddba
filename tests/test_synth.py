"""The synthetic world, as the engineers who test ingest, linkage, network and screening meet it."""

from __future__ import annotations

import filecmp
import re
from pathlib import Path

import numpy as np
import pandas as pd
import phonenumbers
import pytest
from typer.testing import CliRunner

from joindots.cli.main import app
from joindots.domain.codes import ETHNICITY_WORDS, IC_CODES, SELF_DEFINED_ETHNICITY
from joindots.errors import InvalidInput
from joindots.ingest.mapping import Mapping, load_mapping
from joindots.synth import SOURCES, canonical_mappings_dir, generate_world
from joindots.synth.names import famous
from joindots.synth.population import POPULATION_ETHNICITY, build_population, cast_sizes
from joindots.synth.sources import FORMULA

SEED = 20240611
PEOPLE = 3000


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    print(f"world seed {SEED}, {PEOPLE} people")
    generate_world(out, PEOPLE, SEED)
    return out


def read_source(world: Path, source: str) -> pd.DataFrame:
    """Read a source file the way its mapping says, every value as text."""
    mapping = load_mapping(world / "mappings" / f"{source}.yaml")
    path = next((world / "sources").glob(f"{source}.*"))
    if mapping.reader.format == "parquet":
        return pd.read_parquet(path)
    if mapping.reader.format == "excel":
        return pd.read_excel(path, dtype=object)
    return pd.read_csv(
        path, sep=mapping.reader.delimiter, encoding=mapping.reader.encoding, dtype=str, keep_default_na=False
    )


def truth(world: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(world / "truth" / f"{name}.csv", dtype=str, keep_default_na=False)


def test_the_same_seed_writes_the_same_files_byte_for_byte(world: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate_world(again, PEOPLE, SEED)
    for folder in ("sources", "mappings", "truth"):
        names = sorted(p.name for p in (world / folder).iterdir())
        assert names == sorted(p.name for p in (again / folder).iterdir())
        _, mismatch, errors = filecmp.cmpfiles(world / folder, again / folder, names, shallow=False)
        assert mismatch == [] and errors == [], (folder, mismatch, errors)


def test_another_seed_gives_another_world(world: Path, tmp_path: Path) -> None:
    generate_world(tmp_path, PEOPLE, SEED + 1)
    assert not filecmp.cmp(world / "truth" / "people.csv", tmp_path / "truth" / "people.csv", shallow=False)


def test_every_source_ships_a_valid_mapping_naming_only_its_own_columns(world: Path) -> None:
    assert len(SOURCES) >= 7
    for source in SOURCES:
        mapping = load_mapping(world / "mappings" / f"{source}.yaml")
        assert isinstance(mapping, Mapping) and mapping.source == source
        columns = set(read_source(world, source).columns)
        assert mapping.columns_used() <= columns, (source, mapping.columns_used() - columns)
        packaged = canonical_mappings_dir() / f"{source}.yaml"
        assert packaged.read_bytes() == (world / "mappings" / f"{source}.yaml").read_bytes()


def test_truth_record_ids_follow_the_convention(world: Path) -> None:
    records = truth(world, "records")
    people = set(truth(world, "people")["person_id"])
    assert set(records["person_id"]) <= people
    assert not records.duplicated(["source", "record_id"]).any()
    for source in SOURCES:
        mapping = load_mapping(world / "mappings" / f"{source}.yaml")
        frame = read_source(world, source)
        ids = frame[mapping.record_id.column].astype(str)
        assert ids.is_unique, source
        mine = records[records["source"] == source]
        for i, person in enumerate(mapping.persons):
            if i == 0:
                expected, got = set(ids), {r for r in mine["record_id"] if "#" not in r}
            else:
                expected = set(_named_rows(frame, mapping, i, ids))
                got = {r.split("#")[0] for r in mine["record_id"] if r.endswith(f"#{i}")}
            assert got == expected, (source, i, person.role)


def _named_rows(frame: pd.DataFrame, mapping: Mapping, i: int, ids: pd.Series) -> list[str]:
    """Optional persons exist exactly where the row names them."""
    name = mapping.persons[i].fields["name"]
    assert not isinstance(name, list) and name.column is not None
    named = frame[name.column].fillna("").astype(str).str.strip() != ""
    return ids[named].tolist()


def test_records_are_about_one_to_one_and_a_half_times_the_people(world: Path) -> None:
    records = truth(world, "records")
    assert 1.0 * PEOPLE <= len(records) <= 1.5 * PEOPLE
    per_person = records.groupby("person_id").size()
    assert len(per_person) < PEOPLE  # many people appear in no source
    assert per_person.max() >= 5  # and some in many


def test_each_source_has_its_own_encoding_delimiter_and_date_style(world: Path) -> None:
    raw = {s: next((world / "sources").glob(f"{s}.*")).read_bytes() for s in SOURCES}
    assert raw["police_south"].startswith(b"\xef\xbb\xbf") and b";" in raw["police_south"].split(b"\n")[0]
    assert b"\r\n" in raw["police_north"] and not raw["police_north"].startswith(b"\xef\xbb\xbf")
    raw["police_north"].decode("cp1252")
    assert b"|" in raw["missing"].split(b"\n")[0]
    assert raw["health"][:4] == b"PAR1" and raw["hotel"][:2] == b"PK"
    styles = {
        ("police_north", "DOB"): r"\d\d/\d\d/\d{4}",
        ("police_south", "DateOfBirth"): r"\d{4}-\d\d-\d\d",
        ("social_care", "Child DOB"): r"\d\d-[A-Z][a-z]{2}-\d{4}",
        ("health", "patient_dob"): r"\d{8}",
        ("missing", "DOB"): r"\d\d\.\d\d\.\d{4}",
        ("taxi", "Date of Birth"): r"\d{1,2} [A-Z][a-z]+ \d{4}",
    }
    for (source, column), pattern in styles.items():
        values = read_source(world, source)[column].astype(str)
        values = values[values != ""]
        assert values.str.fullmatch(pattern).all(), (
            source,
            column,
            values[~values.str.fullmatch(pattern)][:3],
        )


def test_names_are_written_differently_by_each_source(world: Path) -> None:
    north = read_source(world, "police_north")["NAME"]
    assert north.str.fullmatch(r"[^a-z,]+(, .+)?").mean() > 0.98  # "SURNAME, Forename"
    health = read_source(world, "health")
    assert (health["patient_surname"] == health["patient_surname"].str.upper()).all()
    guests = read_source(world, "hotel")["Guest Name Given"].astype(str)
    assert guests.str.startswith("Mr ").any() and guests.str.fullmatch(r"[A-Z] \S+").any()
    assert (~guests.str.contains(" ")).any()  # first name only


def test_identity_noise_a_clerk_makes_is_present(world: Path) -> None:
    people = truth(world, "people").set_index("person_id")
    records = truth(world, "records")
    south = read_source(world, "police_south").merge(
        records[records["source"] == "police_south"], left_on="PersonRef", right_on="record_id"
    )
    true = people.loc[south["person_id"]]
    fore_differs = (south["Forename"].to_numpy() != true["forename"].to_numpy()).mean()
    assert 0.02 < fore_differs < 0.3  # nicknames, variants, typos, swaps, blanks - but mostly right
    swapped = (south["Forename"].to_numpy() == true["surname"].to_numpy()).sum()
    assert swapped > 0
    dob_true = pd.to_datetime(true["dob"]).dt.strftime("%Y-%d-%m").to_numpy()
    assert (south["DateOfBirth"].to_numpy() == dob_true).sum() > 0  # day and month swapped
    phones = read_source(world, "police_south")["Mobile"]
    assert (
        phones.str.startswith("+44 ").any()
        and phones.str.match(r"^447").any()
        and phones.str.match("^07").any()
    )
    postcodes = read_source(world, "health")["postcode"]
    assert postcodes.str.fullmatch(r"[a-z0-9]+").any() and postcodes.str.fullmatch(r"[A-Z0-9]+").any()


def test_suspects_ethnicity_is_recorded_about_a_third_of_the_time(world: Path) -> None:
    north = read_source(world, "police_north")
    south = read_source(world, "police_south")
    suspects = pd.concat(
        [
            north.loc[north["ROLE"] == "SUS", "ETHNICITY"],
            south.loc[south["InvolvementType"] == "Suspect", "EthnicityCode"],
        ]
    )
    share = (suspects != "").mean()
    print(f"suspects {len(suspects)}, ethnicity recorded {share:.3f}")
    assert 0.25 < share < 0.42
    victims = north.loc[north["ROLE"] == "VIC", "ETHNICITY"]
    assert (victims != "").mean() > 0.5


def test_officer_observed_ic_codes_sometimes_disagree_with_self_defined(world: Path) -> None:
    north = read_source(world, "police_north")
    both = north[(north["ETHNICITY"] != "") & (north["OFFICER_OBS_IC"] != "")]
    assert set(both["OFFICER_OBS_IC"]) <= set(IC_CODES)
    white_self = both["ETHNICITY"].str.startswith("W")
    assert (white_self & ~both["OFFICER_OBS_IC"].isin(["IC1", "IC2"])).any()


def test_offenders_ethnicity_comes_from_the_population_distribution_unless_configured() -> None:
    rng = np.random.default_rng(SEED)
    people = 100_000
    population = build_population(rng, people, cast_sizes(people, 0.007), None)
    offenders = population.loc[population["kind"] == "offender", "ethnicity"]
    shares = offenders.value_counts(normalize=True)
    print(f"seed {SEED}: {len(offenders)} offenders; W1 share {shares.get('W1', 0):.3f}")
    assert abs(shares.get("W1", 0) - POPULATION_ETHNICITY["W1"]) < 0.05
    skewed = build_population(np.random.default_rng(SEED), people, cast_sizes(people, 0.007), {"B2": 1.0})
    assert (skewed.loc[skewed["kind"] == "offender", "ethnicity"] == "B2").all()


def test_groups_span_both_forces_and_offenders_show_up_across_sources(world: Path) -> None:
    groups = truth(world, "groups")
    people = truth(world, "people").set_index("person_id")
    assert groups["group_id"].nunique() >= 2
    for _, members in groups.groupby("group_id"):
        offenders = members[members["role"] == "offender"]
        victims = members[members["role"] == "victim"]
        assert 2 <= len(offenders) <= 8 and len(victims) >= 2
        assert set(people.loc[victims["person_id"], "area"]) == {"north", "south"}
    records = truth(world, "records")
    offender_sources = set(
        records.loc[
            records["person_id"].isin(groups.loc[groups["role"] == "offender", "person_id"]), "source"
        ]
    )
    assert {"police_north", "police_south", "hotel", "missing", "social_care"} <= offender_sources


def test_children_at_risk_are_11_to_17_when_agencies_meet_them(world: Path) -> None:
    people = truth(world, "people").set_index("person_id")
    records = truth(world, "records")
    missing = read_source(world, "missing").merge(
        records[records["source"] == "missing"], left_on="EpisodeRef", right_on="record_id"
    )
    at_risk = missing[missing["person_id"].map(people["kind"]) == "child_at_risk"]
    assert len(at_risk) > 0
    age = (
        pd.to_datetime(at_risk["ReportedMissing"]) - pd.to_datetime(at_risk["person_id"].map(people["dob"]))
    ).dt.days / 365.25
    assert age.between(11, 18).all()


def test_hotel_staff_are_adults_who_report_from_the_hotel_they_work_at(world: Path) -> None:
    people = truth(world, "people").set_index("person_id")
    spells = truth(world, "staff")
    records = truth(world, "records")
    reports = read_source(world, "hotel")
    signed = records[(records["source"] == "hotel") & records["record_id"].str.endswith("#1")].assign(
        ref=lambda r: r["record_id"].str[:-2]
    )
    signed = signed.merge(reports, left_on="ref", right_on="Report No")
    assert len(signed) > 0.3 * len(reports)
    assert (people.loc[signed["person_id"], "is_hotel_staff"] == "1").all()
    day = pd.to_datetime(signed["Date"])
    age = (day - pd.to_datetime(signed["person_id"].map(people["dob"]))).dt.days / 365.25
    assert age.between(18, 68).all()
    # The reporter was working at that hotel on that day.
    worked = signed.reset_index().merge(spells, on="person_id", suffixes=("", "_spell"))
    on_duty = (
        (worked["hotel"] == worked["Hotel"])
        & pd.to_datetime(worked["start"]).le(pd.to_datetime(worked["Date"]))
        & pd.to_datetime(worked["end"]).ge(pd.to_datetime(worked["Date"]))
    )
    assert worked.loc[on_duty, "index"].nunique() == len(signed)
    # Most staff work at one hotel; some move once.
    hotels_each = spells.groupby("person_id")["hotel"].nunique()
    assert hotels_each.max() <= 2 and (hotels_each == 1).mean() > 0.5


def test_sexual_offence_codes_fit_the_victim_at_the_offence(world: Path) -> None:
    """A Home Office code says who the victim was: 22B a child of 13-15, 19C a woman of 16 or over,
    17A a male of 13 or over. Read from police_north, which gives the offence date, against the
    truth's birth dates and sexes (the code as first recorded too, where it was reclassified)."""
    people = truth(world, "people").set_index("person_id")
    records = truth(world, "records")
    north = read_source(world, "police_north").merge(
        records[records["source"] == "police_north"], left_on="NOMINAL_ID", right_on="record_id"
    )
    victims = north[north["ROLE"] == "VIC"]
    day = pd.to_datetime(victims["OFFENCE_DATE"], format="%d/%m/%Y")
    age = ((day - pd.to_datetime(victims["person_id"].map(people["dob"]))).dt.days / 365.25).astype(int)
    female = victims["person_id"].map(people["sex"]).eq("F")
    fits = {
        "19C": female & (age >= 16), "19D": female & age.between(13, 15), "19E": female & (age < 13),
        "19F": ~female & (age >= 16), "19G": ~female & age.between(13, 15), "19H": ~female & (age < 13),
        "20A": female & (age >= 13), "20B": female & (age < 13), "17A": ~female & (age >= 13),
        "17B": ~female & (age < 13), "22B": age.between(13, 15), "21": age < 13,
    }  # fmt: skip
    checked = 0
    for column in ("HO_CODE", "HO_CODE_ORIG"):
        for code, fit in fits.items():
            coded = victims[column] == code
            assert fit[coded].all(), (column, code, victims.loc[coded & ~fit, ["CRIME_REF", "DOB"]].head())
            checked += int(coded.sum())
    assert checked > 20


def test_cases_deserving_review_have_reasons_and_most_do_not(world: Path) -> None:
    cases = truth(world, "cases")
    assert list(cases.columns) == ["source", "case_ref", "should_review", "reasons"]
    review = cases[cases["should_review"] == "True"]
    assert len(review) >= 5 and (review["reasons"] != "").all()
    assert (cases.loc[cases["should_review"] == "False", "reasons"] == "").all()
    assert len(review) < 0.2 * len(cases)
    reasons = {r for rs in review["reasons"] for r in rs.split(";")}
    assert {"rape_reclassified_victim_13_15", "closed_suspect_linked_to_other_victims"} <= reasons
    north = read_source(world, "police_north")
    refs = set(north["CRIME_REF"])
    assert set(cases.loc[cases["source"] == "police_north", "case_ref"]) == refs
    reclassified = north[
        north["CRIME_REF"].isin(review.loc[review["reasons"].str.contains("rape_reclassified"), "case_ref"])
    ]
    if len(reclassified):
        assert (
            reclassified["HO_CODE_ORIG"].isin(["19D", "19G"]).all()
            and (reclassified["HO_CODE"] == "22B").all()
        )


def test_only_synthetic_names(world: Path) -> None:
    people = truth(world, "people")
    full = (people["forename"] + " " + people["surname"]).to_numpy()
    assert not famous(full).any()
    assert famous(np.array(["JANE DOE", "Jane Doe", "Jane Doerr"])).tolist() == [True, True, False]
    assert people["surname"].nunique() > 300 and people["forename"].nunique() > 200  # a diverse population


def test_values_survive_the_normalisers_they_will_meet(world: Path) -> None:
    south = read_source(world, "police_south")
    phones = south.loc[south["Mobile"] != "", "Mobile"]
    assert all(phonenumbers.is_possible_number(phonenumbers.parse(p, "GB")) for p in phones)
    postcode = re.compile(r"[A-Z]{1,2}\d{1,2}[A-Z]? ?\d[A-Z]{2}")
    assert (
        south.loc[south["HomePostcode"] != "", "HomePostcode"]
        .str.upper()
        .str.fullmatch(postcode.pattern)
        .all()
    )
    plates = read_source(world, "taxi")["Vehicle Reg"].str.replace(" ", "").str.upper()
    assert plates.str.fullmatch(r"[A-Z]{2}\d\d[A-Z]{3}").all()
    codes = set(SELF_DEFINED_ETHNICITY)
    assert set(read_source(world, "police_north")["ETHNICITY"]) - {""} <= codes
    care = load_mapping(world / "mappings" / "social_care.yaml").persons[0].fields["ethnicity"]
    assert not isinstance(care, list)
    words = set(read_source(world, "social_care")["Ethnicity"]) - {""}
    assert words <= set(care.values) | set(ETHNICITY_WORDS)


def test_deliberate_bad_rows_are_few_and_documented(world: Path) -> None:
    north = read_source(world, "police_north")
    formula = north["MO_NOTES"] == FORMULA
    impossible = north["DOB"].str.startswith("31/02/")
    assert 1 <= formula.sum() <= max(1, len(north) // 1000)
    assert 1 <= impossible.sum() <= max(1, len(north) // 1000)
    docs = Path(__file__).parents[1] / "docs" / "synth.md"
    text = docs.read_text(encoding="utf-8")
    assert "HYPERLINK" in text and "31/02" in text


def test_a_world_too_small_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="at least"):
        generate_world(tmp_path, 10, 1)


def test_the_command_writes_a_world_and_says_what_it_made(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["synth", str(tmp_path / "w"), "--people", "800", "--seed", "5"])
    assert result.exit_code == 0, result.output
    assert "police_north" in result.output and "groups" in result.output
    assert {p.name for p in (tmp_path / "w" / "truth").iterdir()} == {
        "records.csv",
        "people.csv",
        "groups.csv",
        "cases.csv",
        "staff.csv",
    }
    bad = CliRunner().invoke(app, ["synth", str(tmp_path / "x"), "--people", "5"])
    assert bad.exit_code != 0 and "at least" in bad.output
