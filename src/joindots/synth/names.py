"""Name pools for the synthetic world, built once from Faker's locale lists (never one Faker call per row).

A diverse population needs names from many traditions; the pools are tied to the self-defined
ethnicity a person is given, as names are in life. Ethnicity is never evidence: linkage and screening
never read it, and the names it chooses are just names. Full names that belong to well-known public
figures are refused (see ``famous``).
"""

from __future__ import annotations

import hashlib
import importlib
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import numpy as np

from joindots.domain.codes import SELF_DEFINED_ETHNICITY

# Spelling and transliteration variants a clerk writes for the same name (both directions apply).
VARIANT_GROUPS: tuple[tuple[str, ...], ...] = (
    ("Mohammed", "Muhammad", "Mohamed", "Mohamad", "Mohammad", "Muhammed"),
    ("Hussain", "Hussein", "Husain", "Hossain"),
    ("Ahmed", "Ahmad", "Ahmet"),
    ("Mahmood", "Mahmud", "Mahmoud"),
    ("Yusuf", "Yousef", "Yousuf", "Youssef"),
    ("Abdul", "Abdel", "Abdal"),
    ("Rahman", "Rehman"),
    ("Shahid", "Shahed"),
    ("Khalid", "Khaled"),
    ("Iqbal", "Ikbal"),
    ("Aisha", "Ayesha", "Aysha"),
    ("Fatima", "Fatimah", "Fatma"),
    ("Mustafa", "Mustapha", "Mostafa"),
    ("Omar", "Umar"),
    ("Osman", "Usman", "Uthman"),
    ("Qasim", "Kasim", "Kassim"),
    ("Zainab", "Zaynab"),
    ("Chowdhury", "Choudhury", "Chaudhry", "Chaudhary"),
    ("Mohammadi", "Mohammedi"),
    ("Stephen", "Steven"),
    ("Philip", "Phillip"),
    ("Geoffrey", "Jeffrey"),
    ("Catherine", "Katherine", "Kathryn"),
    ("Sean", "Shaun", "Shawn"),
    ("Jon", "John"),
    ("Mathew", "Matthew"),
    ("Nicola", "Nichola"),
    ("Leanne", "Lian", "Leanna"),
    ("Zoe", "Zoey"),
    ("Thompson", "Thomson"),
    ("Smith", "Smyth"),
    ("Macdonald", "McDonald"),
    ("Davies", "Davis"),
    ("Philips", "Phillips"),
    ("Wojcik", "Wójcik", "Voytchik"),
    ("Nowak", "Novak"),
    ("Popescu", "Popesku"),
    ("Singh", "Sing"),
    ("Kaur", "Kour"),
)

# Built-in lists where Faker has no Latin-script names (British South Asian and Arabic naming habits).
SOUTH_ASIAN_MALE = (
    "Mohammed",
    "Ali",
    "Imran",
    "Tariq",
    "Asif",
    "Shahid",
    "Khalid",
    "Zubair",
    "Bilal",
    "Hamza",
    "Usman",
    "Adil",
    "Faisal",
    "Nadeem",
    "Sajid",
    "Wasim",
    "Zahid",
    "Rizwan",
    "Kamran",
    "Naveed",
    "Abdul",
    "Yusuf",
    "Ibrahim",
    "Rashid",
    "Arif",
    "Javed",
    "Amir",
    "Farhan",
    "Irfan",
    "Shabir",
)
SOUTH_ASIAN_FEMALE = (
    "Aisha",
    "Fatima",
    "Ayesha",
    "Sana",
    "Nadia",
    "Saima",
    "Rubina",
    "Shazia",
    "Samina",
    "Amina",
    "Zainab",
    "Maryam",
    "Hina",
    "Nazia",
    "Rukhsana",
    "Farah",
    "Sadia",
    "Naila",
    "Yasmin",
    "Parveen",
)
SOUTH_ASIAN_SURNAMES = (
    "Khan",
    "Hussain",
    "Ahmed",
    "Ali",
    "Iqbal",
    "Mahmood",
    "Rehman",
    "Akhtar",
    "Shah",
    "Begum",
    "Chowdhury",
    "Miah",
    "Uddin",
    "Islam",
    "Rahman",
    "Hossain",
    "Sheikh",
    "Qureshi",
    "Malik",
    "Butt",
    "Bashir",
    "Anwar",
    "Saleem",
    "Aziz",
    "Latif",
    "Raza",
    "Nawaz",
    "Ashraf",
    "Karim",
    "Siddiqui",
)
ARABIC_MALE = (
    "Ahmed",
    "Omar",
    "Khaled",
    "Yousef",
    "Hassan",
    "Mahmoud",
    "Samir",
    "Tarek",
    "Walid",
    "Nabil",
    "Karim",
    "Mustafa",
    "Bilal",
    "Hamza",
    "Ziad",
    "Rami",
    "Fadi",
    "Sami",
    "Nasser",
    "Adel",
)
ARABIC_FEMALE = (
    "Layla",
    "Fatima",
    "Mariam",
    "Nour",
    "Rania",
    "Hana",
    "Salma",
    "Yasmin",
    "Dina",
    "Lina",
    "Amal",
    "Huda",
    "Samira",
    "Noura",
    "Reem",
    "Aya",
    "Dalia",
    "Maha",
    "Farah",
    "Zeina",
)
ARABIC_SURNAMES = (
    "Haddad",
    "Nasser",
    "Khalil",
    "Saleh",
    "Mansour",
    "Hamdan",
    "Darwish",
    "Aziz",
    "Farouk",
    "Hassan",
    "Ibrahim",
    "Yousef",
    "Said",
    "Rashed",
    "Qasim",
    "Bakr",
    "Jaber",
    "Amin",
    "Najjar",
    "Sabbagh",
)

# Well-known people whose full name must never be produced (public figures in the news and in
# history), kept only as the first 16 hex digits of the SHA-256 of the lower-case "forename surname":
# the repository names no real person, even to refuse them.
FAMOUS_NAME_DIGESTS: frozenset[str] = frozenset(
    {
        "0048e2a30dfb00b7",
        "01154d6db7266437",
        "01ae3e1989ee1a07",
        "08682370eb8a9cc8",
        "0a7d4e0a7d2ce6be",
        "0aa99e39ee4a78d4",
        "0c67f845a459b7aa",
        "0e01ed1b2c2f84f6",
        "12e95dfbdcd10b54",
        "153de8eb4efaf286",
        "164acf38b9af1ce8",
        "1d2d6748ea5fa124",
        "229808abd5287d44",
        "2499452bfcab2cf1",
        "2627ce228f086d86",
        "2bc60406f23f6f39",
        "2bceb9256b145d2e",
        "307fe0c51ba21fb5",
        "32ddaf65cc3aa8d3",
        "3504ae8b5c096e72",
        "3700b53d3cda0540",
        "376f33a529de6dee",
        "392f51cbc5e06048",
        "3baadad547d9250a",
        "41b750977da1a114",
        "41c601ab7fa1beeb",
        "4261e9486a5706e1",
        "4864634a9bd67872",
        "49bde1fc12cf5024",
        "4befe8a4446daa29",
        "4de8aa524fd1a38e",
        "4e5308c4d7417808",
        "4f46cb1ec841313a",
        "531cc5e95c9ac345",
        "5321dba87947149e",
        "5560e51fd729b3d8",
        "57bf6a69c1d2f35b",
        "584fd0cb538e0637",
        "5f3b7285664e1870",
        "6208bbb27cee325e",
        "6273385c61d30df1",
        "62f100bfa4c2aa8f",
        "6e4dc590ad9d8560",
        "73803d03a5a39806",
        "79b0ef52adab54ed",
        "7c886e8bf437b933",
        "801011955989cc7d",
        "81d26e5fd31b59a4",
        "94890005f3b2117a",
        "953e98f8921da306",
        "96db066c04f4c247",
        "98d0b41ed89c20b2",
        "9a2d1e11990c19c5",
        "aade871aa53deb42",
        "b40ecbbbb0df1f2e",
        "b6ced53d15b955ac",
        "b87c7083a2a259d7",
        "be1467ebb9547a04",
        "beb2b6b3fe957583",
        "bf8697cd6f7a8f6a",
        "c3c40fc974323476",
        "c43aec8262cf1633",
        "c48a6b3e4c61b79f",
        "ca6791e5cdd99171",
        "d1c214fee58799b0",
        "d1dab2e2bfc82414",
        "d3625a1aac58a9bc",
        "d64f9ccb332f4c39",
        "d9e56dc0ebcaf084",
        "dc43c98cc8e17af6",
        "dd81601488e13d2d",
        "de4cb2d375a5cafc",
        "e024c22d68c89309",
        "e06537f84acd953b",
        "e93c97215f0340e1",
        "eb83bec28748775d",
        "ec7b579ff62b70a5",
        "ed37d99b1445238a",
        "f6c94a9680feadfe",
    }
)


def famous(full_names: np.ndarray) -> np.ndarray:
    """Which of these full names ("Forename Surname", any case) belong to a well-known person."""
    digests = [hashlib.sha256(str(n).lower().encode()).hexdigest()[:16] for n in full_names]
    return np.fromiter((d in FAMOUS_NAME_DIGESTS for d in digests), dtype=bool, count=len(digests))


# Which Faker locales supply names for each self-defined ethnicity code (weights sum to 1).
LOCALES_BY_ETHNICITY: dict[str, dict[str, float]] = {
    "W1": {"en_GB": 0.95, "en_IE": 0.05},
    "W2": {"en_IE": 1.0},
    "W3": {"en_IE": 0.6, "en_GB": 0.4},
    "W9": {"pl_PL": 0.3, "ro_RO": 0.2, "lt_LT": 0.1, "it_IT": 0.1, "pt_PT": 0.1, "sk_SK": 0.1, "hu_HU": 0.1},
    "M1": {"en_GB": 0.8, "tw_GH": 0.2},
    "M2": {"en_GB": 0.6, "yo_NG": 0.4},
    "M3": {"en_GB": 0.6, "south_asian": 0.2, "en_IN": 0.2},
    "M9": {"en_GB": 0.7, "pt_PT": 0.3},
    "A1": {"en_IN": 1.0},
    "A2": {"south_asian": 0.7, "en_PK": 0.3},
    "A3": {"south_asian": 1.0},
    "A4": {"zh_CN": 1.0},
    "A9": {"en_IN": 0.4, "south_asian": 0.3, "vi_VN": 0.3},
    "B1": {"en_GB": 1.0},
    "B2": {"yo_NG": 0.35, "ig_NG": 0.15, "en_KE": 0.3, "tw_GH": 0.2},
    "B9": {"en_GB": 0.5, "en_KE": 0.5},
    "O2": {"arabic": 1.0},
    "O9": {"tr_TR": 0.6, "arabic": 0.4},
    "NS": {"en_GB": 1.0},
}

_LATIN = re.compile(r"^[A-Za-z\u00C0-\u024F' -]{2,30}$")


@dataclass(frozen=True)
class LocalePool:
    """First names by sex and surnames of one naming tradition."""

    male: tuple[str, ...]
    female: tuple[str, ...]
    surnames: tuple[str, ...]


def _latin(names: object) -> tuple[str, ...]:
    """Keep names written in Latin script (with diacritics), deduplicated in a stable order."""
    seen: dict[str, None] = {}
    for name in list(names or ()):  # type: ignore[call-overload]
        text = unicodedata.normalize("NFC", str(name)).strip()
        if _LATIN.match(text):
            seen.setdefault(text, None)
    return tuple(seen)


def _faker_pool(locale: str) -> LocalePool:
    provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
    first = getattr(provider, "first_names", ())
    male = _latin(getattr(provider, "first_names_male", ()) or first)
    female = _latin(getattr(provider, "first_names_female", ()) or first)
    surnames = getattr(provider, "last_names", ())
    if locale == "pl_PL":
        surnames = getattr(provider, "unisex_last_names", ())
    if locale == "zh_CN":
        male = female = _latin(provider.first_romanized_names)
        surnames = provider.last_romanized_names
    return LocalePool(male, female, _latin(surnames))


@cache
def locale_pools() -> dict[str, LocalePool]:
    """Every naming tradition used, built once per process."""
    names = {loc for weights in LOCALES_BY_ETHNICITY.values() for loc in weights}
    pools = {loc: _faker_pool(loc) for loc in sorted(names - {"south_asian", "arabic", "en_PK", "lt_LT"})}
    pools["south_asian"] = LocalePool(SOUTH_ASIAN_MALE, SOUTH_ASIAN_FEMALE, SOUTH_ASIAN_SURNAMES)
    pools["arabic"] = LocalePool(ARABIC_MALE, ARABIC_FEMALE, ARABIC_SURNAMES)
    pk = importlib.import_module("faker.providers.person.en_PK").Provider
    pools["en_PK"] = LocalePool(
        SOUTH_ASIAN_MALE + _latin(pk.first_names)[:200], SOUTH_ASIAN_FEMALE, _latin(pk.last_names)
    )
    lt = importlib.import_module("faker.providers.person.lt_LT").Provider
    pools["lt_LT"] = LocalePool(_latin(lt.first_names), _faker_pool("lv_LV").female, _latin(lt.last_names))
    return pools


def draw_names(
    rng: np.random.Generator, ethnicity: np.ndarray, female: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Forename, middle name ('' for most) and surname for each person, vectorised per tradition."""
    n = len(ethnicity)
    forename = np.empty(n, dtype=object)
    surname = np.empty(n, dtype=object)
    middle = np.full(n, "", dtype=object)
    locale = _locale_per_person(rng, ethnicity)
    pools = locale_pools()
    for loc in sorted(set(locale.tolist())):
        idx = np.flatnonzero(locale == loc)
        pool = pools[loc]
        is_f = female[idx]
        forename[idx] = np.where(is_f, _pick(rng, pool.female, len(idx)), _pick(rng, pool.male, len(idx)))
        surname[idx] = _pick(rng, pool.surnames, len(idx))
        has_middle = rng.random(len(idx)) < 0.3
        middle_names = np.where(is_f, _pick(rng, pool.female, len(idx)), _pick(rng, pool.male, len(idx)))
        middle[idx] = np.where(has_middle & (middle_names != forename[idx]), middle_names, "")
    _refuse_famous(rng, forename, surname)
    return forename, middle, surname


def _pick(rng: np.random.Generator, pool: tuple[str, ...], size: int) -> np.ndarray:
    """Zipf-like popularity: early names in a list are commoner, as in life."""
    arr = np.asarray(pool, dtype=object)
    weights = 1.0 / np.sqrt(np.arange(1, len(arr) + 1))
    return arr[rng.choice(len(arr), size=size, p=weights / weights.sum())]


def _locale_per_person(rng: np.random.Generator, ethnicity: np.ndarray) -> np.ndarray:
    locale = np.empty(len(ethnicity), dtype=object)
    for code in SELF_DEFINED_ETHNICITY:
        idx = np.flatnonzero(ethnicity == code)
        if len(idx) == 0:
            continue
        weights = LOCALES_BY_ETHNICITY[code]
        names = np.asarray(list(weights), dtype=object)
        probs = np.asarray(list(weights.values()))
        locale[idx] = names[rng.choice(len(names), size=len(idx), p=probs / probs.sum())]
    return locale


def _refuse_famous(rng: np.random.Generator, forename: np.ndarray, surname: np.ndarray) -> None:
    """Redraw the surname of anyone whose full name is a well-known person's (rare; loops until clean)."""
    pool = locale_pools()["en_GB"].surnames
    for _ in range(20):
        bad = np.flatnonzero(famous(forename.astype(str) + " " + surname.astype(str)))
        if len(bad) == 0:
            return
        surname[bad] = _pick(rng, pool, len(bad))


@cache
def variant_lookup() -> dict[str, tuple[str, ...]]:
    """name -> the other spellings of it."""
    lookup: dict[str, tuple[str, ...]] = {}
    for group in VARIANT_GROUPS:
        for name in group:
            lookup[name] = tuple(other for other in group if other != name)
    return lookup


@cache
def nickname_lookup() -> dict[str, tuple[str, ...]]:
    """forename -> real nicknames people use for it (from the `nicknames` package), title-cased."""
    from nicknames import NickNamer

    namer = NickNamer()
    lookup: dict[str, tuple[str, ...]] = {}
    pools = locale_pools()
    forenames = {n for p in pools.values() for n in (*p.male, *p.female)}
    for name in sorted(forenames):
        nicks = sorted(namer.nicknames_of(name.lower()))
        if nicks:
            lookup[name] = tuple(n.title() for n in nicks if len(n) >= 2)
    return {k: v for k, v in lookup.items() if v}


def fold_ascii(text: str) -> str:
    """Drop diacritics, as systems that cannot store them do (cp1252 keeps some; this keeps none)."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
