"""Numbers and dates as people write them, read by their locale: right, or refused as ambiguous."""

from datetime import datetime
from decimal import Decimal

import pytest

from smartcustoms.refusals import Refusal
from smartcustoms.written import (
    change_factor,
    format_locale,
    read_amount,
    read_datetime,
    show_amount,
    show_date,
    show_datetime,
    uses_24_hours,
)


@pytest.mark.parametrize("text, locale, expected", [
    ("24,500", "en_GB", "24500"),  # the issue's reproduction: an English user's thousands, never 24.50
    ("24,500", "en_US", "24500"),
    ("24 500", "en_GB", "24500"),
    ("24 500", "fr_FR", "24500"),
    ("24\u202f500,00", "fr_FR", "24500.00"),  # what French Babel writes, read back
    ("24\u00a0500", "fr_FR", "24500"),
    ("24.500,00", "fr_FR", "24500.00"),
    ("24.500,00", "de_DE", "24500.00"),
    ("24.500,00", "en_GB", "24500.00"),  # both marks: the last one is the decimal one, in any locale
    ("24,500.00", "fr_FR", "24500.00"),
    ("24.500", "de_DE", "24500"),  # German thousands
    ("24,5", "fr_FR", "24.5"),
    ("24,50", "en_GB", "24.50"),  # not three digits after: only a decimal reading is possible
    ("927.50", "en_GB", "927.50"),
    ("0,500", "fr_FR", "0.500"),  # a group never follows a leading 0
    ("1,234,567", "en_GB", "1234567"),
    ("1.234.567", "fr_FR", "1234567"),
    ("1'234'567.5", "en_GB", "1234567.5"),  # Swiss
    ("-3.5", "en_GB", "-3.5"),
    ("+12", "fr_FR", "12"),
    ("7", "fr_FR", "7"),
])
def test_amounts_are_read_as_meant(text, locale, expected):
    assert read_amount(text, locale) == Decimal(expected)


@pytest.mark.parametrize("text, locale", [("24,500", "fr_FR"), ("24,500", "de_DE"), ("24.500", "en_GB"),
                                          ("24.500", "fr_FR"), ("1.250", "en_US")])
def test_a_single_mark_before_three_digits_that_is_not_the_locales_thousands_mark_is_ambiguous(text, locale):
    with pytest.raises(Refusal) as refused:
        read_amount(text, locale, field="customs_value")
    assert refused.value.code == "number_ambiguous" and refused.value.field == "customs_value"
    assert refused.value.params["value"] == text


@pytest.mark.parametrize("text", ["abc", "2,45,00", "24,,500", "1.2.3,4,5", "12a", ".5", "5.", "24,500.00.1", "--1"])
def test_what_is_not_a_number_is_refused(text):
    with pytest.raises(Refusal) as refused:
        read_amount(text, "en_GB", field="duty")
    assert refused.value.code == "number_invalid"


def test_an_empty_amount_is_missing():
    with pytest.raises(Refusal) as refused:
        read_amount("  ", "fr_FR", field="duty")
    assert refused.value.code == "number_missing"


@pytest.mark.parametrize("locale", ["en_GB", "en_US", "fr_FR", "de_DE", "fr_CH"])
@pytest.mark.parametrize("value", ["24500", "24500.5", "0.75", "1234567.89"])
def test_what_is_shown_reads_back_the_same(locale, value):
    assert read_amount(show_amount(Decimal(value), locale), locale) == Decimal(value)


def test_the_change_factor_of_the_issue():
    assert change_factor(927.50, 6.49) == pytest.approx(142.9, rel=1e-3)
    assert change_factor(100, 150) == pytest.approx(1.5) and change_factor(5, 5) == 1
    assert change_factor(0, 10) == float("inf")


def test_the_format_locale_takes_the_browsers_region():
    assert format_locale("en", "en-GB,en;q=0.9") == "en_GB"
    assert format_locale("en", "en-US,en;q=0.9") == "en_US"
    assert format_locale("fr", "fr-CA,fr;q=0.8") == "fr_CA"
    assert format_locale("en", "fr-FR, en;q=0.5") == "en_GB"  # no English region named: day-month-year, 24 h
    assert format_locale("fr", None) == "fr_FR"


def test_dates_are_shown_in_the_locales_order_and_24_hours_where_it_uses_them():
    moment = datetime(2026, 12, 7, 14, 30)
    assert show_datetime(moment, "en_GB") == "07/12/2026 14:30"
    assert show_datetime(moment, "fr_FR") == "07/12/2026 14:30"
    assert show_datetime(moment, "en_US").replace("\u202f", " ") == "12/7/2026 2:30 PM"
    assert show_date(moment, "de_DE") == "07.12.2026"
    assert uses_24_hours("en_GB") and uses_24_hours("fr_FR") and not uses_24_hours("en_US")


@pytest.mark.parametrize("text, locale", [
    ("2026-12-07T14:30", "en_GB"), ("2026-12-07 14:30", "fr_FR"), ("07/12/2026 14:30", "en_GB"),
    ("07/12/2026 14h30", "fr_FR"), ("12/7/2026 2:30 PM", "en_US"), ("07.12.2026 14:30", "de_DE"),
    ("7/12/26 14:30", "en_GB"),
])
def test_dates_are_read_as_typed_in_the_locale(text, locale):
    assert read_datetime(text, locale) == datetime(2026, 12, 7, 14, 30)


@pytest.mark.parametrize("text", ["31/02/2026", "13/13/2026", "tomorrow", "12/7/2026 13:30 PM"])
def test_impossible_dates_are_refused(text):
    with pytest.raises(Refusal) as refused:
        read_datetime(text, "en_GB", field="at")
    assert refused.value.code == "datetime_invalid" and refused.value.field == "at"
