"""Risk profiles through the analyst console: draft, preview on past data, commit, approval by a second person,
publication (the server's risk engine takes it at once), retirement, suppression; and the same through the API."""

import time
from datetime import timedelta

import pytest
from analyst_support import (
    BAD,
    CAR_PARTS,
    NOTHING,
    lodge,
    profile_reasons,
    record_outcome,
    row_of,
    shoes,
    stage_profile,
    table,
)
from conftest import as_user, csrf_of

from smartcustoms.risk import repository
from smartcustoms.store.db import utc_now

PERIOD = {"since": "2025-03-01", "until": "2025-03-31"}


@pytest.fixture
def history(client, people, engine):
    """March 2025: S1, S2, S3 leather shoes from China, C1 car rims; a control of S1 found a discrepancy."""
    alice = people["alice"]
    for n, day in ((1, 4), (2, 5), (3, 6)):
        lodge(client, alice, f"S{n}", f"2025-03-0{day}T09:30:00")
    lodge(client, alice, "C1", "2025-03-07T09:30:00", item=CAR_PARTS)
    record_outcome(engine, "S1", found=True, duty=120.0)
    return people


def post_form(client, person, path: str, data: dict, page: str | None = None):
    """POST a form as a signed-in person, with the CSRF token of the form's page."""
    html = as_user(client, person).get(page or path).text
    answer = client.post(path, data={**data, "csrf_token": csrf_of(html)}, follow_redirects=False)
    while answer.status_code == 303 and "/analyst/profiles/preview/" in answer.headers["location"] or \
            'http-equiv="refresh"' in answer.text:  # a longer preview runs in the background: follow its page
        time.sleep(0.2)
        answer = client.get(answer.headers.get("location") or str(answer.url), follow_redirects=False)
    return answer


def test_the_whole_life_of_a_profile_through_the_pages(client, history, engine):
    anna, sam = history["anna"], history["sam"]
    root = history["root"]  # lodges as a system account of customs: the answer holds the reasons (traders' do not)
    editor = as_user(client, anna).get("/analyst/profiles/new")
    assert editor.status_code == 200
    assert "profile_id: P-FOOTWEAR-LOW" in editor.text and 'for="f-yaml"' in editor.text  # prefilled, labelled

    # preview: the draft selects the three shoe declarations, and one of them has a recorded discrepancy
    preview = post_form(client, anna, "/analyst/profiles/new", {"yaml": shoes(), "action": "preview", **PERIOD})
    assert preview.status_code == 200, preview.text
    assert "4 declarations replayed" in preview.text and "Nothing was written." in preview.text
    hit = row_of(table(preview.text, "Your draft profiles"), "P-SHOES")
    assert hit[2:] == ["3", "1", "1"]  # declarations hit, with an outcome, with a discrepancy
    lanes = table(preview.text, "Lanes: published profiles")
    red = row_of(lanes, "red")
    assert int(red[2]) - int(red[1]) >= 2 and red[3] == "no limit"  # the draft sends more to red
    draft = row_of(table(preview.text, "Yellow and red selections"), "your draft")
    assert draft[3] == "1"  # the one hit
    # a profile that matches nothing selects nothing
    nothing = post_form(client, anna, "/analyst/profiles/new", {"yaml": NOTHING, "action": "preview", **PERIOD})
    assert "Your draft hits no declaration of the period." in nothing.text
    red = row_of(table(nothing.text, "Lanes: published profiles"), "red")
    assert red[1] == red[2]
    assert repository.profile_summaries(engine) == []  # previews write nothing

    # commit: the page shows the version awaiting approval
    committed = post_form(client, anna, "/analyst/profiles/new", {"yaml": shoes(), "action": "commit"})
    assert committed.status_code == 303
    assert committed.headers["location"] == "/analyst/profiles/P-SHOES?done=committed&version=1"
    page = client.get(committed.headers["location"]).text
    assert "Version 1 committed." in page and "awaiting approval" in page
    assert "A supervisor who did not write it must approve it." in page
    # the author, an analyst, may not approve at all
    refused = client.post("/analyst/profiles/P-SHOES/versions/1/approve", data={"csrf_token": anna.csrf},
                          follow_redirects=False)
    assert refused.status_code == 403

    # a supervisor may not approve what he wrote: a second version by sam, refused with the reason
    changed = shoes().replace("weight: 90", "weight: 95")
    assert post_form(client, sam, "/analyst/profiles/new", {"yaml": changed, "action": "commit"}).status_code == 303
    sams_page = as_user(client, sam).get("/analyst/profiles/P-SHOES").text
    assert "You wrote this version, so you may not approve it" in sams_page
    own = post_form(client, sam, "/analyst/profiles/P-SHOES/versions/2/approve", {}, "/analyst/profiles/P-SHOES")
    assert own.status_code == 403
    assert "sam wrote P-SHOES version 2 and cannot approve it: a second person must (maker-checker)" in own.text

    # sam approves anna's version 1 and publishes it
    approved = post_form(client, sam, "/analyst/profiles/P-SHOES/versions/1/approve", {"note": "read it"},
                         "/analyst/profiles/P-SHOES")
    assert approved.status_code == 303 and approved.headers["location"].endswith("?done=approved")
    published = post_form(client, sam, "/analyst/profiles/P-SHOES/versions/1/publish", {},
                          "/analyst/profiles/P-SHOES")
    assert published.status_code == 303
    page = client.get(published.headers["location"]).text
    assert "Published: new declarations are assessed with it from now on." in page
    versions = table(page, "Every version")
    assert row_of(versions, "1")[1] == "published" and row_of(versions, "2")[1] == "awaiting approval"

    # in force: a new matching declaration gets the profile's lane and reason (the app's engine took it)
    answer = lodge(client, root, "S9", "2025-03-10T09:30:00")
    assert answer["lane"] == "red" and profile_reasons(answer) == ["P-SHOES"]
    assert profile_reasons(lodge(client, root, "C9", "2025-03-10T09:31:00", item=CAR_PARTS)) == []
    listed = as_user(client, anna).get("/analyst/profiles").text
    line = row_of(table(listed, "Profiles, with how"), "P-SHOES Leather shoes from China")
    assert line[3] == "version 1" and line[5] == "live" and line[7] == "1"  # in force, mode, selections

    # retire: a reason is required; then the profile selects nothing
    missing = post_form(client, sam, "/analyst/profiles/P-SHOES/versions/1/retire", {"reason": " "},
                        "/analyst/profiles/P-SHOES")
    assert missing.status_code == 422 and "Say why the profile is retired." in missing.text
    retired = post_form(client, sam, "/analyst/profiles/P-SHOES/versions/1/retire", {"reason": "found nothing"},
                        "/analyst/profiles/P-SHOES")
    assert retired.status_code == 303
    assert profile_reasons(lodge(client, root, "S10", "2025-03-11T09:30:00")) == []
    log = table(as_user(client, anna).get("/analyst/profiles/P-SHOES").text, "Who did what")
    assert [r[2:4] for r in log[1:]] == [["retired", "sam"], ["published", "sam"], ["approved", "sam"],
                                         ["committed", "sam"], ["committed", "anna"]]


def test_yaml_errors_show_their_line_and_nothing_is_committed(client, people, engine):
    anna = people["anna"]
    for action in ("commit", "preview"):
        answer = post_form(client, anna, "/analyst/profiles/new", {"yaml": BAD, "action": action, **PERIOD})
        assert answer.status_code == 422
        assert "Line 10:" in answer.text and "unknown field &#39;comodity_code&#39;" in answer.text
        assert "  - field: comodity_code" in answer.text  # the line itself, beside the reason
        assert 'aria-invalid="true"' in answer.text and "P-BAD" in answer.text  # the text is kept
    syntax = post_form(client, anna, "/analyst/profiles/new", {"yaml": "profile_id: P-X\n  lane: [red", "action":
                                                               "commit"})
    assert syntax.status_code == 422 and "Line 2:" in syntax.text and "YAML syntax" in syntax.text
    empty = post_form(client, anna, "/analyst/profiles/new", {"yaml": "  ", "action": "commit"})
    assert empty.status_code == 422 and "Write at least one profile." in empty.text
    assert repository.profile_summaries(engine) == []


def test_preview_period_is_checked(client, history):
    anna = history["anna"]
    wrong = post_form(client, anna, "/analyst/profiles/new",
                      {"yaml": shoes(), "action": "preview", "since": "2025-03-31", "until": "2025-03-01"})
    assert wrong.status_code == 422 and "The last day comes before the first day." in wrong.text
    garbled = post_form(client, anna, "/analyst/profiles/new",
                        {"yaml": shoes(), "action": "preview", "since": "March", "until": ""})
    assert garbled.status_code == 422 and "Enter a date as YYYY-MM-DD." in garbled.text
    empty = post_form(client, anna, "/analyst/profiles/new",
                      {"yaml": shoes(), "action": "preview", "since": "2020-01-01", "until": "2020-01-31"})
    assert empty.status_code == 200 and "No declaration was accepted in this period" in empty.text
    unchanged = post_form(client, anna, "/analyst/profiles/new", {"yaml": shoes(), "action": "commit"})
    assert unchanged.status_code == 303
    again = post_form(client, anna, "/analyst/profiles/new", {"yaml": shoes(), "action": "commit"})
    assert again.status_code == 200 and "Nothing was committed" in again.text


def test_a_suppression_silences_a_profile_for_one_importer(client, people, engine):
    sam, root = people["sam"], people["root"]  # root: a customs system account, told the reasons
    stage_profile(engine, "P-SHOES", "published")
    client.app.state.risk.reload_profiles()
    now = utc_now().replace(microsecond=0)
    assert profile_reasons(lodge(client, root, "N1", now.isoformat())) == ["P-SHOES"]
    page = "/analyst/profiles/P-SHOES"
    both = post_form(client, sam, f"{page}/suppress", {"importer": "IMP001", "commodity": "6403", "until": "2099-01-01",
                                                       "reason": "false alarms"}, page)
    assert both.status_code == 422 and "Give either an importer ID or a commodity code prefix" in both.text
    past = post_form(client, sam, f"{page}/suppress", {"importer": "IMP001", "until": "2020-01-01", "reason": "x"},
                     page)
    assert past.status_code == 422 and "Choose a day from today on." in past.text
    unsaid = post_form(client, sam, f"{page}/suppress", {"commodity": "64x", "until": "2099-01-01"}, page)
    assert unsaid.status_code == 422
    assert "A commodity code prefix is 2 to 10 digits." in unsaid.text
    assert "Say why the profile is suppressed." in unsaid.text
    until = (now + timedelta(days=30)).date().isoformat()
    done = post_form(client, sam, f"{page}/suppress", {"importer": "IMP001", "until": until,
                                                       "reason": "known importer, goods checked"}, page)
    assert done.status_code == 303
    shown = client.get(done.headers["location"]).text
    assert "Suppressed:" in shown and row_of(table(shown, "Targets for which"), "importer IMP001")[3] == \
        "known importer, goods checked"
    later = utc_now().replace(microsecond=0) + timedelta(seconds=1)  # accepted after the suppression began
    assert lodge(client, root, "N2", later.isoformat())["source"] != "profile"


def test_unknown_profiles_and_versions_answer_404(client, people, engine):
    sam = people["sam"]
    assert as_user(client, sam).get("/analyst/profiles/P-NONE").status_code == 404
    stage_profile(engine, "P-SHOES")
    answer = client.post("/analyst/profiles/P-SHOES/versions/7/approve", data={"csrf_token": sam.csrf},
                         follow_redirects=False)
    assert answer.status_code == 404
    wrong = client.post("/analyst/profiles/P-SHOES/versions/1/publish", data={"csrf_token": sam.csrf},
                        follow_redirects=False)
    assert wrong.status_code == 409 and "is not approved" in wrong.text
    assert client.post("/analyst/profiles/P-SHOES/versions/1/approve", follow_redirects=False).status_code == 403


def test_pages_are_translated(client, history):
    anna = history["anna"]
    page = as_user(client, anna).get("/analyst/profiles/new?lang=fr").text
    assert "Écrire un profil" in page and "Aperçu sur les données passées" in page


# --- the API ------------------------------------------------------------------------------------------------------


def test_the_whole_life_of_a_profile_through_the_api(client, history):
    anna, sam, root = (history[n].bearer for n in ("anna", "sam", "root"))
    api = as_user(client, None)
    replayed = api.post("/api/v1/profiles/replay", json={"yaml": shoes(), **PERIOD}, headers=anna)
    assert replayed.status_code == 200, replayed.text
    figures = replayed.json()
    assert figures["declarations"] == 4
    assert figures["profiles"] == [{"profile_id": "P-SHOES", "mode": "active", "declarations_hit": 3,
                                    "with_outcome": 1, "hits": 1}]
    lanes = {row["lane"]: row for row in figures["lanes"]}
    assert lanes["red"]["draft"] - lanes["red"]["published"] >= 2 and lanes["red"]["capacity"] is None
    nothing = api.post("/api/v1/profiles/replay", json={"yaml": NOTHING, **PERIOD}, headers=anna).json()
    assert nothing["profiles"] == []
    assert {r["lane"]: r["draft"] for r in nothing["lanes"]} == {r["lane"]: r["published"] for r in nothing["lanes"]}

    created = api.post("/api/v1/profiles", json={"yaml": shoes()}, headers=anna)
    assert created.status_code == 201 and created.json() == {"created": [{"profile_id": "P-SHOES", "version": 1}]}
    again = api.post("/api/v1/profiles", json={"yaml": shoes()}, headers=anna)
    assert again.status_code == 200 and again.json() == {"created": []}
    detail = api.get("/api/v1/profiles/P-SHOES", headers=anna).json()
    assert detail["latest_state"] == "committed" and detail["versions"][0]["author"] == "anna"
    assert detail["versions"][0]["yaml"].startswith("profile_id: P-SHOES")

    assert api.post("/api/v1/profiles/P-SHOES/versions/1/approve", headers=anna).status_code == 403
    assert api.post("/api/v1/profiles", json={"yaml": shoes().replace("weight: 90", "weight: 80")},
                    headers=sam).status_code == 201
    own = api.post("/api/v1/profiles/P-SHOES/versions/2/approve", headers=sam)
    assert own.status_code == 403 and "maker-checker" in own.json()["detail"][0]["msg"]
    early = api.post("/api/v1/profiles/P-SHOES/versions/1/publish", headers=sam)
    assert early.status_code == 409 and "not approved" in early.json()["detail"][0]["msg"]
    assert api.post("/api/v1/profiles/P-SHOES/versions/1/approve", json={"note": "ok"}, headers=sam).status_code == 200
    twice = api.post("/api/v1/profiles/P-SHOES/versions/1/approve", headers=root)
    assert twice.status_code == 409 and "already approved" in twice.json()["detail"][0]["msg"]
    published = api.post("/api/v1/profiles/P-SHOES/versions/1/publish", headers=root)
    assert published.status_code == 200 and published.json()["published"] == 1
    assert api.get("/api/v1/admin/risk-engine", headers=root).json()["profiles"] == {"P-SHOES": 1}

    answer = lodge(client, history["root"], "S9", "2025-03-10T09:30:00")
    assert answer["lane"] == "red" and profile_reasons(answer) == ["P-SHOES"]
    listed = api.get("/api/v1/profiles", headers=anna).json()
    assert [(p["profile_id"], p["published"], p["performance"]["selections"]) for p in listed] == [("P-SHOES", 1, 1)]

    not_that = api.post("/api/v1/profiles/P-SHOES/versions/2/retire", json={"reason": "x"}, headers=sam)
    assert not_that.status_code == 409
    assert "not the published version (version 1 is)" in not_that.json()["detail"][0]["msg"]
    no_reason = api.post("/api/v1/profiles/P-SHOES/versions/1/retire", json={}, headers=sam)
    assert no_reason.status_code == 422 and no_reason.json()["detail"][0]["loc"] == ["body", "reason"]
    retired = api.post("/api/v1/profiles/P-SHOES/versions/1/retire", json={"reason": "done"}, headers=sam)
    assert retired.status_code == 200 and retired.json()["published"] is None
    assert profile_reasons(lodge(client, history["root"], "S10", "2025-03-11T09:30:00")) == []
    assert api.get("/api/v1/admin/risk-engine", headers=root).json()["profiles"] == {}


def test_api_yaml_errors_name_their_lines(client, people, engine):
    anna = people["anna"].bearer
    api = as_user(client, None)
    for path, body in (("/api/v1/profiles", {"yaml": BAD}),
                       ("/api/v1/profiles/replay", {"yaml": BAD, **PERIOD})):
        answer = api.post(path, json=body, headers=anna)
        assert answer.status_code == 422
        (problem,) = answer.json()["detail"]
        assert problem["loc"] == ["body", "yaml", "line", 10] and problem["line"] == 10
        assert problem["msg"].startswith("line 10: unknown field 'comodity_code'")
    missing = api.post("/api/v1/profiles", json={}, headers=anna)
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "yaml"]
    assert repository.profile_summaries(engine) == []


def test_api_replay_period_is_checked(client, history):
    api, anna = as_user(client, None), history["anna"].bearer
    wrong = api.post("/api/v1/profiles/replay", json={"yaml": shoes(), "since": "2025-03-31", "until": "2025-03-01"},
                     headers=anna)
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["body", "until"]
    empty = api.post("/api/v1/profiles/replay", json={"yaml": shoes(), "since": "2020-01-01", "until": "2020-01-31"},
                     headers=anna)
    assert empty.status_code == 422 and empty.json()["detail"][0]["loc"] == ["body", "since"]
    garbled = api.post("/api/v1/profiles/replay", json={"yaml": shoes(), "since": "March"}, headers=anna)
    assert garbled.status_code == 422 and garbled.json()["detail"][0]["loc"] == ["body", "since"]


def test_api_unknown_profiles_and_versions_answer_404(client, people, engine):
    api, sam = as_user(client, None), people["sam"].bearer
    assert api.get("/api/v1/profiles/P-NONE", headers=sam).status_code == 404
    stage_profile(engine, "P-SHOES")
    missing = api.post("/api/v1/profiles/P-SHOES/versions/3/approve", headers=sam)
    assert missing.status_code == 404 and missing.json()["detail"][0]["loc"] == ["path", "version"]
    assert api.post("/api/v1/profiles/P-NONE/versions/1/publish", headers=sam).status_code == 404


def test_the_api_under_a_session_needs_the_csrf_header(client, people):
    anna = people["anna"]
    session = as_user(client, anna)
    assert session.post("/api/v1/profiles", json={"yaml": shoes()}).status_code == 403
    assert session.post("/api/v1/profiles", json={"yaml": shoes()},
                        headers={"X-CSRF-Token": anna.csrf}).status_code == 201


def test_the_preview_adds_the_draft_to_the_published_profiles_replacing_only_its_own_version(history, engine):
    """Issue 16: an unchanged copy of a published profile, previewed, showed fewer selections (217 -> 161): the
    draft replaced every published profile. Now the draft run is the published profiles with the draft in place
    of its own earlier version only."""
    from datetime import date

    from smartcustoms.risk.config import RiskConfig
    from smartcustoms.web.analyst.presenters import run_replay

    stage_profile(engine, "P-SHOES", until="published")
    march = (date(2025, 3, 1), date(2025, 3, 31))
    same = run_replay(engine, RiskConfig(), shoes("P-SHOES"), *march)
    assert same is not None and all(row["draft"] == row["published"] for row in same["lanes"]), same["lanes"]
    assert all(count == 0 for row in same["changes"] for lane, count in row.items()
               if lane not in ("published", row["published"]))  # nothing moves lane
    other = run_replay(engine, RiskConfig(), shoes("P-OTHER").replace("6403", "9999"), *march)
    red = {row["lane"]: row for row in other["lanes"]}["red"]
    assert red["draft"] >= red["published"] > 0  # P-SHOES's selections stay beside a draft that hits nothing


def test_the_previews_default_period_is_the_last_month_that_holds_declarations(client, history):
    page = as_user(client, history["anna"]).get("/analyst/profiles/new").text
    # the history is of March 2025, long before today: the period ends on its latest declaration, not today
    assert 'value="2025-03-07"' in page and 'value="2025-02-06"' in page
