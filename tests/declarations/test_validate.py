"""Validation of goods-item rows against the model and the reference data."""

import pandas as pd
import pytest

from smartcustoms.declarations.models import Declaration
from smartcustoms.declarations.validate import validate, validate_records
from support import item_row


def reasons(result) -> dict[tuple[int, str], str]:
    return {(r.row_number, r.field): r.reason for r in result.rejects.itertuples()}


def test_valid_rows_become_one_declaration_with_its_items():
    result = validate(pd.DataFrame([item_row("D1", 1), item_row("D1", 2, commodity_code="640299")]))
    assert result.declarations == 1 and result.rejects.empty
    assert result.valid["item_number"].tolist() == [1, 2]
    assert result.valid["content_hash"].nunique() == 1
    assert result.valid.loc[0, "acceptance_datetime"] == pd.Timestamp("2025-03-04 09:30")


@pytest.mark.parametrize(
    "field, value, reason",
    [
        ("commodity_code", "851712", "851712 is not an HS 2022 subheading"),
        ("commodity_code", "64039", "commodity code must be 6 to 10 digits, got '64039'"),
        ("origin_country", "XX", "unknown ISO 3166 country code 'XX'"),
        ("dispatch_country", "ZZ", "unknown ISO 3166 country code 'ZZ'"),
        ("invoice_currency", "EUX", "unknown ISO 4217 currency code 'EUX'"),
        ("quantity", "0", "Input should be greater than 0"),
        ("quantity", "-3", "Input should be greater than 0"),
        ("net_mass", "ten", "Input should be a valid number, unable to parse string as a number"),
        ("acceptance_datetime", "2025-13-45", "Input should be a valid datetime or date"),
        ("transport_mode", "6", "Input should be '1', '2', '3', '4', '5', '7', '8' or '9'"),
        ("importer_id", "", "missing value"),
        ("exchange_rate", "nan", "Input should be a finite number"),
    ],
)
def test_each_bad_value_is_rejected_with_row_field_and_reason(field, value, reason):
    result = validate(pd.DataFrame([item_row("OK1"), item_row("BAD1", **{field: value})]))
    assert result.declarations == 1 and result.rejected_declarations == 1
    assert list(result.valid["declaration_id"]) == ["OK1"]
    found = reasons(result)
    assert (2, field) in found, found
    assert found[(2, field)].startswith(reason)


def test_one_bad_item_rejects_the_whole_declaration():
    rows = [item_row("D1", 1), item_row("D1", 2, quantity="-1"), item_row("D2")]
    result = validate(pd.DataFrame(rows))
    assert set(result.valid["declaration_id"]) == {"D2"}
    assert reasons(result) == {(2, "quantity"): "Input should be greater than 0"}


def test_header_must_agree_across_item_rows():
    result = validate(pd.DataFrame([item_row("D1", 1), item_row("D1", 2, importer_id="OTHER")]))
    assert result.valid.empty
    assert "differs from row 1" in reasons(result)[(2, "importer_id")]


def test_repeated_item_number_and_gross_below_net_are_rejected():
    result = validate(pd.DataFrame([item_row("D1", 1), item_row("D1", 1), item_row("D2", gross_mass="10")]))
    assert result.valid.empty
    messages = " ".join(result.rejects["reason"])
    assert "goods item numbers repeat" in messages
    assert "gross mass 10.0 is below net mass 60.0" in messages


def test_content_hash_ignores_item_order_but_not_content():
    a = validate(pd.DataFrame([item_row("D1", 1), item_row("D1", 2, commodity_code="640299")]))
    b = validate(pd.DataFrame([item_row("D1", 2, commodity_code="640299"), item_row("D1", 1)]))
    c = validate(pd.DataFrame([item_row("D1", 1), item_row("D1", 2, commodity_code="640299", quantity="121")]))
    assert a.valid["content_hash"][0] == b.valid["content_hash"][0] != c.valid["content_hash"][0]


def test_timezone_aware_times_are_stored_as_utc():
    result = validate(pd.DataFrame([item_row(acceptance_datetime="2025-03-04T09:30:00+02:00")]))
    assert result.valid.loc[0, "acceptance_datetime"] == pd.Timestamp("2025-03-04 07:30")


def test_json_records_are_validated_with_their_position_and_path():
    good = Declaration.model_validate(
        {**{k: v for k, v in item_row().items() if k in Declaration.model_fields}, "items": [
            {k: v for k, v in item_row().items() if k not in Declaration.model_fields and v}]}
    ).model_dump(mode="json")
    bad = {**good, "declaration_id": "D2", "items": [{**good["items"][0], "origin_country": "QQ"}]}
    result = validate_records([good, bad, "not an object"])
    assert result.declarations == 1 and result.rejected_declarations == 2
    found = reasons(result)
    assert found[(2, "items.0.origin_country")] == "unknown ISO 3166 country code 'QQ'"
    assert (3, "record") in found
