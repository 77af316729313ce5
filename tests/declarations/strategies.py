"""Hypothesis strategies for the declaration model (issue 14): valid declarations in the API's JSON layout, and
near-valid ones (one field set to an edge or a wrong value), for the property tests and benchmarks/fuzz_parsers.py.
"""

from datetime import datetime, timedelta

from hypothesis import strategies as st

from smartcustoms.reference import countries, hs

IDS = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,20}", fullmatch=True)
SUBHEADINGS = sorted(hs.subheadings())
COUNTRIES = sorted(countries.country_codes())
CURRENCIES = sorted(countries.currency_codes())
PRINTABLE = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp"))
TEXT = st.text(PRINTABLE, min_size=1, max_size=60).filter(lambda s: s.strip() and s == s.strip())
AMOUNT = st.floats(min_value=0.01, max_value=1e7, allow_nan=False, allow_infinity=False).map(lambda v: round(v, 2))
MOMENT = st.datetimes(min_value=datetime(1990, 1, 2), max_value=datetime.now() - timedelta(days=1))


@st.composite
def goods_item(draw, number: int) -> dict:
    net = draw(AMOUNT)
    return {
        "item_number": number,
        "commodity_code": draw(st.sampled_from(SUBHEADINGS)) + draw(st.sampled_from(["", "00", "0000"])),
        "goods_description": draw(TEXT),
        "origin_country": draw(st.sampled_from(COUNTRIES)),
        "preference_claim": draw(st.none() | IDS),
        "quantity": draw(AMOUNT),
        "quantity_unit": draw(st.sampled_from(["NAR", "KGM", "LTR", "PR", "MTK"])),
        "net_mass": net,
        "gross_mass": draw(st.none() | st.just(round(net * 1.1 + 0.01, 2))),
        "item_price": draw(AMOUNT),
        "customs_value": draw(AMOUNT),
        "duty_rate": draw(st.floats(min_value=0, max_value=100).map(lambda v: round(v, 2))),
        "tax_type": draw(st.none() | st.sampled_from(["A00", "B00", "VAT"])),
    }


@st.composite
def declaration(draw) -> dict:
    """A valid declaration as the API takes it (JSON types; acceptance_datetime as ISO text)."""
    items = draw(st.integers(1, 4))
    return {
        "declaration_id": draw(IDS),
        "declaration_type": draw(st.sampled_from(["IM", "EX", "CO"])),
        "office_id": draw(IDS),
        "acceptance_datetime": draw(MOMENT).replace(microsecond=0).isoformat(),
        "declarant_id": draw(IDS),
        "importer_id": draw(IDS),
        "seller_id": draw(st.none() | IDS),
        "transport_mode": draw(st.sampled_from(["1", "2", "3", "4", "5", "7", "8", "9"])),
        "incoterm": draw(st.none() | st.sampled_from(["EXW", "FOB", "CIF", "DAP"])),
        "invoice_currency": draw(st.sampled_from(CURRENCIES)),
        "exchange_rate": draw(st.floats(min_value=0.0001, max_value=1000).map(lambda v: round(v, 4)).filter(bool)),
        "dispatch_country": draw(st.sampled_from(COUNTRIES)),
        "items": [draw(goods_item(n)) for n in range(1, items + 1)],
    }


EDGES = ["", " ", None, 0, -1, 1e308, 2**63, "NaN", "inf", "-0", "x" * 600, "<script>pwn()</script>", "=cmd|' /C calc'!A0",
         "\x00", "１２３４５６", "0001-01-01T00:00:00", "9999-12-31T23:59:59", "0001-01-01T00:00:00+01:00",
         "2025-02-30T00:00:00", "DROP TABLE declarations;--", True, [], {}, "ZZ", "99999999", "100%d"]


@st.composite
def near_valid(draw) -> dict:
    """A valid declaration with one header or item field set to an edge value (often invalid, sometimes not)."""
    record = draw(declaration())
    value = draw(st.sampled_from(EDGES) | st.text(max_size=40) | st.integers() | st.floats())
    if draw(st.booleans()):
        record[draw(st.sampled_from(sorted(k for k in record if k != "items")))] = value
    else:
        item = draw(st.sampled_from(record["items"]))
        item[draw(st.sampled_from(sorted(item)))] = value
    return record
