"""Self-contained HTML reports: tables and horizontal bar charts drawn as inline SVG, so the report
works offline and air-gapped (no script, no CDN)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

__all__ = ["bars", "escape", "page", "table"]

STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:2px 6px;text-align:right}"
    "th:first-child,td:first-child{text-align:left}.caveat{color:#555;font-size:90%}"
)


def page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def bars(
    title: str, items: Sequence[tuple[str, float | None]], scale: float | None = None, unit: str = ""
) -> str:
    """A horizontal bar chart; a None value is drawn as an empty bar labelled with its reason."""
    top = scale or max((v for _, v in items if v is not None), default=1.0) or 1.0
    height = 20 * len(items) + 10
    parts = []
    for i, (label, value) in enumerate(items):
        y = 20 * i + 5
        width = 0 if value is None else 300 * value / top
        shown = "[c]" if value is None else f"{value:g}{unit}"
        parts.append(
            f'<text x="0" y="{y + 13}" font-size="12">{escape(label)}</text>'
            f'<rect x="220" y="{y}" width="{width:.1f}" height="15" fill="#3a6ea5"/>'
            f'<text x="{225 + width:.1f}" y="{y + 13}" font-size="12">{escape(shown)}</text>'
        )
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" width="600" height="{height}" role="img">{"".join(parts)}</svg>'
    return f"<figure><figcaption>{escape(title)}</figcaption>{svg}</figure>"
