"""Turning what a reporter typed into the normalised forms the core tables hold (the same forms
ingest produces): display names, 'AB1 2CD' postcodes, E.164 phones and compact vehicle marks.
Whatever cannot be normalised stays, as typed, in the report's payload.

The rules live in `joindots.ingest.normalise`; these are the names intake has always used."""

from __future__ import annotations

from joindots.ingest import normalise as _norm


def display_name(text: str | None) -> str | None:
    """Whitespace collapsed, ALL-CAPS or all-lower words turned to title case; diacritics kept."""
    return _norm.display_name(text)


def split_name(given: str) -> tuple[str | None, str | None, str | None]:
    """'Forename Middle Surname' as given -> (forename, middle names, surname); one word is a forename."""
    parts = _norm.split_name(given, "Forename Middle Surname")
    return parts.forename, parts.middle_names, parts.surname


def postcode(text: str | None) -> str | None:
    """A full UK postcode as 'AB1 2CD'; None for anything else (partial ones stay in the payload)."""
    return _norm.postcode(text)


def phone_e164(text: str) -> str | None:
    """A phone number in E.164 (UK assumed without a country code), or None if it cannot be one.
    Possible rather than valid: Ofcom drama numbers (07700 900xxx) too."""
    return _norm.phone_e164(text)


def vehicle_mark(text: str) -> str | None:
    """A registration mark in capitals without spaces ('ab12 cde' -> 'AB12CDE'), or None."""
    return _norm.vehicle_mark(text)
