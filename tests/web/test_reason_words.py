"""Reasons built from codes and parameters (web.reason_words): a profile's criteria and the valuation band in the
reader's language, numbers as the reader's locale writes them; the query text for the trader names no band."""

import html

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


# the screens' coded reasons (as the risk engine records them) and the capacity note
CODED = {
    "classification.reads_as": {"description": "brake pads", "likely": "870830", "p_likely": 0.91,
                                "declared": "681381", "p_declared": 0.04},
    "classification.duty_gap": {"likely_rate": 4.5, "declared_rate": 2.7},
    "origin.route": {"origin": "CN", "dispatch": "MY", "share": 0.0125, "earlier": 2567},
    "origin.switch": {"importer": "IMP9", "origin": "MY", "hs6": "731815", "earlier": 1204, "before": 58.7,
                      "now": 3.7},
    "origin.preference": {"claim": "EU-VN-FTA", "origin": "CN", "why": "partner", "chapter": "73", "saves": 3.7},
    "origin.circumvention_new": {"hs6": "731815", "measures": "CN", "top_rate": 55.0, "origin": "MY",
                                 "share": 0.0, "earlier": 1100},
    "origin.circumvention_growing": {"hs6": "731815", "measures": "CN", "top_rate": 55.0, "origin": "MY",
                                     "before": 0.02, "recent": 0.315, "days": 90},
    "origin.unusual": {"origin": "BR", "hs6": "870830", "share": 0.004, "earlier": 5210, "rate": 0.0, "usual": 22.86},
    "trader.importer_rate": {"importer": "IMP7", "hits": 12, "controls": 1530, "rate": 0.31, "prior": 0.08},
    "trader.declarant_rate": {"declarant": "DCL2", "hits": 3, "controls": 1001, "rate": 0.25},
    "trader.new_importer": {"days": 1200, "earlier": 2},
    "trader.aeo": {"factor": 0.5},
    "capacity.used_up": {"lane": "red", "moved_to": "yellow"},
    "capacity.selected_anyway": {"hits": 1000},
    # the "not checked" notes
    "classification.not_checked.no_code": {},
    "classification.not_checked.no_description": {},
    "classification.not_checked.no_model": {},
    "classification.not_checked.no_history": {"heading": "0101"},
    "origin.not_checked.missing": {"check": "route", "fields": ["origin_country", "dispatch_country"]},
    "valuation.not_checked.missing": {"check": "reference_price", "fields": ["quantity", "quantity_unit"]},
    "valuation.not_checked.few_imports": {"min": 1000},
    "trader.not_checked.no_date": {},
    "trader.not_checked.no_importer": {},
    "model.not_checked.no_model": {},
    "model.not_checked.no_history": {},
    "model.not_checked.few_outcomes": {"labelled": 1204, "found": 3, "min_outcomes": 100, "min_found": 10},
    "model.not_checked.not_trained": {},
}
WORDS = {  # code -> (a part of the English words, a part of the French words: French numbers)
    "classification.reads_as": ("reads as 870830 (probability 0.91), declared 681381 (probability 0.04)",
                                "se lit comme 870830 (probabilité 0,91), déclarée en 681381 (probabilité 0,04)"),
    "classification.duty_gap": ("carries 4.5% duty against 2.7% declared",
                                "porte 4,5\u00a0% de droit contre 2,7\u00a0%"),
    "origin.route": ("a route seen in 1.2% of 2,567 earlier imports from CN",
                     "un trajet vu dans 1,2\u00a0% des 2\u202f567 importations antérieures en provenance de CN"),
    "origin.switch": ("after 1,204 earlier declarations from other origins (duty 58.7% on average before, 3.7% now)",
                      "après 1\u202f204 déclarations antérieures d'autres origines (droit de 58,7\u00a0% en moyenne "
                      "avant, 3,7\u00a0% maintenant)"),
    "origin.preference": ("EU-VN-FTA claimed for origin CN, whose partners do not include origin CN (saves 3.7% duty)",
                          "EU-VN-FTA demandée pour l'origine CN, dont les partenaires n'incluent pas l'origine CN "
                          "(économise 3,7\u00a0% de droit)"),
    "origin.circumvention_new": ("(up to 55.0%); origin MY is new or rare for these goods (0.0% of 1,100 earlier",
                                 "(jusqu'à 55,0\u00a0%) ; l'origine MY est nouvelle ou rare pour ces marchandises "
                                 "(0,0\u00a0% des 1\u202f100 importations"),
    "origin.circumvention_growing": ("(share 2.0% before, 31.5% over the last 90 days)",
                                     "(part de 2,0\u00a0% avant, 31,5\u00a0% sur les 90 derniers jours)"),
    "origin.unusual": ("(0.4% of 5,210 earlier imports) and pays 0.0% duty against 22.9% usually",
                       "(0,4\u00a0% des 5\u202f210 importations antérieures) et paie 0,0\u00a0% de droit contre "
                       "22,9\u00a0% habituellement"),
    "trader.importer_rate": ("importer IMP7: 12 discrepancies in 1,530 controls (smoothed hit rate 0.31 against 0.08",
                             "importateur IMP7 : 12 irrégularités sur 1\u202f530 contrôles (taux de résultat lissé "
                             "0,31 contre 0,08"),
    "trader.declarant_rate": ("declarant DCL2: 3 discrepancies in 1,001 controls (hit rate 0.25)",
                              "déclarant DCL2 : 3 irrégularités sur 1\u202f001 contrôles (taux de résultat 0,25)"),
    "trader.new_importer": ("first declaration 1,200 days earlier, 2 earlier declarations",
                            "première déclaration il y a 1\u202f200 jours, 2 déclarations antérieures"),
    "trader.aeo": ("score multiplied by 0.50", "score multiplié par 0,50"),
    "capacity.used_up": ("in the red lane was used up: moved to yellow", "en circuit rouge était épuisée : passée en "
                                                                          "jaune"),
    "capacity.selected_anyway": ("1,000 earlier hits went unselected", "1\u202f000 occurrences antérieures"),
    "classification.not_checked.no_code": ("not checked (classification): no valid commodity code",
                                           "non vérifié (classement tarifaire) : aucun code marchandise valide"),
    "classification.not_checked.no_description": ("not checked (classification): no description of the goods",
                                                  "non vérifié (classement tarifaire) : aucune désignation"),
    "classification.not_checked.no_model": ("no text model (fewer than two codes", "aucun modèle de texte"),
    "classification.not_checked.no_history": ("heading 0101 has no history", "la position 0101 n'a pas d'historique"),
    "origin.not_checked.missing": ("not checked (origin): origin against dispatch route (missing Country of origin, "
                                   "Country of dispatch)",
                                   "non vérifié (origine) : origine par rapport à l'itinéraire d'expédition (manque : "
                                   "Pays d'origine, Pays d'expédition)"),
    "valuation.not_checked.missing": ("not checked (valuation): unit value against reference prices (missing "
                                      "Quantity, Unit of quantity)",
                                      "non vérifié (valeur) : valeur unitaire par rapport aux prix de référence "
                                      "(manque : Quantité, Unité de quantité)"),
    "valuation.not_checked.few_imports": ("unit value (fewer than 1,000 comparable imports)",
                                          "valeur unitaire (moins de 1\u202f000 importations comparables)"),
    "trader.not_checked.no_date": ("not checked (trader history): no date of acceptance",
                                   "non vérifié (historique de l'opérateur) : aucune date d'acceptation"),
    "trader.not_checked.no_importer": ("not checked (trader history): no importer", "aucun importateur"),
    "model.not_checked.no_model": ("not checked (targeting model): no model", "non vérifié (modèle de ciblage) : "
                                                                             "aucun modèle"),
    "model.not_checked.no_history": ("no model (no history)", "aucun modèle (aucun historique)"),
    "model.not_checked.few_outcomes": ("1,204 controlled declarations, 3 with a discrepancy; the model needs 100 and "
                                       "10",
                                       "1\u202f204 déclarations contrôlées, 3 avec une irrégularité ; le modèle en "
                                       "demande 100 et 10"),
    "model.not_checked.not_trained": ("no model (it could not be trained", "aucun modèle (il n'a pas pu être entraîné"),
}


def test_every_coded_reason_reads_in_english_and_french_with_the_readers_numbers():
    assert set(CODED) == set(reason_words.CODED) == set(WORDS)
    for code, params in CODED.items():
        english = reason_words.coded_words({"code": code, "params": params}, EN, "en_GB")
        french = reason_words.coded_words({"code": code, "params": params}, FR, "fr_FR")
        assert WORDS[code][0] in english, (code, english)
        assert WORDS[code][1] in french, (code, french)
        assert english != french


def test_a_first_time_importer_an_unknown_code_and_a_missing_parameter():
    unseen = {"code": "trader.new_importer", "params": {"days": None, "earlier": 0}}
    assert reason_words.coded_words(unseen, FR, "fr_FR") == "nouvel importateur : aucune déclaration antérieure"
    assert reason_words.coded_words({"code": "origin.unheard_of", "params": {}}, EN, "en_GB") is None
    assert reason_words.coded_words({"code": "origin.route", "params": {"origin": "CN"}}, EN, "en_GB") is None
    # a screen's reasons are written only when every one of them has words: else the recorded text is shown
    assert reason_words.coded_list([{"code": "trader.aeo", "params": {"factor": 0.5}}], FR, "fr_FR") == [
        "opérateur économique agréé (OEA) : score multiplié par 0,50"]
    assert reason_words.coded_list([{"code": "trader.aeo", "params": {"factor": 0.5}}, {"code": "x"}], FR,
                                   "fr_FR") is None
    assert reason_words.coded_list([], EN, "en_GB") is None


def test_the_staff_reason_list_writes_coded_reasons_and_keeps_older_ones_in_english():
    from smartcustoms.control.service import reasons
    from smartcustoms.web.render import make_templates

    route = {"code": "origin.route", "params": CODED["origin.route"]}
    explanation = {"scores": {
        "origin": {"score": 0.4, "reason": "origin CN dispatched from MY: a route seen in 1.2% of 2,567 earlier "
                                          "imports from CN | (a second item's text)", "reasons": [route]},
        "trader": {"score": 0.3, "reason": "importer IMP7: 12 discrepancies (an older decision, no codes)"}},
        "capacity": "red capacity of the office for the day used up: moved to yellow",
        "capacity_reason": {"code": "capacity.used_up", "params": CODED["capacity.used_up"]}}
    template = make_templates().env.from_string(
        '{% from "_macros.html" import reason_list with context %}{{ reason_list(reasons) }}')
    html = template.render(reasons=reasons(explanation), locale="fr", formats="fr_FR",
                           translations=translations("fr"))
    assert "un trajet vu dans 1,2\u00a0% des 2\u202f567 importations" in html and "second item" not in html
    assert "en circuit rouge était épuisée : passée en jaune" in html
    assert '<span lang="en">importer IMP7: 12 discrepancies (an older decision, no codes)</span>' in html
    assert "dispatched from" not in html and "capacity of the office" not in html


def test_the_not_checked_notes_are_written_from_their_codes_and_older_ones_stay_english():
    """The officer task page and the staff declaration page (macro not_checked_list): the notes from their codes in
    the page's words; a decision recorded before the codes (or with a code without words) shows its English notes,
    marked lang="en" on a French page."""
    from smartcustoms.web.render import make_templates

    template = make_templates().env.from_string(
        '{% from "_macros.html" import not_checked_list with context %}{{ not_checked_list(codes, notes) }}')
    codes = [{"code": "classification.not_checked.no_history", "params": {"heading": "0101"}},
             {"code": "valuation.not_checked.missing", "params": {"check": "duty", "fields": ["duty_rate"]}}]
    notes = ["not checked: heading 0101 has no history to learn its wording from",
             "not checked: duty at risk (missing duty_rate)"]

    def page(lang: str, **context) -> str:
        return html.unescape(template.render(locale=lang, formats="fr_FR" if lang == "fr" else "en_GB",
                                             translations=translations(lang), **context))

    french = page("fr", codes=codes, notes=notes)
    assert "Non vérifié :" in french
    assert "non vérifié (classement tarifaire) : la position 0101 n'a pas d'historique" in french
    assert "non vérifié (valeur) : droits en jeu (manque : Taux du droit (pour cent))" in french
    assert "not checked" not in french and 'lang="en"' not in french
    english = page("en", codes=codes, notes=notes)
    assert "not checked (valuation): duty at risk (missing Duty rate (percent))" in english
    older = page("fr", codes=[], notes=notes)
    assert '<ul class="reasons" lang="en">' in older and "not checked: duty at risk (missing duty_rate)" in older
    unknown = page("fr", codes=[*codes, {"code": "valuation.not_checked.unheard_of", "params": {}}], notes=notes)
    assert 'lang="en"' in unknown and "non vérifié (valeur)" not in unknown
    assert page("fr", codes=[], notes=[]).strip() == ""
