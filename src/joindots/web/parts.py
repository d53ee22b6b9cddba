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
    items: list[dict[str, Any]] = field(default_factory=list)


PARTS = {
    "groups": ("joindots.network", "offender groups", "joindots groups"),
    "review": ("joindots.screening", "the case review queue", "joindots screen"),
    "quality": ("joindots.quality", "data-quality scorecards", "joindots quality"),
    "stats": ("joindots.stats", "statistics", "joindots stats"),
}


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module + ".service") is not None
    except ModuleNotFoundError:  # the part's package itself is not in this build
        return False


def part_result(session: Session, part: str) -> PartResult:
    """What `part` has produced, via its `service.web_summary(session)` when the part provides one."""
    module, what, command = PARTS[part]
    if not _installed(module):
        return PartResult(False, f"{what.capitalize()} are not available in this build yet.")
    service = importlib.import_module(module + ".service")
    summary = getattr(service, "web_summary", None)
    if summary is None:
        return PartResult(
            False, f"{what.capitalize()} exist but offer no summary for the web yet; use `{command}`."
        )
    items = summary(session)
    if not items:
        return PartResult(False, f"No {what} yet: run `{command}` first.")
    return PartResult(True, f"{len(items)} {what}", items)


def decide_review_item(session: Session, item_id: int, decision: str, reason: str, actor: str) -> None:
    """Record a reviewer's decision through the screening part's service."""
    if not _installed("joindots.screening"):
        raise NotFound(f"no review item {item_id}: the review queue is not available in this build")
    service = importlib.import_module("joindots.screening.service")
    service.decide_item(session, item_id=item_id, decision=decision, reason=reason, actor=actor)
