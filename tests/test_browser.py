"""The web app as people use it, in headless Chromium: an analyst signs in, searches, opens a person
and their network, confirms a match and looks at the review queue; a reporter files a report and is
refused the person pages. Screenshots go to JOINDOTS_SCREENSHOTS (or the test's tmp folder)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from joindots.settings import Settings
from joindots.web import create_app
from web_world import PASSWORD, PURPOSE, add_user, build_world

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


@pytest.fixture
def served(sqlite_engine):
    """The app on a random loopback port, in a thread, over a small world."""
    world = build_world(sqlite_engine)
    add_user(sqlite_engine, "analyst1", "analyst")
    add_user(sqlite_engine, "reporter1", "reporter")
    app = create_app(Settings(database_url=str(sqlite_engine.url)), engine=sqlite_engine)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", world
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
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


def test_an_analyst_searches_opens_a_person_and_confirms_a_match(served, browser, shots):
    base, world = served
    errors: list[str] = []
    page = _page(browser, errors)
    _sign_in(page, base, "analyst1", PURPOSE)
    assert "Welcome, analyst1" in page.content()
    page.click("text=Search people")
    page.fill("input[name=name]", "Quillfeather")
    page.click("form.card button[type=submit]")
    page.wait_for_selector("#results table")
    page.screenshot(path=str(shots / "search.png"), full_page=True)
    page.click(f"a[href='/people/{world.alpha}']")
    page.wait_for_selector("#network[data-ready=true]", timeout=20_000)
    assert page.locator(".source").count() == 2  # police_north and health side by side
    assert "Jaro-Winkler" in page.content() and "CR/0001/24" in page.content()
    page.screenshot(path=str(shots / "person.png"), full_page=True)
    assert "nodes" in page.inner_text("#network-note")

    page.click("text=Match review")
    page.fill(f"#pair-{world.pair_id} input[name=reason]", "same child: day and month swapped in health")
    page.click(f"#pair-{world.pair_id} button[value=same]")
    page.wait_for_selector("text=Decision recorded")
    page.screenshot(path=str(shots / "matches.png"), full_page=True)

    page.click("text=Review queue")
    assert page.locator("h1").inner_text() == "Review queue"
    page.screenshot(path=str(shots / "review.png"), full_page=True)
    assert errors == [], errors  # no script errors, and nothing the CSP had to block


def test_a_reporter_files_a_report_and_is_refused_person_pages(served, browser, shots):
    base, world = served
    errors: list[str] = []
    page = _page(browser, errors)
    _sign_in(page, base, "reporter1")
    page.click("text=File a report")
    for name, value in {
        "reporter_name": "Harriet Oakenshaw",
        "reporter_role": "Designated safeguarding lead",
        "reporter_organisation": "Moorside Academy",
        "child_forename": "Maisie",
        "child_surname": "Tenterden",
        "suspect_forename": "Dorian",
        "suspect_phones": "07700 900123",
        "location_postcode": "BD7 1AA",
        "occurred_on": "2024-03-01",
    }.items():
        page.fill(f"[name={name}]", value)
    page.fill("[name=what_happened]", "Pupil disclosed lifts and alcohol from an older man.")
    page.screenshot(path=str(shots / "report_form.png"), full_page=True)
    page.click("text=File the report")
    receipt = page.inner_text("#receipt-ref")
    assert receipt.startswith("JD-") and "Bradford" in page.content()
    page.screenshot(path=str(shots / "receipt.png"), full_page=True)
    page.goto(base + "/reports/mine")
    assert receipt in page.content()
    refused = page.goto(base + f"/people/{world.alpha}")
    assert refused.status == 403 and "Quillfeather" not in page.content()
    assert errors == [] or all("403" in e for e in errors), errors
