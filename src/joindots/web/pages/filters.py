"""Jinja filters for the pages: explanations of a match score, person IDs as links, plain cells."""

from __future__ import annotations

import math
import re
from typing import Any

from jinja2 import Environment
from markupsafe import Markup, escape

from joindots.link.explain import plain_label

PERSON_ID = re.compile(r"\b(P\d{6,12})\b")
GROUP_KEY = re.compile(r"\b(G\d{5,9})\b")


def evidence(explanation: Any) -> list[dict[str, Any]]:
    """An explanation as rows of field, level, weight and direction, strongest evidence first.

    Runs store {field: {level, weight, bayes_factor}}; older or hand-made ones may carry a `label`
    instead of a level, or be a list of {column, label}. Anything else is shown as it is.
    """
    if isinstance(explanation, dict):
        parts = [{"field": f, **(p if isinstance(p, dict) else {"level": p})} for f, p in explanation.items()]
    elif isinstance(explanation, list):
        parts = [
            {"field": p.get("column", ""), **p} if isinstance(p, dict) else {"level": p} for p in explanation
        ]
    else:
        return [] if explanation is None else [{"field": "", "level": str(explanation), "weight": 0.0}]
    rows = []
    for part in parts:
        weight = part.get("weight")
        bayes = part.get("bayes_factor")
        if weight is None and isinstance(bayes, int | float) and bayes > 0:
            weight = math.log2(bayes)
        rows.append(
            {
                "field": part.get("field", ""),
                "level": plain_label(str(part.get("level", part.get("label", "")))),
                "weight": float(weight or 0.0),
            }
        )
    return sorted(rows, key=lambda r: -abs(r["weight"]))


def times(weight: float) -> str:
    """A match weight as how many times more (x) or less (/) likely a match it makes the pair."""
    factor = 2.0**weight
    if abs(weight) < 0.05:
        return "no evidence"
    if factor >= 1:
        return f"x{factor:,.0f}" if factor >= 10 else f"x{factor:.1f}"
    return f"/{1 / factor:,.0f}" if factor <= 0.1 else f"/{1 / factor:.1f}"


def person_links(text: Any) -> Markup:
    """Escape `text`, then make every person ID in it a link to that person's page, and every group
    key a link to that group on the groups page."""
    escaped = str(escape("" if text is None else text))
    linked = PERSON_ID.sub(r'<a href="/people/\1">\1</a>', escaped)
    return Markup(GROUP_KEY.sub(r'<a href="/groups/\1">\1</a>', linked))


def cell(value: Any) -> str:
    """A table cell: nothing shown as a dash, lists joined, shares as percentages."""
    if value is None or value == "":
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, float):
        return f"{value:.1%}" if 0 <= value <= 1 else f"{value:,.2f}"
    return str(value)


def install(env: Environment) -> None:
    env.filters.update(evidence=evidence, times=times, person_links=person_links, cell=cell)
