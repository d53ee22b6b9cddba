"""POLE (Person, Object, Location, Event) vocabulary: roles, event types, object kinds, and the
canonical fields every source is mapped onto."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """The part a person plays in an event (NPCC POLE person roles, plus our sources' own)."""

    VICTIM = "victim"
    SUSPECT = "suspect"
    OFFENDER = "offender"
    WITNESS = "witness"
    PERSON_OF_INTEREST = "person_of_interest"
    VULNERABLE_CHILD = "vulnerable_child"
    MISSING_PERSON = "missing_person"
    PERSON_REPORTING = "person_reporting"
    ASSOCIATE = "associate"
    FOUND_WITH = "found_with"
    GUEST = "guest"
    PATIENT = "patient"
    SUBJECT = "subject"  # the child a referral is about
    ALLEGED_PERPETRATOR = "alleged_perpetrator"
    LICENCE_HOLDER = "licence_holder"


class EventType(StrEnum):
    CRIME = "crime"
    INCIDENT = "incident"
    REFERRAL = "referral"
    MISSING_EPISODE = "missing_episode"
    ATTENDANCE = "attendance"
    HOTEL_REPORT = "hotel_report"
    TAXI_LICENCE = "taxi_licence"
    PROFESSIONAL_REPORT = "professional_report"


class ObjectKind(StrEnum):
    PHONE = "phone"
    VEHICLE = "vehicle"
    EMAIL = "email"


# Canonical person fields a mapping can fill. Ethnicity and nationality are recorded, never evidence.
PERSON_FIELDS: tuple[str, ...] = (
    "forename",
    "middle_names",
    "surname",
    "name",
    "dob",
    "sex",
    "postcode",
    "address",
    "phones",
    "vehicles",
    "email",
    "ethnicity",
    "ic_code",
    "nationality",
)
# Canonical event fields a mapping can fill.
EVENT_FIELDS: tuple[str, ...] = (
    "ref",
    "type",
    "date",
    "force",
    "offence_code",
    "offence_code_original",
    "outcome_code",
    "outcome_date",
    "cse_flag",
    "notes",
    "location_name",
    "location_postcode",
    "location_type",
)
# Fields that describe who a person is for statistics and audit only.
PROTECTED_FIELDS: frozenset[str] = frozenset({"ethnicity", "ic_code", "nationality"})
