"""Roles and what each may do: the one declared table every web route is decided from."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    ANALYST = "analyst"
    REVIEWER = "reviewer"
    STATISTICIAN = "statistician"  # aggregates only: never a person, never a record
    REPORTER = "reporter"  # files reports and sees only their own receipts


class Permission(StrEnum):
    """What a route needs. PUBLIC and SIGNED_IN need no role; the rest are granted per role below."""

    PUBLIC = "public"  # sign-in page, health check, static files, the OpenAPI document
    SIGNED_IN = "signed_in"  # any role: home page, sign out, own account
    READ_PEOPLE = "read_people"  # search, profiles, network, timeline (personal data)
    DECIDE_MATCHES = "decide_matches"  # confirm or reject an identity link
    READ_GROUPS = "read_groups"
    REVIEW_CASES = "review_cases"  # the review queue and its decisions
    READ_AGGREGATES = "read_aggregates"  # data quality and statistics
    FILE_REPORTS = "file_reports"  # the duty to report, hotel and taxi concerns
    READ_OWN_RECEIPTS = "read_own_receipts"
    READ_ALL_REPORTS = "read_all_reports"  # reports from professionals, all reporters
    TRIAGE_REPORTS = "triage_reports"  # record what was done about a report
    EXPORT = "export"  # disclosures: downloads of personal data
    READ_ACCESS_LOG = "read_access_log"
    MANAGE_USERS = "manage_users"


_ANALYST = {
    Permission.READ_PEOPLE,
    Permission.DECIDE_MATCHES,
    Permission.READ_GROUPS,
    Permission.REVIEW_CASES,
    Permission.READ_AGGREGATES,
    Permission.READ_ALL_REPORTS,
    Permission.TRIAGE_REPORTS,
    Permission.EXPORT,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(set(Permission) - {Permission.PUBLIC, Permission.SIGNED_IN}),
    Role.ANALYST: frozenset(_ANALYST),
    Role.REVIEWER: frozenset(
        {Permission.READ_PEOPLE, Permission.READ_GROUPS, Permission.REVIEW_CASES, Permission.READ_AGGREGATES}
    ),
    Role.STATISTICIAN: frozenset({Permission.READ_AGGREGATES}),
    Role.REPORTER: frozenset({Permission.FILE_REPORTS, Permission.READ_OWN_RECEIPTS}),
}


def allowed(role: Role | str | None, permission: Permission) -> bool:
    """Whether `role` (None = not signed in) may do what `permission` names."""
    if permission is Permission.PUBLIC:
        return True
    if role is None:
        return False
    if permission is Permission.SIGNED_IN:
        return True
    return permission in ROLE_PERMISSIONS.get(Role(role), frozenset())
