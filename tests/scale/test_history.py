"""The history exported from the database as Parquet partitions, appended incrementally; bad partition files;
decisions written back in one transaction."""

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select

from smartcustoms.declarations.service import import_file
from smartcustoms.outcomes.service import store_outcomes
from smartcustoms.refusals import Refusal
from smartcustoms.risk.assess import RiskEngine
from smartcustoms.risk.config import RiskConfig
from smartcustoms.risk.repository import assessments, decisions
from smartcustoms.scale import service
from smartcustoms.scale.partitions import partition_files, partition_of
from smartcustoms.scale.schemas import EngineOptions
from smartcustoms.world import WorldConfig, generate

CUT = pd.Timestamp("2025-02-15")


@pytest.fixture(scope="module")
def world():
    return generate(WorldConfig(declarations=600, seed=9, start="2025-01-01", days=75))


def _import(engine, frame, path):
    frame.to_csv(path, index=False)
    result = import_file(engine, path)
    assert result.imported == frame["declaration_id"].nunique()


def _sorted(frame):
    return frame.sort_values(["declaration_id", "item_number"]).reset_index(drop=True)


def test_export_then_append_gives_the_stored_history(engine, world, tmp_path):
    d, inspections = world.declarations, world.inspections
    first, second = d[d["acceptance_datetime"] < CUT], d[d["acceptance_datetime"] >= CUT]
    _import(engine, first, tmp_path / "first.csv")
    early = inspections[inspections["declaration_id"].isin(first["declaration_id"])]
    store_outcomes(engine, early)
    folder = tmp_path / "history"
    exported = service.export_history(engine, folder)
    assert exported.declarations == first["declaration_id"].nunique() and exported.outcomes == len(early)
    files = partition_files(folder)
    assert {partition_of(f)["month"] for f in files} == {"2025-01", "2025-02"}
    assert {partition_of(f)["office"] for f in files} == set(first["office_id"])

    with pytest.raises(Refusal) as refused:
        service.export_history(engine, folder)
    assert refused.value.code == "scale.history_exists"

    _import(engine, second, tmp_path / "second.csv")
    store_outcomes(engine, inspections)
    appended = service.export_history(engine, folder, append=True)
    assert appended.declarations == second["declaration_id"].nunique()
    assert appended.outcomes == len(inspections) - len(early)
    again = service.export_history(engine, folder, append=True)
    assert (again.declarations, again.outcomes, again.files) == (0, 0, 0)

    history, outcomes = service.read_history(folder)
    columns = ["declaration_id", "item_number", "office_id", "importer_id", "commodity_code", "customs_value"]
    pd.testing.assert_frame_equal(_sorted(history)[columns], _sorted(d)[columns], check_dtype=False)
    assert (history["acceptance_datetime"].sort_values().to_numpy()
            == d["acceptance_datetime"].sort_values().to_numpy().astype("datetime64[us]")).all()
    assert len(outcomes) == len(inspections)
    summary = service.history_statistics(folder, CUT)
    assert summary["declarations"] == first["declaration_id"].nunique()
    assert summary["importers"] == first["importer_id"].nunique()


def test_append_without_a_history_is_refused(engine, tmp_path):
    with pytest.raises(Refusal) as refused:
        service.export_history(engine, tmp_path / "none", append=True)
    assert refused.value.code == "scale.no_history"
    assert not (tmp_path / "none").exists()


def _history(world, folder):
    service.write_declarations(folder, world.declarations, 1, 1)
    service.write_outcomes(folder, world.inspections, 1, 1)
    (folder / "manifest.json").write_text('{"format": "smartcustoms.history/1", "batch_upto": 1, '
                                          '"outcome_upto": 1, "runs": []}')
    return partition_files(folder)


def test_a_corrupt_partition_file_is_named(world, tmp_path):
    files = _history(world, tmp_path)
    files[3].write_bytes(files[3].read_bytes()[:200])  # truncated
    with pytest.raises(Refusal) as refused:
        service.read_history(tmp_path)
    assert refused.value.code == "scale.partition_unreadable"
    assert refused.value.params["path"] == str(files[3]) and str(files[3]) in str(refused.value)


def test_a_partition_with_the_wrong_schema_is_named(world, tmp_path):
    files = _history(world, tmp_path)
    table = pq.read_table(files[1])
    index = table.schema.get_field_index("customs_value")
    pq.write_table(table.set_column(index, "customs_value",
                                    pa.array(["x"] * table.num_rows, type=pa.string())), files[1])
    with pytest.raises(Refusal) as refused:
        service.read_history(tmp_path)
    assert refused.value.code == "scale.partition_unreadable"
    assert str(files[1]) in str(refused.value) and "customs_value" in str(refused.value)


def test_an_unreachable_scheduler_is_refused_and_nothing_is_written(engine, world, tmp_path):
    frame = world.declarations[world.declarations["acceptance_datetime"] >= CUT]
    options = EngineOptions(engine="dask", scheduler="tcp://127.0.0.1:9", timeout=1)
    with pytest.raises(Refusal) as refused:
        service.assess_and_decide(engine, frame, RiskEngine(settings=RiskConfig().selectivity), "test", options)
    assert refused.value.code == "scale.scheduler_unreachable"
    assert refused.value.params["address"] == "tcp://127.0.0.1:9" and "tcp://127.0.0.1:9" in str(refused.value)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(decisions)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(assessments)).scalar_one() == 0


def test_decisions_and_their_control_chains_are_written_back_in_one_transaction(engine, world):
    frame = world.declarations[world.declarations["acceptance_datetime"] >= CUT]
    decided, opened = service.assess_and_decide(engine, frame, RiskEngine(settings=RiskConfig().selectivity),
                                                "test", EngineOptions())
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(decisions)).scalar_one() == len(decided) > 0
    assert opened["assessment_id"] > 0  # (these declarations are not stored: their chains are not opened)
