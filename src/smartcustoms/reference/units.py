"""Units of quantity: the UN/ECE Recommendation 20 codes a goods item is declared in, and their names in English,
the one table of them. The risk screens write the names into their English reasons ("EUR/kg is below ..."); the web
translates them through its catalogues (they are message ids: ``pybabel extract`` reads this file beside ``web/``,
docs/web.md, Translations). A code not in the table is written as it is.
"""


def N_(message: str) -> str:  # noqa: N802 - the no-op marker that message extraction looks for (as web.i18n.N_)
    return message


UNITS = {
    "KGM": N_("kg"), "GRM": N_("g"), "TNE": N_("tonne"),
    "NAR": N_("item"), "MIL": N_("1000 items"), "PCE": N_("piece"), "SET": N_("set"),
    "NPR": N_("pair"), "PR": N_("pair"),
    "LTR": N_("litre"), "MTR": N_("metre"), "MTK": N_("m²"), "MTQ": N_("m³"),
}


def unit_name(code: str | None) -> str:
    """A unit's name in English (its code where the table has none)."""
    return UNITS.get(code, code) if code else ""
