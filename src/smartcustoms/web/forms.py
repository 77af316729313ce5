"""The declaration form of the portal: its fields, reading a posted form into a declaration, and the
validation problems as a message per form field (for inline errors)."""

import re
from dataclasses import dataclass

from pydantic import ValidationError

from smartcustoms import written
from smartcustoms.declarations.schemas import Declaration
from smartcustoms.refusals import Refusal
from smartcustoms.web.i18n import N_
from smartcustoms.web.words import DECLARATION_TYPES, TRANSPORT_MODES

MAX_ITEMS = 99
_ITEM_KEY = re.compile(r"^items-(\d{1,2})-")
INCOTERMS = ["EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "FOB", "CFR", "CIF"]


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    hint: str = ""
    kind: str = "text"  # text | number | datetime-local | select
    choices: tuple = ()  # (value, label) for a select
    required: bool = True
    width: str = "m"  # s | m | l: the input's width


HEADER = [
    Field("declaration_id", N_("Declaration ID"), N_("Your reference: up to 35 letters, digits or . _ / -")),
    Field("declaration_type", N_("Declaration type"), kind="select", choices=tuple(DECLARATION_TYPES.items())),
    Field("office_id", N_("Customs office"), N_("The office of clearance, for example PORT-NORTH")),
    Field("acceptance_datetime", N_("Date and time of lodging (UTC)"), kind="datetime-local"),
    Field("declarant_id", N_("Declarant ID")),
    Field("importer_id", N_("Importer ID")),
    Field("seller_id", N_("Seller ID"), required=False),
    Field("transport_mode", N_("Mode of transport at the border"), kind="select",
          choices=tuple(TRANSPORT_MODES.items())),
    Field("incoterm", N_("Incoterm"), kind="select", choices=tuple((c, c) for c in INCOTERMS), required=False),
    Field("invoice_currency", N_("Invoice currency"), N_("ISO 4217 code, for example USD"), width="s"),
    Field("exchange_rate", N_("Exchange rate"), N_("National currency per unit of the invoice currency"),
          kind="number", width="s"),
    Field("dispatch_country", N_("Country of dispatch"), N_("ISO 3166 code, for example CN"), width="s"),
]
ITEM = [
    Field("commodity_code", N_("Commodity code"), N_("HS 2022 subheading and national digits: 6 to 10 digits")),
    Field("goods_description", N_("Description of the goods"), width="l"),
    Field("origin_country", N_("Country of origin"), N_("ISO 3166 code"), width="s"),
    Field("preference_claim", N_("Preference claimed"), N_("Trade agreement, if any"), required=False),
    Field("quantity", N_("Quantity"), kind="number", width="s"),
    Field("quantity_unit", N_("Unit of quantity"), N_("UN/ECE Rec. 20 code, for example NAR or KGM"), width="s"),
    Field("net_mass", N_("Net mass (kg)"), kind="number", width="s"),
    Field("gross_mass", N_("Gross mass (kg)"), kind="number", width="s", required=False),
    Field("item_price", N_("Item price (invoice currency)"), kind="number", width="s"),
    Field("customs_value", N_("Customs value (national currency)"), kind="number", width="s"),
    Field("duty_rate", N_("Duty rate (percent)"), kind="number", width="s"),
    Field("tax_type", N_("Tax type"), required=False, width="s"),
]

MESSAGES = {  # pydantic error type -> what to tell the person filling the form
    "missing": N_("Enter a value."),
    "string_too_short": N_("Enter a value."),
    "string_too_long": N_("This value is too long."),
    "string_pattern_mismatch": N_("Use only letters, digits and . _ / - (no spaces)."),
    "float_parsing": N_("Enter a number."),
    "float_type": N_("Enter a number."),
    "finite_number": N_("Enter a number."),
    "greater_than": N_("Enter a number above zero."),
    "greater_than_equal": N_("This number is too small."),
    "less_than_equal": N_("This number is too large."),
    "literal_error": N_("Choose one of the listed values."),
    "datetime_parsing": N_("Enter a date and time."),
    "datetime_from_date_parsing": N_("Enter a date and time."),
    "datetime_type": N_("Enter a date and time."),
}
REFUSALS = {  # a refusal of the lodging step (WebError.type) -> what to tell the person
    "forbidden": N_("You may not lodge declarations for this importer with this declarant."),
    "conflict": N_("This declaration ID was used before for other content: give the declaration a new ID."),
    "office_unknown": N_("This customs office is not in the reference list: give the ID of an office."),
    "office_inactive": N_("This customs office no longer takes declarations."),
    "office_transport_mode": N_("This customs office does not clear goods carried by this mode of transport."),
}
NUMBER_MESSAGES = {  # written.read_amount's refusal codes -> what to tell the trader
    "number_ambiguous": N_("This number could be read two ways: write the thousands with spaces (24 500) and the "
                           "decimals after the decimal mark of your language."),
    "number_invalid": N_("Enter a number."),
    "datetime_invalid": N_("Enter a date and time."),
}
FIELD_MESSAGES = {("quantity_unit", "string_pattern_mismatch"): N_("Use 2 or 3 capital letters or digits.")}


def item_key(index: int, name: str) -> str:
    return f"items-{index}-{name}"


def _written(key: str, kind: str, text: str, locale: str, refused: dict) -> str:
    """A number or a date and time as the trader's locale writes them ("24 500", "24,5" in French; 04/03/2025
    14:30 in en-GB), as the plain text the declaration model reads; what cannot be read for sure is kept as typed
    and its refusal noted in `refused` (an ambiguous "24,500" in French is never read as 24.5 or 24500)."""
    try:
        if kind == "number":
            return str(written.read_amount(text, locale, field=key))
        if kind == "datetime-local":
            return written.read_datetime(text, locale, field=key).isoformat()
    except Refusal as refusal:
        refused[key] = refusal
    return text


def read_form(form, locale: str | None = None) -> tuple[dict, dict, list[int]]:
    """(declaration data for validation, the values as typed for re-display, the form index of each item).
    Empty fields are left out (so required ones read as missing); wholly empty extra items are dropped. With a
    `locale`, numbers and dates are read as that locale writes them (``written_problems`` says which could not
    be)."""
    values = {key: value.strip() for key, value in form.items() if isinstance(value, str)}
    count = 1 + max((int(m.group(1)) for key in values if (m := _ITEM_KEY.match(key))), default=0)
    count = min(count, MAX_ITEMS)
    refused: dict = {}

    def read(key: str, f: Field) -> str:
        return _written(key, f.kind, values[key], locale, refused) if locale else values[key]

    data = {f.name: read(f.name, f) for f in HEADER if values.get(f.name)}
    items, positions = [], []
    for index in range(count):
        item = {f.name: read(item_key(index, f.name), f) for f in ITEM if values.get(item_key(index, f.name))}
        if index and not item:
            continue
        items.append({**item, "item_number": len(items) + 1})
        positions.append(index)
    data["items"] = items
    values["_refused"] = refused
    return data, values, positions


def written_problems(values: dict) -> dict[str, tuple[str, str]]:
    """The numbers and dates of a read form that could not be read for sure: form field -> (message, code), as
    ``problems`` gives them (they take the place of the model's "Enter a number.")."""
    out = {}
    for key, refusal in (values.get("_refused") or {}).items():
        out[key] = (NUMBER_MESSAGES.get(refusal.code, NUMBER_MESSAGES["number_invalid"]), refusal.code)
    return out


def problems(exc: ValidationError, positions: list[int]) -> dict[str, tuple[str, str]]:
    """Form field name -> (message id or text, error type): the first problem of each field; problems of a
    whole item go under ``items-N`` and of the whole declaration under ``declaration``."""
    out: dict[str, tuple[str, str]] = {}
    for error in exc.errors():
        loc = error["loc"]
        if loc and loc[0] == "items" and len(loc) >= 2 and isinstance(loc[1], int):
            index = positions[loc[1]] if loc[1] < len(positions) else loc[1]
            key = item_key(index, loc[2]) if len(loc) > 2 else f"items-{index}"
            name = loc[2] if len(loc) > 2 else ""
        elif loc:
            key = name = str(loc[0])
        else:
            key, name = "declaration", ""
        message = FIELD_MESSAGES.get((name, error["type"])) or MESSAGES.get(error["type"])
        out.setdefault(key, (message or error["msg"].removeprefix("Value error, "), error["type"]))
    return out


def validate_form(data: dict) -> Declaration:
    """The declaration, or pydantic's ValidationError."""
    return Declaration.model_validate(data)
