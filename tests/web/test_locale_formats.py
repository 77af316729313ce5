"""Dates and numbers on the pages follow the browser's region for the page's language: day-month-year and 24-hour
under en-GB (and when no region is named), month-day-year under en-US, French in French."""

import re

from conftest import as_user, declaration


def page_of(client, person, accept_language: str) -> str:
    as_user(client, person)
    return client.get("/portal/declarations/G1", headers={"Accept-Language": accept_language}).text


def test_dates_follow_the_browsers_region(client, people):
    body = declaration("G1")
    body["acceptance_datetime"] = "2025-03-04T15:30:00"
    assert client.post("/api/v1/declarations", json=body, headers=people["alice"].bearer).status_code == 201
    british = page_of(client, people["alice"], "en-GB,en;q=0.9")
    american = page_of(client, people["alice"], "en-US,en;q=0.9")
    plain = page_of(client, people["alice"], "en")
    french = page_of(client, people["alice"], "fr-FR,fr;q=0.9")
    assert "4 Mar 2025" in british and "15:30" in british and not re.search(r"\d:\d\d\W?PM", british)
    assert "Mar 4, 2025" in american and re.search(r"3:30\W?PM", american)
    assert "4 Mar 2025" in plain  # no region named: the day-month-year, 24-hour style
    assert "4 mars 2025" in french and "15:30" in french
