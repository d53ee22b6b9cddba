"""Run the scorecard, keep it in the database, write its files; and the summary the web app shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from joindots.audit import Action, record_access
from joindots.quality.scorecard import Scorecard, build_scorecard, load_frame, load_mappings
from joindots.quality.tables import QualityRun, ScorecardRow
from joindots.stats import html
from joindots.store.db import session_scope


def run_quality(engine: Engine, out_dir: Path, actor: str, mappings: Path | None = None) -> Scorecard:
    """Compute the scorecard, store it as the latest (one transaction) and write scorecard.csv,
    scorecard.html and feedback/<source>.csv under `out_dir`."""
    with session_scope(engine) as session:
        frame = load_frame(session)
        card = build_scorecard(frame, load_mappings(mappings))
        run = QualityRun(run_by=actor, records=len(frame))
        session.add(run)
        session.flush()
        session.add_all(ScorecardRow(run_id=run.id, **_clean(r)) for r in card.rows.to_dict("records"))
        record_access(
            session,
            actor=actor,
            action=Action.CONSULTATION,
            subject="data-quality scorecard",
            justification="data-quality audit of every source",
            details={"run": run.id, "records": len(frame), "out": str(out_dir)},
        )
    write_files(card, out_dir)
    return card


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    rate = row["rate"]
    return {**row, "rate": None if rate is None or rate != rate else float(rate)}


def write_files(card: Scorecard, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    card.rows.to_csv(out_dir / "scorecard.csv", index=False)
    (out_dir / "scorecard.html").write_text(render_html(card), encoding="utf-8")
    feedback = out_dir / "feedback"
    feedback.mkdir(exist_ok=True)
    sources = set(card.rows["source"])
    for source in sorted(sources):
        part = card.feedback[card.feedback["source"] == source] if len(card.feedback) else card.feedback
        part.to_csv(feedback / f"{source}.csv", index=False)


def render_html(card: Scorecard) -> str:
    rows = card.rows[card.rows["year"] == "all"]
    body = ["<p>Rates over all years; scorecard.csv has every year. Feedback files list failing records.</p>"]
    for (field, dimension), group in rows.groupby(["field", "dimension"], sort=False):
        items = [
            (s, None if r != r else round(100 * r, 1))
            for s, r in zip(group["source"], group["rate"], strict=True)
        ]
        body.append(html.bars(f"{field}: {dimension} (% of records)", items, scale=100, unit="%"))
    shown = [
        [*r]
        for r in rows[["source", "field", "dimension", "numerator", "denominator", "rate", "note"]].values
    ]
    body.append(html.table(["source", "field", "dimension", "passed", "of", "rate", "note"], shown))
    return html.page("joindots data-quality scorecard", "".join(body))


def web_summary(session: Session) -> list[dict[str, Any]]:
    """The latest scorecard's all-years rows, for the web app."""
    latest = session.scalars(select(QualityRun).order_by(QualityRun.id.desc()).limit(1)).first()
    if latest is None:
        return []
    rows = session.scalars(
        select(ScorecardRow).where(ScorecardRow.run_id == latest.id, ScorecardRow.year == "all")
    ).all()
    keys = ("source", "field", "dimension", "numerator", "denominator", "rate", "note")
    return [{k: getattr(r, k) for k in keys} for r in rows]
