"""Evidence-to-lane flow on both databases: a scan linked by container is analysed and stored on its declaration;
an alarm moves a green declaration to red through the risk domain's override; unmatched scans and declarations
never scanned are findings; the officer's picture is a PNG."""

import json

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

from smartcustoms.declarations.service import import_file
from smartcustoms.nii import pipeline, scanfile, scenes, service
from smartcustoms.nii.tables import nii_analyses, nii_findings, nii_scans
from smartcustoms.refusals import Kind, Refusal
from smartcustoms.risk.repository import latest_decisions, overrides, record_assessment
from support import csv_bytes, item_row

PROVENANCE = {"settings_version": "t", "settings": {}, "profiles": {}, "model_version": None}


def declared(engine, tmp_path, lanes: dict[str, str]) -> None:
    path = tmp_path / "nii.csv"
    path.write_bytes(csv_bytes([item_row(d, commodity_code="6109100010", goods_description="cotton t-shirts",
                                         net_mass="1.5", gross_mass="1.8") for d in lanes]))
    import_file(engine, path)
    explanation = json.dumps({"lane": "green", "source": "none", "random": False, "profiles": [], "scores": {}})
    record_assessment(engine, pd.DataFrame({"declaration_id": list(lanes), "lane": list(lanes.values()),
                                            "source": "none", "random": False, "risk_score": 0.1,
                                            "duty_at_risk": 0.0, "explanation": explanation}),
                      PROVENANCE, actor="batch")


def scan_bytes(seed: int = 0, **meta) -> bytes:
    rng = np.random.default_rng(seed)
    scene = scenes.generate(rng, threat_rate=1.0, kind="parcel")
    low, high = pipeline.render(scene, rng)
    return scanfile.from_scene(scene, low, high, **meta)


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_an_alarm_moves_a_green_declaration_to_red_and_stays_as_evidence(engine, tmp_path, alarming_model):
    declared(engine, tmp_path, {"NII001": "green", "NII002": "yellow"})
    service.register_unit(engine, "NII001", "msku1234565", vehicle_id="AB-123")
    result = service.submit_scan(engine, scan_bytes(), container_id="MSKU1234565", model_path=alarming_model)
    (analysis,) = result.analyses
    assert analysis.declaration_id == "NII001" and analysis.alarm
    assert (analysis.lane_before, analysis.lane_after) == ("green", "red")
    assert latest_decisions(engine, ids=["NII001"]).iloc[0]["final_lane"] == "red"
    with engine.connect() as conn:
        (override,) = conn.execute(select(overrides)).all()
    assert override.lane == "red" and override.officer == service.OFFICER
    assert f"scan {result.scan_id}" in override.reason
    stored = service.analyses_for(engine, "NII001")
    assert [a.analysis_id for a in stored] == [analysis.analysis_id]
    png = service.analysis_png(engine, analysis.analysis_id)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    # a declaration already red is not overridden again; a direct link by declaration works too
    again = service.submit_scan(engine, scan_bytes(1), declaration_id="NII001", model_path=alarming_model)
    assert again.analyses[0].lane_before == again.analyses[0].lane_after == "red"
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(overrides)).scalar_one() == 1


def test_a_quiet_scan_leaves_the_lane_as_it_was(engine, tmp_path, quiet_model):
    declared(engine, tmp_path, {"NII003": "yellow"})
    result = service.submit_scan(engine, scan_bytes(2), declaration_id="NII003", model_path=quiet_model)
    assert not result.analyses[0].alarm
    assert result.analyses[0].lane_before == result.analyses[0].lane_after == "yellow"
    assert latest_decisions(engine, ids=["NII003"]).iloc[0]["final_lane"] == "yellow"


def test_unmatched_scans_and_declarations_never_scanned_are_findings(engine, tmp_path, quiet_model):
    declared(engine, tmp_path, {"NII004": "green", "NII005": "green"})
    service.register_unit(engine, "NII004", "TGHU0000001")
    service.register_unit(engine, "NII005", "TGHU0000002")
    result = service.submit_scan(engine, scan_bytes(3, container_id="ZZZU9999999"), model_path=quiet_model)
    assert len(result.findings) == 1 and result.analyses[0].declaration_id is None
    service.submit_scan(engine, scan_bytes(4), container_id="TGHU0000001", model_path=quiet_model)
    never = service.record_never_scanned(engine, ["NII004", "NII005"], "expected at the lane")
    kinds = sorted((f.kind, f.declaration_id or f.container_id) for f in service.findings(engine))
    assert kinds == [("never_scanned", "NII005"), ("unmatched_scan", "ZZZU9999999")]
    assert len(never) == 1


def test_an_unknown_declaration_or_an_unlinked_scan_is_refused_and_nothing_stored(engine, quiet_model):
    with pytest.raises(Refusal) as refused:
        service.submit_scan(engine, scan_bytes(5), declaration_id="NOPE", model_path=quiet_model)
    assert refused.value.code == "nii_declaration_unknown" and refused.value.kind == Kind.NOT_FOUND
    with pytest.raises(Refusal) as refused:
        service.submit_scan(engine, scan_bytes(5), model_path=quiet_model)
    assert refused.value.code == "nii_scan_unlinked"
    for table in (nii_scans, nii_analyses, nii_findings):
        assert count(engine, table) == 0


def test_the_lane_matches_scans_to_declarations_and_reports_its_capacity(engine, tmp_path, quiet_model):
    declared(engine, tmp_path, {f"NIL{i:03d}": "green" for i in range(6)})
    report = service.run_lane(engine, trucks_per_hour=30, hours=0.1, seed=1, declared_share=0.7,
                              no_show_share=0.2, model_path=quiet_model)
    assert report.scans_analysed == report.arrivals == report.matched + report.unmatched_scans
    assert report.capacity_scans_per_hour > 0 and report.seconds_per_scan_mean > 0
    assert count(engine, nii_scans) == report.arrivals
    assert count(engine, nii_findings) == report.unmatched_scans + report.never_scanned


def test_the_demo_scans_controlled_containers_and_stores_the_analyses(engine, tmp_path, alarming_model):
    declared(engine, tmp_path, {"NID001": "red", "NID002": "yellow", "NID003": "green"})
    seeded = service.seed_demo(engine, controlled=2, gantry=1, model_path=alarming_model)
    assert seeded["scans"] == 3 and sorted(seeded["declarations"]) == ["NID001", "NID002", "NID003"]
    assert seeded["escalated"] == 2  # yellow and green to red; red stays red
    for declaration_id in seeded["declarations"]:
        (analysis,) = service.analyses_for(engine, declaration_id)
        assert analysis.container_id.startswith("DEMU") and analysis.lane_after == "red"
