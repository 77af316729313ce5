"""The KPI dashboard: tables and charts (SVG) of a small scenario, the period and office filters, officers limited to
their offices; and GET /api/v1/kpis."""

import re
import xml.etree.ElementTree as ET

import pytest
from analyst_support import row_of, seed_kpis, table
from conftest import as_user

from smartcustoms.web.analyst.presenters import CHARTS

MARCH = {"since": "2025-03-01", "until": "2025-03-31"}


def both(rows: list[list[str]], office: str, lane: str) -> list[str]:
    return next(r for r in rows if r[:2] == [office, lane])


@pytest.fixture
def scenario(engine, people):
    seed_kpis(engine)
    return people


def test_the_dashboard_shows_the_tables_of_the_period(client, scenario):
    page = as_user(client, scenario["anna"]).get("/analyst/kpis", params=MARCH)
    assert page.status_code == 200
    releases = table(page.text, "Lodgement, lane and release")
    assert both(releases, "all", "all")[2:6] == ["4", "3", "1", "0"]  # declarations, released, held, stopped
    red_frpar1 = both(releases, "FRPAR1", "red")
    assert red_frpar1[7] == "10.0 / 10.0" and red_frpar1[8] == "10.5 / 10.5"  # lane -> release, lodgement -> release
    controls = table(page.text, "From scheduling")
    assert row_of(controls, "on site")[1:] == ["1", "1", "0", "4.0 / 4.0"]
    assert row_of(controls, "remote")[4] == "1.0 / 1.0" and row_of(controls, "desk")[4] == "2.0 / 2.0"
    hits = table(page.text, "Selections (final lane")
    assert row_of(hits, "profiles")[3:6] == ["1", "1", "100.0%"]
    assert row_of(hits, "random sample")[3:6] == ["1", "0", "0.0%"]
    assert row_of(hits, "all")[1:6] == ["3", "100.0%", "3", "2", "66.7%"]
    assert "Selections made by models: 1 of 3 (33.3%)." in page.text
    assert row_of(table(page.text, "Revenue recovered by office"), "FRLYS1")[3] == "50.00"
    assert row_of(table(page.text, "Revenue recovered by month"), "2025-03")[3] == "150.00"


def test_charts_are_svg_images_with_a_text_alternative(client, scenario):
    as_user(client, scenario["sam"])
    page = client.get("/analyst/kpis", params=MARCH).text
    for name in CHARTS:
        src = f"/analyst/kpis/charts/{name}.svg?since=2025-03-01&amp;until=2025-03-31"
        assert f'src="{src}"' in page, name
        answer = client.get(src.replace("&amp;", "&"))
        assert answer.status_code == 200 and answer.headers["content-type"] == "image/svg+xml"
        assert ET.fromstring(answer.content).tag.endswith("svg")
        assert b"<script" not in answer.content
    alts = dict(zip(CHARTS, re.findall(r'<img src="[^"]+" alt="([^"]+)"', page)))
    assert alts["hit_rates"] == ("Hit rate by selection source, per week. model 100.0% (controls: 1); profiles 100.0% "
                                 "(controls: 1); random sample 0.0% (controls: 1); all 66.7% (controls: 3).")
    assert alts["lanes_per_day"].endswith("Over 3 days, in all: green 1, yellow 1, red 2.")
    assert alts["release_times"].endswith("Median time from lodgement to release: green 1.1 h, yellow 3.3 h, "
                                          "red 10.5 h.")
    assert alts["revenue"].endswith("In all 150 EUR recovered (model 50, profiles 100).")
    assert alts["control_times"].endswith("Median: on site 4.0 h, remote 1.0 h, desk 2.0 h.")
    french = client.get("/analyst/kpis", params={**MARCH, "lang": "fr"}).text
    assert "Taux de réussite par source de sélection" in french
    assert client.get("/analyst/kpis/charts/nothing.svg").status_code == 404
    empty = client.get("/analyst/kpis/charts/lanes_per_day.svg", params={"since": "2020-01-01", "until": "2020-01-31"})
    assert empty.status_code == 200 and b"no data" in empty.content.lower()


def test_filters_by_office_and_period(client, scenario):
    as_user(client, scenario["root"])
    lyon = client.get("/analyst/kpis", params={"office": "FRLYS1"}).text
    assert both(table(lyon, "Lodgement, lane and release"), "all", "all")[2] == "1"
    assert '<option value="FRLYS1" selected>' in lyon and '<option value="FRPAR1">' in lyon
    april = client.get("/analyst/kpis", params={"since": "2025-04-01", "until": "2025-04-30"})
    assert april.status_code == 200 and "there is nothing to report" in april.text
    wrong = client.get("/analyst/kpis", params={"since": "2025-03-31", "until": "2025-03-01"})
    assert wrong.status_code == 422 and "The last day comes before the first day." in wrong.text
    garbled = client.get("/analyst/kpis", params={"since": "yesterday"})
    assert garbled.status_code == 422 and "Enter a date as YYYY-MM-DD." in garbled.text
    assert client.get("/analyst/kpis/charts/revenue.svg", params={"since": "x"}).status_code == 422


def test_officers_read_the_kpis_of_their_offices_only(client, scenario):
    as_user(client, scenario["oscar"])  # officer at FRPAR1
    own = client.get("/analyst/kpis")
    assert own.status_code == 200
    assert both(table(own.text, "Lodgement, lane and release"), "all", "all")[2] == "3"  # FRPAR1 only, by default
    assert "All offices" not in own.text and '<option value="FRLYS1"' not in own.text
    assert client.get("/analyst/kpis", params={"office": "FRLYS1"}).status_code == 403
    assert client.get("/analyst/kpis/charts/revenue.svg", params={"office": "FRLYS1"}).status_code == 403
    api = as_user(client, None)
    assert api.get("/api/v1/kpis", headers=scenario["oscar"].bearer).json()["office"] == "FRPAR1"
    assert api.get("/api/v1/kpis", params={"office": "FRLYS1"}, headers=scenario["oscar"].bearer).status_code == 403


def test_the_api_answers_the_summary_tables(client, scenario):
    api, anna = as_user(client, None), scenario["anna"].bearer
    answer = api.get("/api/v1/kpis", params=MARCH, headers=anna)
    assert answer.status_code == 200
    report = answer.json()
    assert (report["since"], report["until"], report["office"]) == ("2025-03-01", "2025-03-31", None)
    assert set(report["tables"]) == {"release_times", "lanes_per_day", "control_times", "hit_rates", "model_share",
                                     "revenue_by_source", "revenue_by_office", "revenue_by_month",
                                     "revenue_by_month_and_source", "weekly_hit_rates", "data_problems"}
    hits = {r["source"]: r for r in report["tables"]["hit_rates"]}
    assert hits["all"]["hits"] == 2 and hits["all"]["hit_rate"] == pytest.approx(2 / 3)
    assert hits["random"]["hit_rate"] == 0.0 and hits["model"]["selection_share"] == pytest.approx(1 / 3)
    days = report["tables"]["lanes_per_day"]
    assert days[0] == {"day": "2025-03-03T00:00:00", "lane": "green", "declarations": 1}
    held = [r for r in report["tables"]["release_times"] if r["office_id"] == "FRLYS1" and r["lane"] == "red"][0]
    assert held["held"] == 1 and held["lane_to_release_median_h"] is None  # NaN answers null
    wrong = api.get("/api/v1/kpis", params={"since": "2025-03-31", "until": "2025-03-01"}, headers=anna)
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["query", "until"]
    garbled = api.get("/api/v1/kpis", params={"since": "soon"}, headers=anna)
    assert garbled.status_code == 422 and garbled.json()["detail"][0]["loc"] == ["query", "since"]
    empty = api.get("/api/v1/kpis", params={"since": "2020-01-01", "until": "2020-01-02"}, headers=anna).json()
    assert empty["tables"]["release_times"][0]["declarations"] == 0


def test_every_kpi_table_downloads_as_csv_and_xlsx_and_charts_open_full_size(client, scenario):
    import io

    from openpyxl import load_workbook

    page = as_user(client, scenario["anna"]).get("/analyst/kpis", params=MARCH).text
    assert 'href="/analyst/kpis/export.csv?since=2025-03-01&amp;until=2025-03-31"' in page
    assert 'href="/analyst/kpis/charts/' in page  # each chart opens whole (legible) from its link
    sheet = client.get("/analyst/kpis/export.xlsx", params=MARCH)
    assert sheet.status_code == 200 and "attachment" in sheet.headers["content-disposition"]
    book = load_workbook(io.BytesIO(sheet.content))
    assert {"release_times", "hit_rates", "revenue_by_office"} <= set(book.sheetnames)
    text = client.get("/analyst/kpis/export.csv", params=MARCH).content.decode("utf-8-sig")
    assert text.startswith("# release_times\n") and "FRLYS1" in text
    assert client.get("/analyst/kpis/export.pdf", params=MARCH).status_code in (404, 422)
    as_user(client, scenario["alice"])
    assert client.get("/analyst/kpis/export.csv", params=MARCH).status_code == 403  # traders: no KPIs
