"""Search and read people. Search is a POST so names, dates of birth and phone numbers never
appear in URLs, browser history or server access logs. Every read is logged with its reason."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from joindots.audit import Action
from joindots.auth.roles import Permission, allowed
from joindots.web import people
from joindots.web.api.models import ExportRequest, Network, PersonKey, Profile, SearchRequest, SearchResult
from joindots.web.audited import log_access
from joindots.web.deps import DB, CurrentUser
from joindots.web.export import records_csv
from joindots.web.neighbourhood import neighbourhood

router = APIRouter(prefix="/api/people", tags=["people"])


def run_search(db: DB, request: Request, principal: CurrentUser, body: SearchRequest) -> list[dict]:
    """Search and log it (the criteria are logged by which kinds were used, not their values)."""
    criteria = people.Criteria(
        name=body.name or None, dob=body.dob, phone=body.phone or None, vehicle=body.vehicle or None
    )
    hits = people.search(db, criteria)
    used = sorted(k for k, v in body.model_dump().items() if v)
    log_access(
        db,
        request,
        principal,
        Action.CONSULTATION,
        "people search",
        details={"criteria": used, "people_shown": [h["key"] for h in hits]},
    )
    db.commit()
    return hits


@router.post("/search", response_model=SearchResult)
def search(body: SearchRequest, request: Request, principal: CurrentUser, db: DB) -> SearchResult:
    return SearchResult.model_validate({"hits": run_search(db, request, principal, body)})


def read_profile(db: DB, request: Request, principal: CurrentUser, key: str) -> dict:
    """A person's profile, with the reports naming them only for those who may read reports."""
    found = people.profile(db, key)
    if allowed(principal.role, Permission.READ_ALL_REPORTS):
        found = people.with_reports(db, found)
    log_access(
        db,
        request,
        principal,
        Action.CONSULTATION,
        f"person {key}",
        details={"records": [r["id"] for r in found["records"]]}
        | ({"reports": [r["receipt"] for r in found["reports"]]} if found["reports"] else {}),
    )
    db.commit()
    return found


@router.get("/{key}", response_model=Profile)
def profile(key: PersonKey, request: Request, principal: CurrentUser, db: DB) -> Profile:
    """A person's records side by side, identity links with explanations, decisions and timeline."""
    return Profile.model_validate(read_profile(db, request, principal, key))


def read_network(db: DB, request: Request, principal: CurrentUser, key: str) -> dict:
    graph = neighbourhood(db, key)
    log_access(
        db,
        request,
        principal,
        Action.CONSULTATION,
        f"network of person {key}",
        details={"nodes": len(graph["nodes"])},
    )
    db.commit()
    return graph


@router.get("/{key}/network", response_model=Network)
def network(key: PersonKey, request: Request, principal: CurrentUser, db: DB) -> Network:
    return Network.model_validate(read_network(db, request, principal, key))


def export_records(
    db: DB, request: Request, principal: CurrentUser, key: PersonKey, body: ExportRequest
) -> Response:
    found = people.profile(db, key)
    log_access(
        db,
        request,
        principal,
        Action.DISCLOSURE,
        f"person {key}",
        reason=body.reason,
        recipient=body.recipient,
        details={"records": [r["id"] for r in found["records"]], "format": "csv"},
    )
    db.commit()
    return Response(
        records_csv(found["records"]),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{key}-records.csv"'},
    )


@router.post(
    "/{key}/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The person's records as CSV."}},
)
def export(key: PersonKey, body: ExportRequest, request: Request, principal: CurrentUser, db: DB) -> Response:
    """A disclosure: the person's records as CSV, logged with its reason and recipient."""
    return export_records(db, request, principal, key, body)
