"""Each agency writes its records its own way: column names, date styles, codes, habits of error.

A renderer takes a canonical table (``tables.py``) and returns the file's columns, the source record
id of every row and, for each entry in the mapping's ``persons`` list, the true person behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from joindots.domain.codes import ETHNICITY_NUMERIC
from joindots.synth.identity import Recorded, record_people, with_recorded_share
from joindots.synth.names import fold_ascii
from joindots.synth.noise import (
    NoiseProfile,
    format_date,
    format_days,
    format_phones,
    format_plates,
    format_postcodes,
    nicknames,
    split_days,
)
from joindots.synth.tables import Hotels

FORMULA = '=HYPERLINK("http://example.invalid/x","open")'
NUMBER_FOR_CODE = {code: num for num, code in ETHNICITY_NUMERIC.items() if num != "0"}
# The words a social worker writes (each maps to one code in the domain list or the mapping).
WORDS_FOR_CODE = {
    "W1": "White British",
    "W2": "White Irish",
    "W3": "Gypsy/Roma/Traveller",
    "W9": "White Other",
    "M1": "White and Black Caribbean",
    "M2": "White and Black African",
    "M3": "White and Asian",
    "M9": "Mixed Other",
    "A1": "Indian",
    "A2": "Pakistani",
    "A3": "Bangladeshi",
    "A4": "Chinese",
    "A9": "Asian Other",
    "B1": "Black Caribbean",
    "B2": "Black African",
    "B9": "Black Other",
    "O2": "Arab",
    "O9": "Any Other",
    "NS": "Not stated",
}
# NHS Data Dictionary ethnic category letters.
NHS_LETTER_FOR_CODE = {
    "W1": "A",
    "W2": "B",
    "W3": "C",
    "W9": "C",
    "M1": "D",
    "M2": "E",
    "M3": "F",
    "M9": "G",
    "A1": "H",
    "A2": "J",
    "A3": "K",
    "A4": "R",
    "A9": "L",
    "B1": "M",
    "B2": "N",
    "B9": "P",
    "O2": "S",
    "O9": "S",
    "NS": "Z",
}
DEMONYM_FOR_ISO = {
    "GBR": "BRITISH",
    "IRL": "IRISH",
    "POL": "POLISH",
    "ROU": "ROMANIAN",
    "LTU": "LITHUANIAN",
    "ITA": "ITALIAN",
    "PRT": "PORTUGUESE",
    "SVK": "SLOVAK",
    "HUN": "HUNGARIAN",
    "IND": "INDIAN",
    "PAK": "PAKISTANI",
    "BGD": "BANGLADESHI",
    "CHN": "CHINESE",
    "LKA": "SRI LANKAN",
    "VNM": "VIETNAMESE",
    "NGA": "NIGERIAN",
    "KEN": "KENYAN",
    "GHA": "GHANAIAN",
    "IRQ": "IRAQI",
    "SYR": "SYRIAN",
    "EGY": "EGYPTIAN",
    "TUR": "TURKISH",
}


@dataclass(frozen=True)
class RecordingHabits:
    """How often a source records protected characteristics (shares by role)."""

    suspect_ethnicity: float = 1 / 3
    other_ethnicity: float = 0.6
    suspect_ic: float = 0.7


@dataclass
class SourceOutput:
    """One source's file content and its ground truth."""

    name: str
    frame: pd.DataFrame
    record_ids: np.ndarray
    persons: list[np.ndarray]  # per mapping person entry: true pid per row, -1 when not named
    refs: np.ndarray | None = None  # event ref per row (for the case truth)
    bad_rows: dict[str, int] = field(default_factory=dict)  # deliberate faults: kind -> count


def _bad_rows(rng: np.random.Generator, n: int) -> np.ndarray:
    """A few rows (about 1 in 5,000, at least 1) that carry a deliberate fault."""
    return rng.choice(n, size=min(n, max(1, n // 5000)), replace=False) if n else np.empty(0, dtype=np.int64)


def numbered_by(style: str) -> str:
    """The day a force numbers its crimes by: north the offence's, south the report's (its export
    gives no other date)."""
    return "reported" if style == "south" else "date"


def _sorted_nominals(crimes: pd.DataFrame, nominals: pd.DataFrame, force: str) -> pd.DataFrame:
    """The force's crimes' people in the order of its crime numbers."""
    day = numbered_by(force)
    mine = crimes[crimes["force"] == force].sort_values([day, "crime_key"], kind="stable")
    joined = nominals.merge(mine, on="crime_key", how="inner")
    order = {"victim": 0, "suspect": 1, "witness": 2}
    joined["role_order"] = joined["role"].map(order)
    return joined.sort_values([day, "crime_key", "role_order", "pid"], kind="stable").reset_index(drop=True)


def crime_refs(crimes: pd.DataFrame, prefix: str, style: str) -> dict[int, str]:
    """Crime reference per crime_key, numbered within each year in the order of the day the force
    numbers by (`numbered_by`)."""
    day = numbered_by(style)
    ordered = crimes.sort_values([day, "crime_key"], kind="stable")
    y, _, _ = split_days(ordered[day].to_numpy())
    seq = pd.Series(1, index=ordered.index).groupby(y).cumsum().to_numpy()
    if style == "north":
        refs = [f"{prefix}/{yy % 100:02d}/{s:06d}" for yy, s in zip(y, seq, strict=True)]
    else:
        refs = [f"{yy}-{s:07d}" for yy, s in zip(y, seq, strict=True)]
    return dict(zip(ordered["crime_key"].to_numpy().tolist(), refs, strict=True))


def _ethnicity_shares(roles: np.ndarray, habits: RecordingHabits) -> np.ndarray:
    return np.where(roles == "suspect", habits.suspect_ethnicity, habits.other_ethnicity)


def police_north(
    rng: np.random.Generator,
    people: pd.DataFrame,
    crimes: pd.DataFrame,
    nominals: pd.DataFrame,
    habits: RecordingHabits,
) -> SourceOutput:
    """Crime nominals: cp1252, 'SURNAME, Forename', dd/mm/yyyy, VIC/SUS/WIT, IC codes, demonyms."""
    rows = _sorted_nominals(crimes, nominals, "north")
    n = len(rows)
    rec = record_people(
        rng, people, rows["pid"].to_numpy(), NoiseProfile(typo=0.02, nickname=0.03, phone_missing=0.5)
    )
    roles = rows["role"].to_numpy()
    recorded = rng.random(n) < _ethnicity_shares(roles, habits)
    first = np.where(rec.middle != "", rec.forename + " " + rec.middle, rec.forename)
    name = pd.Series(rec.surname).str.upper() + ", " + pd.Series(first)
    refs = rows["crime_key"].map(crime_refs(crimes[crimes["force"] == "north"], "NC", "north")).to_numpy()
    dob = format_date(*rec.dob, "dd/mm/yyyy")
    notes = rows["notes"].to_numpy().copy()
    bad_dob, bad_note = _bad_rows(rng, n), _bad_rows(rng, n)
    dob[bad_dob] = "31/02/" + pd.Series(rec.dob[0][bad_dob]).clip(lower=1950).astype(str).to_numpy()
    notes[bad_note] = FORMULA
    frame = pd.DataFrame(
        {
            "CRIME_REF": refs,
            "NOMINAL_ID": [f"N{i:08d}" for i in range(1, n + 1)],
            "ROLE": rows["role"].map({"victim": "VIC", "suspect": "SUS", "witness": "WIT"}).to_numpy(),
            "NAME": name.str.strip(", ").to_numpy(),
            "DOB": dob,
            "SEX": rec.sex,
            "ADDRESS": np.char.upper(rec.address.astype(str)).astype(object),
            "POSTCODE": format_postcodes(rng, rec.postcode, no_space=0.1, lower=0.0),
            "TEL_NO": format_phones(rng, rec.phone, {"plain": 0.5, "spaced": 0.4, "bracketed": 0.1}),
            "ETHNICITY": np.where(recorded, rec.ethnicity, ""),
            "OFFICER_OBS_IC": with_recorded_share(
                rng, rec.ic_code, np.where(roles == "suspect", habits.suspect_ic, 0.3)
            ),
            "NATIONALITY": np.where(
                recorded, pd.Series(rec.nationality).map(DEMONYM_FOR_ISO).fillna("").to_numpy(), ""
            ),
            "OFFENCE_DATE": format_days(rows["date"].to_numpy(), "dd/mm/yyyy"),
            "HO_CODE": rows["offence_code"].to_numpy(),
            "HO_CODE_ORIG": rows["offence_orig"].to_numpy(),
            "OUTCOME": rows["outcome"].to_numpy(),
            "OUTCOME_DATE": format_days(rows["outcome_date"].to_numpy(), "dd/mm/yyyy"),
            "CSE_FLAG": np.where(rows["cse"].to_numpy().astype(bool), "Y", "N"),
            "MO_NOTES": notes,
        }
    )
    return SourceOutput(
        "police_north",
        frame,
        frame["NOMINAL_ID"].to_numpy(),
        [rows["pid"].to_numpy()],
        refs,
        {"impossible_dob": len(bad_dob), "formula_in_notes": len(bad_note)},
    )


def police_south(
    rng: np.random.Generator,
    people: pd.DataFrame,
    crimes: pd.DataFrame,
    nominals: pd.DataFrame,
    habits: RecordingHabits,
) -> SourceOutput:
    """Occurrence involvements: UTF-8 with BOM, ';', ISO dates, role words, numeric ethnicity, ISO nationality."""
    rows = _sorted_nominals(crimes, nominals, "south")
    n = len(rows)
    rec = record_people(
        rng, people, rows["pid"].to_numpy(), NoiseProfile(typo=0.03, nickname=0.06, dob_swap=0.03)
    )
    roles = rows["role"].to_numpy()
    recorded = rng.random(n) < _ethnicity_shares(roles, habits)
    refs = rows["crime_key"].map(crime_refs(crimes[crimes["force"] == "south"], "", "south")).to_numpy()
    summary = rows["notes"].to_numpy().copy()
    multiline = _bad_rows(rng, n)
    summary[multiline] = summary[multiline] + "\nUpdate: reviewed by DS; no further lines."
    frame = pd.DataFrame(
        {
            "OccurrenceNo": refs,
            "PersonRef": [f"SP{i:07d}" for i in range(1, n + 1)],
            "InvolvementType": rows["role"]
            .map({"victim": "Victim", "suspect": "Suspect", "witness": "Witness"})
            .to_numpy(),
            "Forename": rec.forename,
            "MiddleNames": rec.middle,
            "Surname": rec.surname,
            "DateOfBirth": format_date(*rec.dob, "yyyy-mm-dd"),
            "Gender": pd.Series(rec.sex).map({"M": "Male", "F": "Female"}).to_numpy(),
            "HomeAddress": rec.address,
            "HomePostcode": format_postcodes(rng, rec.postcode, no_space=0.3, lower=0.1),
            "Mobile": format_phones(rng, rec.phone, {"intl": 0.5, "intl_bare": 0.2, "plain": 0.3}),
            "EthnicityCode": np.where(
                recorded, pd.Series(rec.ethnicity).map(NUMBER_FOR_CODE).fillna("19").to_numpy(), ""
            ),
            "NationalityISO": np.where(recorded & (rng.random(n) < 0.9), rec.nationality, ""),
            "ReportedDate": format_days(rows["reported"].to_numpy(), "yyyy-mm-dd"),
            "OffenceCode": rows["offence_code"].to_numpy(),
            "OriginalOffenceCode": rows["offence_orig"].to_numpy(),
            "OutcomeType": rows["outcome"].to_numpy(),
            "OutcomeDate": format_days(rows["outcome_date"].to_numpy(), "yyyy-mm-dd"),
            "CSEMarker": np.where(rows["cse"].to_numpy().astype(bool), "TRUE", "FALSE"),
            "Summary": summary,
        }
    )
    return SourceOutput(
        "police_south",
        frame,
        frame["PersonRef"].to_numpy(),
        [rows["pid"].to_numpy()],
        refs,
        {"quoted_newline_in_summary": len(multiline)},
    )


def street_name(
    rng: np.random.Generator, rec: Recorded, pids: np.ndarray, people: pd.DataFrame
) -> np.ndarray:
    """How a child or a clerk names a man they half know: a nickname, a first name, or a full name."""
    table = nicknames()
    true_fore = people["forename"].to_numpy()[pids]
    nick = np.asarray([table.get(f, (f,))[0] for f in true_fore], dtype=object)
    r = rng.random(len(pids))
    return np.where(r < 0.4, nick, np.where(r < 0.75, rec.forename, rec.forename + " " + rec.surname)).astype(
        object
    )


def _optional_names(
    rng: np.random.Generator, people: pd.DataFrame, pids: np.ndarray, profile: NoiseProfile
) -> tuple[np.ndarray, np.ndarray]:
    """Street names for the rows naming somebody; '' elsewhere. Returns (names, phones)."""
    names = np.full(len(pids), "", dtype=object)
    phones = np.full(len(pids), "", dtype=object)
    named = np.flatnonzero(pids >= 0)
    if len(named):
        rec = record_people(rng, people, pids[named], profile)
        rec.forename = np.where(rec.forename == "", people["forename"].to_numpy()[pids[named]], rec.forename)
        names[named] = street_name(rng, rec, pids[named], people)
        phones[named] = rec.phone
    return names, phones


def social_care(rng: np.random.Generator, people: pd.DataFrame, referrals: pd.DataFrame) -> SourceOutput:
    """Referrals about a child: dd-Mon-yyyy birth dates, ethnicity in words, a perpetrator's street name."""
    rows = referrals.sort_values(["date", "child"], kind="stable").reset_index(drop=True)
    n = len(rows)
    child = rows["child"].to_numpy().astype(np.int64)
    rec = record_people(
        rng, people, child, NoiseProfile(typo=0.04, nickname=0.08, dob_missing=0.02, phone_missing=0.9)
    )
    perp = rows["perp"].to_numpy().astype(np.int64)
    perp_name, _ = _optional_names(rng, people, perp, NoiseProfile(typo=0.05, forename_missing=0.0))
    frame = pd.DataFrame(
        {
            "Referral ID": [f"CSC-{i:07d}" for i in range(1, n + 1)],
            "Referral Date": format_days(rows["date"].to_numpy(), "dd/mm/yyyy"),
            "Child Forename": rec.forename,
            "Child Surname": rec.surname,
            "Child DOB": format_date(*rec.dob, "dd-Mon-yyyy"),
            "Gender": pd.Series(rec.sex).map({"M": "Male", "F": "Female"}).to_numpy(),
            "Address": rec.address,
            "Post Code": format_postcodes(rng, rec.postcode, no_space=0.2, lower=0.3),
            "Ethnicity": with_recorded_share(
                rng, pd.Series(rec.ethnicity).map(WORDS_FOR_CODE).to_numpy(), 0.8
            ),
            "Referrer": rows["referrer"].to_numpy(),
            "Concerns": rows["concerns"].to_numpy(),
            "Alleged Perpetrator": perp_name,
            "CSE Risk": rows["risk"].to_numpy(),
        }
    )
    return SourceOutput("social_care", frame, frame["Referral ID"].to_numpy(), [child, perp])


def health(rng: np.random.Generator, people: pd.DataFrame, attendances: pd.DataFrame) -> SourceOutput:
    """Attendances (Parquet): yyyymmdd birth dates, sex 1/2, NHS ethnic letters, postcodes squashed."""
    rows = attendances.sort_values(["date", "pid"], kind="stable").reset_index(drop=True)
    n = len(rows)
    pid = rows["pid"].to_numpy().astype(np.int64)
    rec = record_people(
        rng, people, pid, NoiseProfile(typo=0.02, nickname=0.02, dob_missing=0.005, phone_missing=0.3)
    )
    frame = pd.DataFrame(
        {
            "attendance_id": [f"H{i:09d}" for i in range(1, n + 1)],
            "attendance_date": pd.to_datetime(rows["date"].to_numpy().astype(np.int64), unit="D"),
            "patient_forename": np.char.upper(rec.forename.astype(str)).astype(object),
            "patient_surname": np.char.upper(rec.surname.astype(str)).astype(object),
            "patient_dob": format_date(*rec.dob, "yyyymmdd"),
            "sex_code": pd.Series(rec.sex).map({"M": "1", "F": "2"}).to_numpy(),
            "postcode": format_postcodes(rng, rec.postcode, no_space=0.9, lower=0.5),
            "contact_number": format_phones(rng, rec.phone, {"plain": 0.6, "intl_bare": 0.4}),
            "ethnic_category": with_recorded_share(
                rng, pd.Series(rec.ethnicity).map(NHS_LETTER_FOR_CODE).to_numpy(), 0.85
            ),
            "department": rows["department"].to_numpy(),
            "presenting_complaint": rows["complaint"].to_numpy(),
            "safeguarding_concern": rows["safeguarding"].to_numpy().astype(bool),
        }
    )
    return SourceOutput("health", frame, frame["attendance_id"].to_numpy(), [pid])


def missing(rng: np.random.Generator, people: pd.DataFrame, episodes: pd.DataFrame) -> SourceOutput:
    """Missing episodes ('|'-delimited): full names, dd.mm.yyyy, where found and with whom."""
    rows = episodes.sort_values(["date", "child"], kind="stable").reset_index(drop=True)
    n = len(rows)
    child = rows["child"].to_numpy().astype(np.int64)
    rec = record_people(
        rng, people, child, NoiseProfile(typo=0.03, nickname=0.1, dob_missing=0.01, phone_missing=0.7)
    )
    with_pid = rows["with_pid"].to_numpy().astype(np.int64)
    with_name, with_phone = _optional_names(
        rng, people, with_pid, NoiseProfile(phone_missing=0.6, forename_missing=0.0)
    )
    hour = rng.integers(14, 24, n)
    reported = (
        format_days(rows["date"].to_numpy(), "yyyy-mm-dd")
        + " "
        + np.char.zfill(hour.astype(str), 2).astype(object)
        + ":"
        + np.char.zfill(rng.integers(0, 60, n).astype(str), 2).astype(object)
    )
    frame = pd.DataFrame(
        {
            "EpisodeRef": [f"MP{i:07d}" for i in range(1, n + 1)],
            "MissingPersonName": (pd.Series(rec.forename) + " " + pd.Series(rec.surname))
            .str.strip()
            .to_numpy(),
            "DOB": format_date(*rec.dob, "dd.mm.yyyy"),
            "Sex": rec.sex,
            "HomePostcode": format_postcodes(rng, rec.postcode, no_space=0.2, lower=0.1),
            "ReportedMissing": reported,
            "FoundDate": format_days(rows["found_date"].to_numpy(), "dd.mm.yyyy"),
            "FoundLocationType": rows["loc_type"].to_numpy(),
            "FoundLocation": rows["loc_name"].to_numpy(),
            "FoundPostcode": rows["loc_postcode"].to_numpy(),
            "FoundWith": with_name,
            "FoundWithPhone": format_phones(rng, with_phone, {"spaced": 0.7, "plain": 0.3}),
            "Risk": rows["risk"].to_numpy(),
            "ReturnInterviewNotes": rows["notes"].to_numpy(),
        }
    )
    return SourceOutput(
        "missing", frame, frame["EpisodeRef"].to_numpy(), [child, with_pid], frame["EpisodeRef"].to_numpy()
    )


def _given_name(rng: np.random.Generator, rec: Recorded) -> np.ndarray:
    """A guest's name as given at a desk: full, initial and surname, first name only, or 'Mr Surname'."""
    r = rng.random(len(rec.surname))
    forename = np.where(rec.forename == "", rec.surname, rec.forename)
    initial = pd.Series(forename).str[:1].to_numpy()
    full = forename + " " + rec.surname
    return np.where(
        r < 0.4,
        full,
        np.where(r < 0.65, initial + " " + rec.surname, np.where(r < 0.85, forename, "Mr " + rec.surname)),
    ).astype(object)


def hotel(
    rng: np.random.Generator, people: pd.DataFrame, reports: pd.DataFrame, hotels: Hotels
) -> SourceOutput:
    """Operation Makesafe reports (Excel): partial names, phones, car registrations, Yes/No indicators."""
    rows = reports.sort_values(["date", "hotel", "guest"], kind="stable").reset_index(drop=True)
    n = len(rows)
    guest = rows["guest"].to_numpy().astype(np.int64)
    rec = record_people(
        rng, people, guest, NoiseProfile(typo=0.06, nickname=0.15, phone_missing=0.3, vrm_missing=0.0)
    )
    staff = rows["staff"].to_numpy().astype(np.int64)
    staff_name = np.full(n, "", dtype=object)
    named = np.flatnonzero(staff >= 0)
    if len(named):
        srec = record_people(
            rng, people, staff[named], NoiseProfile(typo=0.01, nickname=0.2, forename_missing=0.0)
        )
        staff_name[named] = srec.forename + " " + srec.surname
    notes = rows["notes"].to_numpy().copy()
    notes[_bad_rows(rng, n)] = FORMULA
    yes = {True: "Yes", False: "No"}
    hotel_idx = rows["hotel"].to_numpy().astype(np.int64)
    car = np.where(rows["car"].to_numpy().astype(bool), rec.vrm, "")
    frame = pd.DataFrame(
        {
            "Report No": [f"MS{i:06d}" for i in range(1, n + 1)],
            "Hotel": np.asarray(hotels.name, dtype=object)[hotel_idx],
            "Hotel Postcode": np.asarray(hotels.postcode, dtype=object)[hotel_idx],
            "Date": pd.to_datetime(rows["date"].to_numpy().astype(np.int64), unit="D"),
            "Guest Name Given": _given_name(rng, rec),
            "Guest Phone": format_phones(rng, rec.phone, {"spaced": 0.5, "plain": 0.3, "dashed": 0.2}),
            "Vehicle Reg": format_plates(rng, car, spaced=0.6, lower=0.15),
            "Paid Cash": pd.Series(rows["cash"].astype(bool)).map(yes).to_numpy(),
            "Refused ID": pd.Series(rows["refused_id"].astype(bool)).map(yes).to_numpy(),
            "Isolated Room Requested": pd.Series(rows["isolated"].astype(bool)).map(yes).to_numpy(),
            "Child With Non-Family Adults": pd.Series(rows["child_adults"].astype(bool)).map(yes).to_numpy(),
            "Visitors": rows["visitors"].to_numpy().astype(np.int64),
            "Reported By": staff_name,
            "Notes": notes,
        }
    )
    return SourceOutput(
        "hotel",
        frame,
        frame["Report No"].to_numpy(),
        [guest, staff],
        None,
        {"formula_in_notes": int((notes == FORMULA).sum())},
    )


def taxi(rng: np.random.Generator, people: pd.DataFrame, licences: pd.DataFrame) -> SourceOutput:
    """Council taxi licensing: 'd Month yyyy' birth dates, forenames with middle names, vehicle marks."""
    rows = licences.sort_values(["issued", "pid"], kind="stable").reset_index(drop=True)
    n = len(rows)
    pid = rows["pid"].to_numpy().astype(np.int64)
    rec = record_people(
        rng,
        people,
        pid,
        NoiseProfile(
            typo=0.01,
            nickname=0.0,
            variant=0.2,
            dob_missing=0.0,
            dob_swap=0.005,
            stale_address=0.0,
            postcode_missing=0.0,
            phone_missing=0.05,
            vrm_missing=0.0,
        ),
    )
    old = rows["old_address"].to_numpy().astype(bool)
    address = np.where(old, people["old_address"].to_numpy()[pid], rec.address)
    postcode = np.where(old, people["old_postcode"].to_numpy()[pid], rec.postcode)
    street = pd.Series(address).str.split(", ", n=1)
    vrm = np.where(
        rows["vrm_slot"].to_numpy() == 2, people["vrm2"].to_numpy()[pid], people["vrm1"].to_numpy()[pid]
    )
    number = {p: f"{i:05d}" for i, p in enumerate(pd.unique(pid), start=1)}
    licence = np.asarray([f"TX{number[p]}" for p in pid], dtype=object)
    seq = pd.Series(1, index=rows.index).groupby(pid).cumsum().to_numpy()
    forenames = np.where(rec.middle != "", rec.forename + " " + rec.middle, rec.forename)
    frame = pd.DataFrame(
        {
            "Licence Record": licence + "/" + seq.astype(str).astype(object),
            "Licence No": licence,
            "Licence Type": rows["licence_type"].to_numpy(),
            "Driver Surname": rec.surname,
            "Driver Forenames": forenames,
            "Date of Birth": format_date(*rec.dob, "d Month yyyy"),
            "Address Line 1": street.str[0].to_numpy(),
            "Town": street.str[1].fillna("").to_numpy(),
            "Postcode": format_postcodes(rng, postcode, no_space=0.05, lower=0.0),
            "Mobile": format_phones(rng, rec.phone, {"spaced": 0.8, "plain": 0.2}),
            "Vehicle Reg": format_plates(rng, vrm, spaced=0.9, lower=0.0),
            "Vehicle Make": np.asarray(
                ["Toyota Prius", "Skoda Octavia", "Ford Galaxy", "Kia Niro", "VW Passat"], dtype=object
            )[rng.integers(0, 5, n)],
            "Issued": format_days(rows["issued"].to_numpy(), "dd/mm/yyyy"),
            "Expires": format_days(rows["expires"].to_numpy(), "dd/mm/yyyy"),
            "Council": rows["council"].to_numpy(),
        }
    )
    return SourceOutput("taxi", frame, frame["Licence Record"].to_numpy(), [pid])


def cp1252_safe(values: pd.Series) -> pd.Series:
    """Text a cp1252 system can store: characters it lacks lose their accents (as such systems do)."""
    text = values.fillna("").astype(str)
    try:
        "\n".join(text.tolist()).encode("cp1252")
    except UnicodeEncodeError:
        fixed = {v: "".join(c if _in_cp1252(c) else fold_ascii(c) for c in v) for v in pd.unique(text)}
        return text.map(fixed)
    return values


def _in_cp1252(char: str) -> bool:
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def cp1252_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text column made storable in cp1252."""
    return frame.apply(lambda col: cp1252_safe(col) if col.dtype == object else col)
