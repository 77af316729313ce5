"""CUSDEC (UN/EDIFACT) import and export: the documented subset, round trips and broken input."""

import random
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from smartcustoms.declarations.ingest.cusdec import (
    ERROR_COLUMNS,
    ROW_COLUMNS,
    CusdecError,
    read_cusdec,
    write_cusdec,
)
from smartcustoms.declarations.models import FIELDS
from smartcustoms.declarations.validate import validate

SAMPLE = (Path(__file__).parent / "data" / "cusdec_sample.edi").read_text(encoding="latin-1")
PREPARED = datetime(2024, 3, 8, 14, 30)


def mutate(text: str, old: str, new: str | None) -> str:
    """Replace (or with None delete) the one line that reads ``old``."""
    lines = text.splitlines()
    assert lines.count(old) == 1, f"{old!r} must occur exactly once"
    index = lines.index(old)
    if new is None:
        del lines[index]
    else:
        lines[index] = new
    return "\n".join(lines) + "\n"


def line_of(text: str, segment: str) -> int:
    return text.splitlines().index(segment) + 1


def row(**values) -> dict:
    return {name: values.get(name, "") for name in ROW_COLUMNS}


IMP_HEADER = {
    "declaration_id": "IMP-2024-0001", "declaration_type": "IM", "office_id": "NLRTM001",
    "acceptance_datetime": "2024-03-05T09:15:00", "declarant_id": "NL000111222", "importer_id": "NL000333444",
    "seller_id": "CN9144030012", "transport_mode": "1", "incoterm": "CIF", "invoice_currency": "USD",
    "exchange_rate": "0.9213", "dispatch_country": "CN",
}
EXPECTED = [
    row(row_number=15, **IMP_HEADER, item_number="1", commodity_code="8517130000",
        goods_description="Smartphones, 128 GB", origin_country="CN", quantity="1000", quantity_unit="NAR",
        net_mass="250", gross_mass="310.5", item_price="185000", customs_value="170440.5", duty_rate="0",
        tax_type="CUD"),
    row(row_number=24, **IMP_HEADER, item_number="2", commodity_code="6109100010",
        goods_description="Men's T-shirts of cotton: knitted", origin_country="BD", preference_claim="GSP",
        quantity="6000", quantity_unit="NAR", net_mass="1200", item_price="14400", customs_value="13266.72",
        duty_rate="12", tax_type="CUD"),
    row(row_number=45, declaration_id="EXP-2024-0002", declaration_type="EX", office_id="NLRTM001",
        acceptance_datetime="2024-03-06T00:00:00", declarant_id="NL000111222", importer_id="NL000555666",
        seller_id="NL000777888", transport_mode="4", invoice_currency="EUR", exchange_rate="1",
        dispatch_country="NL", item_number="1", commodity_code="0901110000",
        goods_description="Green coffee beans, not roasted", origin_country="BR", quantity="19200",
        quantity_unit="KGM", net_mass="19200", item_price="96000", customs_value="96000", duty_rate="0"),
    row(row_number=64, declaration_id="CO-2024-0003", declaration_type="CO", office_id="ESALG001",
        acceptance_datetime="2024-03-07T12:00:00", declarant_id="ES12345678Z", importer_id="ES87654321X",
        transport_mode="3", invoice_currency="EUR", exchange_rate="1", dispatch_country="ES", item_number="1",
        commodity_code="420222", goods_description="Handbags with outer surface of plastic sheeting",
        origin_country="IT", quantity="40", quantity_unit="NAR", net_mass="12.5", item_price="2000",
        customs_value="2000", duty_rate="21", tax_type="VAT"),
]


# --- reading the hand-written sample ---------------------------------------------------------------------


def test_sample_parses_into_the_exact_expected_fields():
    rows, errors = read_cusdec(SAMPLE)
    assert errors.empty, errors.to_string()
    assert list(rows.columns) == ROW_COLUMNS
    assert rows.to_dict("records") == EXPECTED


def test_row_numbers_point_at_the_cst_segment_of_each_goods_item():
    rows, _ = read_cusdec(SAMPLE)
    lines = SAMPLE.splitlines()
    for number, item in zip(rows["row_number"], rows["item_number"]):
        assert lines[number - 1].startswith(f"CST+{item}+")


def test_sample_validates_without_rejects():
    rows, _ = read_cusdec(SAMPLE)
    result = validate(rows)
    assert result.rejects.empty, result.rejects.to_string()
    assert result.declarations == 3
    assert len(result.valid) == 4


def test_seller_prefers_se_over_ex_and_falls_back_to_ex():
    rows, _ = read_cusdec(SAMPLE)
    assert rows.loc[rows["declaration_id"] == "EXP-2024-0002", "seller_id"].tolist() == ["NL000777888"]
    both = mutate(SAMPLE, "NAD+EX+NL000777888'", "NAD+EX+NL000777888'\nNAD+SE+US0000001'")
    rows, errors = read_cusdec(mutate(both, "UNT+21+M2'", "UNT+22+M2'"))
    assert errors.empty, errors.to_string()
    assert rows.loc[rows["declaration_id"] == "EXP-2024-0002", "seller_id"].tolist() == ["US0000001"]


def test_header_only_message_yields_one_row_at_unh_that_validation_rejects():
    text = SAMPLE
    for segment in ["CST+1+420222'", "FTX+AAA+++Handbags with outer surface of plastic sheeting'",
                    "LOC+27+IT'", "MEA+AAE+AAC+KGM:12,5'", "MEA+AAF++NAR:40'", "MOA+38:2000'",
                    "MOA+40:2000'", "TAX+1+VAT+++:::21'"]:
        text = mutate(text, segment, None)
    text = mutate(text, "UNT+18+M3'", "UNT+10+M3'")
    rows, errors = read_cusdec(text)
    assert errors.empty, errors.to_string()
    unh = line_of(text, "UNH+M3+CUSDEC:D:01B:UN'")
    header_row = rows[rows["declaration_id"] == "CO-2024-0003"]
    assert header_row["row_number"].tolist() == [unh]
    rejects = validate(rows).rejects
    assert set(rejects["declaration_id"]) == {"CO-2024-0003"}
    assert set(rejects["row_number"]) == {unh}


# --- round trips -----------------------------------------------------------------------------------------


def test_sample_round_trips_through_write_and_read():
    first = validate(read_cusdec(SAMPLE)[0])
    text = write_cusdec(first.valid, prepared_at=PREPARED)
    rows, errors = read_cusdec(text)
    assert errors.empty, errors.to_string()
    second = validate(rows)
    assert second.rejects.empty, second.rejects.to_string()
    assert second.valid["content_hash"].tolist() == first.valid["content_hash"].tolist()
    pd.testing.assert_frame_equal(second.valid[FIELDS], first.valid[FIELDS])


def _random_declarations(seed: int, count: int) -> pd.DataFrame:
    rng = random.Random(seed)
    codes = ["8517130000", "610910", "0901110000", "870323", "940161", "847130", "420222", "640399"]
    countries = ["CN", "VN", "DE", "US", "BR", "IN", "TR", "KR"]
    texts = ["Plain goods", "Tricky: a+b 'quoted' ?maybe", "Kaffee, grün — ungeröstet", "상자 (boxes)",
             "ends with a space ", "x" * 512]
    rows = []
    for number in range(count):
        header = {
            "declaration_id": f"RT-{seed}-{number:04d}", "declaration_type": rng.choice(["IM", "EX", "CO"]),
            "office_id": rng.choice(["NLRTM001", "DEHAM002"]),
            "acceptance_datetime": datetime(2024, rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23),
                                            rng.randint(0, 59), rng.choice([0, 0, 17])).isoformat(),
            "declarant_id": f"DT{rng.randint(1, 999):03d}", "importer_id": f"IM{rng.randint(1, 999):03d}",
            "seller_id": rng.choice(["", f"SE{rng.randint(1, 99)}"]),
            "transport_mode": rng.choice(["1", "3", "4", "5"]), "incoterm": rng.choice(["", "FOB", "CIF", "DAP"]),
            "invoice_currency": rng.choice(["USD", "EUR", "CNY"]),
            "exchange_rate": str(round(rng.uniform(0.05, 2), 6)), "dispatch_country": rng.choice(countries),
        }
        for item in range(1, rng.randint(1, 5) + 1):
            net = round(rng.uniform(0.001, 5000), 3)
            rows.append({
                **header, "item_number": str(item), "commodity_code": rng.choice(codes),
                "goods_description": rng.choice(texts), "origin_country": rng.choice(countries),
                "preference_claim": rng.choice(["", "", "EU-VN FTA", "GSP+"]),
                "quantity": str(rng.randint(1, 10_000)), "quantity_unit": rng.choice(["NAR", "KGM", "LTR"]),
                "net_mass": str(net), "gross_mass": rng.choice(["", str(round(net * 1.2, 3))]),
                "item_price": str(round(rng.uniform(1, 1e6), 2)), "customs_value": str(round(rng.uniform(1, 1e6), 2)),
                "duty_rate": rng.choice(["0", "2.5", "12", "0.0001"]), "tax_type": rng.choice(["", "CUD", "ANTIDUMP"]),
            })
    return pd.DataFrame(rows)


def test_random_declarations_round_trip_with_zero_rejects():
    original = validate(_random_declarations(seed=7, count=40))
    assert original.rejects.empty, original.rejects.to_string()
    text = write_cusdec(original.valid, sender="BROKER", recipient="NLCUSTOMS", prepared_at=PREPARED)
    assert text.startswith("UNA:+.? '\nUNB+UNOW:4+BROKER+NLCUSTOMS+20240308:1430+")  # non-Latin-1 text
    rows, errors = read_cusdec(text)
    assert errors.empty, errors.to_string()
    again = validate(rows)
    assert again.rejects.empty, again.rejects.to_string()
    assert again.declarations == original.declarations == 40
    assert again.valid["content_hash"].tolist() == original.valid["content_hash"].tolist()


def test_writer_output_is_one_segment_per_line_with_correct_trailers():
    frame = read_cusdec(SAMPLE)[0]
    text = write_cusdec(frame, prepared_at=PREPARED, control_reference="REF42")
    lines = text.splitlines()
    assert lines[:3] == ["UNA:+.? '", "UNB+UNOC:3+SENDER+CUSTOMS+240308:1430+REF42'", "UNH+1+CUSDEC:D:01B:UN'"]
    assert lines[-1] == "UNZ+3+REF42'"
    assert "BGM+929:::IM+IMP-2024-0001+9'" in lines
    assert "MEA+AAE+AAC+KGM:1200'" in lines  # 1.2 TNE written back in kilograms
    assert "FTX+AAA+++Men?'s T-shirts of cotton?: knitted'" in lines
    unh = [i for i, line in enumerate(lines) if line.startswith("UNH+")]
    unt = [i for i, line in enumerate(lines) if line.startswith("UNT+")]
    assert [line for line in lines if line.startswith("UNT+")] == [
        f"UNT+{end - start + 1}+{n}'" for n, (start, end) in enumerate(zip(unh, unt), start=1)]
    rows, errors = read_cusdec(text)
    assert errors.empty
    assert all(lines[n - 1].startswith("CST+") for n in rows["row_number"])


def test_writer_refuses_rows_without_declaration_id():
    frame = read_cusdec(SAMPLE)[0]
    frame.loc[1, "declaration_id"] = ""
    with pytest.raises(ValueError, match="no declaration_id"):
        write_cusdec(frame)


# --- whole interchange unreadable: CusdecError naming where ----------------------------------------------


def test_broken_segment_tag_names_the_segment_and_line():
    text = mutate(SAMPLE, "LOC+27+IT'", "loc+27+IT'")
    number = line_of(text, "loc+27+IT'")
    with pytest.raises(CusdecError) as caught:
        read_cusdec(text)
    assert caught.value.segment == number
    assert caught.value.line == number
    assert f"segment {number} (line {number}, column 1)" in str(caught.value)
    assert "syntax error" in str(caught.value)


def test_unterminated_last_segment_is_a_syntax_error_at_that_segment():
    text = SAMPLE.rstrip().removesuffix("'")
    with pytest.raises(CusdecError, match="not closed by a segment terminator") as caught:
        read_cusdec(text)
    assert caught.value.segment == len(SAMPLE.splitlines())


def test_missing_terminator_mid_message_is_caught_as_unexpected_data():
    text = mutate(SAMPLE, "LOC+35+NL'", "LOC+35+NL")  # runs into the next segment
    rows, errors = read_cusdec(text)
    assert "EXP-2024-0002" not in set(rows["declaration_id"])
    bad = errors[errors["declaration_id"] == "EXP-2024-0002"]
    # LOC and NAD became one segment, so from there on segment numbers run one behind line numbers
    assert bad["row_number"].tolist() == [line_of(text, "LOC+35+NL"), line_of(text, "UNT+21+M2'") - 1]
    assert bad["reason"].iloc[0] == ("LOC: element 3, 4 is not part of the supported subset (its data would be "
                                     "lost; or a segment terminator is missing)")
    assert "the message has 20 segments" in bad["reason"].iloc[1]


@pytest.mark.parametrize(
    "text, segment, message",
    [
        ("declaration_id,office_id\nD1,NLRTM001\n", 1, "not an EDIFACT interchange"),
        ("UNA:+,? '\nUNH+1+CUSDEC:D:96B:UN'\nUNT+2+1'\n", 2, "expected the UNB interchange header"),
        (SAMPLE.replace("UNB+UNOC:3+BROKER01+CUSTOMS+240305:0930+ICR0001'", "UNB+UNOC:3+BROKER01+CUSTOMS'"),
         2, "UNB: invalid interchange header"),
        (mutate(SAMPLE, "UNZ+3+ICR0001'", None), 72, "not closed by UNZ"),
        (mutate(SAMPLE, "UNZ+3+ICR0001'", "UNZ+2+ICR0001'"), 73, "control count"),
        (mutate(SAMPLE, "UNZ+3+ICR0001'", "UNZ+3+OTHER'"), 73, "control reference"),
        (mutate(SAMPLE, "UNH+M2+CUSDEC:D:96B:UN'", "UNA:+.? '\nUNH+M2+CUSDEC:D:96B:UN'"), 34,
         "only allowed as the first segment"),
    ],
    ids=["csv", "no-unb", "bad-unb", "no-unz", "unz-count", "unz-reference", "late-una"],
)
def test_unreadable_interchanges_raise_naming_the_segment(text, segment, message):
    with pytest.raises(CusdecError, match=message) as caught:
        read_cusdec(text)
    assert caught.value.segment == segment
    assert str(caught.value).startswith(f"segment {segment} (line ")


def test_empty_input_raises():
    with pytest.raises(CusdecError, match="empty"):
        read_cusdec("  \n")


# --- problems inside one message: errors rows, the other messages still import ---------------------------


def _only_error(errors: pd.DataFrame) -> dict:
    assert list(errors.columns) == ERROR_COLUMNS
    assert len(errors) == 1, errors.to_string()
    return errors.iloc[0].to_dict()


def _declarations(rows: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(rows["declaration_id"]))


def test_wrong_unt_count_rejects_only_that_message():
    text = mutate(SAMPLE, "UNT+21+M2'", "UNT+19+M2'")
    rows, errors = read_cusdec(text)
    error = _only_error(errors)
    assert error["row_number"] == line_of(text, "UNT+19+M2'")
    assert error["declaration_id"] == "EXP-2024-0002"
    assert error["field"] == "UNT" and error["value"] == "19"
    assert "segment count is 19 but the message has 21 segments" in error["reason"]
    assert _declarations(rows) == ["IMP-2024-0001", "CO-2024-0003"]
    assert rows.to_dict("records") == [EXPECTED[0], EXPECTED[1], EXPECTED[3]]


def test_segment_missing_its_mandatory_element():
    text = mutate(SAMPLE, "LOC+27+BD'", "LOC+27'")
    rows, errors = read_cusdec(text)
    error = _only_error(errors)
    assert error["row_number"] == line_of(text, "LOC+27'")
    assert error["declaration_id"] == "IMP-2024-0001"
    assert error["field"] == "origin_country"
    assert "missing mandatory element 3225" in error["reason"]
    assert _declarations(rows) == ["EXP-2024-0002", "CO-2024-0003"]


@pytest.mark.parametrize("value", ["19.200,5", "1e5", "12 kg", "--3"])
def test_malformed_number(value):
    text = mutate(SAMPLE, "MEA+AAE+AAC+KGM:19200'", f"MEA+AAE+AAC+KGM:{value}'")
    rows, errors = read_cusdec(text)
    error = _only_error(errors)
    assert (error["field"], error["value"], error["declaration_id"]) == ("net_mass", value, "EXP-2024-0002")
    assert error["row_number"] == line_of(text, f"MEA+AAE+AAC+KGM:{value}'")
    assert "malformed number" in error["reason"]
    assert _declarations(rows) == ["IMP-2024-0001", "CO-2024-0003"]


def test_malformed_date():
    text = mutate(SAMPLE, "DTM+148:20240306:102'", "DTM+148:20241306:102'")
    rows, errors = read_cusdec(text)
    error = _only_error(errors)
    assert (error["field"], error["value"]) == ("acceptance_datetime", "20241306")
    assert "malformed date/time" in error["reason"]
    assert "EXP-2024-0002" not in _declarations(rows)


@pytest.mark.parametrize(
    "old, new, field",
    [
        ("LOC+35+NL'", "LOC+99+NL'", "LOC"),
        ("DTM+148:20240306:102'", "DTM+137:20240306:102'", "DTM"),
        ("NAD+EX+NL000777888'", "NAD+CZ+NL000777888'", "NAD"),
        ("MOA+40:96000'", "MOA+123:96000'", "MOA"),
        ("TAX+1++++:::0'", "TAX+7++++:::0'", "TAX"),
        ("LOC+27+BR'", "LOC+22+BR'", "LOC"),  # a header qualifier inside a goods item
    ],
)
def test_unknown_or_misplaced_qualifier(old, new, field):
    text = mutate(SAMPLE, old, new)
    rows, errors = read_cusdec(text)
    error = _only_error(errors)
    assert (error["field"], error["declaration_id"]) == (field, "EXP-2024-0002")
    assert error["row_number"] == line_of(text, new)
    assert "unsupported qualifier" in error["reason"]
    assert _declarations(rows) == ["IMP-2024-0001", "CO-2024-0003"]


def test_non_cusdec_message_type_is_rejected_and_the_rest_imports():
    text = mutate(SAMPLE, "UNH+M2+CUSDEC:D:96B:UN'", "UNH+M2+INVOIC:D:96A:UN'")
    rows, errors = read_cusdec(text)
    error = _only_error(errors)
    assert error["row_number"] == line_of(text, "UNH+M2+INVOIC:D:96A:UN'")
    assert (error["field"], error["value"]) == ("UNH", "INVOIC")
    assert "only CUSDEC" in error["reason"]
    assert rows.to_dict("records") == [EXPECTED[0], EXPECTED[1], EXPECTED[3]]


def test_segment_outside_the_subset_is_not_silently_dropped():
    text = mutate(SAMPLE, "LOC+27+BR'", "LOC+27+BR'\nRFF+ABT:PREV-1'")
    text = mutate(text, "UNT+21+M2'", "UNT+22+M2'")
    rows, errors = read_cusdec(text)
    error = _only_error(errors)
    assert (error["field"], error["row_number"]) == ("RFF", line_of(text, "RFF+ABT:PREV-1'"))
    assert "not supported" in error["reason"]
    assert "EXP-2024-0002" not in _declarations(rows)


def test_repeated_field_is_an_error():
    text = mutate(SAMPLE, "TDT+11++4'", "TDT+11++4'\nTDT+11++1'")
    text = mutate(text, "UNT+21+M2'", "UNT+22+M2'")
    _, errors = read_cusdec(text)
    error = _only_error(errors)
    assert error["field"] == "transport_mode"
    first = line_of(text, "TDT+11++4'")
    assert error["row_number"] == first + 1
    assert f"first in segment {first}" in error["reason"]


def test_unclosed_message_is_rejected_and_the_next_one_still_parses():
    text = mutate(SAMPLE, "UNT+31+M1'", None)
    rows, errors = read_cusdec(text)
    error = _only_error(errors)
    assert (error["row_number"], error["field"]) == (3, "UNT")
    assert error["declaration_id"] == "IMP-2024-0001"
    assert "not closed by UNT" in error["reason"]
    assert _declarations(rows) == ["EXP-2024-0002", "CO-2024-0003"]


def test_segments_between_messages_are_reported():
    text = mutate(SAMPLE, "UNH+M2+CUSDEC:D:96B:UN'", "FTX+AAA+++stray'\nUNH+M2+CUSDEC:D:96B:UN'")
    rows, errors = read_cusdec(text)
    error = _only_error(errors)
    assert error["row_number"] == line_of(text, "FTX+AAA+++stray'")
    assert "outside any UNH..UNT message" in error["reason"]
    assert len(_declarations(rows)) == 3


def test_same_declaration_twice_in_one_interchange():
    text = SAMPLE.replace("BGM+929:::CO+CO-2024-0003'", "BGM+929:::CO+IMP-2024-0001'")
    rows, errors = read_cusdec(text)
    error = _only_error(errors)
    assert error["row_number"] == line_of(text, "UNH+M3+CUSDEC:D:01B:UN'")
    assert "already declared by the message at segment 3" in error["reason"]
    assert rows.to_dict("records") == EXPECTED[:3]


def test_item_price_in_another_currency_than_the_invoice():
    text = mutate(SAMPLE, "MOA+38:96000'", "MOA+38:96000:USD'")
    _, errors = read_cusdec(text)
    error = _only_error(errors)
    assert (error["field"], error["value"]) == ("item_price", "USD")
    assert "differs from the invoice currency EUR" in error["reason"]
