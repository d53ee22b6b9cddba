"""Write a release: one CSV per table (with [c] [x] [z] shorthand), an offline HTML report with
charts, and an Excel workbook with a sheet per table."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import xlsxwriter

from joindots.stats import html
from joindots.stats.disclosure import TOTAL

if TYPE_CHECKING:
    from joindots.stats.service import StatsTable

SHORTHAND = "[c] confidential (suppressed to protect individuals); [x] not available; [z] not applicable"


def write_outputs(
    out_dir: Path, release_id: int, basis: str, tables: list[StatsTable], protection: str
) -> None:
    """`protection` states the release's disclosure settings ("counts 1 to 4 suppressed, totals
    rounded to a multiple of 5"), so a reader knows how to read its totals."""
    from joindots.stats.service import published_frame

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "tables").mkdir(exist_ok=True)
    said = f"Protected: {protection}."
    body = [f"<p>Release {release_id}. Counted: {html.escape(basis)}. {said}</p><p>{SHORTHAND}</p>"]
    book = xlsxwriter.Workbook(str(out_dir / "stats.xlsx"))
    notes = book.add_worksheet("Notes")
    for i, line in enumerate([f"Release {release_id}", f"Counted: {basis}", said, SHORTHAND]):
        notes.write(i, 0, line)
    for t in tables:
        frame = published_frame(t)
        frame.to_csv(out_dir / "tables" / f"{t.name}.csv")
        if t.extra is not None:
            t.extra.to_csv(out_dir / "tables" / f"{t.name}_rates.csv", index=False)
        body.append(_html_table(t, frame))
        _sheet(book, t, frame)
    book.close()
    (out_dir / "stats.html").write_text(html.page("joindots statistics", "".join(body)), encoding="utf-8")


def _html_table(t: StatsTable, frame: pd.DataFrame) -> str:
    parts = [f"<h2>{html.escape(t.title)}</h2><p class='caveat'>{html.escape(t.caveat)}</p>"]
    totals = frame[TOTAL].drop(index=TOTAL)
    items = [(str(k), v if isinstance(v, int) else None) for k, v in totals.items()]
    parts.append(html.bars(f"{t.title}: total", items))
    rows = [[i, *row] for i, row in zip(frame.index, frame.values.tolist(), strict=True)]
    parts.append(html.table(["", *frame.columns], rows))
    if t.extra is not None:
        parts.append("<h3>Rates per 100,000 population (exact Poisson 95% interval)</h3>")
        parts.append(html.table(list(t.extra.columns), t.extra.values.tolist()))
    return "".join(parts)


def _sheet(book: xlsxwriter.Workbook, t: StatsTable, frame: pd.DataFrame) -> None:
    sheet = book.add_worksheet(t.name[:31])
    sheet.write(0, 0, t.title)
    sheet.write(1, 0, t.caveat)
    sheet.write_row(3, 0, ["", *map(str, frame.columns)])
    for i, (label, row) in enumerate(zip(frame.index, frame.values.tolist(), strict=True)):
        sheet.write_row(4 + i, 0, [str(label), *row])
    if t.extra is not None:
        start = 6 + len(frame)
        sheet.write_row(start, 0, list(t.extra.columns))
        for i, row in enumerate(t.extra.values.tolist()):
            sheet.write_row(start + 1 + i, 0, row)
