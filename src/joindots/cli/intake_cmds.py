"""`joindots reports`: the reports professionals filed, each person they name and who that is."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from joindots.audit import Action, record_access
from joindots.cli.common import clear_errors, console, ready_engine
from joindots.intake.queries import Named, ages_then, all_reports, people_named
from joindots.intake.triage import OUTCOMES, triage_report
from joindots.store.db import session_scope

ACTOR = typer.Option("--actor", help="Who is looking (written to the access log).")
WHY = typer.Option("--why", help="Why you are looking (written to the access log).")


def _aged(ages: dict[str, int], person: str) -> str:
    return f", aged {ages[person]} at the time" if person in ages else ""


def _hit(hit: dict[str, Any], ages: dict[str, int]) -> str:
    line = f"{hit['person_id']} ({hit['match_probability']:.2f}"
    if hit.get("found_by") == "context":
        line += f", by context: {hit['explanation']['context']['level']}"
    return line + _aged(ages, hit["person_id"]) + ")"


def who_is_who(named: Named, matches: list[dict[str, Any]], status: str, ages: dict[str, int]) -> str:
    """One named person and who they are: where a full run placed them, else their instant matches;
    `ages`: each person's age on the report's date, where known."""
    if named.person_id:
        return f"{named.label}: in {named.person_id} since a full run{_aged(ages, named.person_id)}"
    hits = [_hit(h, ages) for h in matches if h.get("record") == named.record and h.get("person_id")]
    if hits:
        return f"{named.label}: {', '.join(hits)}"
    return f"{named.label}: {'not matched yet' if status == 'pending' else 'no one known'}"


def reports_cmd(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Reports to show, newest first.")] = 20,
    offset: Annotated[int, typer.Option(min=0, help="Newest reports to skip (the next page).")] = 0,
    awaiting: Annotated[
        bool, typer.Option("--awaiting", help="Only reports no one has triaged yet.")
    ] = False,
    actor: Annotated[str, ACTOR] = "cli",
    why: Annotated[str, WHY] = "reports from professionals",
) -> None:
    """Reports from professionals, newest first: where each was routed, each person it names and who
    they are (instant matches, marked 'by context' where found so, or the person a full run placed
    them in), with their age on the report's date. Reading is logged as a consultation."""
    with clear_errors(), session_scope(ready_engine()) as session:
        reports = all_reports(session, limit, offset, awaiting)
        people = people_named(session, reports)
        ages = ages_then(session, reports, people)
        table = Table(title=f"reports from professionals: the newest {len(reports)}")
        for name in ("receipt", "kind", "filed (UTC)", "routed to", "people named", "triage"):
            table.add_column(name)
        for r in reports:
            theirs = {person: age for (report, person), age in ages.items() if report == r.id}
            named = [
                who_is_who(n, r.matches or [], r.match_status, theirs) for n in people.get(r.event_id, [])
            ]
            table.add_row(
                r.receipt, r.kind_label, r.filed_at.strftime("%Y-%m-%d %H:%M"),
                f"{r.police_area}, {r.local_authority}", escape("\n".join(named)),
                escape(f"{OUTCOMES.get(r.triage, r.triage)} ({r.triaged_by})" if r.triage else "awaiting"),
            )  # fmt: skip
        console.print(table)
        if reports:
            record_access(
                session, actor=actor, action=Action.CONSULTATION, subject="reports from professionals",
                justification=why, details={"receipts": [r.receipt for r in reports]},
            )  # fmt: skip


def triage_cmd(
    receipt: Annotated[str, typer.Argument(help="The report's receipt reference, e.g. JD-4GL5CZ77S3.")],
    outcome: Annotated[
        str, typer.Option(help="What was done: referred, existing (investigation) or no_further_action.")
    ],
    why: Annotated[str, typer.Option("--why", help="Why (5 characters or more; kept with the outcome).")],
    actor: Annotated[str, ACTOR] = "cli",
) -> None:
    """Record what was done about a report and why (logged as an alteration)."""
    with clear_errors(), session_scope(ready_engine()) as session:
        report = triage_report(session, receipt, outcome, why, actor)
        console.print(f"{report.receipt}: {OUTCOMES[outcome]}, by {actor}")


def register(app: typer.Typer) -> None:
    app.command("reports")(reports_cmd)
    app.command("triage")(triage_cmd)
