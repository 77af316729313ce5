"""The trader's control pages and their API: requested documents, valuation queries, remote inspection (switch,
booking and its cancellation, evidence), promise-based release, application-free services and the "To do" page;
refusals leave the state as it was. On SQLite and PostgreSQL."""

import hashlib
import re
from datetime import timedelta

import pytest
from conftest import FAST, as_user, declaration
from portal_control_support import (
    MP4,
    PDF,
    PNG,
    REASONS,
    UPLOAD_LIMIT,
    assigned,
    evidence_rows,
    final_lane,
    lodge,
    make_app,
    open_control,
    slots,
    staff,
    web_settings,
)
from sqlalchemy import func, select, update

from smartcustoms.control.service import (
    book,
    clearance_frame,
    free_slots,
    get_task,
    queries_frame,
    raise_valuation_query,
    request_documents,
    requests_frame,
    task_history,
)
from smartcustoms.control.service.undertakings import undertaking_of
from smartcustoms.control.tables import bookings, valuation_query_events
from smartcustoms.control.tables import slots as slot_table
from smartcustoms.store.db import utc_now


@pytest.fixture
def settings(tmp_path):
    return web_settings(tmp_path, FAST)


@pytest.fixture
def app(engine, risk_engine, settings):
    return make_app(settings, engine, risk_engine)


def page(client, person, path: str):
    answer = as_user(client, person).get(path)
    assert answer.status_code == 200, answer.text
    return answer.text


def post(client, person, path: str, data: dict | None = None, files: dict | None = None):
    return as_user(client, person).post(path, data={**(data or {}), "csrf_token": person.csrf}, files=files,
                                        follow_redirects=False)


def stored_files(settings) -> list:
    folder = settings.var_dir / "evidence"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


# --- documents --------------------------------------------------------------------------------------------------


def test_requested_documents_are_listed_and_a_pdf_upload_receives_one(client, people, engine, settings):
    alice = people["alice"]
    lodge(client, alice, "A1")
    tasks = open_control(engine, {"A1": "yellow"})
    invoice, certificate = request_documents(engine, "A1", ["invoice", "certificate_of_origin"], requested_by="oscar",
                                             task_id=tasks["A1"])
    (overdue,) = request_documents(engine, "A1", ["packing_list"], requested_by="oscar", due_in=timedelta(days=2),
                                   at=utc_now() - timedelta(days=3))
    html = page(client, alice, "/portal/declarations/A1")
    assert "Requested documents" in html and "Commercial invoice" in html and "Packing list" in html
    assert html.count('class="pc-flag pc-overdue"') == 1  # the packing list, due yesterday
    assert f'action="/portal/declarations/A1/documents/{invoice}"' in html
    assert 'enctype="multipart/form-data"' in html and 'name="csrf_token"' in html

    answer = post(client, alice, f"/portal/declarations/A1/documents/{invoice}",
                  files={"file": ("invoice.pdf", PDF, "application/pdf")})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/portal/declarations/A1?done=document#pc-documents"
    html = page(client, alice, answer.headers["location"])
    assert "Thank you: the document was received." in html and "invoice.pdf" in html
    frame = requests_frame(engine, "A1").set_index("request_id")
    assert frame.loc[invoice, "state"] == "received" and frame.loc[certificate, "state"] == "requested"

    late = client.post(f"/api/v1/declarations/A1/documents/{overdue}", headers=alice.bearer,
                       files={"file": ("packing.csv", b"box,count\n1,120\n", "text/csv")})
    assert late.status_code == 201 and late.json()["late"] is True
    listed = {d["request_id"]: d for d in client.get("/api/v1/declarations/A1/documents",
                                                     headers=alice.bearer).json()}
    assert listed[invoice]["file"]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert listed[invoice]["file"]["size_bytes"] == len(PDF)
    assert listed[overdue]["late"] is True and listed[certificate]["overdue"] is False
    assert len(stored_files(settings)) == 2


def test_too_large_and_forbidden_files_are_refused_and_nothing_is_stored(client, people, engine, settings):
    alice = people["alice"]
    lodge(client, alice, "A1")
    (invoice,) = request_documents(engine, "A1", ["invoice"], requested_by="oscar")
    path = f"/portal/declarations/A1/documents/{invoice}"
    big = PDF + b"0" * UPLOAD_LIMIT
    too_large = post(client, alice, path, files={"file": ("big.pdf", big, "application/pdf")})
    assert too_large.status_code == 413
    assert "The file is too large for its type. Nothing was stored." in too_large.text
    assert 'role="alert"' in too_large.text and 'aria-invalid="true"' in too_large.text
    forbidden = post(client, alice, path, files={"file": ("tool.exe", b"MZ\x90\x00", "application/x-msdownload")})
    assert forbidden.status_code == 422 and "Files of this type are not accepted" in forbidden.text
    disguised = post(client, alice, path, files={"file": ("photo.png", PDF, "image/png")})
    assert disguised.status_code == 422 and "does not match its type" in disguised.text
    missing = post(client, alice, path)
    assert missing.status_code == 422 and "Choose a file to upload." in missing.text

    api = client.post(f"/api/v1/declarations/A1/documents/{invoice}", headers=alice.bearer,
                      files={"file": ("big.pdf", big, "application/pdf")})
    assert api.status_code == 413
    assert api.json()["detail"] == [{"loc": ["body", "file"], "type": "file_too_large",
                                     "msg": f"the file is too large: more than {UPLOAD_LIMIT:,} bytes for "
                                            "application/pdf"}]
    api = client.post(f"/api/v1/declarations/A1/documents/{invoice}", headers=alice.bearer,
                      files={"file": ("tool.exe", b"MZ", "application/x-msdownload")})
    assert api.status_code == 422 and api.json()["detail"][0]["type"] == "file_type"
    assert "are not accepted" in api.json()["detail"][0]["msg"]
    assert evidence_rows(engine) == 0 and stored_files(settings) == []
    assert requests_frame(engine, "A1")["state"].tolist() == ["requested"]
    unknown = client.post("/api/v1/declarations/A1/documents/999", headers=alice.bearer,
                          files={"file": ("a.pdf", PDF, "application/pdf")})
    assert unknown.status_code == 404


# --- valuation queries ------------------------------------------------------------------------------------------


def test_a_query_is_answered_before_its_deadline_and_refused_after_it(client, people, engine):
    alice = people["alice"]
    lodge(client, alice, "Q1")
    lodge(client, alice, "Q2")
    open_query = raise_valuation_query(engine, "Q1", reasons_to_doubt=REASONS, raised_by="oscar")
    late_query = raise_valuation_query(engine, "Q2", reasons_to_doubt=REASONS, raised_by="oscar",
                                       deadline_days=10, at=utc_now() - timedelta(days=20))
    html = page(client, alice, f"/portal/declarations/Q1/queries/{open_query}")
    assert REASONS in html and 'name="answer"' in html and 'name="version" value="1"' in html
    empty = post(client, alice, f"/portal/declarations/Q1/queries/{open_query}", {"answer": "  ", "version": "1"})
    assert empty.status_code == 422 and "Write your answer." in empty.text
    answer = post(client, alice, f"/portal/declarations/Q1/queries/{open_query}",
                  {"answer": "The price is our list price.", "version": "1"},
                  files={"file": ("contract.pdf", PDF, "application/pdf")})
    assert answer.status_code == 303 and answer.headers["location"].endswith(f"#pc-query-{open_query}")
    answered = queries_frame(engine, "Q1").iloc[0]
    assert answered["state"] == "answered" and answered["answered_by"] == "alice"
    assert answered["answer"].startswith("The price is our list price.") and "contract.pdf" in answered["answer"]
    assert evidence_rows(engine) == 1

    html = page(client, alice, "/portal/declarations/Q2")
    assert "The deadline has passed: answers are no longer accepted." in html and "<textarea" not in html
    with engine.connect() as conn:
        events = conn.execute(select(func.count()).select_from(valuation_query_events)).scalar_one()
    refused = post(client, alice, f"/portal/declarations/Q2/queries/{late_query}",
                   {"answer": "Too late, but here it is.", "version": "1"},
                   files={"file": ("contract.pdf", PDF, "application/pdf")})
    assert refused.status_code == 409 and "The deadline to answer has passed" in refused.text
    api = client.post(f"/api/v1/declarations/Q2/queries/{late_query}/answer", headers=alice.bearer,
                      json={"answer": "Too late."})
    assert api.status_code == 409 and api.json()["detail"][0]["type"] == "deadline_passed"
    assert "answers are no longer accepted" in api.json()["detail"][0]["msg"]
    late = queries_frame(engine, "Q2").iloc[0]
    assert late["state"] == "open" and late["answer"] is None and late["version"] == 1
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(valuation_query_events)).scalar_one() == events
    assert evidence_rows(engine) == 1  # the refused answer's file was not recorded

    invalid = client.post(f"/api/v1/declarations/Q1/queries/{open_query}/answer", headers=alice.bearer,
                          json={"answer": ""})
    assert invalid.status_code == 422 and invalid.json()["detail"][0]["loc"] == ["body", "answer"]
    listed = client.get("/api/v1/declarations/Q2/queries", headers=alice.bearer).json()
    assert listed[0]["past_deadline"] is True and listed[0]["answerable"] is False
    assert "raised_by" not in listed[0]


# --- inspection -------------------------------------------------------------------------------------------------


def test_booking_a_full_slot_is_refused_and_leaves_the_task_as_it_was(client, people, engine):
    alice = people["alice"]
    lodge(client, alice, "R1")
    lodge(client, alice, "R2")
    tasks = open_control(engine, {"R1": "red", "R2": "red"})
    staff(engine)
    assigned(engine, tasks["R1"])
    assigned(engine, tasks["R2"])
    slots(engine, "on_site", capacity=1, hours=1)
    (slot,) = free_slots(engine, "FRPAR1", "on_site")["slot_id"].tolist()
    html = page(client, alice, "/portal/declarations/R2/inspection")
    assert f'value="{slot}"' in html and "1 place left" in html
    book(engine, tasks["R1"], slot, booked_by="another trader")
    before = get_task(engine, tasks["R2"])
    refused = post(client, alice, "/portal/declarations/R2/inspection/booking", {"slot_id": str(slot)})
    assert refused.status_code == 409 and "This slot is full: choose another one." in refused.text
    api = client.post("/api/v1/declarations/R2/booking", headers=alice.bearer, json={"slot_id": slot})
    assert api.status_code == 409 and api.json()["detail"][0]["type"] == "slot_full"
    assert "is full" in api.json()["detail"][0]["msg"]
    assert get_task(engine, tasks["R2"]) == before
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(bookings)).scalar_one() == 1
    assert "No free slot is open at the moment" in page(client, alice, "/portal/declarations/R2/inspection")
    nothing = post(client, alice, "/portal/declarations/R2/inspection/booking", {})
    assert nothing.status_code == 422 and "Choose a slot." in nothing.text


def booking_rows(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(bookings)).scalar_one()


def test_a_trader_cancels_a_booking_and_books_another_slot(client, people, engine):
    alice, bob = people["alice"], people["bob"]
    lodge(client, alice, "R1")
    lodge(client, bob, "B1")
    tasks = open_control(engine, {"R1": "red", "B1": "red"})
    staff(engine)
    assigned(engine, tasks["R1"])
    assigned(engine, tasks["B1"])
    slots(engine, "on_site", capacity=1, hours=2)
    first, second = free_slots(engine, "FRPAR1", "on_site")["slot_id"].tolist()
    assert "Cancel this booking" not in page(client, alice, "/portal/declarations/R1")
    # nothing booked yet: nothing to cancel, and nothing changes
    before = get_task(engine, tasks["R1"])
    nothing = post(client, alice, "/portal/declarations/R1/inspection/booking/cancel")
    assert nothing.status_code == 409 and "there is no booking to cancel" in nothing.text
    api = client.delete("/api/v1/declarations/R1/booking", headers=alice.bearer)
    assert api.status_code == 409 and api.json()["detail"][0]["type"] == "not_booked"
    assert get_task(engine, tasks["R1"]) == before
    # the API: book, cancel (the slot is free again), book again
    booked = client.post("/api/v1/declarations/R1/booking", headers=alice.bearer, json={"slot_id": first})
    assert booked.status_code == 201 and booked.json()["cancellable"] is True
    assert first not in free_slots(engine, "FRPAR1", "on_site")["slot_id"].tolist()
    cancelled = client.delete("/api/v1/declarations/R1/booking", headers=alice.bearer)
    assert cancelled.status_code == 200, cancelled.text
    state = cancelled.json()
    assert state["state"] == "assigned" and state["booking"] is None and state["cancellable"] is False
    assert [s["slot_id"] for s in state["slots"]] == [first, second] and state["slots"][0]["free"] == 1
    assert booking_rows(engine) == 0 and get_task(engine, tasks["R1"]).state == "assigned"
    again = client.delete("/api/v1/declarations/R1/booking", headers=alice.bearer)
    assert again.status_code == 409 and again.json()["detail"][0]["type"] == "not_booked"
    # the pages: book the other slot, cancel it with the button, book the first one
    assert post(client, alice, "/portal/declarations/R1/inspection/booking",
                {"slot_id": str(second)}).status_code == 303
    html = page(client, alice, "/portal/declarations/R1")
    assert "Your slot" in html and "Cancel this booking" in html and 'aria-describedby="pc-cancel-hint"' in html
    assert 'action="/portal/declarations/R1/inspection/booking/cancel"' in html
    assert "Annuler cette réservation" in page(client, alice, "/portal/declarations/R1?lang=fr")
    cancelled = post(client, alice, "/portal/declarations/R1/inspection/booking/cancel")
    assert cancelled.status_code == 303 and "done=cancelled" in cancelled.headers["location"]
    html = page(client, alice, cancelled.headers["location"].split("#")[0])
    assert "Your booking is cancelled: the slot is free again. Book another slot below." in html
    assert f'value="{first}"' in html and f'value="{second}"' in html and "Cancel this booking" not in html
    french = page(client, alice, "/portal/declarations/R1?done=cancelled&lang=fr")
    assert "Votre réservation est annulée : le créneau est de nouveau libre." in french
    assert post(client, alice, "/portal/declarations/R1/inspection/booking",
                {"slot_id": str(first)}).status_code == 303
    state = client.get("/api/v1/declarations/R1/slots", headers=alice.bearer).json()
    assert state["state"] == "scheduled" and state["booking"]["slot_id"] == first
    history = task_history(engine, tasks["R1"])
    undone = history[history["note"].fillna("").str.contains("cancelled")]
    assert undone[["from_state", "to_state", "actor"]].drop_duplicates().values.tolist() == [
        ["scheduled", "assigned", "alice"]]
    assert len(undone) == 2
    # another trader's declaration answers as if it did not exist, and stays booked
    book(engine, tasks["B1"], second, booked_by="bob")
    assert client.delete("/api/v1/declarations/B1/booking", headers=alice.bearer).status_code == 404
    assert post(client, alice, "/portal/declarations/B1/inspection/booking/cancel").status_code == 404
    assert client.delete("/api/v1/declarations/R1/booking", headers=bob.bearer).status_code == 404
    assert client.delete("/api/v1/declarations/NOPE/booking", headers=alice.bearer).status_code == 404
    assert get_task(engine, tasks["B1"]).state == "scheduled" and booking_rows(engine) == 2
    assert get_task(engine, tasks["R1"]).state == "scheduled"


def test_a_booking_whose_slot_has_started_cannot_be_cancelled(client, people, engine):
    alice = people["alice"]
    lodge(client, alice, "R1")
    lodge(client, alice, "G1")
    tasks = open_control(engine, {"R1": "red"})
    staff(engine)
    assigned(engine, tasks["R1"])
    slots(engine, "on_site", hours=1)
    slot = int(free_slots(engine, "FRPAR1", "on_site")["slot_id"].iloc[0])
    book(engine, tasks["R1"], slot, booked_by="alice")
    now = utc_now().replace(microsecond=0)
    with engine.begin() as conn:  # the slot has started meanwhile
        conn.execute(update(slot_table).where(slot_table.c.slot_id == slot)
                     .values(starts_at=now - timedelta(minutes=30), ends_at=now + timedelta(minutes=30)))
    before = get_task(engine, tasks["R1"])
    html = page(client, alice, "/portal/declarations/R1")
    assert "Your slot" in html and "Cancel this booking" not in html
    assert client.get("/api/v1/declarations/R1/slots", headers=alice.bearer).json()["cancellable"] is False
    api = client.delete("/api/v1/declarations/R1/booking", headers=alice.bearer)
    assert api.status_code == 409 and api.json()["detail"][0]["type"] == "cancel_refused"
    assert "cannot be cancelled" in api.json()["detail"][0]["msg"]
    refused = post(client, alice, "/portal/declarations/R1/inspection/booking/cancel")
    assert refused.status_code == 409
    assert "This booking can no longer be cancelled: its slot has started." in refused.text
    assert 'id="pc-error-cancel"' in refused.text
    assert get_task(engine, tasks["R1"]) == before and booking_rows(engine) == 1
    # a declaration without an inspection has nothing to cancel
    none = client.delete("/api/v1/declarations/G1/booking", headers=alice.bearer)
    assert none.status_code == 409 and none.json()["detail"][0]["type"] == "no_inspection"


def test_a_trader_switches_to_remote_books_and_uploads_evidence(client, people, engine, settings):
    alice = people["alice"]
    lodge(client, alice, "R1")
    tasks = open_control(engine, {"R1": "red"})
    staff(engine)
    assigned(engine, tasks["R1"])
    slots(engine, "on_site")
    assert "Ask for a remote inspection" not in page(client, alice, "/portal/declarations/R1")
    no_slot = client.post("/api/v1/declarations/R1/inspection/remote", headers=alice.bearer)
    assert no_slot.status_code == 409 and no_slot.json()["detail"][0]["type"] == "no_remote_slots"
    slots(engine, "remote")
    html = page(client, alice, "/portal/declarations/R1")
    assert "Ask for a remote inspection" in html and "physical inspection" in html
    assert "Photos, videos and documents for the remote inspection" not in html
    switched = post(client, alice, "/portal/declarations/R1/inspection/remote", {"version": "2"})
    assert switched.status_code == 303 and "done=remote" in switched.headers["location"]
    assert get_task(engine, tasks["R1"]).mode == "remote"
    html = page(client, alice, "/portal/declarations/R1/inspection")
    assert "Choose a slot (remote)" in html and "Ask for a remote inspection" not in html
    slot = int(free_slots(engine, "FRPAR1", "remote")["slot_id"].iloc[0])
    booked = post(client, alice, "/portal/declarations/R1/inspection/booking", {"slot_id": str(slot)})
    assert booked.status_code == 303
    assert get_task(engine, tasks["R1"]).state == "scheduled"
    for name, data, kind in (("crate.png", PNG, "image/png"), ("walkaround.mp4", MP4, "video/mp4")):
        sent = post(client, alice, "/portal/declarations/R1/inspection/evidence",
                    files={"file": (name, data, kind)})
        assert sent.status_code == 303, sent.text
    html = page(client, alice, "/portal/declarations/R1")
    assert "Your slot" in html and "Files you uploaded" in html
    assert "crate.png" in html and "walkaround.mp4" in html
    assert hashlib.sha256(PNG).hexdigest() in html and hashlib.sha256(MP4).hexdigest() in html
    state = client.get("/api/v1/declarations/R1/slots", headers=alice.bearer).json()
    assert state["mode"] == "remote" and state["booking"]["slot_id"] == slot and state["slots"] == []
    assert [f["size_bytes"] for f in state["files"]] == [len(PNG), len(MP4)]
    notes = task_history(engine, tasks["R1"])["note"].tolist()
    assert "mode physical -> remote: asked by the trader" in notes
    refused = client.post("/api/v1/declarations/R1/evidence", headers=alice.bearer,
                          files={"file": ("x.gif", b"GIF89a", "image/gif")})
    assert refused.status_code == 422 and evidence_rows(engine) == 2
    assert len(stored_files(settings)) == 2


def test_remote_is_refused_when_the_reasons_need_the_goods_and_evidence_before_booking(client, people, engine):
    alice = people["alice"]
    lodge(client, alice, "R1")
    tasks = open_control(engine, {"R1": "red"}, scores={})  # no documentary reason: the goods must be seen
    staff(engine)
    assigned(engine, tasks["R1"])
    assert "Ask for a remote inspection" not in page(client, alice, "/portal/declarations/R1")
    api = client.post("/api/v1/declarations/R1/inspection/remote", headers=alice.bearer)
    assert api.status_code == 409 and api.json()["detail"][0]["type"] == "not_remote"
    early = post(client, alice, "/portal/declarations/R1/inspection/evidence",
                 files={"file": ("crate.png", PNG, "image/png")})
    assert early.status_code == 409 and "once a remote inspection is booked" in early.text
    assert get_task(engine, tasks["R1"]).mode == "physical" and evidence_rows(engine) == 0
    none = client.get("/api/v1/declarations/R1/slots", headers=people["alice"].bearer)
    assert none.status_code == 200 and none.json()["slots"] == []
    lodge(client, alice, "G1")
    assert client.get("/api/v1/declarations/G1/slots", headers=alice.bearer).status_code == 404


# --- promise-based release --------------------------------------------------------------------------------------


def test_a_trader_in_good_standing_signs_and_the_goods_are_released_at_once(client, people, engine):
    alice = people["alice"]  # IMP001 is an authorised economic operator
    lodge(client, alice, "Y1")
    tasks = open_control(engine, {"Y1": "yellow"})
    html = page(client, alice, "/portal/declarations/Y1")
    assert "Promise-based release" in html and "Sign the undertaking" in html
    assert "I, alice, undertake to provide customs on request" in html
    assert "You are an authorised economic operator." in html
    unticked = post(client, alice, "/portal/declarations/Y1/undertaking", {})
    assert unticked.status_code == 422 and "Tick the box" in unticked.text
    assert final_lane(engine, "Y1") == "yellow"

    signed = post(client, alice, "/portal/declarations/Y1/undertaking", {"agree": "yes"})
    assert signed.status_code == 303 and "done=signed" in signed.headers["location"]
    assert final_lane(engine, "Y1") == "blue"
    cleared = clearance_frame(engine).set_index("declaration_id").loc["Y1"]
    assert cleared["status"] == "released" and cleared["lane"] == "blue" and cleared["released_at"] is not None
    assert get_task(engine, tasks["Y1"]).state == "created"  # the documents are checked after release
    undertaking = undertaking_of(engine, "Y1")
    assert undertaking["signed_by"] == "alice" and undertaking["basis"]["good_standing"] is True
    assert undertaking["basis"]["aeo"] is True and "undertake" in undertaking["text"]
    html = page(client, alice, signed.headers["location"])
    assert "the goods are released" in html and f"You signed undertaking {undertaking['undertaking_id']}" in html
    assert re.search(r"Lane changed by customs\s*<span class=\"lane lane-blue\"", html)
    again = client.post("/api/v1/declarations/Y1/undertaking", headers=alice.bearer, json={"agree": True})
    assert again.status_code == 409 and again.json()["detail"][0]["type"] == "already_signed"
    state = client.get("/api/v1/declarations/Y1/undertaking", headers=alice.bearer).json()
    assert state["signed"]["undertaking_id"] == undertaking["undertaking_id"] and state["eligible"] is False


def test_a_trader_not_in_good_standing_is_told_why_and_nothing_changes(client, people, engine):
    bob = people["bob"]  # IMP002: no record, not an authorised operator
    lodge(client, bob, "Y2")
    lodge(client, people["alice"], "G1")
    tasks = open_control(engine, {"Y2": "yellow", "G1": "green"})
    html = page(client, bob, "/portal/declarations/Y2")
    assert "Promise-based release is not available for this declaration:" in html
    assert "Your compliance record does not allow promise-based release yet" in html
    assert "Declarations in the last 365 days: 1 (at least 10 needed)." in html
    assert "Sign the undertaking" not in html
    refused = post(client, bob, "/portal/declarations/Y2/undertaking", {"agree": "yes"})
    assert refused.status_code == 409 and "Nothing was changed" in refused.text
    api = client.post("/api/v1/declarations/Y2/undertaking", headers=bob.bearer, json={"agree": True})
    assert api.status_code == 409 and api.json()["detail"][0]["type"] == "not_in_good_standing"
    assert "not in good standing" in api.json()["detail"][0]["msg"]
    assert final_lane(engine, "Y2") == "yellow" and undertaking_of(engine, "Y2") is None
    assert clearance_frame(engine).set_index("declaration_id").loc["Y2", "status"] == "held"
    assert get_task(engine, tasks["Y2"]).state == "created"
    green = client.post("/api/v1/declarations/G1/undertaking", headers=people["alice"].bearer, json={"agree": True})
    assert green.status_code == 409 and green.json()["detail"][0]["type"] == "not_yellow"
    disagree = client.post("/api/v1/declarations/Y2/undertaking", headers=bob.bearer, json={"agree": False})
    assert disagree.status_code == 422 and disagree.json()["detail"][0]["loc"] == ["body", "agree"]


# --- application-free services ----------------------------------------------------------------------------------


def _kr(**changes) -> dict:
    item = declaration()["items"][0]
    return {"items": [{**item, "origin_country": "KR", "preference_claim": "EU-KR-FTA", "duty_rate": 0, **changes}]}


def test_services_are_applied_without_asking_and_shown(client, people, engine):
    alice, bob = people["alice"], people["bob"]
    lodge(client, alice, "P1", **_kr())
    lodge(client, bob, "P2", **_kr())
    services = client.get("/api/v1/declarations/P1/services", headers=alice.bearer).json()
    assert [s["code"] for s in services["services"]] == ["aeo"]  # no certificate yet: the preference is unproven
    assert services["good_standing"] is True
    assert client.get("/api/v1/declarations/P2/services", headers=bob.bearer).json()["services"] == []
    assert "No facilitation applies to this declaration yet." in page(client, bob, "/portal/declarations/P2")

    for key, person in (("P1", alice), ("P2", bob)):
        (certificate,) = request_documents(engine, key, ["certificate_of_origin"], requested_by="oscar")
        sent = client.post(f"/api/v1/declarations/{key}/documents/{certificate}", headers=person.bearer,
                           files={"file": ("kr-origin.pdf", PDF, "application/pdf")})
        assert sent.status_code == 201
    services = client.get("/api/v1/declarations/P1/services", headers=alice.bearer).json()["services"]
    assert [s["code"] for s in services] == ["preference", "aeo"]
    assert services[0]["params"] == {"agreement": "EU-KR-FTA", "origin": "KR", "certificate": "kr-origin.pdf",
                                     "items": "1"}
    html = page(client, alice, "/portal/declarations/P1")
    assert ("Preferential tariff rate applied under EU-KR-FTA: certificate of origin kr-origin.pdf valid for "
            "origin KR (items 1).") in html
    assert "Authorised economic operator: fewer physical controls" in html
    assert [s["code"] for s in client.get("/api/v1/declarations/P2/services",
                                          headers=bob.bearer).json()["services"]] == ["preference"]
    french = page(client, alice, "/portal/declarations/P1?lang=fr")
    assert "Services appliqués sans demande" in french and "Opérateur économique agréé" in french


# --- to do ------------------------------------------------------------------------------------------------------


def test_the_to_do_page_lists_what_waits_for_the_trader(client, people, engine):
    alice, bob = people["alice"], people["bob"]
    for key in ("T1", "T2", "T3"):
        lodge(client, alice, key)
    tasks = open_control(engine, {"T1": "yellow", "T2": "red", "T3": "green"})
    staff(engine)
    assigned(engine, tasks["T2"])
    request_documents(engine, "T1", ["invoice"], requested_by="oscar")
    raise_valuation_query(engine, "T3", reasons_to_doubt=REASONS, raised_by="oscar")
    html = page(client, alice, "/portal/todo")
    assert "<h1>To do</h1>" in html and 'aria-current="page"' in html
    assert "Documents to send" in html and "#pc-document-" in html
    assert "Valuation queries to answer" in html and "/portal/declarations/T3/queries/" in html
    assert "Inspections to arrange" in html and "Book a slot" in html
    assert "Promise-based release available" in html and "/portal/declarations/T1/undertaking" in html
    assert "Nothing is waiting for you." in page(client, bob, "/portal/todo")
    assert 'href="/portal/todo"' in page(client, alice, "/portal/declarations")  # in the navigation
    french = page(client, alice, "/portal/todo?lang=fr")
    assert "À faire" in french and "Documents à envoyer" in french
