"""Importing files into a real database (SQLite and PostgreSQL): rejects, idempotence, conflicts."""

import json
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

from smartcustoms.declarations.mapping import IntakeError
from smartcustoms.declarations.models import FIELDS
from smartcustoms.declarations.repository import count_declarations, load_declarations
from smartcustoms.declarations.service import import_file
from smartcustoms.declarations.tables import import_batches, import_rejects
from smartcustoms.declarations.validate import to_declaration
from support import SHARED, csv_bytes, item_row

KCS = SHARED / "data" / "kcs-customs-declarations" / "df_syn_valid_eng.csv"


def write(tmp_path: Path, rows: list[dict], name: str = "decl.csv", **kwargs) -> Path:
    path = tmp_path / name
    path.write_bytes(csv_bytes(rows, **kwargs))
    return path


def test_good_rows_commit_and_bad_rows_go_to_the_rejects_table(engine, tmp_path):
    rows = [item_row("D1", 1), item_row("D1", 2, commodity_code="640299"), item_row("D2", origin_country="QQ"),
            item_row("D3", quantity="0")]
    result = import_file(engine, write(tmp_path, rows))
    assert (result.imported, result.items, result.rejected, result.unchanged, result.conflicts) == (1, 2, 2, 0, 0)
    assert count_declarations(engine) == (1, 2)
    stored = load_declarations(engine)
    assert stored["commodity_code"].tolist() == ["6403990000", "640299"]
    assert stored["gross_mass"].tolist() == [66.0, 66.0]
    with engine.connect() as conn:
        rejects = conn.execute(select(import_rejects.c.row_number, import_rejects.c.field,
                                      import_rejects.c.reason)).all()
        batch = conn.execute(select(import_batches)).mappings().one()
    assert sorted(rejects) == [(4, "origin_country", "unknown ISO 3166 country code 'QQ'"),
                               (5, "quantity", "Input should be greater than 0")]
    assert (batch["imported"], batch["rejected"], batch["finished_at"] is not None) == (1, 2, True)


def test_reimport_of_identical_file_changes_nothing(engine, tmp_path):
    path = write(tmp_path, [item_row("D1"), item_row("D2")])
    first = import_file(engine, path)
    before = load_declarations(engine)
    second = import_file(engine, path)
    assert (first.imported, second.imported, second.unchanged, second.conflicts) == (2, 0, 2, 0)
    pd.testing.assert_frame_equal(before, load_declarations(engine))


def test_same_id_with_other_content_is_a_conflict_and_never_overwritten(engine, tmp_path):
    import_file(engine, write(tmp_path, [item_row("D1", quantity="100"), item_row("D2")], "a.csv"))
    result = import_file(engine, write(tmp_path, [item_row("D1", quantity="999"), item_row("D3")], "b.csv"))
    assert (result.imported, result.conflicts) == (1, 1)
    conflict = result.rejects[result.rejects["kind"] == "conflict"].iloc[0]
    assert (conflict.declaration_id, conflict.row_number) == ("D1", 2)
    assert "different content" in conflict.reason
    stored = load_declarations(engine).set_index("declaration_id")
    assert stored.loc["D1", "quantity"] == 100.0
    with engine.connect() as conn:
        kinds = conn.execute(select(import_rejects.c.kind, func.count()).group_by(import_rejects.c.kind)).all()
    assert dict(kinds) == {"conflict": 1}


def test_unreadable_files_store_nothing(engine, tmp_path):
    latin = write(tmp_path, [item_row("D1", goods_description="chaussures en cuir épais")], "latin.csv",
                  encoding="latin-1")
    with pytest.raises(IntakeError, match=r"not valid utf-8-sig: byte 0xe9 on line 2"):
        import_file(engine, latin)
    columns = [c for c in csv_bytes([]).decode().strip().split(",") if c != "commodity_code"]
    missing = write(tmp_path, [item_row("D1")], "missing.csv", columns=columns)
    with pytest.raises(IntakeError, match=r"missing required column\(s\): 'commodity_code'"):
        import_file(engine, missing)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(IntakeError, match="file is empty"):
        import_file(engine, empty)
    assert count_declarations(engine) == (0, 0)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(import_batches)).scalar_one() == 0


def test_extra_columns_warn_and_ragged_rows_are_rejected(engine, tmp_path):
    text = csv_bytes([item_row("D1"), item_row("D2")]).decode().splitlines()
    text[0] += ",remarks"
    text[1] += ",fragile"
    text[2] += ",x,y"
    path = tmp_path / "extra.csv"
    path.write_text("\n".join(text) + "\n")
    result = import_file(engine, path)
    assert result.warnings == ["column 'remarks' is not in mapping 'own': ignored"]
    assert result.imported == 1 and result.rejected == 1
    assert result.rejects.iloc[0].reason == f"row has {len(FIELDS) + 2} fields, header has {len(FIELDS) + 1}"
    assert result.rejects.iloc[0].row_number == 3


def test_json_import_matches_csv_import(engine, tmp_path):
    rows = [item_row("D1", 1), item_row("D1", 2, commodity_code="640299")]
    import_file(engine, write(tmp_path, rows))
    json_path = tmp_path / "decl.json"
    json_path.write_text(json.dumps([to_declaration(rows).model_dump(mode="json")]))
    result = import_file(engine, json_path)
    assert (result.imported, result.unchanged) == (0, 1)  # same content hash as the CSV import


@pytest.mark.skipif(not KCS.exists(), reason="needs ../shared/data/kcs-customs-declarations")
def test_kcs_dataset_imports_through_its_mapping(engine):
    result = import_file(engine, KCS, mapping="kcs")
    source = pd.read_csv(KCS, dtype=str)
    assert result.imported + result.rejected == len(source)
    assert result.imported > 0.9 * len(source)
    reasons = result.rejects["reason"]
    assert reasons.str.contains("is not an HS 2022 subheading").any()  # HS 2017 codes such as 851712
    stored = load_declarations(engine)
    assert set(stored["transport_mode"]) <= {"1", "2", "3", "4", "5", "9"}
    assert (stored["customs_value"] == stored["item_price"]).all()


CUSDEC_SAMPLE = Path(__file__).parents[1] / "declarations" / "data" / "cusdec_sample.edi"


def test_cusdec_interchange_imports_and_reimports_unchanged(engine):
    first = import_file(engine, CUSDEC_SAMPLE)
    assert first.rejected == 0 and first.imported == 3
    declarations, items = count_declarations(engine)
    assert (declarations, items) == (3, first.items) and items >= 4
    second = import_file(engine, CUSDEC_SAMPLE)
    assert (second.imported, second.unchanged) == (0, 3)


def test_broken_cusdec_stores_nothing(engine, tmp_path):
    broken = tmp_path / "broken.edi"
    broken.write_text(CUSDEC_SAMPLE.read_text().replace("UNZ+", "UNX+"))
    with pytest.raises(IntakeError, match="segment"):
        import_file(engine, broken)
    assert count_declarations(engine) == (0, 0)


def test_a_file_validated_in_parts_by_forked_processes_stores_what_one_process_would(engine, tmp_path, monkeypatch):
    """Large files are validated in parts (forked processes) while earlier parts are stored: the same
    declarations, rejects and counts as validating the whole file at once; a declaration whose rows lie far
    apart is still judged whole."""
    rows = [item_row(f"D{n}", 1, quantity=str(10 + n)) for n in range(40)]
    rows[5] = item_row("D5", 1, origin_country="QQ")  # a bad declaration
    rows.append(item_row("D3", 2, commodity_code="640299"))  # D3's second item, at the end of the file
    rows.append(item_row("D7", 2, quantity="0"))  # D7 is bad: its second item, at the end
    rows.insert(20, {**item_row("D9"), "declaration_id": ""})  # a row without an ID
    path = write(tmp_path, rows, "parts.csv")
    from smartcustoms.declarations import intake

    expected = intake.validate(intake.read_csv(path.read_bytes(), intake.load_mapping("own"))[0])
    monkeypatch.setattr(intake, "PARALLEL_FROM", 0)
    parts = list(intake.validate_in_parts(intake.read_csv(path.read_bytes(), intake.load_mapping("own"))[0], 2))
    assert len(parts) == 2 * intake.PARTS_PER_WORKER
    firsts = [part.valid["row_number"].min() for part in parts if len(part.valid)]
    assert firsts == sorted(firsts)  # parts in the file's order
    joined = intake.joined(parts)
    pd.testing.assert_frame_equal(joined.valid, expected.valid.sort_values("row_number", ignore_index=True))
    def plain(frame):
        return frame.astype(object).where(frame.notna(), None).values.tolist()

    assert plain(joined.rejects) == plain(expected.rejects)
    assert (joined.declarations, joined.rejected_declarations) == (expected.declarations, 3)

    result = import_file(engine, path)
    assert (result.imported, result.items, result.rejected) == (38, 39, 3)
    stored = load_declarations(engine)
    assert stored.loc[stored["declaration_id"] == "D3", "commodity_code"].tolist() == ["6403990000", "640299"]
    assert not stored["declaration_id"].isin(["D5", "D7"]).any()
    assert sorted(result.rejects["row_number"].tolist()) == result.rejects["row_number"].tolist()
