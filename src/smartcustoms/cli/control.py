"""`smartcustoms control`: inspection tasks for red and yellow lanes, from opening to release."""

import mimetypes
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from smartcustoms.cli.common import console, engine, fail, frame_table
from smartcustoms.control import service as control
from smartcustoms.control.service import INFRINGEMENTS, ControlError, store_evidence
from smartcustoms.settings import get_settings

app = typer.Typer(
    help="The control chain: inspection tasks opened from red and yellow decisions, assigned at random among the "
         "qualified officers of the office, booked into slots (on site or remote), worked, completed with an "
         "outcome and released, detained or seized. Every step is checked and logged; a stale --version is "
         "refused (someone else changed the task).",
    no_args_is_help=True,
)

By = Annotated[str, typer.Option("--by", help="Who does it (recorded).")]
Version = Annotated[int, typer.Option("--version", help="The task version you read (see `control show`).")]
TASK_COLUMNS = ["task_id", "declaration_id", "office_id", "lane", "mode", "state", "officer_id", "source", "due_at",
                "version"]


def _run(action):
    try:
        return action()
    except ControlError as exc:
        fail(f"{exc}. Nothing was changed.", 1)


@app.command("open")
def open_command(
    lane_time: Annotated[str, typer.Option(help="'assessed': lanes given when the assessment ran; 'lodged': the "
                                                "decisions replay past traffic.")] = "assessed",
    remote_office: Annotated[list[str] | None, typer.Option(help="Offices that inspect remotely where the "
                                                                 "reasons allow it; repeat for several.")] = None,
) -> None:
    """Open an inspection task for every red and yellow decision without one, and time every decided
    declaration (green and blue are released at once). Running it again opens nothing new."""
    counts = _run(lambda: control.open_controls(engine(), lane_time=lane_time,
                                                    remote_offices=tuple(remote_office or ())))
    console.print(f"{counts['tasks']:,} task(s) opened; {counts['released']:,} declaration(s) released at once, "
                  f"{counts['held']:,} held for control")


@app.command("officers")
def officers_command(office: Annotated[str | None, typer.Option(help="Only this office.")] = None) -> None:
    """List officers with their modes and open tasks."""
    console.print(frame_table(control.officer_frame(engine(), office), "Officers"))


@app.command("add-officer")
def add_officer(
    officer_id: str,
    name: Annotated[str, typer.Option(help="Full name.")],
    office: Annotated[str, typer.Option(help="Customs office ID.")],
    modes: Annotated[str, typer.Option(help="Comma-separated: physical, documentary, remote, audit.")],
) -> None:
    """Add an officer to an office."""
    frame = pd.DataFrame([{"officer_id": officer_id, "name": name, "office_id": office, "modes": modes}])
    _run(lambda: control.add_officers(engine(), frame))
    console.print(f"officer {officer_id} added to {office}")


@app.command("assign")
def assign_command(office: Annotated[str | None, typer.Option(help="Only this office.")] = None,
                   by: By = "system") -> None:
    """Assign every created task to a qualified officer of its office (at random among the least loaded)."""
    counts = _run(lambda: control.assign_open(engine(), actor=by, office_id=office))
    console.print(", ".join(f"{k}: {v:,}" for k, v in counts.items()))


@app.command("tasks")
def tasks_command(
    office: Annotated[str | None, typer.Option(help="Only this office.")] = None,
    state: Annotated[str | None, typer.Option(help="Only this state.")] = None,
    officer: Annotated[str | None, typer.Option(help="Only this officer's.")] = None,
) -> None:
    """List tasks, most urgent first (overdue ones are marked)."""
    frame = control.task_frame(engine(), office, state, officer)
    if frame.empty:
        console.print("no tasks")
        return
    now = datetime.now()
    frame["due_at"] = [f"{d:%Y-%m-%d %H:%M}" + (" OVERDUE" if d < now and s not in ("released", "seized") else "")
                       for d, s in zip(pd.to_datetime(frame["due_at"]), frame["state"])]
    console.print(frame_table(frame, f"{len(frame):,} inspection task(s)", TASK_COLUMNS))


@app.command("show")
def show(task_id: int) -> None:
    """One task: its reasons, its checklist and its history."""
    task = _run(lambda: control.get_task(engine(), task_id))
    console.print(f"[bold]task {task.task_id}[/] declaration {task.declaration_id}, {task.lane} lane, {task.mode}, "
                  f"state {task.state}, officer {task.officer_id or '-'}, version {task.version}, due "
                  f"{task.due_at:%Y-%m-%d %H:%M}")
    console.print("[bold]selected because[/]")
    for reason in task.reasons:
        console.print(f"  - {reason}", highlight=False)
    console.print("[bold]checklist[/]")
    for item in task.checklist:
        console.print(f"  [ ] {item}", highlight=False)
    console.print(frame_table(control.task_history(engine(), task_id), "History",
                              ["from_state", "to_state", "actor", "at", "note"]))


@app.command("take")
def take(officer_id: str) -> None:
    """Take the next task of an officer's queue (it is locked to them)."""
    task = _run(lambda: control.take_next(engine(), officer_id))
    if task is None:
        console.print(f"nothing to do for {officer_id}")
        return
    console.print(f"{officer_id} takes task {task.task_id} (declaration {task.declaration_id}, {task.mode}, due "
                  f"{task.due_at:%Y-%m-%d %H:%M}, version {task.version})")


@app.command("slots")
def slots_command(
    office: str,
    mode: Annotated[str, typer.Argument(help="on_site or remote.")],
    add_days: Annotated[int, typer.Option(help="Add slots for this many days from today first.")] = 0,
    capacity: Annotated[int, typer.Option(help="Inspections per slot (with --add-days).")] = 2,
    hours: Annotated[str, typer.Option(help="Working hours FIRST-LAST (with --add-days).")] = "8-18",
) -> None:
    """List the free slots of an office (optionally adding hourly slots first)."""
    if add_days:
        first, last = (int(h) for h in hours.split("-"))
        today = datetime.combine(datetime.now().date(), datetime.min.time())
        made = _run(lambda: control.add_slots(engine(), office, mode, today, today + timedelta(days=add_days),
                                                 capacity=capacity, hours=(first, last)))
        console.print(f"{made} slot(s) added")
    free = _run(lambda: control.free_slots(engine(), office, mode, after=datetime.now(), limit=20))
    console.print(frame_table(free, f"Free {mode} slots at {office} (next 20)"))


@app.command("book")
def book_command(task_id: int, slot_id: int, by: By = "trader") -> None:
    """Book an assigned task into a slot (refused when full, of the wrong mode or office, or in the past)."""
    booking = _run(lambda: control.book(engine(), task_id, slot_id, booked_by=by))
    console.print(f"task {task_id} booked into slot {slot_id} (booking {booking})")


@app.command("cancel-booking")
def cancel_booking_command(task_id: int, by: By = "trader") -> None:
    """Cancel a task's booking before its slot starts: the place is free again and the task back to assigned."""
    _run(lambda: control.cancel_booking(engine(), task_id, cancelled_by=by))
    console.print(f"booking of task {task_id} cancelled: it can book another slot")


@app.command("start")
def start(task_id: int, version: Version, by: By) -> None:
    """Start the inspection."""
    new = _run(lambda: control.transition(engine(), task_id, "in_progress", actor=by, expected_version=version))
    console.print(f"task {task_id} in progress (version {new})")


@app.command("complete")
def complete(
    task_id: int,
    version: Version,
    by: By,
    result: Annotated[str, typer.Option(help="discrepancy or no_discrepancy.")],
    duty_before: Annotated[float, typer.Option(help="Duty as declared.")],
    duty_after: Annotated[float, typer.Option(help="Duty after the control.")],
    infringement: Annotated[list[str] | None, typer.Option(help=f"One of {', '.join(INFRINGEMENTS)}; repeat for "
                                                                "several.")] = None,
    seized: Annotated[bool, typer.Option(help="Goods seized.")] = False,
    offence_code: Annotated[str | None, typer.Option(help="National offence code.")] = None,
    note: Annotated[str | None, typer.Option(help="The officer's note.")] = None,
) -> None:
    """Complete an inspection with its outcome (one structured record: the model's label and the profiles' hit)."""
    outcome = _run(lambda: control.complete(
        engine(), task_id, actor=by, expected_version=version, result=result, infringements=infringement or [],
        duty_before=duty_before, duty_after=duty_after, seized=seized, offence_code=offence_code, note=note))
    console.print(f"task {task_id} completed: outcome {outcome}")


@app.command("release")
def release_command(task_id: int, version: Version, by: By,
                    decision: Annotated[str, typer.Option(help="released, detained or seized.")] = "released") -> None:
    """Release, detain or seize the goods of a completed (or detained) task."""
    _run(lambda: control.release(engine(), task_id, actor=by, expected_version=version, decision=decision))
    console.print(f"task {task_id}: {decision}")


@app.command("evidence")
def evidence_command(
    task_id: int,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Photo, video, PDF or CSV.")],
    by: By = "trader",
    content_type: Annotated[str | None, typer.Option(help="Default: guessed from the file name.")] = None,
) -> None:
    """Upload evidence for a (remote) inspection; it is stored under its checksum."""
    task = _run(lambda: control.get_task(engine(), task_id))
    kind = content_type or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    with file.open("rb") as stream:
        evidence_id = _run(lambda: store_evidence(
            engine(), get_settings().var_dir / "evidence", declaration_id=task.declaration_id, task_id=task_id,
            filename=file.name, data=stream, content_type=kind, uploaded_by=by))
    console.print(f"evidence {evidence_id} stored for task {task_id}")
