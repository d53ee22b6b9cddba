"""The declared permission of every route: the one table the authorisation dependency reads.

A route missing from this table is refused to everyone (and `tests/test_role_matrix.py` fails), so a
new route cannot be reachable by accident.
"""

from __future__ import annotations

from joindots.auth.roles import Permission as P

ROUTE_PERMISSIONS: dict[tuple[str, str], P] = {
    # public
    ("GET", "/api/health"): P.PUBLIC,
    ("GET", "/openapi.json"): P.PUBLIC,
    ("GET", "/login"): P.PUBLIC,
    ("POST", "/login"): P.PUBLIC,
    # any signed-in user
    ("GET", "/"): P.SIGNED_IN,
    ("POST", "/logout"): P.SIGNED_IN,
    ("GET", "/api/me"): P.SIGNED_IN,
    ("GET", "/account"): P.SIGNED_IN,
    ("POST", "/account/password"): P.SIGNED_IN,
    # people (personal data: every read is logged with its justification)
    ("POST", "/api/people/search"): P.READ_PEOPLE,
    ("GET", "/api/people/{key}"): P.READ_PEOPLE,
    ("GET", "/api/people/{key}/network"): P.READ_PEOPLE,
    ("GET", "/people"): P.READ_PEOPLE,
    ("POST", "/people/search"): P.READ_PEOPLE,
    ("GET", "/people/{key}"): P.READ_PEOPLE,
    ("GET", "/people/{key}/network.json"): P.READ_PEOPLE,
    # disclosures
    ("POST", "/api/people/{key}/export"): P.EXPORT,
    ("POST", "/people/{key}/export"): P.EXPORT,
    # identity decisions
    ("GET", "/api/matches"): P.DECIDE_MATCHES,
    ("POST", "/api/matches/{pair_id}/decision"): P.DECIDE_MATCHES,
    ("GET", "/matches"): P.DECIDE_MATCHES,
    ("POST", "/matches/{pair_id}/decision"): P.DECIDE_MATCHES,
    # groups, review queue, aggregates
    ("GET", "/api/groups"): P.READ_GROUPS,
    ("GET", "/groups"): P.READ_GROUPS,
    ("GET", "/groups/{key}"): P.READ_GROUPS,
    ("GET", "/groups/{key}/network.json"): P.READ_GROUPS,
    ("GET", "/api/review-queue"): P.REVIEW_CASES,
    ("POST", "/api/review-queue/{item_id}/decision"): P.REVIEW_CASES,
    ("POST", "/api/review-queue/{item_id}/assign"): P.REVIEW_CASES,
    ("GET", "/review"): P.REVIEW_CASES,
    ("POST", "/review/{item_id}/decision"): P.REVIEW_CASES,
    ("POST", "/review/{item_id}/assign"): P.REVIEW_CASES,
    ("GET", "/api/quality"): P.READ_AGGREGATES,
    ("GET", "/api/stats"): P.READ_AGGREGATES,
    ("GET", "/api/stats/releases"): P.READ_AGGREGATES,
    ("GET", "/quality"): P.READ_AGGREGATES,
    ("GET", "/stats"): P.READ_AGGREGATES,
    # reports from professionals
    ("POST", "/api/reports"): P.FILE_REPORTS,
    ("GET", "/reports/new/{kind}"): P.FILE_REPORTS,
    ("POST", "/reports/new/{kind}"): P.FILE_REPORTS,
    ("GET", "/api/reports/mine"): P.READ_OWN_RECEIPTS,
    ("GET", "/reports/mine"): P.READ_OWN_RECEIPTS,
    ("GET", "/reports/mine/{receipt}"): P.READ_OWN_RECEIPTS,
    ("GET", "/api/reports"): P.READ_ALL_REPORTS,
    ("GET", "/api/reports/{receipt}"): P.READ_ALL_REPORTS,
    ("GET", "/reports"): P.READ_ALL_REPORTS,
    ("GET", "/reports/{receipt}"): P.READ_ALL_REPORTS,
    ("POST", "/api/reports/{receipt}/triage"): P.TRIAGE_REPORTS,
    ("POST", "/reports/{receipt}/triage"): P.TRIAGE_REPORTS,
    # the access log and users
    ("GET", "/api/audit"): P.READ_ACCESS_LOG,
    ("GET", "/api/audit/verify"): P.READ_ACCESS_LOG,
    ("GET", "/audit"): P.READ_ACCESS_LOG,
    ("POST", "/api/tokens"): P.SIGNED_IN,
    ("GET", "/api/tokens"): P.SIGNED_IN,
    ("POST", "/account/purpose"): P.SIGNED_IN,
    ("POST", "/account/tokens/{token_id}/revoke"): P.SIGNED_IN,
    ("GET", "/users"): P.MANAGE_USERS,
    ("GET", "/users/{username}"): P.MANAGE_USERS,
    ("POST", "/users/{username}/disable"): P.MANAGE_USERS,
    ("POST", "/users/{username}/enable"): P.MANAGE_USERS,
    ("POST", "/users/{username}/revoke-tokens"): P.MANAGE_USERS,
    ("POST", "/users/{username}/reset-password"): P.MANAGE_USERS,
}

STATIC_PREFIX = "/static"  # a mounted folder of vendored JS and our CSS: public, holds no data


def permission_for(method: str, path_template: str) -> P | None:
    """The declared permission, or None when the route was never declared (then it is refused)."""
    if method == "HEAD":
        method = "GET"
    return ROUTE_PERMISSIONS.get((method, path_template))


def declared_routes(app: object) -> list[tuple[str, str]]:
    """Every (method, path template) the app answers, through included routers; mounts as 'MOUNT'."""
    from fastapi.routing import APIRoute
    from starlette.routing import Mount, Route

    found: list[tuple[str, str]] = []
    for route in getattr(app, "routes", []):
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            found += [(m, c.path_format) for c in contexts() for m in sorted(c.methods or ()) if m != "HEAD"]
        elif isinstance(route, APIRoute | Route):
            found += [(m, route.path_format) for m in sorted(route.methods or ()) if m != "HEAD"]
        elif isinstance(route, Mount):
            found.append(("MOUNT", route.path))
    return found
