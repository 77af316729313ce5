"""Why a declaration was selected, and a valuation query's suggested text, written for the reader: built from codes
and parameters (a profile's criteria, the valuation screen's reference band of each goods item), translated (the
catalogues under ``web/locales``) and with numbers and dates as the reader's locale writes them (7,00 and
1 210 in French; 7.00 and 1,210 in English). Nothing here parses the English texts the risk engine stores.

Staff pages only show the band and the criteria; ``query_suggestion`` names neither (a trader reads it)."""

from collections.abc import Callable
from datetime import datetime

from smartcustoms import written
from smartcustoms.web.forms import HEADER, ITEM
from smartcustoms.web.i18n import N_

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
UNITS = {"NAR": N_("item"), "KGM": N_("kg"), "LTR": N_("litre"), "MTR": N_("metre"), "MTK": N_("m²"),
         "PR": N_("pair"), "NPR": N_("pair"), "MTQ": N_("m³"), "TNE": N_("tonne")}


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
