"""Declared attributes targeting needs (WCO DM procedure codes, import type and use, payment, carrier) and the
mapping's additional attributes: validated, stored (SQLite and PostgreSQL), read back."""

import json
from datetime import datetime

import pytest
from pydantic import ValidationError

from smartcustoms.declarations.mapping import IntakeError, load_mapping
from smartcustoms.declarations.models import HEADER_FIELDS, content_digest
from smartcustoms.declarations.repository import load_declarations
from smartcustoms.declarations.service import import_file
from smartcustoms.declarations.validate import flatten, to_declaration
from support import SHARED, csv_bytes, item_row

KCS = SHARED / "data" / "kcs-customs-declarations" / "df_syn_valid_eng.csv"


def test_declared_attributes_are_validated_and_normalised():
    declaration = to_declaration([item_row("D1", requested_procedure="40", previous_procedure="00",
                                           additional_procedures="c07, f15", import_type="11", import_use="21",
                                           payment_method="H", carrier_id="DHL01",
                                           attributes='{"process_type": "B", "weight_class": 3}')])
    assert (declaration.requested_procedure, declaration.additional_procedures) == ("40", "C07 F15")
    assert json.loads(declaration.attributes) == {"process_type": "B", "weight_class": 3.0}
    for wrong in ({"attributes": '{"Bad Name": 1}'}, {"attributes": "[1, 2]"}, {"carrier_id": "DHL 01"},
                  {"attributes": '{"mass": {"expected": "number", "got": "heavy"}}'}):
        with pytest.raises(ValidationError):
            to_declaration([item_row("D1", **wrong)])


def test_the_content_hash_of_a_declaration_without_the_new_fields_is_unchanged():
    dumped = to_declaration([item_row("D1")]).model_dump()
    older = {k: v for k, v in dumped.items() if k not in ("requested_procedure", "previous_procedure",
                                                             "additional_procedures", "import_type", "import_use",
                                                             "payment_method", "carrier_id", "attributes")}
    assert content_digest(dumped) == content_digest(older)
    assert content_digest(to_declaration([item_row("D1", import_type="11")]).model_dump()) != content_digest(dumped)


def test_the_content_hash_is_the_one_stored_by_earlier_versions():
    """Stored declarations keep their hash: an unchanged re-import must still read as unchanged."""
    data = {"declaration_id": "D1", "declaration_type": "IM", "office_id": "OFF1",
            "acceptance_datetime": datetime(2025, 3, 4, 5, 6, 7), "declarant_id": "DEC1", "importer_id": "IMP1",
            "seller_id": None, "transport_mode": "1", "incoterm": "CIF", "invoice_currency": "EUR",
            "exchange_rate": 1.0, "dispatch_country": "CN", "requested_procedure": "40", "previous_procedure": None,
            "additional_procedures": None, "import_type": None, "import_use": None, "payment_method": None,
            "carrier_id": None, "attributes": None,
            "items": [{"item_number": 2, "commodity_code": "851712", "goods_description": "phones"},
                      {"item_number": 1, "commodity_code": "610910", "goods_description": "t-shirts"}]}
    assert content_digest(data) == "cc7e16564a5f04e053531fc28ee2a57ec114cffaf2486fa54bd018dff820b83a"


def test_the_rows_stored_carry_the_declarations_own_hash():
    declaration = to_declaration([item_row("D1", item_number="2", import_type="11"), item_row("D1", item_number="1")])
    rows = flatten(declaration, [7, 8])
    assert {row[-1] for row in rows} == {declaration.content_hash()}
    assert [row[len(HEADER_FIELDS) + 1] for row in rows] == [2, 1]  # item numbers, in the file's order


def test_a_mapping_keeps_other_columns_as_typed_attributes(engine, tmp_path):
    mapping = tmp_path / "mine.yaml"
    columns = {name: name for name in item_row("X")}
    mapping.write_text(json.dumps({"name": "mine", "columns": columns,
                                   "attributes": {"process_type": {"column": "proc", "type": "code"},
                                                  "declared_weight": {"column": "dw", "type": "number"}}}))
    rows = [{**item_row("D1"), "proc": "B", "dw": "12.5"}, {**item_row("D2"), "proc": "", "dw": ""},
            {**item_row("D3"), "proc": "A", "dw": "heavy"}]
    path = tmp_path / "decl.csv"
    path.write_bytes(csv_bytes(rows, columns=[*columns, "proc", "dw"]))
    result = import_file(engine, path, mapping=str(mapping))
    assert (result.imported, result.rejected) == (2, 1)
    assert result.rejects.loc[0, "field"] == "attributes" and "expected number" in result.rejects.loc[0, "reason"]
    stored = load_declarations(engine).set_index("declaration_id")
    assert json.loads(stored.loc["D1", "attributes"]) == {"declared_weight": 12.5, "process_type": "B"}
    assert not isinstance(stored.loc["D2", "attributes"], str)  # none stored
    with pytest.raises(IntakeError, match="lower-case"):
        load_mapping(_write(tmp_path, {"name": "x", "columns": columns, "attributes": {"Proc": {"column": "p"}}}))


def _write(tmp_path, data) -> str:
    path = tmp_path / "bad.yaml"
    path.write_text(json.dumps(data))
    return str(path)


@pytest.mark.skipif(not KCS.exists(), reason="needs ../shared/data/kcs-customs-declarations")
def test_the_kcs_mapping_keeps_every_column_but_the_labels(engine):
    mapping = load_mapping("kcs")
    header = KCS.read_text().splitlines()[0].split(",")
    assert mapping.check_header(header) == []  # no column left unused
    assert set(mapping.ignore) == {"Fraud", "Critical Fraud"}
    import_file(engine, KCS, mapping="kcs")
    stored = load_declarations(engine)
    assert stored["import_type"].notna().all() and stored["payment_method"].notna().all()
    assert stored["carrier_id"].notna().any() and stored["carrier_id"].isna().any()
    assert set(json.loads(stored["attributes"].iloc[0])) == {"process_type", "origin_indicator"}
