"""`smartcustoms kpi`: release times (WCO Time Release Study), control times, hit rate by selection source, the
share of selections made by models and revenue recovered, as tables, CSV files and charts."""

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from smartcustoms import charts
from smartcustoms.cli.common import console, engine, fail
from smartcustoms.control import service as control
from smartcustoms.exports import defused
from smartcustoms.settings import get_settings

DASH = "–"


def _n(value) -> str:
    return DASH if pd.isna(value) else f"{int(value):,}"


def _x(value, digits: int = 2) -> str:
    return DASH if pd.isna(value) else f"{value:,.{digits}f}"


def _pct(value) -> str:
    return DASH if pd.isna(value) else f"{value:.1%}"


def _pair(median, p90, digits: int = 2) -> str:
    return f"{_x(median, digits)} / {_x(p90, digits)}"


def _table(title: str, columns: list[str], caption: str | None = None, keys: int = 1) -> Table:
    """A table whose first ``keys`` columns name the row (never squeezed); figures may wrap on narrow screens."""
    table = Table(title=title, caption=caption, title_justify="left", caption_justify="left")
    for i, column in enumerate(columns):
        key = i < keys
        table.add_column(column, justify="left" if key else "right", no_wrap=key, min_width=7 if key else None)
    return table


def _total_last(table: Table, frame: pd.DataFrame, key: str) -> None:
    """Put a line above the 'all' rows."""
    if len(frame) > 1 and frame[key].iloc[-1] == control.ALL:
        table.rows[-2].end_section = True


def release_table(frame: pd.DataFrame) -> Table:
    table = _table("Time Release Study: lodgement -> lane -> release, by office and lane",
                   ["office", "lane", "declared", "released", "held", "detained\nor seized",
                    "lodgement -> lane\nminutes", "lane -> release\nhours", "lodgement -> release\nhours"],
                   "times: median / 90th percentile (numpy's linear percentile); release times of released "
                   "declarations only", keys=2)
    for i, r in enumerate(frame.itertuples()):
        office_total = r.lane == control.ALL
        table.add_row(r.office_id, r.lane, _n(r.declarations), _n(r.released), _n(r.held), _n(r.detained_or_seized),
                      _pair(r.lodgement_to_lane_median_min, r.lodgement_to_lane_p90_min, 1),
                      _pair(r.lane_to_release_median_h, r.lane_to_release_p90_h),
                      _pair(r.lodgement_to_release_median_h, r.lodgement_to_release_p90_h),
                      style="bold" if office_total else None, end_section=office_total and i < len(frame) - 1)
    return table


def control_table(frame: pd.DataFrame) -> Table:
    table = _table("Control times by mode: scheduling -> completion",
                   ["mode", "setting", "tasks", "completed", "open", "hours\nmedian / p90"],
                   "from the first scheduling (or start, for tasks that skip it) to completion", keys=2)
    for r in frame.itertuples():
        table.add_row(r.mode, r.setting, _n(r.tasks), _n(r.completed), _n(r.open),
                      _pair(r.scheduled_to_completed_median_h, r.scheduled_to_completed_p90_h))
    _total_last(table, frame, "mode")
    return table


def hit_table(frame: pd.DataFrame, currency: str) -> Table:
    table = _table("Hit rate by selection source",
                   ["source", "selections", "share", "controls", "hits", "hit rate", f"duty recovered\n{currency}",
                    f"penalties\n{currency}", f"duty per\ncontrol, {currency}"],
                   "selections: final lane red or yellow; audits are chosen apart; hit rate = hits / controls")
    for r in frame.itertuples():
        table.add_row(r.source, _n(r.selections), _pct(r.selection_share), _n(r.controls), _n(r.hits),
                      _pct(r.hit_rate), _x(r.duty_recovered), _x(r.penalties), _x(r.duty_per_control))
    _total_last(table, frame, "source")
    return table


def revenue_table(frame: pd.DataFrame, key: str, label: str, currency: str) -> Table:
    table = _table(f"Revenue recovered by {label}",
                   [label, "controls", "hits", f"duty recovered\n{currency}", f"penalties\n{currency}"])
    for r in frame.itertuples():
        table.add_row(str(getattr(r, key)), _n(r.controls), _n(r.hits), _x(r.duty_recovered), _x(r.penalties))
    _total_last(table, frame, key)
    return table


def write_csv(tables: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
    """One CSV file per table."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in tables.items():
        path = folder / f"{name}.csv"
        defused(frame).to_csv(path, index=False, float_format="%.4f")
        written.append(path)
    return written


def write_charts(frames: dict[str, pd.DataFrame], tables: dict[str, pd.DataFrame], folder: Path, fmt: str,
                 currency: str) -> list[Path]:
    """One chart per KPI."""
    folder.mkdir(parents=True, exist_ok=True)
    drawn = {name: control.kpi_chart(name, frames, tables, fmt, currency=currency) for name in control.KPI_CHARTS}
    written = []
    for name, content in drawn.items():
        path = folder / f"{name}.{fmt}"
        path.write_bytes(content)
        written.append(path)
    return written


def kpi_command(
    since: Annotated[datetime | None, typer.Option("--since", formats=["%Y-%m-%d"], metavar="DATE",
                                                   help="First day of the period (declarations lodged, tasks "
                                                        "created, decisions made, controls done).")] = None,
    until: Annotated[datetime | None, typer.Option("--until", formats=["%Y-%m-%d"], metavar="DATE",
                                                   help="Last day of the period (included).")] = None,
    office: Annotated[str | None, typer.Option("--office", metavar="ID", help="Only this customs office.")] = None,
    csv: Annotated[Path | None, typer.Option("--csv", file_okay=False, metavar="DIR",
                                             help="Write one CSV file per table into this folder.")] = None,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", dir_okay=False, metavar="FILE",
                                              help="Write every table into one workbook (a sheet each).")] = None,
    charts_dir: Annotated[Path | None, typer.Option("--charts", file_okay=False, metavar="DIR",
                                                    help="Write one chart per KPI into this folder.")] = None,
    fmt: Annotated[str, typer.Option("--format", metavar="png|svg", help="Chart format.")] = "png",
) -> None:
    """Key performance indicators: release times by office and lane (WCO Time Release Study: median and 90th
    percentile of lodgement -> lane -> release), control times from scheduling to completion (remote versus on
    site), hit rate by selection source (model, profiles, random, audit), the share of selections made by models,
    and revenue recovered (duty and penalties) by source, office and month. Exits with 1 when no declaration of
    the period has been given a lane."""
    if fmt not in charts.FORMATS:
        fail(f"--format must be one of {', '.join(charts.FORMATS)}, not {fmt!r}", 2)
    first: date | None = since.date() if since else None
    last: date | None = until.date() if until else None
    try:
        frames = control.kpi_frames(engine(), first, last, office)
    except control.KpiError as exc:
        fail(str(exc), 2)
    period = f" from {first or 'the start'} to {last or 'today'}" if first or last else ""
    where = f" at office {office}" if office else ""
    if frames["clearance"].empty:
        fail(f"nothing to report: no declaration lodged{period}{where} has been given a lane")
    try:
        tables = control.kpi_tables(frames)
    except control.KpiError as exc:
        fail(f"cannot compute the KPIs: {exc}")
    currency = get_settings().national_currency

    console.print(f"[bold]KPIs of the declarations lodged{period or ' so far'}{where}[/]\n", highlight=False)
    console.print(release_table(tables["release_times"]))
    late = int(tables["release_times"]["lane_by_batch"].iloc[-1])
    if late:
        console.print(f"{late:,} declaration(s) got their lane from a batch assessment run more than "
                      f"{control.BATCH_LANE.days} day after they were lodged (`smartcustoms assess` of an import): "
                      f"they are counted, but left out of the times from lodgement (not waits at the border).\n",
                      highlight=False)
    console.print(control_table(tables["control_times"]))
    console.print(hit_table(tables["hit_rates"], currency))
    share = tables["model_share"].iloc[0]
    console.print(f"Selections made by models: {_n(share['model_selections'])} of {_n(share['selections'])} "
                  f"({_pct(share['model_share'])})\n")
    for name, key, label in (("revenue_by_source", "source", "source"), ("revenue_by_office", "office_id", "office"),
                             ("revenue_by_month", "month", "month")):
        console.print(revenue_table(tables[name], key, label, currency))
    problems = tables.get("data_problems")
    if problems is not None and len(problems):  # reported, never a reason to fail
        shown = "; ".join(f"{r.table} {r.id}: {r.problem}" for r in problems.head(5).itertuples())
        console.print(f"[yellow]{len(problems)} row(s) left out of the times:[/] {shown}"
                      f"{' ...' if len(problems) > 5 else ''}", highlight=False)
    try:
        if csv is not None:
            written = write_csv(tables, csv)
            console.print(f"wrote {len(written)} CSV files to {csv}")
        if xlsx is not None:
            from smartcustoms.exports import to_xlsx

            xlsx.parent.mkdir(parents=True, exist_ok=True)
            xlsx.write_bytes(to_xlsx(tables))
            console.print(f"wrote {len(tables)} tables to {xlsx}")
        if charts_dir is not None:
            written = write_charts(frames, tables, charts_dir, fmt, currency)
            console.print(f"wrote {len(written)} {fmt.upper()} charts to {charts_dir}")
    except OSError as exc:
        fail(f"cannot write the files: {exc}")
