"""Search people, a person's profile with network and timeline, and export (a disclosure)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from joindots.errors import InvalidInput
from joindots.web import people
from joindots.web.api.models import ExportRequest, PersonKey, SearchRequest
from joindots.web.api.people import export_records, read_network, read_profile, run_search
from joindots.web.deps import DB, CurrentUser
from joindots.web.pages.forms import form_fields, validated
from joindots.web.pages.render import render

router = APIRouter()


@router.get("/people")
def search_page(request: Request, principal: CurrentUser) -> Response:
    return render(request, "search.html", hits=None, criteria={})


@router.post("/people/search")
async def search(request: Request, principal: CurrentUser, db: DB) -> Response:
    """Search by POST: the criteria stay out of the URL and the server's access log."""
    fields = await form_fields(request)
    try:
        hits, more = run_search(db, request, principal, validated(SearchRequest, fields))
    except InvalidInput as exc:
        return render(request, "search.html", 422, hits=None, criteria=fields, search_error=str(exc))
    return render(request, "search.html", hits=hits, more=more, criteria=fields)


@router.get("/people/{key}")
def person(key: PersonKey, request: Request, principal: CurrentUser, db: DB) -> Response:
    """A linked record's key, or a person merged away, leads to the person who holds the records now."""
    heir = people.successor(db, key)
    if heir is not None:
        return RedirectResponse(f"/people/{heir}?from={key}", status_code=303)
    found = read_profile(db, request, principal, key)
    by_source: dict[str, list] = {}
    for record in found["records"]:
        by_source.setdefault(record["source"], []).append(record)
    came_from = request.query_params.get("from", "")
    moved = came_from if people.KEY.match(came_from) else None
    return render(request, "person.html", person=found, by_source=by_source, moved=moved)


@router.get("/people/{key}/network.json")
def network(key: PersonKey, request: Request, principal: CurrentUser, db: DB) -> Response:
    """The network view's data, fetched by the page's script (same origin, same session)."""
    return JSONResponse(read_network(db, request, principal, key))


@router.post("/people/{key}/export")
async def export(key: PersonKey, request: Request, principal: CurrentUser, db: DB) -> Response:
    body = validated(ExportRequest, await form_fields(request))
    return export_records(db, request, principal, key, body)
