"""Search and read people. Search is a POST so names, dates of birth and phone numbers never
appear in URLs, browser history or server access logs. Every read is logged with its reason."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from joindots.audit import Action, people_shown
from joindots.audit.log import PERSON_KEY
from joindots.auth.roles import Permission, allowed
from joindots.web import people
from joindots.web.api.models import ExportRequest, Network, PersonKey, Profile, SearchRequest, SearchResult
from joindots.web.audited import log_access
from joindots.web.deps import DB, CurrentUser
from joindots.web.export import records_csv
from joindots.web.neighbourhood import neighbourhood

router = APIRouter(prefix="/api/people", tags=["people"])


def run_search(
    db: DB, request: Request, principal: CurrentUser, body: SearchRequest
) -> tuple[list[dict], bool]:
    """Search and log it (the criteria are logged by which kinds were used, not their values; the
    persons shown under "people", and as "people_shown", the key searches have always used)."""
    criteria = people.Criteria(
        name=body.name or None, dob=body.dob, phone=body.phone or None, vehicle=body.vehicle or None
    )
    hits, more = people.search(db, criteria)
    keys = [h["key"] for h in hits]
    used = sorted(k for k, v in body.model_dump().items() if v)
    log_access(
        db,
        request,
        principal,
        Action.CONSULTATION,
        "people search",
        details={"criteria": used, "people": people_shown(keys), "people_shown": keys},
    )
    db.commit()
    return hits, more


@router.post("/search", response_model=SearchResult)
def search(body: SearchRequest, request: Request, principal: CurrentUser, db: DB) -> SearchResult:
    hits, more = run_search(db, request, principal, body)
    return SearchResult.model_validate({"hits": hits, "more": more})


def profile_people(found: dict) -> list[str]:
    """The person a profile is of, and the persons its identity links name (held apart from them)."""
    linked = (p for link in found["links"] for p in (link["person_l"], link["person_r"]))
    return people_shown([found["key"], *linked])


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
        details={"people": profile_people(found), "records": [r["id"] for r in found["records"]]}
        | ({"reports": [r["receipt"] for r in found["reports"]]} if found["reports"] else {}),
    )
    db.commit()
    return found


@router.get("/{key}", response_model=Profile)
def profile(key: PersonKey, request: Request, principal: CurrentUser, db: DB) -> Profile:
    """A person's records side by side, identity links with explanations, decisions and timeline."""
    return Profile.model_validate(read_profile(db, request, principal, key))


def network_people(graph: dict) -> list[str]:
    """Every person a network view shows (the focus, its person nodes; a group's members and victims),
    as person keys. All are recorded, never a sample: the views are bounded (one hop and at most a few
    hundred neighbours; one group), and "who saw P000123?" must not miss anyone for brevity."""
    keys = (str(n["data"].get("person") or n["data"].get("id", "")) for n in graph["nodes"])
    return people_shown(k for k in keys if PERSON_KEY.fullmatch(k))


def read_network(db: DB, request: Request, principal: CurrentUser, key: str) -> dict:
    graph = neighbourhood(db, key)
    log_access(
        db,
        request,
        principal,
        Action.CONSULTATION,
        f"network of person {key}",
        details={"nodes": len(graph["nodes"]), "people": network_people(graph)},
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
        details={"people": [key], "records": [r["id"] for r in found["records"]], "format": "csv"},
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
