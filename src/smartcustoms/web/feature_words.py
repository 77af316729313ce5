"""Human words for the raw keys of the targeting model that staff pages show (the model registry, the drift
report): feature names such as ``seen:office_id`` or ``te:importer_id*hs6`` and metric keys such as
``discrepancy_rate`` or ``precision@1%``. Translated where shown (the templates' ``feature`` and ``metric``
filters); an unknown key is shown as it is, never hidden. Staff pages only: traders never see features."""

import re
from collections.abc import Callable

from smartcustoms.web.i18n import N_

KEYS = {  # the parts of a combined key (importer_id*hs6)
    "importer_id": N_("importer"), "declarant_id": N_("declarant"), "seller_id": N_("seller"),
    "office_id": N_("office"), "dispatch_country": N_("dispatch country"), "origin_country": N_("origin"),
    "hs6": N_("HS subheading"), "hs4": N_("HS heading"), "chapter": N_("HS chapter"),
    "quantity_unit": N_("unit of quantity"), "tax_type": N_("tax type"), "duty_rate": N_("duty rate"),
    "requested_procedure": N_("customs procedure"), "import_type": N_("import type"), "import_use": N_("import use"),
    "payment_method": N_("payment method"), "carrier_id": N_("express carrier"),
    "transport_mode": N_("transport mode"), "incoterm": N_("Incoterm"), "invoice_currency": N_("invoice currency"),
}
NAMES = {  # whole feature names
    "score": N_("model score"), "chapter": N_("HS chapter"), "heading": N_("HS heading"),
    "subheading": N_("HS subheading"), "items": N_("number of goods items"), "log_value": N_("customs value (log)"),
    "log_mass": N_("net mass (log)"), "log_value_per_kg": N_("value per kg (log)"),
    "gross_net_ratio": N_("gross / net mass"), "duty_rate": N_("duty rate"),
    "log_declared_duty": N_("declared duty (log)"), "transport_mode": N_("transport mode"),
    "origin_is_dispatch": N_("origin is the dispatch country"), "has_preference": N_("preference claimed"),
    "weekday": N_("day of the week"), "month": N_("month"),
    "unit_z": N_("unit price against earlier imports (z-score)"),
    "unit_dev": N_("unit price against earlier imports (deviation)"),
    "unit_peers": N_("earlier imports to compare the price with"),
    "days_since_importer": N_("days since the importer's previous declaration"),
    "import_type": N_("import type"), "import_use": N_("import use"), "payment_method": N_("payment method"),
    "has_carrier": N_("express carrier"),
}
PATTERNS = {  # prefix:keys
    "te": N_("past discrepancy rate of %(keys)s"),
    "crit": N_("past discrepancy rate of %(keys)s"),
    "n": N_("past controls of %(keys)s"),
    "seen": N_("earlier declarations of %(keys)s"),
    "num": N_("%(keys)s (number)"),
    "code": N_("%(keys)s (code)"),
}
METRICS = {
    "rows": N_("declarations"), "labelled": N_("declarations with a control result"),
    "discrepancies": N_("discrepancies found"), "discrepancy_rate": N_("discrepancy rate"),
    "random_share": N_("share of random controls"), "rank_by": N_("ranked by"),
    "auc": N_("area under the ROC curve"), "auc_on_controlled": N_("area under the ROC curve (controlled)"),
    "hit_rate_in_top": N_("hit rate among the highest scores"), "features": N_("features"),
}
SHARE_METRICS = {  # name@share
    "precision": N_("precision in the top %(share)s"), "recall": N_("recall in the top %(share)s"),
    "duty": N_("duty at stake found in the top %(share)s"),
}

Gettext = Callable[[str], str]


def _words(part: str, gettext: Gettext) -> str:
    return gettext(KEYS[part]) if part in KEYS else part


def feature_label(key: str, gettext: Gettext = str) -> str:
    """``te:importer_id*hs6`` -> "past discrepancy rate of importer × HS subheading" (in the page's language)."""
    if key in NAMES:
        return gettext(NAMES[key])
    prefix, colon, rest = key.partition(":")
    if colon and prefix in PATTERNS and rest:
        keys = " × ".join(_words(part, gettext) for part in rest.split("*"))
        return gettext(PATTERNS[prefix]) % {"keys": keys}
    return key


def metric_label(key: str, gettext: Gettext = str) -> str:
    """``discrepancy_rate`` -> "discrepancy rate"; ``precision@1%`` -> "precision in the top 1%"."""
    if key in METRICS:
        return gettext(METRICS[key])
    match = re.fullmatch(r"(precision|recall|duty)(?:_at)?@(.+)", key)
    if match:
        return gettext(SHARE_METRICS[match.group(1)]) % {"share": match.group(2)}
    return key
