"""Match review, groups, the review queue, data quality and statistics."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from joindots.audit import Action, people_shown
from joindots.errors import NotFound
from joindots.link.review import FoundBy
from joindots.link.run import latest_done_run
from joindots.web.api.aggregates import ReviewAssignment, ReviewDecision, read_part
from joindots.web.api.matches import REVIEW_PAGE as MATCH_PAGE
from joindots.web.api.matches import read_pairs
from joindots.web.api.models import DecisionRequest, RowId
from joindots.web.api.people import network_people
from joindots.web.audited import log_access
from joindots.web.decisions import decide_pair, persons_of_pair, with_records
from joindots.web.deps import DB, CurrentUser, State
from joindots.web.groups import group_detail, group_network
from joindots.web.pages.forms import form_fields, validated
from joindots.web.pages.render import page_asked, page_count, render
from joindots.web.parts import (
    PartResult,
    assign_review_item,
    decide_review_item,
    part_result,
    stats_releases,
)

router = APIRouter()


def _done(db: DB, value: str | None) -> dict[str, Any] | None:
    """The pair just decided (from ?done=<pair id>) and the persons its records belong to now."""
    if not value or not value.isdecimal() or len(value) > 10:
        return None
    try:
        return {"pair": int(value), "persons": persons_of_pair(db, int(value))}
    except NotFound:
        return None


@router.get("/matches")
def matches(request: Request, principal: CurrentUser, db: DB, state: State) -> Response:
    """Pairs to decide, a page at a time, all or only those one step found (?found_by=context)."""
    wanted = request.query_params.get("found_by")
    found_by: FoundBy | None = wanted if wanted in ("model", "context") else None  # type: ignore[assignment]
    page = page_asked(request)
    pairs, total = read_pairs(db, request, principal, state, found_by, (page - 1) * MATCH_PAGE)
    result = PartResult(True, "", with_records(db, pairs), total, (page - 1) * MATCH_PAGE)
    pages = page_count(total, MATCH_PAGE)
    if page > pages:  # past the end (the last pairs decided): the last page, filter kept
        return RedirectResponse(_matches_url(found_by, pages, request.query_params.get("done")), 303)
    done = _done(db, request.query_params.get("done"))
    no_run = latest_done_run(db) is None
    return render(
        request,
        "matches.html",
        pairs=result.items,
        result=result,
        page=page,
        pages=pages,
        path=request.url.path,
        found_by=found_by,
        done=done,
        no_run=no_run,
    )


@router.post("/matches/{pair_id}/decision")
async def decide_match(pair_id: RowId, request: Request, principal: CurrentUser, db: DB) -> Response:
    """Applied at once through the linkage engine (merge or split, with lineage), then back to the list."""
    fields = await form_fields(request)
    wanted, page = fields.pop("found_by", None), fields.pop("page", "1")
    body = validated(DecisionRequest, fields)
    decide_pair(db, pair_id, body.decision, body.reason, principal.username)
    db.commit()
    found_by = wanted if wanted in ("model", "context") else None
    return RedirectResponse(_matches_url(found_by, int(page) if page.isdecimal() else 1, str(pair_id)), 303)


def _matches_url(found_by: str | None, page: int, done: str | None) -> str:
    """Back to the list as the analyst left it: the same filter and page, the pair just decided."""
    query = {"found_by": found_by, "page": str(page) if page > 1 else None, "done": done}
    return "/matches?" + urlencode({k: v for k, v in query.items() if v})


GROUPS_PAGE, REVIEW_PAGE = 200, 100


def _paged(request: Request, db: DB, principal: CurrentUser, part: str, size: int) -> dict[str, Any]:
    page = page_asked(request)
    result = read_part(db, request, principal, part, (page - 1) * size, size)
    pages = page_count(result.total, size)
    return {"result": result, "page": page, "pages": pages, "path": request.url.path}


@router.get("/groups")
def groups(request: Request, principal: CurrentUser, db: DB) -> Response:
    return render(request, "groups.html", **_paged(request, db, principal, "groups", GROUPS_PAGE))


@router.get("/groups/{key}")
def group(key: str, request: Request, principal: CurrentUser, db: DB, state: State) -> Response:
    """One group: members and victims with their names, its network and its timeline (a consultation)."""
    found = group_detail(db, state.engine, key)
    shown = people_shown(p["key"] for p in found["members"] + found["victims"])
    log_access(
        db, request, principal, Action.CONSULTATION, f"group {found['key']}", details={"people": shown}
    )
    db.commit()
    return render(request, "group.html", group=found)


@router.get("/groups/{key}/network.json")
def group_network_json(key: str, request: Request, principal: CurrentUser, db: DB) -> Response:
    """The group's network view data, fetched by the page's script (same origin, same session)."""
    graph = group_network(db, key)
    details = {"nodes": len(graph["nodes"]), "people": network_people(graph)}
    log_access(db, request, principal, Action.CONSULTATION, f"network of group {key}", details=details)
    db.commit()
    return JSONResponse(graph)


@router.get("/review")
def review(request: Request, principal: CurrentUser, db: DB) -> Response:
    done = request.query_params.get("done")
    return render(request, "review.html", done=done, **_paged(request, db, principal, "review", REVIEW_PAGE))


@router.post("/review/{item_id}/assign")
async def assign_review(item_id: RowId, request: Request, principal: CurrentUser, db: DB) -> Response:
    body = validated(ReviewAssignment, await form_fields(request))
    assign_review_item(db, item_id, body.to, principal.username)
    db.commit()
    return RedirectResponse(f"/review?done={item_id}#item-{item_id}", status_code=303)


@router.post("/review/{item_id}/decision")
async def decide_review(item_id: RowId, request: Request, principal: CurrentUser, db: DB) -> Response:
    body = validated(ReviewDecision, await form_fields(request))
    decide_review_item(db, item_id, body.decision, body.reason, principal.username)
    db.commit()
    return RedirectResponse(f"/review?done={item_id}#item-{item_id}", status_code=303)


@router.get("/quality")
def quality(request: Request, principal: CurrentUser, db: DB) -> Response:
    return render(request, "quality.html", result=part_result(db, "quality"))


def stats_tables(result: PartResult) -> list[dict[str, Any]]:
    """The release's published cells regrouped as tables: rows x columns, with each table's note and
    the release's disclosure settings in words."""
    tables: dict[str, dict[str, Any]] = {}
    for item in result.items:
        table = tables.setdefault(item["table"], {"name": item["table"], "rows": [], "cols": [], "cells": {}})
        table["rows"] += [item["row"]] if item["row"] not in table["rows"] else []
        table["cols"] += [item["column"]] if item["column"] not in table["cols"] else []
        table["cells"][(item["row"], item["column"])] = item["value"]
        table.setdefault("note", item.get("note") or "")
        table["release"] = item.get("release")
        table["protection"] = item.get("protection") or ""
    return list(tables.values())


def release_asked(request: Request, releases: list[dict[str, Any]]) -> int | None:
    """The release ?release=N asks for (None: the latest); one not in the log is not found."""
    value = request.query_params.get("release")
    if value is None:
        return None
    if not value.isdecimal() or len(value) > 10 or int(value) not in {r["release"] for r in releases}:
        raise NotFound(f"no statistics release {value[:20]!r}: see the list of releases on /stats")
    return int(value)


@router.get("/stats")
def stats(request: Request, principal: CurrentUser, db: DB) -> Response:
    """A statistics release as published (the latest, or ?release=N), and the log of every release."""
    releases = stats_releases(db)
    asked = release_asked(request, releases)
    result = part_result(db, "stats", release=asked)
    tables = stats_tables(result) if result.available else []
    shown = tables[0]["release"] if tables else None
    return render(request, "stats.html", result=result, tables=tables, releases=releases, shown=shown)
