"""Turning what a reporter typed into the normalised forms the core tables hold (the same forms
ingest produces): display names, 'AB1 2CD' postcodes, E.164 phones and compact vehicle marks.
Whatever cannot be normalised stays, as typed, in the report's payload."""

from __future__ import annotations

import re

import phonenumbers


def display_name(text: str | None) -> str | None:
    """Whitespace collapsed, ALL-CAPS or all-lower turned to title case; diacritics kept."""
    if not text:
        return None
    cleaned = re.sub(r"\s+", " ", text).strip()
    if cleaned.isupper() or cleaned.islower():
        cleaned = cleaned.title()
    return cleaned or None


def split_name(given: str) -> tuple[str | None, str | None, str | None]:
    """'Forename Middle Surname' as given -> (forename, middle names, surname); one word is a forename."""
    parts = (display_name(given) or "").split(" ")
    parts = [p for p in parts if p]
    if not parts:
        return None, None, None
    if len(parts) == 1:
        return parts[0], None, None
    return parts[0], " ".join(parts[1:-1]) or None, parts[-1]


def postcode(text: str | None) -> str | None:
    """A full UK postcode as 'AB1 2CD'; None for anything else (partial ones stay in the payload)."""
    if not text:
        return None
    compact = re.sub(r"\s+", "", text.upper())
    if re.fullmatch(r"[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}", compact):
        return f"{compact[:-3]} {compact[-3:]}"
    return None


def phone_e164(text: str) -> str | None:
    """A phone number in E.164 (UK assumed without a country code), or None if it cannot be one.

    Possible rather than valid: a reporter's number is kept unless it cannot be a number at all."""
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):  # lenient: Ofcom drama numbers (07700 900xxx) too
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def vehicle_mark(text: str) -> str | None:
    """A registration mark in capitals without spaces ('ab12 cde' -> 'AB12CDE'), or None if too short."""
    compact = re.sub(r"[^A-Z0-9]", "", text.upper())
    return compact if 2 <= len(compact) <= 8 else None
