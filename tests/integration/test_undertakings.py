"""Promise-based release against the database: eligibility, signing (undertaking, override to blue, release in
one transaction), refusals that write nothing, the verification after release, and the importer's record."""

import json
import threading
from datetime import datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select, update

from smartcustoms.control.service import (
    add_officers,
    assign,
    clearance_frame,
    complete,
    get_task,
    open_controls,
    task_frame,
    transition,
)
from smartcustoms.control.service.undertakings import (
    eligibility,
    importer_record,
    sign_undertaking,
    undertaking_of,
    undertakings_frame,
    verify_undertaking,
)
from smartcustoms.control.tables import clearance, undertakings
from smartcustoms.control.undertakings import UndertakingError
from smartcustoms.declarations.service import import_file
from smartcustoms.outcomes.service import store_outcomes
from smartcustoms.risk.repository import latest_decisions, overrides, record_assessment
from smartcustoms.store.db import utc_now
from support import csv_bytes, item_row

PROVENANCE = {"settings_version": "t", "settings": {}, "profiles": {}, "model_version": None}
TEXT = "I undertake to provide the documents on request after release."
GOOD = {"good_standing": True, "importer_id": "IMP1", "aeo": True}


def seed(engine, tmp_path, lanes: dict[str, str], importer: str = "IMP1", days_ago: float = 2) -> None:
    """Declarations of `importer` lodged `days_ago`, one decision each in the given lane, controls opened."""
    lodged = (utc_now() - timedelta(days=days_ago)).replace(microsecond=0).isoformat()
    path = tmp_path / f"{'-'.join(lanes)}.csv"
    path.write_bytes(csv_bytes([item_row(key, importer_id=importer, acceptance_datetime=lodged) for key in lanes]))
    import_file(engine, path)
    record_assessment(engine, pd.DataFrame({
        "declaration_id": list(lanes), "lane": list(lanes.values()), "source": "screen", "random": False,
        "risk_score": 0.9, "duty_at_risk": 10.0, "explanation": json.dumps({"scores": {}})}), PROVENANCE, actor="t")
    open_controls(engine)


def task_of(engine, declaration_id: str) -> int:
    frame = task_frame(engine)
    return int(frame.loc[frame["declaration_id"] == declaration_id, "task_id"].iloc[0])


def counts(engine) -> tuple:
    with engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(undertakings)).scalar_one(),
                conn.execute(select(func.count()).select_from(overrides)).scalar_one())


def test_an_eligible_declaration_is_signed_released_and_left_to_verify(engine, tmp_path):
    seed(engine, tmp_path, {"Y1": "yellow"})
    found = eligibility(engine, "Y1", aeo_importers={"IMP1"})
    assert found.eligible and found.refusals == [] and found.in_good_standing
    assert found.basis["good_standing"] is True and found.basis["aeo"] is True
    at = utc_now().replace(microsecond=0)
    undertaking_id = sign_undertaking(engine, "Y1", signed_by="alice", text=TEXT, basis=found.basis, at=at)

    decided = latest_decisions(engine).set_index("declaration_id").loc["Y1"]
    assert decided["final_lane"] == "blue" and decided["lane"] == "yellow"  # the decision itself stays
    assert decided["override_reason"] == f"promise-based release: undertaking {undertaking_id} signed by alice"
    cleared = clearance_frame(engine).set_index("declaration_id").loc["Y1"]
    assert (cleared["status"], cleared["lane"], cleared["released_at"]) == ("released", "blue", at)
    assert get_task(engine, task_of(engine, "Y1")).state == "created"  # verified after release
    stored = undertaking_of(engine, "Y1")
    assert stored["signed_by"] == "alice" and stored["signed_at"] == at and stored["text"] == TEXT
    assert stored["basis"]["good_standing"] is True and stored["result"] is None

    assert undertakings_frame(engine, unverified=True)["undertaking_id"].tolist() == [undertaking_id]
    with pytest.raises(UndertakingError, match="cannot be verified before"):
        verify_undertaking(engine, undertaking_id, verified_by="o1", result="documents_confirmed",
                           at=at - timedelta(hours=1))
    with pytest.raises(UndertakingError, match="result must be one of"):
        verify_undertaking(engine, undertaking_id, verified_by="o1", result="fine")
    verify_undertaking(engine, undertaking_id, verified_by="o1", result="documents_confirmed")
    assert undertaking_of(engine, "Y1")["result"] == "documents_confirmed"
    assert undertakings_frame(engine, unverified=True).empty
    with pytest.raises(UndertakingError, match="was verified on") as caught:
        verify_undertaking(engine, undertaking_id, verified_by="o2", result="discrepancy")
    assert caught.value.code == "already_verified"


@pytest.mark.parametrize(("case", "code"), [
    ("green", "not_yellow"),
    ("not_in_good_standing", "not_in_good_standing"),
    ("already_signed", "already_signed"),
    ("controlled", "already_controlled"),
    ("no_control", "no_control"),
    ("unknown", "not_found"),
])
def test_refusals_write_nothing(engine, tmp_path, case, code):
    seed(engine, tmp_path, {"Y1": "yellow", "G1": "green"})
    key, basis = "Y1", GOOD
    if case == "green":
        key = "G1"
    elif case == "not_in_good_standing":
        basis = {**GOOD, "good_standing": False}
    elif case == "already_signed":
        sign_undertaking(engine, "Y1", signed_by="alice", text=TEXT, basis=GOOD)
    elif case == "controlled":
        add_officers(engine, pd.DataFrame([{"officer_id": "O1", "name": "O", "office_id": "FRPAR1",
                                            "modes": "documentary"}]))
        task_id = task_of(engine, "Y1")
        assign(engine, task_id, actor="t", rng=0)
        transition(engine, task_id, "in_progress", actor="O1", expected_version=2)
        complete(engine, task_id, actor="O1", expected_version=3, result="no_discrepancy", duty_before=10.0,
                 duty_after=10.0)
    elif case == "no_control":
        seed(engine, tmp_path, {"Y2": "green"})
        key = "Y2"
        record_assessment(engine, pd.DataFrame({  # a yellow decision whose control is not opened yet
            "declaration_id": ["Y2"], "lane": "yellow", "source": "screen", "random": False, "risk_score": 0.9,
            "duty_at_risk": 1.0, "explanation": "{}"}), PROVENANCE, actor="t")
    elif case == "unknown":
        key = "NOPE"
    before = counts(engine), clearance_frame(engine).to_dict("records")
    with pytest.raises(UndertakingError) as caught:
        sign_undertaking(engine, key, signed_by="alice", text=TEXT, basis=basis)
    assert caught.value.code == code, str(caught.value)
    assert (counts(engine), clearance_frame(engine).to_dict("records")) == before
    if case not in ("unknown", "not_in_good_standing"):  # eligibility says the same
        assert code in [r.code for r in eligibility(engine, key, aeo_importers={"IMP1"}).refusals]


def test_a_trader_without_a_record_is_not_eligible_and_one_with_a_good_record_is(engine, tmp_path):
    seed(engine, tmp_path, {"Y1": "yellow"}, importer="IMP7")
    found = eligibility(engine, "Y1")
    assert not found.eligible and [r.code for r in found.refusals] == ["not_in_good_standing"]
    assert [f.code for f in found.findings if not f.met] == ["declarations", "controls"]
    assert found.basis["good_standing"] is False
    with pytest.raises(UndertakingError, match="not in good standing"):
        sign_undertaking(engine, "Y1", signed_by="bob", text=TEXT, basis=found.basis)

    history = {f"H{n}": "green" for n in range(12)}
    seed(engine, tmp_path, history, importer="IMP7", days_ago=30)
    store_outcomes(engine, pd.DataFrame([
        {"declaration_id": key, "inspection_date": pd.Timestamp(utc_now() - timedelta(days=20)),
         "control_type": "documentary", "selection_reason": "random", "result": "no_discrepancy",
         "infringement": "", "duty_recovered": 0.0} for key in ("H0", "H1")]))
    record = importer_record(engine, "IMP7")
    assert (record["declarations"], record["controls"], record["discrepancies"], record["aeo"]) == (13, 2, 0, False)
    found = eligibility(engine, "Y1")
    assert found.eligible and found.basis["declarations"] == 13
    assert sign_undertaking(engine, "Y1", signed_by="bob", text=TEXT, basis=found.basis) > 0
    old = importer_record(engine, "IMP7", at=utc_now() + timedelta(days=400))
    assert (old["declarations"], old["controls"]) == (0, 0)  # a year later, the record is empty again


def test_a_released_declaration_or_an_unsigned_text_is_refused(engine, tmp_path):
    seed(engine, tmp_path, {"Y1": "yellow"})
    with pytest.raises(UndertakingError, match="text is empty"):
        sign_undertaking(engine, "Y1", signed_by="alice", text="  ", basis=GOOD)
    with pytest.raises(UndertakingError, match="who signs"):
        sign_undertaking(engine, "Y1", signed_by="", text=TEXT, basis=GOOD)
    with engine.begin() as conn:
        conn.execute(update(clearance).values(status="released", released_at=datetime(2026, 1, 1)))
    with pytest.raises(UndertakingError) as caught:
        sign_undertaking(engine, "Y1", signed_by="alice", text=TEXT, basis=GOOD)
    assert caught.value.code == "not_held" and counts(engine) == (0, 0)


def test_two_signatures_at_once_make_one_undertaking(engine, tmp_path):
    seed(engine, tmp_path, {"Y1": "yellow"})
    results, barrier = [], threading.Barrier(2)

    def sign(who):
        barrier.wait()
        try:
            results.append(sign_undertaking(engine, "Y1", signed_by=who, text=TEXT, basis=GOOD))
        except UndertakingError as exc:
            results.append(exc.code)

    threads = [threading.Thread(target=sign, args=(who,)) for who in ("alice", "alice's broker")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(type(r).__name__ for r in results) == ["int", "str"] and "already_signed" in results
    assert counts(engine) == (1, 1)
    assert len(undertakings_frame(engine)) == 1


def test_the_verification_after_release_never_moves_the_release_time(engine, tmp_path):
    seed(engine, tmp_path, {"Y1": "yellow"})
    at = utc_now().replace(microsecond=0)
    sign_undertaking(engine, "Y1", signed_by="alice", text=TEXT,
                     basis=eligibility(engine, "Y1", aeo_importers={"IMP1"}).basis, at=at)
    add_officers(engine, pd.DataFrame([{"officer_id": "O1", "name": "O", "office_id": "FRPAR1",
                                        "modes": "documentary"}]))
    task_id = task_of(engine, "Y1")
    assign(engine, task_id, actor="system", at=at + timedelta(minutes=1))
    version = transition(engine, task_id, "in_progress", actor="O1", expected_version=2, at=at + timedelta(hours=1))
    complete(engine, task_id, actor="O1", expected_version=version, result="discrepancy", infringements=["valuation"],
             duty_before=10.0, duty_after=30.0, at=at + timedelta(hours=2))
    transition(engine, task_id, "detained", actor="O1", expected_version=version + 1, at=at + timedelta(hours=3))
    cleared = clearance_frame(engine).set_index("declaration_id").loc["Y1"]
    assert (cleared["status"], cleared["released_at"]) == ("released", at)  # the goods left at signature
