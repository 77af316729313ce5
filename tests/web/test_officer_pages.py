# ruff: noqa: F811 - the fixtures imported from officer_support are the tests' parameters
"""The officer console's pages: the work queue (take next, overdue tasks), a task's page (why it was selected, the
charts, the evidence), its forms with their inline errors and CSRF tokens, conflicts, and the whole path from a
created task to goods released that the trader then sees."""

import re
import xml.etree.ElementTree as ET

import pandas as pd
import pytest
from conftest import TestClient, as_user
from officer_support import (  # noqa: F401
    OFFICE_A,
    OFFICE_B,
    OVERDUE,
    app,
    counts,
    csrf_of,
    lock_to,
    lodge,
    model_engine,
    open_tasks,
    set_lane,
    settings,
    staff,
    task_row,
    version_in,
    world,
)
from sqlalchemy import select

from smartcustoms.accounts import service as accounts
from smartcustoms.control import service as control_service
from smartcustoms.control.repository import inspections as task_sql
from smartcustoms.control.service import get_evidence, store_evidence
from smartcustoms.control.tables import document_requests, officers, outcomes
from smartcustoms.declarations.repository import load_declarations
from smartcustoms.risk import repository as audit
from smartcustoms.targeting import service as registry
from smartcustoms.web.app import create_app
from smartcustoms.web.officer.presenters import officer_records

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def page(client, person, path: str, **params):
    answer = as_user(client, person).get(path, params=params)
    assert answer.status_code == 200, answer.text
    return answer.text


def post(client, person, path: str, data: dict):
    """Post a form as the person, with the CSRF token of the page (as a browser would)."""
    return as_user(client, person).post(path, data={**data, "csrf_token": person.csrf}, follow_redirects=False)


def texts(svg: bytes) -> list[str]:
    return [t.strip() for t in ET.fromstring(svg).itertext() if t.strip()]


def field_error(html: str, form: str, name: str) -> str:
    return re.search(rf'<p class="field-error" id="{form}-{name}-error">(.*?)</p>', html, re.S).group(1)


# --- the queue ----------------------------------------------------------------------------------------------------


def test_the_queue_lists_the_tasks_of_the_officers_offices_most_urgent_first(client, world, engine):
    people = world["people"]
    html = page(client, people["oscar"], "/officer/queue")
    for header in ("Task", "Declaration", "Lane", "Mode", "State", "Officer", "Due (UTC)", "Selected by"):
        assert f'<th scope="col">{header}</th>' in html
    assert re.findall(r">(A-[A-Z0-9]+|B-[A-Z0-9]+)</a><br>", html) == ["A-DOC1", "A-DOC2", "A-RED"]
    assert "3 tasks, most urgent first" in html and "Take next" in html
    assert "B-DOC" not in html  # another office
    assert re.findall(r">(A-[A-Z0-9]+)</a><br>", page(client, people["oscar"], "/officer/queue", lane="red")) == ["A-RED"]
    assert "No task matches these filters." in page(client, people["oscar"], "/officer/queue", who="mine")
    everything = page(client, people["sam"], "/officer/queue")
    assert "B-DOC" in everything and "Take next" not in everything  # supervisors have no queue of their own
    assert as_user(client, people["oscar"]).get("/officer/queue", params={"lane": "blue"}).status_code == 422


def test_overdue_tasks_stand_out_in_words_not_colour_only(client, world, engine):
    people = world["people"]
    lodge(client, people, "A-LATE")
    set_lane(engine, "A-LATE", "yellow")
    open_tasks(engine, due=OVERDUE)
    html = page(client, people["otto"], "/officer/queue")
    rows = re.findall(r"<tr( class=\"overdue-row\")?>\s*<th scope=\"row\">.*?</tr>", html, re.S)
    assert len(rows) == 4
    late = re.search(r'<tr class="overdue-row">(.*?)</tr>', html, re.S).group(1)
    assert "A-LATE" in late and '<strong class="overdue-badge">Overdue</strong>' in late
    assert html.count("Overdue</strong>") == 1
    task_id = open_tasks(engine)["A-LATE"]
    assert "Overdue</strong>" in page(client, people["otto"], f"/officer/tasks/{task_id}")


def test_take_next_locks_a_task_to_the_officer_and_opens_it(client, world, engine):
    people = world["people"]
    oscar, otto = people["oscar"], people["otto"]
    html = page(client, oscar, "/officer/queue")
    form = re.search(r'<form method="post" action="/officer/queue/next".*?</form>', html, re.S).group(0)
    assert 'name="csrf_token"' in form
    first = as_user(client, oscar).post("/officer/queue/next", data={"csrf_token": csrf_of(form),
                                                                      "office": OFFICE_A},
                                        follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"].endswith("?done=taken")
    opened = client.get(first.headers["location"])
    assert "The task is yours: it is locked to you." in opened.text and "oscar (you)" in opened.text
    second = post(client, otto, "/officer/queue/next", {"office": OFFICE_A})
    assert second.headers["location"] != first.headers["location"]
    mine = int(re.search(r"/officer/tasks/(\d+)", first.headers["location"]).group(1))
    theirs = int(re.search(r"/officer/tasks/(\d+)", second.headers["location"]).group(1))
    assert task_row(engine, mine)["officer_id"] == "oscar" and task_row(engine, theirs)["officer_id"] == "otto"
    # the last task of office B taken, the queue is empty for olga
    olga = people["olga"]
    taken = post(client, olga, "/officer/queue/next", {"office": OFFICE_B})
    task_id = int(re.search(r"/officer/tasks/(\d+)", taken.headers["location"]).group(1))
    control_service.transition(engine, task_id, "in_progress", actor="olga", expected_version=task_row(engine,
                                                                                                     task_id)["version"])
    empty = post(client, olga, "/officer/queue/next", {"office": OFFICE_B})
    assert empty.headers["location"] == f"/officer/queue?empty={OFFICE_B}"
    assert "Nothing to take at FRLYS1" in client.get(empty.headers["location"]).text
    wrong = post(client, olga, "/officer/queue/next", {"office": OFFICE_A})
    assert wrong.status_code == 422 and "Choose one of your offices." in wrong.text


# --- the whole path -----------------------------------------------------------------------------------------------


def test_the_whole_path_from_created_to_released_through_the_pages(client, world, engine):
    people = world["people"]
    oscar = people["oscar"]
    taken = post(client, oscar, "/officer/queue/next", {"office": OFFICE_A})
    path = taken.headers["location"].split("?")[0]
    task_id = int(path.rsplit("/", 1)[1])
    html = page(client, oscar, path)
    assert "Start the control" in html
    started = as_user(client, oscar).post(f"{path}/start", follow_redirects=False, data={
        "csrf_token": csrf_of(html), "expected_version": version_in(html, f"{path}/start"), "note": "desk check"})
    assert started.status_code == 303 and started.headers["location"] == f"{path}?done=started#top"

    html = client.get(started.headers["location"]).text
    assert "The control is started." in html and "Record the outcome" in html
    duty = re.search(r'id="complete-duty_before" name="duty_before" type="text" value="([^"]*)"', html).group(1)
    assert duty == "176.64"  # prefilled from the declaration: 2,208 at 8 %
    done = as_user(client, oscar).post(f"{path}/complete", follow_redirects=False, data={
        "csrf_token": csrf_of(html), "expected_version": version_in(html, f"{path}/complete"),
        "result": "discrepancy", "infringements": ["valuation", "origin"], "duty_before": duty,
        "duty_after": "250,50", "penalty": "40", "offence_code": "V-12", "note": "invoice shows more"})
    assert done.status_code == 303, done.text
    html = client.get(done.headers["location"]).text
    assert "The outcome is recorded and the control completed." in html
    assert "Release, detain or seize the goods" in html
    with engine.connect() as conn:
        outcome = conn.execute(select(outcomes).where(outcomes.c.task_id == task_id)).mappings().one()
    assert (outcome["infringement"], outcome["duty_after"], outcome["duty_recovered"], outcome["officer"]) == (
        "valuation,origin", 250.5, 73.86, "oscar")

    released = as_user(client, oscar).post(f"{path}/release", follow_redirects=False, data={
        "csrf_token": csrf_of(html), "expected_version": version_in(html, f"{path}/release"),
        "decision": "released"})
    assert released.status_code == 303
    html = client.get(released.headers["location"]).text
    assert "The goods are released." in html and "The control is closed" in html
    assert task_row(engine, task_id)["state"] == "released"

    # the trader sees the release on the portal
    trader = page(client, people["alice"], "/portal/declarations/A-DOC1")
    assert "Goods released" in trader
    assert re.search(r"<dt>Status</dt><dd>\s*released\s*</dd>", trader)
    assert "Control result: discrepancy found" in trader
    assert "invoice shows more" not in trader and "desk check" not in trader


def test_the_outcome_form_shows_each_problem_next_to_its_field(client, world, engine):
    people = world["people"]
    oscar = people["oscar"]
    task_id = world["tasks"]["A-DOC1"]
    control_service.transition(engine, task_id, "in_progress", actor="oscar",
                               expected_version=lock_to(engine, "oscar", task_id))
    path = f"/officer/tasks/{task_id}"
    html = page(client, oscar, path)
    version = version_in(html, f"{path}/complete")
    before = counts(engine, task_id), task_row(engine, task_id)

    answer = post(client, oscar, f"{path}/complete", {"expected_version": version, "duty_before": "abc",
                                                       "duty_after": "", "offence_code": "X" * 25})
    assert answer.status_code == 422
    html = answer.text
    assert 'role="alert"' in html and "Please correct these fields" in html
    for name, message in (("result", "Choose a result."), ("duty_before", "Enter a number."),
                          ("duty_after", "Enter a value."), ("offence_code", "This value is too long.")):
        assert message in field_error(html, "complete", name), name
        assert f'href="#complete-{name}"' in html  # the summary links to the field
    field = re.search(r'<input id="complete-duty_before"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in field and "complete-duty_before-error" in field and 'value="abc"' in field

    answer = post(client, oscar, f"{path}/complete", {"expected_version": version, "result": "discrepancy",
                                                       "duty_before": "10", "duty_after": "10"})
    assert answer.status_code == 422
    assert "A discrepancy needs at least one infringement type." in field_error(answer.text, "complete",
                                                                                 "infringements")
    assert re.search(r'id="complete-result-discrepancy" name="result" value="discrepancy" checked', answer.text)

    answer = post(client, oscar, f"{path}/complete", {"expected_version": version, "result": "no_discrepancy",
                                                       "duty_before": "10", "duty_after": "12", "seized": "yes"})
    assert "the duty after the control equals the duty before" in field_error(answer.text, "complete",
                                                                               "duty_after")
    assert (counts(engine, task_id), task_row(engine, task_id)) == before  # nothing written


def test_a_form_of_a_task_changed_meanwhile_shows_the_conflict_and_the_task_as_it_is(client, world, engine):
    people = world["people"]
    oscar = people["oscar"]
    task_id = world["tasks"]["A-DOC1"]
    version = lock_to(engine, "oscar", task_id)
    path = f"/officer/tasks/{task_id}"
    html = page(client, oscar, path)
    assert version_in(html, f"{path}/start") == str(version)
    control_service.transition(engine, task_id, "in_progress", actor="sam", expected_version=version)  # meanwhile
    before = counts(engine, task_id)
    answer = post(client, oscar, f"{path}/start", {"expected_version": str(version)})
    assert answer.status_code == 409
    assert "Someone else changed this task while you were looking at it." in answer.text
    assert "Record the outcome" in answer.text  # the task as it is now: in progress
    assert version_in(answer.text, f"{path}/complete") == str(version + 1)
    assert counts(engine, task_id) == before
    stale = post(client, oscar, f"{path}/complete", {"expected_version": str(version), "result": "no_discrepancy",
                                                      "duty_before": "1", "duty_after": "1"})
    assert stale.status_code == 409 and counts(engine, task_id) == before


def test_a_physical_task_waits_for_its_slot(client, world, engine):
    oscar = world["people"]["oscar"]
    task_id = world["tasks"]["A-RED"]
    lock_to(engine, "oscar", task_id)
    html = page(client, oscar, f"/officer/tasks/{task_id}")
    assert "Waiting for the trader to book an inspection slot" in html and "Start the control" not in html
    other = page(client, world["people"]["otto"], f"/officer/tasks/{task_id}")
    assert "This task is locked to officer oscar" in other and "Change the lane" in other


# --- why it was selected, and the charts --------------------------------------------------------------------------


def test_the_task_page_says_why_the_declaration_was_selected(client, world, engine):
    people = world["people"]
    html = page(client, people["sam"], f"/officer/tasks/{world['tasks']['A-RED']}")
    assert "<h1 id=\"top\">Task 1: declaration A-RED</h1>" in html
    profile = re.search(r"<tr><th scope=\"row\">P-TEST-MASS</th>.*?</tr>", html, re.S).group(0)
    # the criterion in words, built from the profile (mass_ratio >= 1.25)
    assert "gross mass / net mass is at least 1.25" in profile and "Red: physical inspection" in profile
    screens = re.search(r"<caption class=\"visually-hidden\">Each screen's.*?</table>", html, re.S).group(0)
    assert "valuation" in screens and "below the P10 (51.55) of 40 comparable imports" in screens
    assert "Check the invoice and payment against the unit price band" in html  # the checklist
    assert "No targeting model is available" in html
    figure = re.search(r'<img src="/officer/tasks/1/items/1/unit-price.svg"[^>]*alt="([^"]*)"', html).group(1)
    assert "declared 7.00 EUR/item" in figure and "from 51.55 to 93.85" in figure and "below the band" in figure
    assert "car rims" in html and "Duty as declared" in html
    importer = re.search(r'<section aria-labelledby="importer-heading">.*?</section>', html, re.S).group(0)
    assert "2 earlier declarations of importer IMP001" in importer and "A-DOC1" in importer


def test_the_charts_are_svg_with_their_title(client, world, engine):
    sam = world["people"]["sam"]
    task_id = world["tasks"]["A-RED"]
    chart = as_user(client, sam).get(f"/officer/tasks/{task_id}/items/1/unit-price.svg")
    assert chart.status_code == 200 and chart.headers["content-type"].startswith("image/svg+xml")
    words = texts(chart.content)
    assert "Item 1: declared unit price against the reference band" in words
    assert "unit price (EUR/item)" in words and "reference band (P10 to P90)" in words
    french = client.get(f"/officer/tasks/{task_id}/items/1/unit-price.svg", params={"lang": "fr"})
    assert "Article 1 : prix unitaire déclaré et fourchette de référence" in texts(french.content)
    # the numbers and the unit as the reader writes them: P10 51,55 and EUR/article in French
    assert "P10 51.55" in words and "P10 51,55" in texts(french.content)
    assert any("(EUR/article)" in word for word in texts(french.content))
    assert client.get(f"/officer/tasks/{task_id}/items/9/unit-price.svg").status_code == 404
    contributions = client.get(f"/officer/tasks/{task_id}/contributions.svg")
    assert contributions.headers["content-type"].startswith("image/svg+xml")
    assert {"What moved the targeting model's score", "no data"} <= set(texts(contributions.content))


@pytest.fixture
def model_client(engine, model_engine, settings, world):
    with TestClient(create_app(settings, engine, risk_engine=model_engine)) as client:
        yield client


def test_the_models_contributions_are_drawn_and_tabled(model_client, world):
    sam = world["people"]["sam"]
    task_id = world["tasks"]["A-RED"]
    html = page(model_client, sam, f"/officer/tasks/{task_id}")
    assert "No targeting model is available" not in html
    assert "the risk engine&#39;s model" in html or "the risk engine's model" in html
    alt = re.search(r'<img src="/officer/tasks/1/contributions.svg"[^>]*alt="([^"]*)"', html).group(1)
    assert alt.startswith("Contributions to the targeting model's score. The largest:")
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td class="num">[^<]*</td><td class="num">([+-]\d\.\d{3})',
                      html)
    assert len(rows) == 10
    sizes = [abs(float(value)) for _, value in rows]
    assert sizes == sorted(sizes, reverse=True)
    chart = as_user(model_client, sam).get(f"/officer/tasks/{task_id}/contributions.svg")
    words = texts(chart.content)
    assert "What moved the targeting model's score" in words and "no data" not in words
    assert rows[0][0] in words  # the largest contribution is named on the chart


def test_a_model_that_cannot_explain_the_declaration_says_so(model_client, world, model_engine, monkeypatch):
    def broken(frame):
        raise ValueError("missing feature columns: ['n:importer_id']")

    monkeypatch.setattr(model_engine.screens["model"], "features", broken)
    sam = world["people"]["sam"]
    html = page(model_client, sam, f"/officer/tasks/{world['tasks']['A-RED']}")
    assert "The targeting model could not explain this declaration: missing feature columns" in html
    chart = as_user(model_client, sam).get(f"/officer/tasks/{world['tasks']['A-RED']}/contributions.svg")
    assert "no data" in texts(chart.content)


# --- evidence, documents, valuation queries, lane changes ---------------------------------------------------------


def test_evidence_is_served_with_its_type_and_name_to_its_office_only(client, world, engine, settings):
    people = world["people"]
    folder = settings.var_dir / "evidence"
    photo = store_evidence(engine, folder, declaration_id="A-RED", task_id=world["tasks"]["A-RED"],
                           filename="rims.png", data=PNG, content_type="image/png", uploaded_by="alice")
    listing = store_evidence(engine, folder, declaration_id="A-RED", filename="packing list.csv",
                             data=b"box,rims\n1,500\n", content_type="text/csv", uploaded_by="alice")
    html = page(client, people["oscar"], f"/officer/tasks/{world['tasks']['A-RED']}")
    assert f'href="/officer/evidence/{photo}">rims.png</a>' in html and "packing list.csv" in html
    answer = as_user(client, people["oscar"]).get(f"/officer/evidence/{photo}")
    assert answer.status_code == 200 and answer.content == PNG
    assert answer.headers["content-type"] == "image/png"
    assert answer.headers["content-disposition"] == 'inline; filename="rims.png"'
    assert answer.headers["x-content-type-options"] == "nosniff"
    csv = client.get(f"/officer/evidence/{listing}")
    assert csv.headers["content-disposition"] == 'attachment; filename="packing list.csv"'
    assert as_user(client, people["olga"]).get(f"/officer/evidence/{photo}").status_code == 404
    assert client.get("/officer/evidence/999").status_code == 404
    (folder / store_path(engine, photo)).write_bytes(PNG + b"changed")  # a damaged file is not served
    assert as_user(client, people["oscar"]).get(f"/officer/evidence/{photo}").status_code == 404


def store_path(engine, evidence_id: int) -> str:
    return get_evidence(engine, evidence_id).path


def test_documents_are_requested_from_the_task_page(client, world, engine):
    oscar = world["people"]["oscar"]
    task_id = world["tasks"]["A-DOC1"]
    lock_to(engine, "oscar", task_id)
    path = f"/officer/tasks/{task_id}"
    empty = post(client, oscar, f"{path}/documents", {"due_days": "5"})
    assert empty.status_code == 422 and "Tick at least one document." in field_error(empty.text, "documents",
                                                                                      "document_types")
    late = post(client, oscar, f"{path}/documents", {"document_types": ["invoice"], "due_days": "90"})
    assert "from 1 to 60" in field_error(late.text, "documents", "due_days")
    done = post(client, oscar, f"{path}/documents", {"document_types": ["invoice", "packing_list"],
                                                     "due_days": "3"})
    assert done.status_code == 303
    html = client.get(done.headers["location"]).text
    assert "The documents are requested from the trader." in html
    assert '<th scope="row">invoice</th>' in html and '<th scope="row">packing list</th>' in html
    with engine.connect() as conn:
        rows = conn.execute(select(document_requests.c.document_type, document_requests.c.requested_by,
                                   document_requests.c.task_id)).all()
    assert sorted(rows) == [("invoice", "oscar", task_id), ("packing_list", "oscar", task_id)]
    again = post(client, oscar, f"{path}/documents", {"document_types": ["invoice"], "due_days": "3"})
    assert again.status_code == 422 and "requested before and has not arrived yet" in again.text


def test_a_valuation_query_is_raised_answered_elsewhere_and_decided(client, world, engine):
    oscar = world["people"]["oscar"]
    task_id = world["tasks"]["A-DOC1"]
    lock_to(engine, "oscar", task_id)
    path = f"/officer/tasks/{task_id}"
    short = post(client, oscar, f"{path}/valuation-query", {"reasons_to_doubt": "too low", "deadline_days": "10"})
    assert short.status_code == 422
    assert "in at least 3 words" in field_error(short.text, "query", "reasons_to_doubt")
    assert "too low</textarea>" in short.text
    raised = post(client, oscar, f"{path}/valuation-query", {
        "reasons_to_doubt": "the unit price is far below comparable imports", "deadline_days": "10"})
    assert raised.status_code == 303
    html = client.get(raised.headers["location"]).text
    assert re.search(r"Valuation query 1: waiting for the trader(&#39;|')s answer", html)
    assert "Decide valuation query 1" not in html  # the trader may still answer
    control_service.answer_valuation_query(engine, 1, answer="a discount for a large order", answered_by="alice")
    html = page(client, oscar, path)
    assert "a discount for a large order" in html and "Decide valuation query 1" in html
    version = re.search(r'name="query_id" value="1">\s*<input type="hidden" name="expected_version" value="(\d+)"',
                        html).group(1)
    same = post(client, oscar, f"{path}/valuation-query/decide", {"query_id": "1", "expected_version": version,
                                                                  "decision": "adjust", "adjusted_value": "2208"})
    assert "accept it" in field_error(same.text, "decide", "adjusted_value")
    decided = post(client, oscar, f"{path}/valuation-query/decide", {"query_id": "1", "expected_version": version,
                                                                     "decision": "adjust", "adjusted_value": "3000"})
    assert decided.status_code == 303
    html = client.get(decided.headers["location"]).text
    assert "The valuation query is decided." in html and "value adjusted" in html
    frame = control_service.queries_frame(engine, "A-DOC1")
    assert (frame["state"].iloc[0], frame["decided_by"].iloc[0]) == ("adjusted", "oscar")
    stale = post(client, oscar, f"{path}/valuation-query/decide", {"query_id": "1", "expected_version": version,
                                                                   "decision": "accept"})
    assert stale.status_code == 409
    assert post(client, oscar, f"{path}/valuation-query/decide", {"query_id": "7", "expected_version": "1",
                                                                  "decision": "accept"}).status_code == 404


def test_an_officer_of_the_office_changes_the_lane_with_a_reason(client, world, engine):
    otto = world["people"]["otto"]
    task_id = world["tasks"]["A-RED"]
    path = f"/officer/tasks/{task_id}"
    empty = post(client, otto, f"{path}/override", {"lane": "yellow", "reason": ""})
    assert empty.status_code == 422
    assert "Give the reason for the new lane" in field_error(empty.text, "override", "reason")
    same = post(client, otto, f"{path}/override", {"lane": "red", "reason": "stays where it is"})
    assert "in this lane already" in field_error(same.text, "override", "lane")
    changed = post(client, otto, f"{path}/override", {"lane": "yellow", "reason": "the invoice was checked"})
    assert changed.status_code == 303
    html = client.get(changed.headers["location"]).text
    assert "The lane is changed, and the reason recorded." in html
    assert "Lane now, after a change by customs:" in html and "the invoice was checked" in html
    latest = audit.latest_decisions(engine)
    row = latest[latest["declaration_id"] == "A-RED"].iloc[0]
    assert (row["final_lane"], row["override_reason"]) == ("yellow", "the invoice was checked")


# --- officer records, languages, addresses ------------------------------------------------------------------------


def test_officer_records_are_made_on_the_first_visit(client, world, engine, app):
    for name, offices in (("uma", [OFFICE_A, OFFICE_B]), ("vera", [OFFICE_A])):
        user = accounts.create_user(engine, name, "correct horse battery", "officer", hasher=app.state.hasher,
                                    offices=offices)
        cookie, _ = accounts.create_session(engine, user.user_id, 1)
        client.cookies.clear()
        client.cookies.set("sc_session", cookie)
        if name == "vera":  # a record named vera exists at another office: vera@FRPAR1 is made
            control_service.add_officers(engine, pd.DataFrame([
                {"officer_id": "vera", "name": "Vera", "office_id": "XXOTHER", "modes": "audit"}]))
        assert client.get("/officer/queue").status_code == 200
    with engine.connect() as conn:
        rows = {row.officer_id: (row.office_id, row.modes) for row in conn.execute(select(officers))}
    assert rows["oscar"] == (OFFICE_A, "physical,documentary,remote")
    assert rows[f"uma@{OFFICE_A}"][0] == OFFICE_A and rows[f"uma@{OFFICE_B}"][0] == OFFICE_B
    assert rows[f"vera@{OFFICE_A}"][0] == OFFICE_A and rows["vera"] == ("XXOTHER", "audit")
    assert officer_records(engine, accounts.get_user(engine, "uma")) == {OFFICE_A: f"uma@{OFFICE_A}",
                                                                         OFFICE_B: f"uma@{OFFICE_B}"}


def test_the_console_speaks_french(client, world, engine):
    people = world["people"]
    queue = page(client, people["oscar"], "/officer/queue", lang="fr")
    assert '<html lang="fr">' in queue and "File de travail" in queue and "Prendre la suivante" in queue
    task = client.get(f"/officer/tasks/{world['tasks']['A-RED']}").text  # the cookie remembers French
    assert "Pourquoi elle a été sélectionnée" in task and "Liste de contrôle" in task


def test_a_form_address_opened_directly_leads_to_the_task(client, world):
    oscar = world["people"]["oscar"]
    task_id = world["tasks"]["A-DOC1"]
    answer = as_user(client, oscar).get(f"/officer/tasks/{task_id}/complete?lang=fr", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == f"/officer/tasks/{task_id}?lang=fr"
    assert client.get("/officer/queue/next", follow_redirects=False).headers["location"] == "/officer/queue"
    assert client.get("/officer/tasks/999999").status_code == 404


def test_without_a_model_in_the_engine_the_registrys_champion_explains(client, world, engine, model_engine, tmp_path):
    screen = model_engine.screens["model"]
    history = load_declarations(engine)
    registry.register(engine, screen.model_, screen.features(history), {}, tmp_path / "models", "anna")
    sam = world["people"]["sam"]
    html = page(client, sam, f"/officer/tasks/{world['tasks']['A-RED']}")
    assert "the registry&#39;s champion" in html or "the registry's champion" in html
    words = texts(as_user(client, sam).get(f"/officer/tasks/{world['tasks']['A-RED']}/contributions.svg").content)
    assert "no data" not in words and {"raises the risk", "lowers the risk"} & set(words)


def test_the_task_page_puts_the_decision_on_top_and_folds_the_rest(client, world):
    oscar = world["people"]["oscar"]
    taken = post(client, oscar, "/officer/queue/next", {"office": OFFICE_A})
    path = taken.headers["location"].split("?")[0]
    html = page(client, oscar, path)
    # the control (what the officer decides) comes right after the task's facts, before why it was selected
    assert html.index('id="task-heading"') < html.index('id="control-heading"') < html.index('id="why-heading"')
    for part in ("why", "checklist", "documents", "evidence", "declared", "importer", "history"):
        assert f'<details class="task-part" id="part-{part}"' in html, part
    assert '<details class="task-part" id="part-why" open>' in html  # why it was selected stays open
    assert f'action="{path}/start#control-heading"' in html  # a refused form lands where its errors are


def _started(client, oscar) -> tuple[str, str]:
    """A task taken and started by oscar: its path and the page."""
    taken = post(client, oscar, "/officer/queue/next", {"office": OFFICE_A})
    path = taken.headers["location"].split("?")[0]
    html = page(client, oscar, path)
    started = as_user(client, oscar).post(f"{path}/start", follow_redirects=False, data={
        "csrf_token": csrf_of(html), "expected_version": version_in(html, f"{path}/start"), "note": ""})
    assert started.status_code == 303
    return path, client.get(path).text


def _outcome(client, oscar, path, html, headers=None, **fields):
    data = {"csrf_token": csrf_of(html), "expected_version": version_in(html, f"{path}/complete"),
            "result": "discrepancy", "infringements": ["valuation"], "duty_before": "176.64", **fields}
    return as_user(client, oscar).post(f"{path}/complete", data=data, headers=headers or {}, follow_redirects=False)


def test_amounts_are_read_as_the_officers_locale_writes_them_and_a_large_change_is_confirmed(client, world):
    oscar = world["people"]["oscar"]
    path, html = _started(client, oscar)
    # the reproduction: "24,500" typed by an English-speaking officer is 24500, never 24.50...
    english = _outcome(client, oscar, path, html, {"Accept-Language": "en-GB"}, duty_after="24,500")
    assert english.status_code == 422  # ...and a duty 139 times the declared one is confirmed first
    assert "more than three times larger or smaller" in english.text
    assert 'name="confirm_change"' in english.text and 'value="24,500"' in english.text  # what was typed stays
    # a French officer's "24,500" could be 24.5 or 24500: refused as ambiguous, in French
    french = _outcome(client, oscar, path, html, {"Accept-Language": "fr-FR"}, duty_after="24,500")
    assert french.status_code == 422 and "Ce nombre peut se lire de deux façons" in french.text
    # the same duty with a discrepancy, no penalty, no seizure: asked too
    same = _outcome(client, oscar, path, html, duty_after="176.64")
    assert same.status_code == 422 and "the duty stays the same" in same.text
    confirmed = _outcome(client, oscar, path, html, {"Accept-Language": "en-GB"}, duty_after="24,500",
                         confirm_change="yes")
    assert confirmed.status_code == 303, confirmed.text
    recorded = client.get(path).text
    assert "24,500.00" in recorded  # stored as 24500, shown in the officer's format


def test_take_next_passes_over_a_task_waiting_for_the_trader(client, world, engine):
    oscar = world["people"]["oscar"]
    red = world["tasks"]["A-RED"]
    lock_to(engine, "oscar", red)  # oscar's physical inspection: the trader has not booked a slot yet
    taken = post(client, oscar, "/officer/queue/next", {"office": OFFICE_A})
    assert taken.status_code == 303 and f"/officer/tasks/{red}" not in taken.headers["location"]
    again = post(client, oscar, "/officer/queue/next", {"office": OFFICE_A})
    assert f"/officer/tasks/{red}" not in again.headers["location"]  # not handed out at every click
    queue = page(client, oscar, "/officer/queue")
    assert "waiting for the trader to book a slot" in queue


def test_an_officer_takes_this_task_and_a_supervisor_assigns_one(client, world, engine):
    people = world["people"]
    oscar, sam = people["oscar"], people["sam"]
    task_id = world["tasks"]["A-DOC2"]
    path = f"/officer/tasks/{task_id}"
    html = page(client, oscar, path)
    assert "Take this task" in html
    taken = as_user(client, oscar).post(f"{path}/take", follow_redirects=False, data={
        "csrf_token": csrf_of(html), "expected_version": version_in(html, f"{path}/take"), "officer_id": "oscar"})
    assert taken.status_code == 303 and "done=taken" in taken.headers["location"]
    html = page(client, oscar, path)
    assert "Take this task" not in html and "Start the control" in html  # it is his now
    # a supervisor assigns the other task to an officer of its office, chosen from a list
    other = world["tasks"]["A-DOC1"]
    html = page(client, sam, f"/officer/tasks/{other}")
    assert 'id="take-officer_id"' in html and '<option value="oscar">' in html
    assigned = as_user(client, sam).post(f"/officer/tasks/{other}/take", follow_redirects=False, data={
        "csrf_token": csrf_of(html), "expected_version": version_in(html, f"/officer/tasks/{other}/take"),
        "officer_id": "oscar"})
    assert assigned.status_code == 303
    with engine.connect() as conn:
        assert task_sql.load_task(conn, other).officer_id == "oscar"
    # an officer cannot take a task locked to someone else
    stale = as_user(client, oscar).post(f"/officer/tasks/{other}/take", follow_redirects=False, data={
        "csrf_token": csrf_of(html), "expected_version": "99", "officer_id": "oscar"})
    assert stale.status_code in (403, 409)


def test_the_queue_searches_and_sorts(client, world):
    oscar = world["people"]["oscar"]
    found = page(client, oscar, "/officer/queue", q="a-doc")
    assert re.findall(r">(A-[A-Z0-9]+)</a><br>", found) == ["A-DOC1", "A-DOC2"]
    by_declaration = page(client, oscar, "/officer/queue", sort="declaration")
    assert re.findall(r">(A-[A-Z0-9]+)</a><br>", by_declaration) == ["A-DOC1", "A-DOC2", "A-RED"]
    by_lane = page(client, oscar, "/officer/queue", sort="lane")  # yellow before red (descending: y > r)
    assert re.findall(r">(A-[A-Z0-9]+)</a><br>", by_lane)[-1] == "A-RED"
    assert 'id="filter-q"' in found and 'id="filter-sort"' in found
    assert as_user(client, oscar).get("/officer/queue", params={"sort": "nonsense"}).status_code == 422


def test_an_officer_books_a_slot_on_the_traders_behalf(client, world, engine):
    from datetime import datetime, timedelta

    oscar = world["people"]["oscar"]
    red = world["tasks"]["A-RED"]
    lock_to(engine, "oscar", red)
    tomorrow = datetime.now().replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    control_service.add_slots(engine, OFFICE_A, "on_site", tomorrow, tomorrow + timedelta(days=1), hours=(8, 10))
    path = f"/officer/tasks/{red}"
    html = page(client, oscar, path)
    assert "Book for the trader (UTC)" in html
    slot = re.search(r'<select id="book-slot_id" name="slot_id"><option value="(\d+)"', html).group(1)
    booked = as_user(client, oscar).post(f"{path}/book", data={"csrf_token": csrf_of(html), "slot_id": slot},
                                         follow_redirects=False)
    assert booked.status_code == 303, booked.text
    with engine.connect() as conn:
        assert task_sql.load_task(conn, red).state == "scheduled"
    assert "Inspection slot (UTC)" in page(client, oscar, path)


def test_the_queue_downloads_as_csv_and_xlsx(client, world):
    import io

    from openpyxl import load_workbook

    oscar = world["people"]["oscar"]
    html = page(client, oscar, "/officer/queue")
    assert "/officer/queue/export.csv?office=" in html
    text = as_user(client, oscar).get("/officer/queue/export.csv").content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("task_id,declaration_id") and "A-RED" in text and "B-DOC" not in text
    book = load_workbook(io.BytesIO(client.get("/officer/queue/export.xlsx", params={"q": "A-DOC"}).content))
    ids = [row[1].value for row in book["tasks"].iter_rows(min_row=2)]
    assert sorted(ids) == ["A-DOC1", "A-DOC2"]
