"""The web app as people use it, in headless Chromium, on one real linked world served for the module:
an analyst signs in, searches, opens a person, sees the network drawn, confirms a match and decides a
review item; a reporter files a report and is refused the person pages. Screenshots go to
JOINDOTS_SCREENSHOTS (or the test's tmp folder)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import select

from joindots.settings import Settings
from joindots.store.db import session_scope
from joindots.store.link_tables import RecordPerson
from joindots.store.schema import PersonRecord
from joindots.web import create_app
from web_world import PASSWORD, PURPOSE, linked_world

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() or shutil.which("chromium") is None,
        reason="!!! browser tests SKIPPED: Debian chromium is not installed at /usr/bin/chromium "
        "(apt-get install -y chromium, or run scripts/test-services) !!!",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Served:
    base: str
    person: str  # a person with records from several sources
    surname: str
    named: dict[str, str]  # one of their records with a date of birth, as a reporter would name them


def _a_person_to_find(engine) -> tuple[str, str]:
    """The person with records from the most sources (ties by ID), and one of their surnames."""
    with session_scope(engine) as s:
        rows = s.execute(
            select(RecordPerson.person_id, PersonRecord.source, PersonRecord.surname)
            .join(PersonRecord, PersonRecord.id == RecordPerson.person_record_id)
            .where(PersonRecord.surname.is_not(None))
        ).all()
    sources: dict[str, set[str]] = {}
    for pid, source, _ in rows:
        sources.setdefault(pid, set()).add(source)
    person = max(sources, key=lambda p: (len(sources[p]), p))
    return person, next(surname for pid, _, surname in rows if pid == person)


def _as_named(engine, person: str) -> dict[str, str]:
    """One of the person's records with a full name and a date of birth, as a report's form fields."""
    with session_scope(engine) as s:
        record = s.scalars(
            select(PersonRecord)
            .join(RecordPerson, RecordPerson.person_record_id == PersonRecord.id)
            .where(
                RecordPerson.person_id == person,
                PersonRecord.forename.is_not(None),
                PersonRecord.surname.is_not(None),
                PersonRecord.dob.is_not(None),
            )
            .order_by(PersonRecord.id)
            .limit(1)
        ).one()
        return {"forename": record.forename, "surname": record.surname, "dob": record.dob.isoformat()}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The app on a random loopback port, in a thread, over a real linked world (shared by the tests)."""
    engine = linked_world(tmp_path_factory, tmp_path_factory.mktemp("browser"))
    person, surname = _a_person_to_find(engine)
    app = create_app(Settings(database_url=str(engine.url)), engine=engine)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield Served(f"http://127.0.0.1:{port}", person, surname, _as_named(engine, person))
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("JOINDOTS_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _page(browser, errors: list[str]):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page.on(
        "console",
        lambda m: errors.append(f"{page.url}: {m.text} {m.location}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page


def _sign_in(page, base: str, username: str, purpose: str = "") -> None:
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    if purpose:
        page.fill("input[name=justification]", purpose)
    page.click("button[type=submit]")


# True when any of the network view's canvases has a drawn (not transparent) pixel.
DRAWN = """() => [...document.querySelectorAll('#network canvas')].some((c) => {
  if (!c.width || !c.height) return false;
  const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) return true;
  return false;
})"""


def test_an_analyst_searches_opens_a_person_and_network_and_decides(served, browser, shots):
    errors: list[str] = []
    page = _page(browser, errors)
    _sign_in(page, served.base, "analyst1", PURPOSE)
    assert "Welcome, analyst1" in page.content()
    page.click("text=Search people")
    page.fill("input[name=name]", served.surname)
    page.click("form.card button[type=submit]")
    page.wait_for_selector("#results table")
    page.screenshot(path=str(shots / "search.png"), full_page=True)
    page.click(f"#results a[href='/people/{served.person}']")
    page.wait_for_selector("#network[data-ready=true]", timeout=20_000)
    assert page.locator(".card.source").count() >= 3  # records from each source side by side
    assert page.locator("table.links .tag.for").count() > 0  # identity links with their evidence
    assert page.locator("ol.timeline li").count() >= 1
    nodes = int(page.get_attribute("#network", "data-nodes") or 0)
    assert nodes > 2 and f"{nodes} nodes" in page.inner_text("#network-note")
    assert page.locator("#network canvas").count() >= 1 and page.evaluate(DRAWN)  # Cytoscape drew them
    page.screenshot(path=str(shots / "person.png"), full_page=True)

    page.click("text=Match review")
    first = page.locator(".card.pair").first
    pair = (first.get_attribute("id") or "").removeprefix("pair-")
    first.locator("input[name=reason]").fill("same person: one phone and one vehicle across both")
    first.locator("button[value=same]").click()
    page.wait_for_selector(f"text=Decision recorded for pair {pair}")
    assert page.locator(f"#pair-{pair}").count() == 0  # decided pairs leave the list
    page.screenshot(path=str(shots / "matches.png"), full_page=True)

    page.click("text=Review queue")
    item = page.locator(".review-item").first
    item_id = (item.get_attribute("id") or "").removeprefix("item-")
    item.locator("select[name=decision]").select_option("refer")
    item.locator("input[name=reason]").fill("suspect now linked to other child victims; refer")
    item.locator("button", has_text="Record decision").click()
    page.wait_for_selector(f"text=Recorded for review item {item_id}")
    assert "decided: refer" in page.inner_text(f"#item-{item_id} h2")
    page.locator(f"#item-{item_id}").locator("button", has_text="Assign").click()  # taken on, by name
    page.wait_for_selector(f"text=Recorded for review item {item_id}")
    assert "with analyst1" in page.inner_text(f"#item-{item_id} h2")
    page.screenshot(path=str(shots / "review.png"), full_page=True)
    assert errors == [], errors  # no script errors, and nothing the CSP had to block


def _fill_duty_report(page, fields: dict[str, str], what_happened: str) -> None:
    """A school's safeguarding lead reports a child and "Dorian", met near a Bradford postcode."""
    reporter = {
        "reporter_name": "Harriet Oakenshaw",
        "reporter_role": "Designated safeguarding lead",
        "reporter_organisation": "Moorside Academy",
        "suspect_forename": "Dorian",
        "location_postcode": "BD7 1AA",
        "occurred_on": "2024-03-01",
    }
    for name, value in (reporter | fields).items():
        page.fill(f"[name={name}]", value)
    page.fill("[name=what_happened]", what_happened)


def test_a_reporter_files_a_report_and_is_refused_person_pages(served, browser, shots):
    errors: list[str] = []
    page = _page(browser, errors)
    _sign_in(page, served.base, "reporter1")
    page.click("text=File a report")
    _fill_duty_report(
        page,
        {"child_forename": "Maisie", "child_surname": "Tenterden", "suspect_phones": "07700 900123"},
        "Pupil disclosed lifts and alcohol from an older man.",
    )
    page.screenshot(path=str(shots / "report_form.png"), full_page=True)
    page.click("text=File the report")
    receipt = page.inner_text("#receipt-ref")
    assert receipt.startswith("JD-") and "Bradford" in page.content()
    page.screenshot(path=str(shots / "receipt.png"), full_page=True)
    page.goto(served.base + "/reports/mine")
    assert receipt in page.content()
    refused = page.goto(served.base + f"/people/{served.person}")
    assert refused is not None and refused.status == 403 and served.surname not in page.content()
    assert errors == [] or all("403" in e for e in errors), errors


def test_a_report_naming_a_known_person_is_matched_at_once_and_an_analyst_follows_it(served, browser, shots):
    errors: list[str] = []
    page = _page(browser, errors)
    _sign_in(page, served.base, "reporter1")
    page.goto(served.base + "/reports/new/duty")
    child = {f"child_{field}": value for field, value in served.named.items()}
    _fill_duty_report(page, child, "Seen getting into a car with an older man after school.")
    page.click("text=File the report")
    receipt = page.inner_text("#receipt-ref")
    assert served.person not in page.content()  # a reporter is told it is filed, not who is known

    page = _page(browser, errors)
    _sign_in(page, served.base, "analyst1", PURPOSE)
    page.click("text=Reports received")
    row = page.locator("tr", has_text=receipt)
    assert "matched" in row.inner_text()
    named = row.locator("ul.hits li", has_text=served.named["surname"])
    assert named.locator(f"a[href='/people/{served.person}']").count() == 1  # the child, known at once
    assert re.search(r"aged \d+ at the time", named.inner_text())  # how old on the report's date
    page.screenshot(path=str(shots / "reports.png"), full_page=True)
    row.locator(f"a[href='/reports/{receipt}']").click()  # the report whole, and the evidence
    assert "Seen getting into a car with an older man after school." in page.inner_text("main")
    card = page.locator("section.card", has_text=served.named["surname"])
    assert "dob: exact" in card.inner_text()
    page.screenshot(path=str(shots / "report.png"), full_page=True)
    card.locator(f"a[href='/people/{served.person}']").click()
    page.wait_for_selector("#network[data-ready=true]", timeout=20_000)
    assert served.surname in page.content()
    assert errors == [], errors
