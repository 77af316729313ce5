"""`smartcustoms assess` and `smartcustoms risk ...`: lanes for declarations, and replays of draft profiles."""

from datetime import datetime
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from smartcustoms.cli import profiles
from smartcustoms.cli.common import console, engine, fail, progress_bar
from smartcustoms.cli.intake import run_import
from smartcustoms.cli.scale import EngineOption, SchedulerOption, TimeoutOption, WorkersOption, engine_options
from smartcustoms.declarations.service import load_declarations
from smartcustoms.refusals import Refusal
from smartcustoms.risk.service import (
    LANES,
    OverrideError,
    ProfileError,
    RiskConfigError,
    build_engine,
    latest_decisions,
    load_config,
    load_profile_dir,
    override,
    replay,
)
from smartcustoms.settings import get_settings

app = typer.Typer(help="Risk engine: profiles and replays.", no_args_is_help=True)
app.add_typer(profiles.app, name="profiles")

SettingsOption = Annotated[Path | None, typer.Option("--settings", exists=True, dir_okay=False,
                                                     help="Risk settings YAML (selectivity, origin, AEO).")]


def _config(path: Path | None):
    try:
        return load_config(path or get_settings().risk_settings)
    except RiskConfigError as exc:
        fail(str(exc), 2)


def lane_table(decided: pd.DataFrame, title: str) -> Table:
    table = Table(title=title)
    for column in ("lane", "declarations", "share", "by profile", "by screens", "by model", "random",
                   "duty at risk"):
        table.add_column(column, justify="left" if column == "lane" else "right")
    for lane in reversed(LANES):
        rows = decided[decided["lane"] == lane]
        table.add_row(lane, f"{len(rows):,}", f"{len(rows) / max(len(decided), 1):.1%}",
                      f"{rows['source'].eq('profile').sum():,}", f"{rows['source'].eq('screen').sum():,}",
                      f"{rows['source'].eq('model').sum():,}",
                      f"{rows['random'].sum():,}", f"{rows['duty_at_risk'].sum():,.0f}")
    return table


def top_table(decided: pd.DataFrame, top: int) -> Table:
    table = Table(title=f"Top {top} declarations by risk")
    for column in ("declaration", "office", "lane", "risk", "duty at risk", "why"):
        table.add_column(column, justify="right" if column in ("risk", "duty at risk") else "left",
                         overflow="fold")
    riskiest = decided.sort_values(["risk_score", "duty_at_risk"], ascending=False).head(top)
    for row in riskiest.itertuples():
        table.add_row(row.declaration_id, row.office_id, row.lane, f"{row.risk_score:.2f}",
                      f"{row.duty_at_risk:,.0f}", row.top_reason)
    return table


def run_assessment(since: datetime | None, settings: Path | None, top: int, actor: str,
                   ids: list[str] | None = None, *, lane_time: str = "assessed",
                   remote_offices: tuple[str, ...] = (), options=None) -> pd.DataFrame:
    from smartcustoms.control.service import BATCH_LANE, assess_and_decide

    db = engine()
    config = _config(settings)
    with progress_bar() as progress:
        task = progress.add_task("loading declarations", total=4)
        if ids is not None:
            frame = load_declarations(db, ids=ids)
        elif since is None:
            assessed = latest_decisions(db)["declaration_id"]
            frame = load_declarations(db)
            frame = frame[~frame["declaration_id"].isin(assessed)]
        else:
            frame = load_declarations(db, start=since)
        if frame.empty:
            fail("no declarations to assess (all stored ones have a decision; use --since DATE)", 1)
        as_of = frame["acceptance_datetime"].min()
        progress.update(task, advance=1, description=f"fitting the screens on history before {as_of:%Y-%m-%d}")
        risk_engine = build_engine(db, as_of, config)
        progress.update(task, advance=1, description=f"assessing {frame['declaration_id'].nunique():,} declarations")
        if options is not None and options.engine == "dask":  # the same decisions, computed on Dask
            from smartcustoms.scale.service import assess_and_decide as assess_and_decide_on

            try:
                decided, opened = assess_and_decide_on(db, frame, risk_engine, actor, options, lane_time=lane_time,
                                                       remote_offices=remote_offices)
            except Refusal as exc:
                fail(str(exc), 2)
        else:
            decided, opened = assess_and_decide(db, frame, risk_engine, actor, lane_time=lane_time,
                                                remote_offices=remote_offices)
        progress.update(task, advance=2, description="decisions recorded, control chains opened")
    console.print(lane_table(decided, f"Lanes for {len(decided):,} declarations "
                                      f"(profiles in force: {len(risk_engine.profiles)})"))
    console.print(top_table(decided, top))
    console.print(f"control chain: {opened['tasks']:,} inspection task(s) opened; {opened['released']:,} "
                  f"declaration(s) released at once, {opened['held']:,} held for control")
    lodged = pd.to_datetime(frame.drop_duplicates("declaration_id")["acceptance_datetime"])
    old = lodged[lodged < pd.Timestamp.now(tz="UTC").tz_localize(None) - BATCH_LANE]
    if lane_time == "assessed" and len(old):
        console.print(f"{len(old):,} of these declarations were lodged between {old.min():%Y-%m-%d} and "
                      f"{old.max():%Y-%m-%d} and given their lane now, by this batch assessment: `smartcustoms kpi` "
                      f"counts them apart and leaves them out of the lodgement -> lane times (not waits at the "
                      f"border).", highlight=False)
    return decided


def assess_command(
    file: Annotated[Path | None, typer.Argument(help="A declarations file to import and assess (same formats "
                                                "as `import`).", exists=True, dir_okay=False)] = None,
    since: Annotated[datetime | None, typer.Option(help="Assess the declarations accepted since this date "
                                                   "(default: those without a decision).")] = None,
    settings: SettingsOption = None,
    top: Annotated[int, typer.Option(help="How many of the riskiest declarations to list.")] = 10,
    actor: Annotated[str, typer.Option(help="Who runs the assessment (recorded).")] = "batch",
    lane_time: Annotated[str, typer.Option(help="'assessed': the lanes are given now; 'lodged': the decisions "
                                                "replay past traffic (lane one second after lodgement).")] = "assessed",
    remote_office: Annotated[list[str] | None, typer.Option(help="Offices that inspect remotely where the "
                                                                 "reasons allow it; repeat for several.")] = None,
    engine_kind: EngineOption = "local",
    scheduler: SchedulerOption = None,
    workers: WorkersOption = 2,
    scheduler_timeout: TimeoutOption = 10.0,
) -> None:
    """Give each declaration a lane (green, blue, yellow, red) with its reasons, and record the decisions in
    the append-only audit trail. Screens learn from declarations and outcomes dated before the first assessed
    declaration; profiles are those published now. Each decision opens its control chain in the same
    transaction: the declaration's clearance record and, in the red and yellow lanes, its inspection task."""
    ids = None
    if file is not None:
        if since is not None:
            fail("give either FILE or --since, not both", 2)
        imported = run_import(file, None, "own", "utf-8-sig", None)
        ids = imported.valid_ids
        if not ids:
            fail("nothing in the file could be assessed", 1)
    if lane_time not in ("assessed", "lodged"):
        fail(f"--lane-time must be 'assessed' or 'lodged', not {lane_time!r}", 2)
    options = engine_options(engine_kind, scheduler, workers, scheduler_timeout)
    run_assessment(since, settings, top, actor, ids, lane_time=lane_time, remote_offices=tuple(remote_office or ()),
                   options=options)


@app.command("replay")
def replay_command(
    profiles_dir: Annotated[Path, typer.Option("--profiles", exists=True, help="Draft profiles (YAML file or "
                                               "folder).")],
    start: Annotated[datetime, typer.Option("--from", help="First day of the replayed period.")],
    end: Annotated[datetime, typer.Option("--to", help="Last day of the replayed period (included).")],
    settings: SettingsOption = None,
) -> None:
    """Run draft profiles and settings over past declarations, with what was known at the time and without
    writing anything: selections per lane against capacity, precision and recall against the recorded
    outcomes, expected hits and duty at risk, and the difference from the published profiles."""
    try:
        drafts = load_profile_dir(profiles_dir)
    except ProfileError as exc:
        fail(f"{exc}. Nothing was replayed.", 2)
    db = engine()
    end_exclusive = end + pd.Timedelta(days=1)
    with progress_bar() as progress:
        task = progress.add_task("replaying", total=None)
        report = replay(db, drafts, start, end_exclusive, _config(settings))
        progress.update(task, total=1, completed=1, description="replayed")
    if report is None:
        fail(f"no declarations accepted between {start:%Y-%m-%d} and {end:%Y-%m-%d}", 1)
    console.print(frame_table(report.lanes(), f"Lanes, {start:%Y-%m-%d} to {end:%Y-%m-%d}: published "
                                                "profiles against drafts (capacity summed over offices and days)"))
    console.print(frame_table(report.metrics(), "Yellow and red selections against the recorded outcomes"))
    console.print(frame_table(report.changes().reset_index(names="published \\ draft"), "Lane changes"))
    console.print(frame_table(report.profiles(), "Draft profiles"))
    console.print("Nothing was written: replays have no side effects.")


def frame_table(frame: pd.DataFrame, title: str) -> Table:
    table = Table(title=title)
    for column in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_bool_dtype(frame[column])
        table.add_column(str(column), justify="right" if numeric else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*[_cell(value) for value in row])
    return table


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


@app.command("override")
def override_command(
    decision: Annotated[int, typer.Argument(help="Decision ID (see `smartcustoms risk decisions`).")],
    lane: Annotated[str, typer.Option(help="The lane the officer sets: green, blue, yellow or red.")],
    reason: Annotated[str, typer.Option(help="Why: required, recorded beside the original decision.")],
    officer: Annotated[str, typer.Option(help="Who overrides (recorded).")],
) -> None:
    """Override a lane. The original decision stays as it was; the override is recorded beside it with its
    reason and officer, in the append-only audit trail."""
    try:
        override_id = override(engine(), decision, lane, reason, officer)
    except OverrideError as exc:
        fail(f"{exc}. Nothing was recorded.", 1)
    console.print(f"override {override_id}: decision {decision} -> {lane} by {officer}")


@app.command("decisions")
def decisions_command(
    declaration: Annotated[str | None, typer.Option(help="Only this declaration.")] = None,
    limit: Annotated[int, typer.Option(help="How many of the newest decisions to show.")] = 20,
) -> None:
    """The newest decision per declaration, with any override and its reason."""
    frame = latest_decisions(engine())
    if declaration:
        frame = frame[frame["declaration_id"] == declaration]
    frame = frame.tail(limit)
    shown = frame[["decision_id", "declaration_id", "lane", "source", "risk_score", "final_lane", "override_reason"]]
    shown = shown.astype({"decision_id": str})
    console.print(frame_table(shown.fillna(""), f"Decisions ({len(frame):,} shown)"))
