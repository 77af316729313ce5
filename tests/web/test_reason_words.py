"""Reasons built from codes and parameters (web.reason_words): a profile's criteria and the valuation band in the
reader's language, numbers as the reader's locale writes them; the query text for the trader names no band."""

from smartcustoms.web import reason_words
from smartcustoms.web.i18n import translations

EN, FR = translations("en").gettext, translations("fr").gettext
BELOW = {"item_number": 1, "commodity_code": "87087050", "origin_country": "CN", "quantity_unit": "NAR",
         "declared": 7.0, "p10": 51.59, "median": 70.2, "p90": 93.8, "n": 1210, "level": "hs6xorigin",
         "position": "below"}
WITHIN = {**BELOW, "item_number": 2, "declared": 60.0, "position": "within"}


def test_a_criterion_reads_in_each_language_with_its_numbers():
    assert reason_words.criterion_words("unit_value", "max", 20.5, EN, "en_GB") == \
        "unit value (customs value per unit) is at most 20.50"
    assert reason_words.criterion_words("unit_value", "max", 20.5, FR, "fr_FR") == \
        "valeur unitaire (valeur en douane par unité) vaut au plus 20,50"
    assert reason_words.criterion_words("commodity_code", "prefix", ["870870", "8708"], FR, "fr_FR") == \
        "Code marchandise commence par 870870 ou 8708"
    assert reason_words.criterion_words("customs_value", "between", [1000, 25000.5], EN, "en_GB") == \
        "Customs value (national currency) is between 1,000 and 25,000.50"


def test_the_valuation_doubt_names_the_band_for_staff_in_the_readers_numbers():
    english, = reason_words.below_band([BELOW, WITHIN], "EUR", EN, "en_GB")
    assert "7.00 EUR/item" in english and "P10 (51.59)" in english and "1,210 comparable imports" in english
    french, = reason_words.below_band([BELOW, WITHIN], "EUR", FR, "fr_FR")
    assert "7,00 EUR/article" in french and "P10 (51,59)" in french and "1\u202f210 importations" in french
    assert "below" not in french


def test_the_query_text_for_the_trader_names_the_items_never_the_band():
    for gettext, locale, value in ((EN, "en_GB", "7.00 EUR/item"), (FR, "fr_FR", "7,00 EUR/article")):
        text = reason_words.query_suggestion([BELOW, WITHIN], "EUR", gettext, locale)
        assert value in text and "51" not in text and "P10" not in text and "1210" not in text.replace(" ", "")
    assert reason_words.query_suggestion([WITHIN], "EUR", FR, "fr_FR").startswith("La valeur déclarée")
