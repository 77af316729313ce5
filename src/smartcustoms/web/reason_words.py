"""Why a declaration was selected, and a valuation query's suggested text, written for the reader: built from codes
and parameters (a profile's criteria, the valuation screen's reference band of each goods item), translated (the
catalogues under ``web/locales``) and with numbers and dates as the reader's locale writes them (7,00 and
1 210 in French; 7.00 and 1,210 in English). Nothing here parses the English texts the risk engine stores.

The classification, origin and trader screens and the capacity note record each reason as a code and its
parameters (``{"code", "params"}``, beside the English text): ``coded_words`` writes it. So do the screens' "not
checked" notes (codes ``<screen>.not_checked.*``: a check that could not run, and why), written "not checked
(<screen>): <why>" with the fields' labels of the lodging form.

Staff pages only show the band and the criteria; ``query_suggestion`` names neither (a trader reads it)."""

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache

from babel import Locale
from babel.numbers import format_percent

from smartcustoms import written
from smartcustoms.reference.units import UNITS
from smartcustoms.web.forms import HEADER, ITEM
from smartcustoms.web.i18n import N_
from smartcustoms.web.words import ANALYST_LANE_NAMES as LANES
from smartcustoms.web.words import SCREENS

Gettext = Callable[[str], str]

FIELDS = {f.name: f.label for f in (*HEADER, *ITEM)} | {
    "unit_value": N_("unit value (customs value per unit)"), "value_per_kg": N_("customs value per kg"),
    "mass_ratio": N_("gross mass / net mass"), "new_importer": N_("importer new to customs"),
    "carrier_id": N_("express carrier"), "acceptance_datetime": N_("Date and time of lodging (UTC)"),
}
OPERATORS = {  # a criterion's operator -> its sentence (%(field)s, %(values)s, %(low)s, %(high)s)
    "prefix": N_("%(field)s starts with %(values)s"),
    "contains": N_("%(field)s contains %(values)s"),
    "in": N_("%(field)s is one of %(values)s"),
    "not_in": N_("%(field)s is none of %(values)s"),
    "equals": N_("%(field)s is %(values)s"),
    "between": N_("%(field)s is between %(low)s and %(high)s"),
    "min": N_("%(field)s is at least %(values)s"),
    "max": N_("%(field)s is at most %(values)s"),
    "present_yes": N_("%(field)s is given"),
    "present_no": N_("%(field)s is empty"),
}
OR = N_("or")
YES, NO = N_("yes"), N_("no")
LEVELS = {  # the valuation screen's reference cell -> the comparable imports, in words
    "hs6xorigin": N_("of subheading %(hs6)s from %(origin)s"),
    "hs6": N_("of subheading %(hs6)s (all origins)"),
    "hs4": N_("of heading %(hs4)s"),
    "chapter": N_("of chapter %(chapter)s"),
}
BELOW_BAND = N_("Item %(item)s: the declared unit value, %(declared)s %(unit)s, is below the P10 (%(p10)s) of "
                "%(n)s comparable imports %(goods)s: a reason to doubt the declared value (WTO Decision 6.1).")
QUERY_ITEM = N_("item %(item)s (%(declared)s %(unit)s)")
QUERY_SUGGESTION = N_("The declared unit value of %(items)s is well below the values declared for comparable imports "
                      "of the same goods. Please send the sales contract, the invoice and proof of payment, or "
                      "explain how the price was set.")
QUERY_GENERIC = N_("The declared value is well below the values declared for comparable imports of the same goods "
                   "from the same origin. Please send the sales contract, the invoice and proof of payment, or "
                   "explain how the price was set.")


def value_words(value, gettext: Gettext, locale: str) -> str:
    """One criterion value as the locale writes it (numbers, dates, yes/no); codes as they are."""
    if isinstance(value, bool):
        return gettext(YES if value else NO)
    if isinstance(value, int | float):
        digits = 0 if float(value).is_integer() else 2
        return written.show_amount(value, locale, digits)
    if isinstance(value, datetime):
        return written.show_datetime(value, locale)
    return str(value)


def criterion_words(field: str, op: str, value, gettext: Gettext, locale: str) -> str:
    """``unit_value max 20`` -> "unit value (customs value per unit) is at most 20" (in the reader's language)."""
    label = gettext(FIELDS[field]) if field in FIELDS else field
    if op == "present":
        return gettext(OPERATORS["present_yes" if value else "present_no"]) % {"field": label}
    if op == "between":
        low, high = value
        return gettext(OPERATORS[op]) % {"field": label, "low": value_words(low, gettext, locale),
                                         "high": value_words(high, gettext, locale)}
    values = list(value) if isinstance(value, list | tuple) else [value]
    words = [value_words(v, gettext, locale) for v in values]
    joined = f" {gettext(OR)} ".join(words) if op in ("prefix", "contains") else ", ".join(words)
    if op not in OPERATORS:
        return f"{label} {op} {joined}"
    return gettext(OPERATORS[op]) % {"field": label, "values": joined}


def profile_words(profile, gettext: Gettext, locale: str) -> list[str]:
    """A profile's criteria, one sentence each."""
    return [criterion_words(c.field, c.op, c.value, gettext, locale) for c in profile.criteria]


def hit_words(hit: dict, profiles, gettext: Gettext, locale: str) -> list[str] | None:
    """The criteria of a profile hit (``{"id", "version", "matched"}``), built from the profile of that version
    among `profiles`; None when that version is not at hand (the caller shows what was recorded)."""
    for profile in profiles or ():
        if profile.profile_id == hit.get("id") and int(profile.version or 0) == int(hit.get("version") or 0):
            return profile_words(profile, gettext, locale)
    return None


def unit_words(unit: str | None, gettext: Gettext) -> str:
    """A unit of quantity's name (reference.units, the one table of them) in the reader's words; a code without
    one as it is."""
    return gettext(UNITS[unit]) if unit in UNITS else (unit or "")


def below_band(items: list[dict], currency: str, gettext: Gettext, locale: str) -> list[str]:
    """The valuation screen's reason for each goods item below its reference band (staff: names the band)."""
    out = []
    for item in items:
        if item.get("position") != "below" or item.get("declared") is None:
            continue
        code = str(item.get("commodity_code") or "")
        goods = gettext(LEVELS[item["level"]]) % {"hs6": code[:6], "hs4": code[:4], "chapter": code[:2],
                                                  "origin": item.get("origin_country") or ""} \
            if item.get("level") in LEVELS else ""
        out.append(gettext(BELOW_BAND) % {
            "item": item["item_number"], "declared": written.show_amount(item["declared"], locale),
            "unit": f"{currency}/{unit_words(item.get('quantity_unit'), gettext)}",
            "p10": written.show_amount(item["p10"], locale), "n": written.show_amount(item.get("n") or 0, locale, 0),
            "goods": goods})
    return out


def query_suggestion(items: list[dict], currency: str, gettext: Gettext, locale: str) -> str:
    """The suggested reasons to doubt for a valuation query, written for the trader: which items and their
    declared unit value, never the band, the threshold or a profile."""
    below = [item for item in items if item.get("position") == "below" and item.get("declared") is not None]
    if not below:
        return gettext(QUERY_GENERIC)
    parts = [gettext(QUERY_ITEM) % {"item": item["item_number"],
                                    "declared": written.show_amount(item["declared"], locale),
                                    "unit": f"{currency}/{unit_words(item.get('quantity_unit'), gettext)}"}
             for item in below]
    return gettext(QUERY_SUGGESTION) % {"items": ", ".join(parts)}


# --- the screens' coded reasons (classification, origin, trader) and the capacity note -----------------------------

CODED = {  # a reason's code -> its sentence; PARAMS says how each number is written
    "classification.reads_as": N_("the description '%(description)s' reads as %(likely)s (probability "
                                  "%(p_likely)s), declared %(declared)s (probability %(p_declared)s)"),
    "classification.duty_gap": N_("the likely code carries %(likely_rate)s duty against %(declared_rate)s declared"),
    "origin.route": N_("origin %(origin)s dispatched from %(dispatch)s: a route seen in %(share)s of %(earlier)s "
                       "earlier imports from %(origin)s"),
    "origin.switch": N_("importer %(importer)s switched to origin %(origin)s for %(hs6)s after %(earlier)s earlier "
                        "declarations from other origins (duty %(before)s on average before, %(now)s now)"),
    "origin.preference": N_("preference %(claim)s claimed for origin %(origin)s, %(why)s (saves %(saves)s duty)"),
    "origin.circumvention_new": N_("%(hs6)s is under trade-defence measures on %(measures)s (up to %(top_rate)s); "
                                   "origin %(origin)s is new or rare for these goods (%(share)s of %(earlier)s "
                                   "earlier imports): possible circumvention (transshipment)"),
    "origin.circumvention_growing": N_("%(hs6)s is under trade-defence measures on %(measures)s (up to "
                                       "%(top_rate)s); origin %(origin)s is growing for these goods (share "
                                       "%(before)s before, %(recent)s over the last %(days)s days): possible "
                                       "circumvention (transshipment)"),
    "origin.unusual": N_("origin %(origin)s is rare for %(hs6)s (%(share)s of %(earlier)s earlier imports) and pays "
                         "%(rate)s duty against %(usual)s usually"),
    "trader.importer_rate": N_("importer %(importer)s: %(hits)s discrepancies in %(controls)s controls (smoothed hit "
                               "rate %(rate)s against %(prior)s overall)"),
    "trader.declarant_rate": N_("declarant %(declarant)s: %(hits)s discrepancies in %(controls)s controls (hit rate "
                                "%(rate)s)"),
    "trader.new_importer": N_("new importer: first declaration %(days)s days earlier, %(earlier)s earlier "
                              "declarations"),
    "trader.aeo": N_("authorised economic operator (AEO): score multiplied by %(factor)s"),
    "capacity.used_up": N_("the office's capacity for the day in the %(lane)s lane was used up: moved to "
                           "%(moved_to)s"),
    "capacity.selected_anyway": N_("selected although over capacity: %(hits)s earlier hits went unselected"),
    # the "not checked" notes: why a check could not run (coded_words adds "not checked (<screen>): ")
    "classification.not_checked.no_code": N_("no valid commodity code"),
    "classification.not_checked.no_description": N_("no description of the goods"),
    "classification.not_checked.no_model": N_("no text model (fewer than two codes with history)"),
    "classification.not_checked.no_history": N_("heading %(heading)s has no history to learn its wording from"),
    "origin.not_checked.missing": N_("%(check)s (missing %(fields)s)"),
    "valuation.not_checked.missing": N_("%(check)s (missing %(fields)s)"),
    "valuation.not_checked.few_imports": N_("unit value (fewer than %(min)s comparable imports)"),
    "trader.not_checked.no_date": N_("no date of acceptance"),
    "trader.not_checked.no_importer": N_("no importer"),
    "model.not_checked.no_model": N_("no model"),
    "model.not_checked.no_history": N_("no model (no history)"),
    "model.not_checked.few_outcomes": N_("no model (not enough outcomes yet: %(labelled)s controlled declarations, "
                                         "%(found)s with a discrepancy; the model needs %(min_outcomes)s and "
                                         "%(min_found)s)"),
    "model.not_checked.not_trained": N_("no model (it could not be trained on the outcomes known)"),
}
NOT_CHECKED = N_("not checked (%(screen)s): %(note)s")
CHECKS = {  # the checks that a missing field stops (the valuation and origin screens)
    "reference_price": N_("unit value against reference prices"),
    "origin_price": N_("origin-specific reference price"),
    "duty": N_("duty at risk"),
    "route": N_("origin against dispatch route"),
    "switch": N_("importer's origin switch"),
    "preference": N_("preference coverage"),
    "circumvention": N_("circumvention of trade-defence measures"),
    "unusual_origin": N_("unusual origin for the goods"),
}
NEW_IMPORTER_UNSEEN = N_("new importer: no earlier declaration")
PREFERENCE_WHY = {
    "agreement": N_("which is not a configured agreement"),
    "partner": N_("whose partners do not include origin %(origin)s"),
    "chapter": N_("which does not cover chapter %(chapter)s"),
}
COUNT, RATE, SHARE, PERCENT, FACTOR, LANE = "count", "rate", "share", "percent", "factor", "lane"
CHECK, FIELD_LIST = "check", "fields"
PARAMS = {  # how each parameter is written: a count, a rate (0.12), a share (fraction, as %), a duty %, a lane, a
    # check (CHECKS) or a list of fields (their labels)
    "classification.reads_as": {"p_likely": RATE, "p_declared": RATE},
    "classification.duty_gap": {"likely_rate": PERCENT, "declared_rate": PERCENT},
    "origin.route": {"share": SHARE, "earlier": COUNT},
    "origin.switch": {"earlier": COUNT, "before": PERCENT, "now": PERCENT},
    "origin.preference": {"saves": PERCENT},
    "origin.circumvention_new": {"top_rate": PERCENT, "share": SHARE, "earlier": COUNT},
    "origin.circumvention_growing": {"top_rate": PERCENT, "before": SHARE, "recent": SHARE, "days": COUNT},
    "origin.unusual": {"share": SHARE, "earlier": COUNT, "rate": PERCENT, "usual": PERCENT},
    "trader.importer_rate": {"hits": COUNT, "controls": COUNT, "rate": RATE, "prior": RATE},
    "trader.declarant_rate": {"hits": COUNT, "controls": COUNT, "rate": RATE},
    "trader.new_importer": {"days": COUNT, "earlier": COUNT},
    "trader.aeo": {"factor": FACTOR},
    "capacity.used_up": {"lane": LANE, "moved_to": LANE},
    "capacity.selected_anyway": {"hits": COUNT},
    "origin.not_checked.missing": {"check": CHECK, "fields": FIELD_LIST},
    "valuation.not_checked.missing": {"check": CHECK, "fields": FIELD_LIST},
    "valuation.not_checked.few_imports": {"min": COUNT},
    "model.not_checked.few_outcomes": {"labelled": COUNT, "found": COUNT, "min_outcomes": COUNT, "min_found": COUNT},
}


@lru_cache
def _percent_pattern(locale: str) -> str:
    """The locale's percent pattern with one decimal: 12.5% in English, 12,5 % in French."""
    pattern = Locale.parse(locale).percent_formats[None].pattern.split(";")[0]
    last = pattern.rfind("0")
    return pattern[:last + 1] + ".0" + pattern[last + 1:]


def _param_words(kind: str | None, value, gettext: Gettext, locale: str) -> str:
    if value is None:
        return "–"
    if kind == COUNT:
        return written.show_amount(value, locale, 0)
    if kind == RATE:
        return written.show_amount(value, locale, 2)
    if kind in (SHARE, PERCENT):
        return format_percent(value if kind == SHARE else value / 100, format=_percent_pattern(locale), locale=locale)
    if kind == FACTOR:
        return value_words(value, gettext, locale)
    if kind == LANE:
        return gettext(LANES[value]) if value in LANES else str(value)
    if kind == CHECK:
        return gettext(CHECKS[value]) if value in CHECKS else str(value)
    if kind == FIELD_LIST:
        fields = value if isinstance(value, list | tuple) else [value]
        return ", ".join(gettext(FIELDS[field]) if field in FIELDS else str(field) for field in fields)
    return str(value)


def coded_words(reason: dict, gettext: Gettext, locale: str) -> str | None:
    """A reason recorded as ``{"code", "params"}`` in the reader's words; None for a code without words here (the
    caller shows the recorded English text)."""
    code, params = reason.get("code"), dict(reason.get("params") or {})
    if code not in CODED:
        return None
    if code == "trader.new_importer" and params.get("days") is None:
        return gettext(NEW_IMPORTER_UNSEEN)
    kinds = PARAMS.get(code, {})
    values = {name: _param_words(kinds.get(name), value, gettext, locale) for name, value in params.items()}
    if code == "origin.preference":
        values["why"] = gettext(PREFERENCE_WHY.get(params.get("why"), PREFERENCE_WHY["agreement"])) % values
    try:
        words = gettext(CODED[code]) % values
    except KeyError:  # a parameter missing from an old record: its English text says it
        return None
    if ".not_checked." in code:  # a check that could not run: which screen's, and why
        screen = code.split(".", 1)[0]
        return gettext(NOT_CHECKED) % {"screen": gettext(SCREENS[screen]) if screen in SCREENS else screen,
                                       "note": words}
    return words


def coded_list(reasons, gettext: Gettext, locale: str) -> list[str] | None:
    """Every coded reason of a screen in words; None unless all of them have words (the page then shows the
    recorded text)."""
    if not isinstance(reasons, list) or not reasons:
        return None
    out = [coded_words(reason, gettext, locale) if isinstance(reason, dict) else None for reason in reasons]
    return None if any(line is None for line in out) else out
