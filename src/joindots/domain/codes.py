"""Code lists from DOMAIN.md: self-defined ethnicity (18+1), officer-observed IC codes, nationality,
Home Office outcome types and sexual-offence classifications.

Ethnicity and nationality are recorded and audited; they are never evidence (see link/, network/,
screening/ which never read them).
"""

from __future__ import annotations

# Self-defined ethnicity, the police "18+1" list (ONS 2021 based). Order gives the numeric form 1-18.
SELF_DEFINED_ETHNICITY: dict[str, str] = {
    "W1": "White - English, Welsh, Scottish, Northern Irish or British",
    "W2": "White - Irish",
    "W3": "White - Gypsy or Irish Traveller",
    "W9": "White - any other White background",
    "M1": "Mixed - White and Black Caribbean",
    "M2": "Mixed - White and Black African",
    "M3": "Mixed - White and Asian",
    "M9": "Mixed - any other Mixed background",
    "A1": "Asian - Indian",
    "A2": "Asian - Pakistani",
    "A3": "Asian - Bangladeshi",
    "A4": "Asian - Chinese",
    "A9": "Asian - any other Asian background",
    "B1": "Black - Caribbean",
    "B2": "Black - African",
    "B9": "Black - any other Black background",
    "O2": "Other - Arab",
    "O9": "Other - any other ethnic group",
    "NS": "Not stated",
}
# Numeric form used by some systems: 1-18 in the order above, 19 or 0 for not stated.
# (Numbering differs between systems; a mapping file can override it with its own `values:`.)
ETHNICITY_NUMERIC: dict[str, str] = {
    str(i + 1): code for i, code in enumerate(list(SELF_DEFINED_ETHNICITY)[:18])
}
ETHNICITY_NUMERIC.update({"19": "NS", "0": "NS"})

# Words agencies write instead of codes.
ETHNICITY_WORDS: dict[str, str] = {
    "british": "W1",
    "white british": "W1",
    "english": "W1",
    "welsh": "W1",
    "scottish": "W1",
    "irish": "W2",
    "white irish": "W2",
    "gypsy": "W3",
    "irish traveller": "W3",
    "traveller": "W3",
    "other white": "W9",
    "any other white": "W9",
    "white other": "W9",
    "white and black caribbean": "M1",
    "white and black african": "M2",
    "white and asian": "M3",
    "other mixed": "M9",
    "mixed other": "M9",
    "indian": "A1",
    "pakistani": "A2",
    "bangladeshi": "A3",
    "chinese": "A4",
    "other asian": "A9",
    "asian other": "A9",
    "caribbean": "B1",
    "black caribbean": "B1",
    "african": "B2",
    "black african": "B2",
    "other black": "B9",
    "black other": "B9",
    "arab": "O2",
    "other": "O9",
    "any other": "O9",
    "not stated": "NS",
    "not known": "NS",
    "unknown": "NS",
    "refused": "NS",
    "declined": "NS",
}

# Officer-observed ethnicity. A different fact from self-defined: keep both, never overwrite one.
IC_CODES: dict[str, str] = {
    "IC1": "White - North European",
    "IC2": "White - South European",
    "IC3": "Black",
    "IC4": "Asian",
    "IC5": "Chinese, Japanese or other South East Asian",
    "IC6": "Arab or North African",
    "IC9": "Unknown",
}

# Home Office outcome types (subset in use for these offences).
OUTCOME_TYPES: dict[str, str] = {
    "1": "Charged/summonsed",
    "2": "Youth caution",
    "3": "Adult caution",
    "8": "Community resolution",
    "9": "Not in the public interest (CPS)",
    "10": "Not in the public interest (police)",
    "14": "Evidential difficulties: suspect not identified; victim does not support",
    "15": "Evidential difficulties: suspect identified; victim supports",
    "16": "Evidential difficulties: suspect identified; victim does not support",
    "17": "Time limit expired",
    "18": "Investigation complete: no suspect identified",
    "20": "Responsibility transferred to another body",
    "21": "Further investigation not in the public interest",
    "22": "Diversionary activity",
}
CLOSED_WITHOUT_CHARGE: frozenset[str] = frozenset({"14", "15", "16", "18", "21"})
EVIDENTIAL_DIFFICULTIES: frozenset[str] = frozenset({"14", "15", "16"})

# Home Office offence classifications for sexual offences.
OFFENCE_CODES: dict[str, str] = {
    "19C": "Rape of a female aged 16 and over",
    "19D": "Rape of a female child under 16",
    "19E": "Rape of a female child under 13",
    "19F": "Rape of a male aged 16 and over",
    "19G": "Rape of a male child under 16",
    "19H": "Rape of a male child under 13",
    "17A": "Sexual assault on a male aged 13 and over",
    "17B": "Sexual assault on a male child under 13",
    "20A": "Sexual assault on a female aged 13 and over",
    "20B": "Sexual assault on a female child under 13",
    "21": "Sexual activity involving a child under 13",
    "22B": "Sexual activity involving a child under 16",
    "71": "Abuse of children through sexual exploitation",
    "72": "Trafficking for sexual exploitation",
    "73": "Abuse of position of trust of a sexual nature",
    "88A": "Sexual grooming",
}
RAPE_CODES: frozenset[str] = frozenset({"19C", "19D", "19E", "19F", "19G", "19H"})
CHILD_RAPE_CODES: frozenset[str] = frozenset({"19D", "19E", "19G", "19H"})
# The victim's ages at the offence that an offence code itself states (the offence is defined by them):
# the "under 16" codes are for children of 13 to 15, those under 13 having codes of their own.
CODE_VICTIM_AGES: dict[str, tuple[int, int]] = {
    "19D": (13, 15), "19G": (13, 15), "22B": (13, 15),
    "19E": (0, 12), "19H": (0, 12), "17B": (0, 12), "20B": (0, 12), "21": (0, 12),
}  # fmt: skip
# Codes for victims of at least an age, with no upper age: a rape of someone 16 or over, a sexual
# assault on someone 13 or over.
CODE_VICTIM_MIN_AGE: dict[str, int] = {"19C": 16, "19F": 16, "20A": 13, "17A": 13}

SEXES: dict[str, str] = {"M": "male", "F": "female", "U": "unknown"}

# Nationality: ISO 3166-1 alpha-3 (pycountry). Demonyms some systems use instead.
DEMONYMS: dict[str, str] = {
    "british": "GBR",
    "english": "GBR",
    "welsh": "GBR",
    "scottish": "GBR",
    "uk": "GBR",
    "irish": "IRL",
    "pakistani": "PAK",
    "indian": "IND",
    "bangladeshi": "BGD",
    "afghan": "AFG",
    "iraqi": "IRQ",
    "iranian": "IRN",
    "syrian": "SYR",
    "kurdish": "IRQ",
    "turkish": "TUR",
    "polish": "POL",
    "romanian": "ROU",
    "lithuanian": "LTU",
    "latvian": "LVA",
    "albanian": "ALB",
    "slovak": "SVK",
    "czech": "CZE",
    "bulgarian": "BGR",
    "hungarian": "HUN",
    "portuguese": "PRT",
    "italian": "ITA",
    "spanish": "ESP",
    "french": "FRA",
    "german": "DEU",
    "nigerian": "NGA",
    "somali": "SOM",
    "eritrean": "ERI",
    "sudanese": "SDN",
    "ghanaian": "GHA",
    "jamaican": "JAM",
    "chinese": "CHN",
    "vietnamese": "VNM",
    "filipino": "PHL",
    "american": "USA",
    "zimbabwean": "ZWE",
    "kenyan": "KEN",
    "egyptian": "EGY",
    "moroccan": "MAR",
    "algerian": "DZA",
    "libyan": "LBY",
    "sri lankan": "LKA",
    "nepalese": "NPL",
    "ukrainian": "UKR",
    "russian": "RUS",
    "dutch": "NLD",
}
