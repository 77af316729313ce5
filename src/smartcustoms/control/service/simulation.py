"""Simulated officers working the open inspection tasks, for the demo: every step goes through the same use cases
(control.service) an officer or a trader calls (assign, change_mode, book, transition, complete, release), each in
its own transaction, in simulated time.

What the officers find comes from the generated world's ground truth: a fraud is found with the detection
probability of the control's mode. Times are drawn so that a remote inspection goes markedly faster from
booking to completion than one on site (no goods to move to the inspection area, no trip).
"""

import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from smartcustoms.control import service, workflow
from smartcustoms.control.inspections import Task
from smartcustoms.control.workflow import AssignmentError

DETECTION = {"physical": 0.9, "documentary": 0.6, "remote": 0.8}
FOUND_AS = {"undervaluation": "valuation", "misclassification": "classification", "false_origin": "origin",
            "understated_quantity": "quantity", "prohibited_goods": "prohibited"}
OFFENCE = {"valuation": "UNDERVALUATION", "classification": "MISCLASSIFICATION", "origin": "FALSE-ORIGIN",
           "quantity": "UNDERSTATED-QTY", "prohibited": "PROHIBITED-GOODS"}
# hours, drawn uniformly: the trader books after `book`; the first free slot after `lead` more (goods brought to
# the inspection area, or a call set up); the officer starts within `start` of the slot and works `work`
TIMES = {
    "physical": {"book": (0.5, 4.0), "lead": (4.0, 40.0), "start": (0.0, 0.25), "work": (1.0, 3.0)},
    "remote": {"book": (0.25, 2.0), "lead": (1.0, 4.0), "start": (0.0, 0.1), "work": (0.5, 1.0)},
    "documentary": {"start": (1.0, 8.0), "work": (0.3, 1.0)},
}
SLOTS = {"on_site": {"hours": (8, 18), "capacity": 2}, "remote": {"hours": (8, 20), "capacity": 3}}
# a tiny valid PNG (1x1 pixel): the photo a trader shows in the simulation
PHOTO = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                      "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
SUMMARY_COLUMNS = ["tasks", "found", "seized", "duty_recovered", "hours_booking_to_completion", "hours_to_release"]


def _hours(rng: np.random.Generator, bounds: tuple[float, float]) -> timedelta:
    return timedelta(hours=float(rng.uniform(*bounds)))


def _ensure_officers(engine: Engine, offices: list[str]) -> None:
    """Three officers for each office that has none: two on site and at the desk, one also remote."""
    staffed = set(service.officer_frame(engine)["office_id"])
    rows = [{"officer_id": f"{office}-O{k}", "name": f"Officer {k} of {office}", "office_id": office,
             "modes": modes}
            for office in offices if office not in staffed
            for k, modes in ((1, "physical,documentary"), (2, "physical,documentary"),
                             (3, "physical,documentary,remote"))]
    if rows:
        service.add_officers(engine, pd.DataFrame(rows))


def _ensure_slots(engine: Engine, offices: list[str], start: datetime, end: datetime) -> None:
    for office in offices:
        for mode, shape in SLOTS.items():
            service.add_slots(engine, office, mode, start, end, capacity=shape["capacity"], hours=shape["hours"])


def _first_slot(engine: Engine, office: str, mode: str, after: datetime) -> int:
    """The first free slot after `after`, adding two more weeks of slots when none is left."""
    for _ in range(10):
        free = service.free_slots(engine, office, mode, after=after, limit=1)
        if len(free):
            return int(free["slot_id"].iloc[0])
        day = pd.Timestamp(after).normalize().to_pydatetime()
        shape = SLOTS[mode]
        service.add_slots(engine, office, mode, day, day + timedelta(days=14), capacity=shape["capacity"],
                             hours=shape["hours"])
    raise RuntimeError(f"no free {mode} slot at {office} after {after}")  # pragma: no cover


def _remote_fit(engine: Engine, decision_ids: list[int]) -> set[int]:
    """The decisions whose reasons allow a remote inspection."""
    rows = service.decision_explanations(engine, decision_ids) if decision_ids else {}
    return {decision_id for decision_id, text in rows.items()
            if workflow.remote_fit(json.loads(text or "{}"))}


def simulate_officer_work(engine: Engine, truth: pd.DataFrame, *, evidence_folder: Path | None = None,
                          seed: int = 0, remote_share: float = 0.5,
                          detection: dict[str, float] | None = None, until: datetime | None = None) -> pd.DataFrame:
    """Work every created task: assign it, book a slot (the trader; documentary controls need none), start,
    complete with an outcome drawn from `truth` (declaration_id, fraud_type, declared_duty, true_duty), release
    (or seize prohibited goods). A share `remote_share` of the red tasks whose reasons allow it are switched to
    remote inspection at the trader's request (with photos and an invoice uploaded under `evidence_folder`, when
    given). Officers and slots are added where missing. With `until`, only tasks whose lane was given before it
    are worked (the rest stay open for real officers). Returns per mode: tasks, found, seized, duty_recovered,
    and mean hours from booking to completion and from the lane to release."""
    if not 0 <= remote_share <= 1:
        raise ValueError(f"remote_share must lie between 0 and 1, got {remote_share}")
    detection = {**DETECTION, **(detection or {})}
    rng = np.random.default_rng(seed)
    created = service.task_frame(engine, state="created")
    if created.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS).rename_axis("mode")
    cleared = service.clearance_frame(engine)
    lane_at = dict(zip(cleared["declaration_id"], cleared["lane_at"], strict=True))
    created["start"] = [max(pd.Timestamp(lane_at.get(d, c)), pd.Timestamp(u)).to_pydatetime() for d, c, u in
                        zip(created["declaration_id"], created["created_at"], created["updated_at"])]
    created = created.sort_values(["start", "task_id"], kind="stable")
    if until is not None:
        created = created[created["start"] < pd.Timestamp(until)]
        if created.empty:
            return pd.DataFrame(columns=SUMMARY_COLUMNS).rename_axis("mode")
    offices = sorted(created["office_id"].unique())
    _ensure_officers(engine, offices)
    first = pd.Timestamp(created["start"].min()).normalize().to_pydatetime()
    _ensure_slots(engine, offices, first, pd.Timestamp(created["start"].max()).normalize().to_pydatetime()
                  + timedelta(days=7))
    truth = truth.drop_duplicates("declaration_id").set_index("declaration_id")

    remote_offices = set(service.officer_frame(engine).query("active")
                         .loc[lambda f: f["modes"].str.contains("remote"), "office_id"])
    fit = _remote_fit(engine, [int(d) for d in created.loc[created["mode"] == "physical", "decision_id"].dropna()])
    steps = {}
    for task in created.itertuples():
        at = task.start + timedelta(minutes=float(rng.uniform(1, 20)))
        switch = (task.mode == "physical" and pd.notna(task.decision_id) and int(task.decision_id) in fit
                  and task.office_id in remote_offices)
        if switch and rng.random() < remote_share:
            service.change_mode(engine, task.task_id, "remote", actor="trader", expected_version=task.version,
                                    at=at, note="the trader asked for a remote inspection")
        try:
            service.assign(engine, task.task_id, actor="system", rng=rng, at=at)
        except AssignmentError:
            continue
        steps[task.task_id] = (at, task.start)

    rows = []
    for task_id, (assigned_at, lane_time) in steps.items():
        rows.append(_work(engine, service.get_task(engine, task_id), assigned_at, lane_time, truth, detection,
                          rng, evidence_folder))
    done = pd.DataFrame(rows, columns=["mode", "found", "seized", "duty_recovered", "booked_at", "completed_at",
                                       "lane_at", "released_at"])
    hours = {column: pd.to_datetime(done[column]) for column in ("booked_at", "completed_at", "lane_at", "released_at")}
    done["booking_to_completion"] = (hours["completed_at"] - hours["booked_at"]) / pd.Timedelta(hours=1)
    done["to_release"] = (hours["released_at"] - hours["lane_at"]) / pd.Timedelta(hours=1)
    return done.groupby("mode").agg(
        tasks=("found", "size"), found=("found", "sum"), seized=("seized", "sum"),
        duty_recovered=("duty_recovered", "sum"), hours_booking_to_completion=("booking_to_completion", "mean"),
        hours_to_release=("to_release", "mean"))


def _work(engine: Engine, task: Task, at: datetime, lane_time: datetime, truth: pd.DataFrame,
          detection: dict[str, float], rng: np.random.Generator, evidence_folder: Path | None) -> list:
    """One task from assigned to released; returns its line of the summary."""
    times, version, officer, booked_at = TIMES[task.mode], task.version, task.officer_id, None
    if task.mode in workflow.SLOT_MODE:
        booked_at = at + _hours(rng, times["book"])
        slot_id = _first_slot(engine, task.office_id, workflow.SLOT_MODE[task.mode],
                              booked_at + _hours(rng, times["lead"]))
        service.book(engine, task.task_id, slot_id, booked_by="trader", at=booked_at)
        version += 1
        if task.mode == "remote" and evidence_folder is not None:
            _upload(engine, evidence_folder, task, booked_at + timedelta(minutes=float(rng.uniform(5, 50))))
        slot = service.booking_of(engine, task.task_id)
        start = slot["starts_at"] + _hours(rng, times["start"])
    else:
        start = at + _hours(rng, times["start"])
    version = service.transition(engine, task.task_id, "in_progress", actor=officer, expected_version=version,
                                     at=start)
    done = start + _hours(rng, times["work"])
    fraud = truth["fraud_type"].get(task.declaration_id, "none")
    declared = float(truth["declared_duty"].get(task.declaration_id, 0.0))
    found = fraud in FOUND_AS and rng.random() < detection[task.mode]
    if found:
        kind = FOUND_AS[fraud]
        true_duty = max(float(truth["true_duty"].get(task.declaration_id, declared)), declared)
        service.complete(engine, task.task_id, actor=officer, expected_version=version, result="discrepancy",
                             infringements=[kind], duty_before=declared, duty_after=true_duty,
                             seized=kind == "prohibited", offence_code=OFFENCE[kind], at=done)
    else:
        true_duty = declared
        service.complete(engine, task.task_id, actor=officer, expected_version=version,
                             result="no_discrepancy", duty_before=declared, duty_after=declared, at=done)
    released = done + timedelta(minutes=float(rng.uniform(5, 30)))
    seized = found and FOUND_AS[fraud] == "prohibited"
    service.release(engine, task.task_id, actor=officer, expected_version=version + 1,
                        decision="seized" if seized else "released", at=released)
    return [task.mode, found, seized, round(true_duty - declared, 2), booked_at, done, lane_time, released]


def _upload(engine: Engine, folder: Path, task: Task, at: datetime) -> None:
    """The trader's evidence for a remote inspection: a photo of the goods and the invoice."""
    invoice = (f"%PDF-1.4\n% invoice for declaration {task.declaration_id}\n%%EOF\n").encode()
    for name, data, content_type in (("goods.png", PHOTO, "image/png"), ("invoice.pdf", invoice, "application/pdf")):
        service.store_evidence(engine, folder, declaration_id=task.declaration_id, task_id=task.task_id, filename=name,
                       data=data, content_type=content_type, uploaded_by="trader", at=at)


def simulate_audits(engine: Engine, truth: pd.DataFrame, *, capacity_cases: int, at: datetime, seed: int = 0,
                    period: str = "month", detection: float = 0.95, penalty_rate: float = 0.5) -> pd.DataFrame:
    """Post-clearance audit for the demo: plan up to `capacity_cases` cases among the released declarations (as
    an audit team would), then an auditor opens each one, records a finding per declaration from `truth` (a fraud
    is found with probability `detection`; the penalty is `penalty_rate` x the duty recovered) and closes it.
    Returns the cases frame with their findings."""
    rng = np.random.default_rng(seed)
    cases = service.plan_and_store(engine, capacity_cases=capacity_cases, period=period,
                                       planned_by="audit.planner", at=at)
    if cases.empty:
        return service.cases_frame(engine)
    staff = service.officer_frame(engine)
    auditors = staff.loc[staff["modes"].str.contains("audit"), "officer_id"].tolist()
    if not auditors:
        service.add_officers(engine, pd.DataFrame([{"officer_id": "AUDIT-1", "name": "Auditor 1",
                                                        "office_id": "AUDIT", "modes": "audit"}]))
        auditors = ["AUDIT-1"]
    truth = truth.drop_duplicates("declaration_id").set_index("declaration_id")
    for k, case_id in enumerate(cases["case_id"]):
        auditor = auditors[k % len(auditors)]
        start = at + timedelta(days=1 + k)
        service.open_case(engine, int(case_id), auditor, at=start)
        for declaration_id in service.case_declarations(engine, int(case_id))["declaration_id"]:
            fraud = truth["fraud_type"].get(declaration_id, "none")
            declared = float(truth["declared_duty"].get(declaration_id, 0.0))
            if fraud in FOUND_AS and rng.random() < detection:
                kind = FOUND_AS[fraud]
                after = max(float(truth["true_duty"].get(declaration_id, declared)), declared)
                service.record_finding(engine, int(case_id), declaration_id, result="discrepancy",
                                           infringements=[kind], duty_before=declared, duty_after=after,
                                           penalty=round(penalty_rate * (after - declared), 2),
                                           offence_code=OFFENCE[kind], recorded_by=auditor,
                                           at=start + timedelta(days=2))
            else:
                service.record_finding(engine, int(case_id), declaration_id, result="no_discrepancy",
                                           infringements=[], duty_before=declared, duty_after=declared,
                                           recorded_by=auditor, at=start + timedelta(days=2))
        service.close_case(engine, int(case_id), at=start + timedelta(days=3))
    return service.cases_frame(engine)
