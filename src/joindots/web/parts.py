"""Results of the analysis parts (groups, review queue, data quality, statistics) for the faces.

Each reader asks its part's own service module. Where the part is not in this build, or has not
produced results yet, the page says so plainly rather than showing an empty success.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from joindots.errors import NotFound


@dataclass
class PartResult:
    available: bool
    message: str
    items: list[dict[str, Any]] = field(default_factory=list)  # this page of them
    total: int = 0  # all of them
    offset: int = 0  # where this page starts


@dataclass(frozen=True)
class Part:
    module: str
    what: str  # what the part produces, for "not available" messages
    counted: str  # what one item is, for "12 offender groups"
    command: str  # the step that produces it


PARTS = {
    "groups": Part("joindots.network", "offender groups", "offender groups", "joindots groups"),
    "review": Part(
        "joindots.screening", "the case review queue", "cases on the review queue", "joindots screen"
    ),
    "quality": Part(
        "joindots.quality", "the data-quality scorecard", "scorecard measures", "joindots quality"
    ),
    "stats": Part("joindots.stats", "statistics", "published cells", "joindots stats"),
}


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module + ".service") is not None
    except ModuleNotFoundError:  # the part's package itself is not in this build
        return False


def part_result(
    session: Session, part: str, offset: int = 0, limit: int | None = None, **chosen: Any
) -> PartResult:
    """What `part` has produced, via its `service.web_summary(session, **chosen)` when the part
    provides one (`chosen`: which of its results, e.g. a statistics release); `offset` and `limit`
    pick one page of the items."""
    spec = PARTS[part]
    what = spec.what[0].upper() + spec.what[1:]
    if not _installed(spec.module):
        return PartResult(False, f"{what}: not available in this build yet.")
    service = importlib.import_module(spec.module + ".service")
    summary = getattr(service, "web_summary", None)
    if summary is None:
        return PartResult(
            False, f"{what}: this part offers no summary for the web yet; use `{spec.command}`."
        )
    items = summary(session, **chosen)
    if not items:
        return PartResult(False, f"Not run yet: there are no {spec.counted} until `{spec.command}` has run.")
    page = items[offset : None if limit is None else offset + limit]
    return PartResult(True, f"{len(items):,} {spec.counted}", page, len(items), offset)


def stats_releases(session: Session) -> list[dict[str, Any]]:
    """The statistics release log, newest first (no counts); empty where statistics are not in this
    build."""
    if not _installed(PARTS["stats"].module):
        return []
    return importlib.import_module(PARTS["stats"].module + ".service").release_log(session)


def assign_review_item(session: Session, item_id: int, to: str, actor: str) -> None:
    """Give a case to a reviewer: an active user whose role reviews cases (logged by the service)."""
    from joindots.auth.roles import Permission, allowed
    from joindots.auth.users import user_named
    from joindots.errors import InvalidInput

    if not _installed("joindots.screening"):
        raise NotFound(f"no review item {item_id}: the review queue is not available in this build")
    user = user_named(session, to.strip())
    if not user.active or not allowed(user.role, Permission.REVIEW_CASES):
        raise InvalidInput(f"{to} cannot review cases (disabled, or a role that does not review)")
    service = importlib.import_module("joindots.screening.service")
    service.assign_item(session, item_id=item_id, to=user.username, actor=actor)


def decide_review_item(session: Session, item_id: int, decision: str, reason: str, actor: str) -> None:
    """Record a reviewer's decision through the screening part's service."""
    if not _installed("joindots.screening"):
        raise NotFound(f"no review item {item_id}: the review queue is not available in this build")
    service = importlib.import_module("joindots.screening.service")
    service.decide_item(session, item_id=item_id, decision=decision, reason=reason, actor=actor)
