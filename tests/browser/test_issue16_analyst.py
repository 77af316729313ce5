"""Issue 16 in Chromium, the analyst's side (English and French, desktop and 390 px): a declaration accepted a few
seconds in the future no longer breaks the KPIs (reported, counted); the preview of an unchanged copy of a
published profile gives the same selections in both runs, shown side by side, with its progress while it runs;
the model registry and drift report in words, "Roll back" only with an earlier champion; KPI charts at a legible
size."""

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from .browser_support import horizontal_overflow
from .issue16_support import enter, lodge, new_page, publish, words

SHOES = """\
profile_id: P-SHOES-16
title: Leather shoes from China, for the preview test
purpose: Leather shoes from one origin are often undervalued.
owner: Valuation team
lane: yellow
weight: 60
criteria:
  - field: commodity_code
    prefix: ["6403"]
  - field: origin_country
    in: ["CN"]
"""


def test_a_declaration_accepted_in_the_future_does_not_break_the_kpis(view, site):
    """The issue: /analyst/kpis answered 422 ("lane_at ... is before lodged_at") for all offices."""
    page, lang, size = view
    if site.api("GET", "/api/v1/declarations/FUTURE-16").status_code == 404:
        soon = datetime.utcnow().replace(microsecond=0) + timedelta(seconds=40)
        lodge(site, "FUTURE-16", acceptance_datetime=soon.isoformat())
    enter(page, site, "anna", lang)
    today = datetime.utcnow().date()
    answer = page.goto(site.url + f"/analyst/kpis?since={today - timedelta(days=2)}&until={today + timedelta(days=1)}")
    assert answer.status == 200
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("p.warning[role=status]")).to_contain_text("FUTURE-16")
    everything = page.goto(site.url + "/analyst/kpis")
    assert everything.status == 200
    assert horizontal_overflow(page) <= 0


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_preview_of_an_unchanged_published_profile_selects_the_same_and_shows_its_progress(browser, site, lang):
    """The issue: an unchanged copy previewed "beside the published profiles" showed 217 -> 161 selections."""
    publish(site, SHOES, "P-SHOES-16")
    site.app.state.preview_inline_wait_s = 0  # always through the page that follows the job
    page = new_page(browser, lang, "desktop")
    try:
        enter(page, site, "anna", lang)
        page.goto(site.url + "/analyst/profiles/new")
        page.locator("#f-yaml").fill(SHOES)
        page.locator("#f-since").fill("2025-03-01")
        page.locator("#f-until").fill("2025-03-31")
        page.locator("button[name=action][value=preview]").click()
        page.wait_for_url(re.compile(r"/analyst/profiles/preview/[0-9a-f]{32}$"))
        html = page.content()
        if 'id="preview-progress"' in html:  # still running: its progress, and the page follows it (no script)
            assert words(lang, "Preview running") in html and 'http-equiv="refresh"' in html
        expect(page.locator("#preview-title")).to_be_visible(timeout=60_000)
        lanes = page.locator("table", has=page.locator("caption", has_text=words(
            lang, "Lanes: published profiles against your draft, and the capacity summed over the offices and days")))
        rows = lanes.locator("tbody tr")
        assert rows.count() >= 2
        for index in range(rows.count()):
            cells = rows.nth(index).locator("td").all_inner_texts()
            assert cells[0] == cells[1], cells  # published alone == published with the draft in its own place
        expect(page.locator("main")).to_contain_text(words(
            lang, "Two runs side by side: the published profiles alone, and the published profiles with your draft "
                  "added (a draft of a published profile replaces only its own earlier version). An unchanged copy "
                  "of a published profile gives the same selections in both."))
        expect(page.locator("#f-yaml")).to_have_value(SHOES)
        expect(page.locator("section[aria-labelledby=preview-title] li").first).to_contain_text(words(  # in words
            lang, "%(field)s starts with %(values)s", field=words(lang, "Commodity code"), values="6403"))
    finally:
        site.app.state.preview_inline_wait_s = None
        page.context.close()


def test_the_previews_default_period_holds_declarations(view, site):
    page, lang, size = view
    enter(page, site, "anna", lang)
    page.goto(site.url + "/analyst/profiles/new")
    until = page.locator("#f-until").input_value()
    since = page.locator("#f-since").input_value()
    latest = site.api("GET", "/api/v1/declarations?limit=1").json()["items"][0]["acceptance_datetime"][:10]
    assert since <= until == latest, (since, until, latest)  # up to the latest declaration stored, today or not
    assert horizontal_overflow(page) <= 0


@pytest.fixture(scope="module")
def champion(site, tmp_path_factory):
    """One model in the registry, promoted: the champion, with no earlier one to roll back to."""
    from smartcustoms.targeting import service as registry
    from smartcustoms.targeting.features import declaration_features
    from smartcustoms.targeting.model import TargetingModel
    from smartcustoms.world import WorldConfig, generate

    world = generate(WorldConfig(declarations=800, seed=3, days=60))
    features = declaration_features(world.declarations, world.inspections, as_of="2025-03-01")
    train = features.loc[features["declaration_date"] < "2025-03-01"]
    model = TargetingModel(params={"n_estimators": 8}, random_state=1).fit(train)
    model_id = registry.register(site.engine, model, train, {"auc": 0.8, "discrepancy_rate": 0.1, "rows": len(train)},
                                 tmp_path_factory.mktemp("models"), "anna", label="spring",
                                 window=(train["declaration_date"].min(), "2025-03-01"))
    status = {m["model_id"]: m["status"] for m in site.api("GET", "/api/v1/models", username="sam").json()}
    if status.get(model_id) != "champion":  # the first model registered may be the champion already
        answer = site.api("POST", f"/api/v1/models/{model_id}/promote", username="sam")
        assert answer.status_code == 200, answer.text
    return model_id


def test_the_registry_and_drift_pages_speak_in_words_and_offer_no_rollback_without_an_earlier_champion(
        view, site, champion):
    page, lang, size = view
    enter(page, site, "sam", lang)
    page.goto(site.url + "/analyst/models")
    main = page.locator("main")
    expect(main).to_contain_text(words(lang, "area under the ROC curve"))
    expect(main).to_contain_text(words(lang, "discrepancy rate"))
    labels = page.locator("main dl.facts dt").all_inner_texts()
    assert "auc" not in labels and "discrepancy_rate" not in labels, labels
    expect(page.get_by_role("button", name=words(lang, "Roll back to the previous champion"))).to_have_count(0)
    assert horizontal_overflow(page) <= 0
    answer = page.goto(site.url + "/analyst/models/drift")
    assert answer.status == 200
    rows = page.locator("main table tbody th[scope=row]")
    if rows.count():  # each input in words first, its raw key beside it
        first = rows.first.inner_text().splitlines()
        assert first[0] != first[-1] and ":" not in first[0], first
    assert horizontal_overflow(page) <= 0


def test_kpi_charts_keep_a_legible_size_and_open_whole(view, site):
    page, lang, size = view
    enter(page, site, "anna", lang)
    page.goto(site.url + "/analyst/kpis?since=2025-01-01")
    charts = page.locator("main figure img")
    if charts.count() == 0:
        pytest.skip("no chart on this history")
    for index in range(charts.count()):
        chart = charts.nth(index)
        chart.scroll_into_view_if_needed()
        box = chart.bounding_box()
        assert box["width"] >= 600, box  # one per row, scrolled sideways on a phone rather than shrunk
        link = page.locator("main figure a").nth(index).get_attribute("href")
        assert page.request.get(site.url + link).ok
    assert horizontal_overflow(page) <= 0
    for fmt, start in (("csv", None), ("xlsx", b"PK")):  # every KPI table downloads
        href = page.locator(f"p.downloads a[href*='.{fmt}']").get_attribute("href")
        answer = page.request.get(site.url + href)
        assert answer.ok and (start is None or answer.body()[:2] == start), fmt
