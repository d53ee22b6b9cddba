"""`joindots reports`: the reports professionals filed, each person they name and who that is."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from joindots.audit import Action, record_access
from joindots.cli.common import clear_errors, console, ready_engine
from joindots.cli.link_cmds import evidence_line
from joindots.errors import NotFound
from joindots.intake.queries import (
    Named,
    ages_then,
    all_reports,
    one_report,
    people_in,
    people_named,
    unplaced_hits,
)
from joindots.intake.tables import Report, ReportTriage
from joindots.intake.triage import OUTCOMES, triage_history, triage_report
from joindots.store.db import session_scope

ACTOR = typer.Option("--actor", help="Who is looking (written to the access log).")
WHY = typer.Option("--why", help="Why you are looking (written to the access log).")


def _aged(ages: dict[str, int], person: str) -> str:
    return f", aged {ages[person]} at the time" if person in ages else ""


def _hit(hit: dict[str, Any], ages: dict[str, int], earlier: dict[int, str]) -> str:
    who = hit["person_id"] or f"record {hit['record_id']}" + (
        f" of report {earlier[hit['record_id']]}" if hit["record_id"] in earlier else ""
    )
    line = f"{who} ({hit['match_probability']:.2f}"
    if hit.get("found_by") == "context":
        line += f", by context: {hit['explanation']['context']['level']}"
    line += _aged(ages, hit["person_id"]) if hit["person_id"] else ", not yet in a person"
    return line + ")"


def who_is_who(
    named: Named,
    matches: list[dict[str, Any]],
    status: str,
    ages: dict[str, int],
    earlier: dict[int, str] | None = None,
) -> str:
    """One named person and who they are: where a full run placed them, else their instant matches
    (a record no run has placed yet by its number, and the report holding it: `earlier`); `ages`:
    each person's age on the report's date, where known."""
    if named.person_id:
        return f"{named.label}: in {named.person_id} since a full run{_aged(ages, named.person_id)}"
    hits = [_hit(h, ages, earlier or {}) for h in matches if h.get("record") == named.record]
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
        earlier = unplaced_hits(session, reports)
        table = Table(title=f"reports from professionals: the newest {len(reports)}")
        for name in ("receipt", "kind", "filed (UTC)", "routed to", "people named", "triage"):
            table.add_column(name)
        for r in reports:
            theirs = {person: age for (report, person), age in ages.items() if report == r.id}
            named = [
                who_is_who(n, r.matches or [], r.match_status, theirs, earlier)
                for n in people.get(r.event_id, [])
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
                justification=why,
                details={"receipts": [r.receipt for r in reports], "people": people_in(reports, people)},
            )  # fmt: skip


def _given_person(p: dict[str, Any]) -> str:
    """A person as the report gave them: name, birth date or rough age, sex, postcode, phones,
    vehicles and description."""
    words = [" ".join(x for x in (p.get("forename"), p.get("surname")) if x) or "no name given"]
    if p.get("dob"):
        words.append(f"born {p['dob']}")
    elif p.get("approx_age") is not None:
        words.append(f"about {p['approx_age']}")
    words += [p[k] for k in ("sex", "postcode") if p.get(k)]
    words += [f"phone {x}" for x in p.get("phones") or []]
    words += [f"vehicle {x}" for x in p.get("vehicle_marks") or []]
    said = f": \u201c{p['description']}\u201d" if p.get("description") else ""
    return ", ".join(words) + said


def _as_filed(r: Report) -> list[tuple[str, str]]:
    """The report's fields as filed, label and text, in the order the web app's page gives them."""
    given = r.payload or {}
    rep = given.get("reporter") or {}
    where = given.get("location_postcode")
    lines = [
        ("kind", r.kind_label + (" (Operation Makesafe)" if r.kind == "makesafe" else "")),
        ("filed (UTC)", f"{r.filed_at:%Y-%m-%d %H:%M} by {r.filed_by}"),
        ("happened on", f"{given.get('occurred_on')}" + (f", {where}" if where else "")),
        ("routed to", f"{r.police_area}, {r.local_authority}"
         + ("" if r.routed_by_postcode else " (no postcode district to route by)")),
        ("reporter", ", ".join(str(rep[k]) for k in ("name", "role", "organisation", "phone", "email")
                               if rep.get(k))),
    ]  # fmt: skip
    if r.kind == "makesafe":
        lines.append(("where", str(given.get("business_name", ""))))
        lines += [("seen", str(i)) for i in given.get("indicators") or []]
        for n in given.get("names_as_given") or []:
            lines.append(("name given", f"\u201c{n['name']}\u201d ({n['who'].replace('_', ' ')})"))
        for key, label in (("phones", "phones"), ("vehicle_marks", "vehicles")):
            if given.get(key):
                lines.append((label, ", ".join(given[key])))
    else:
        lines.append(("child", _given_person(given.get("child") or {})))
        lines += [("suspect", _given_person(s)) for s in given.get("suspects") or []]
    lines.append(("what happened", str(given.get("what_happened", ""))))
    if r.triage:
        lines.append(("triage", f"{OUTCOMES.get(r.triage, r.triage)}: by {r.triaged_by}, "
                      f"{r.triaged_at:%Y-%m-%d %H:%M} UTC. \u201c{r.triage_note}\u201d"))  # fmt: skip
    else:
        lines.append(("triage", "awaiting: no one has recorded what was done about it yet"))
    return lines


def _trail(history: list[ReportTriage]) -> list[str]:
    """Every outcome recorded, newest first, each with when, who and why."""
    return [
        f"{t.triaged_at:%Y-%m-%d %H:%M} UTC: {OUTCOMES.get(t.outcome, t.outcome)}, by {t.triaged_by}. "
        f"\u201c{t.note}\u201d"
        for t in history
    ]


def report_cmd(
    receipt: Annotated[str, typer.Argument(help="The report's receipt reference, e.g. JD-4GL5CZ77S3.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print it as GET /api/reports/{receipt} does.")
    ] = False,
    actor: Annotated[str, ACTOR] = "cli",
    why: Annotated[str, WHY] = "a report from a professional",
) -> None:
    """One report whole, as filed: the reporter to call back, what happened in their words, what was
    done about it (every outcome recorded, newest first, with who and why), and each person it names
    with who they are and the evidence for each match. Reading is logged as a consultation."""
    from joindots.web.api.reports import detailed  # the API's own shape, for --json

    with clear_errors(), session_scope(ready_engine()) as session:
        report = one_report(session, receipt)
        if report is None:
            raise NotFound(f"no report {receipt}")
        shown = {"people": people_in([report], people_named(session, [report]))}
        record_access(
            session, actor=actor, action=Action.CONSULTATION, subject=f"report {receipt}",
            justification=why, details=shown,
        )  # fmt: skip
        if as_json:
            typer.echo(json.dumps(detailed(session, [report])[0].model_dump(mode="json"), indent=2))
            return
        console.print(f"[bold]Report {escape(report.receipt)}[/]")
        for label, text in _as_filed(report):
            console.print(f"{label}: {escape(text)}")
        trail = _trail(triage_history(session, [report]).get(report.id, []))
        if trail:
            console.print("\n[bold]Triage history[/] (every outcome recorded, newest first)")
            for line in trail:
                console.print(escape(line))
        people = people_named(session, [report])
        ages = {p: a for (_, p), a in ages_then(session, [report], people).items()}
        earlier = unplaced_hits(session, [report])
        console.print(f"\n[bold]Who they are[/] (matching: {report.match_status.replace('_', ' ')})")
        for named in people.get(report.event_id, []):
            said = who_is_who(named, report.matches or [], report.match_status, ages, earlier)
            console.print(escape(said))
            for hit in report.matches or []:
                if hit.get("record") == named.record:
                    who = hit["person_id"] or f"record {hit['record_id']}"
                    console.print(f"  {who}: {escape(evidence_line(hit.get('explanation') or {}))}")


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
    app.command("report")(report_cmd)
    app.command("triage")(triage_cmd)
