"""`smartcustoms models`: train, list, promote and roll back targeting models, and watch their drift."""

from datetime import datetime
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from smartcustoms.cli.common import console, engine, fail, frame_table
from smartcustoms.cli.scale import EngineOption, SchedulerOption, TimeoutOption, WorkersOption, engine_options
from smartcustoms.refusals import Refusal
from smartcustoms.settings import get_settings
from smartcustoms.store import migrate
from smartcustoms.targeting import service as targeting

app = typer.Typer(
    help="Targeting models: the champion scores declarations, challengers wait for promotion. Every step is "
         "recorded in an append-only log; a promotion can be rolled back.",
    no_args_is_help=True,
)

By = Annotated[str, typer.Option("--by", help="Who does it (recorded in the model log).")]
Note = Annotated[str | None, typer.Option(help="A note for the log.")]


def _engine():
    e = engine()
    if migrate.current(e) != migrate.head(e):
        fail("the database schema is not up to date: run `smartcustoms db upgrade` first", 2)
    return e


def _day(value: datetime | None) -> str:
    return "" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d}"


def _features(e, as_of=None):
    feats = targeting.training_features(e, as_of=as_of)
    if feats.empty:
        fail("no declarations stored: run `smartcustoms import` first")
    return feats


@app.command("list")
def list_command() -> None:
    """List registered models, oldest first."""
    frame = targeting.list_models(_engine())
    if frame.empty:
        console.print("no models registered: run `smartcustoms models train`")
        return
    table = Table(title="Targeting models")
    for name in ("model", "label", "status", "created", "by", "window", "features", "metrics"):
        table.add_column(name)
    for row in frame.itertuples():
        metrics = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.metrics.items())
        table.add_row(row.model_id, row.label, row.status, f"{pd.Timestamp(row.created_at):%Y-%m-%d %H:%M}",
                      row.created_by, f"{_day(row.window_start)} .. {_day(row.window_end)}",
                      str(len(row.features)), metrics)
    console.print(table)


@app.command()
def log(model_id: Annotated[str | None, typer.Argument(help="One model (default: all).")] = None) -> None:
    """Show the model event log (registered, promoted, demoted, rolled_back, retired)."""
    for row in targeting.events(_engine(), model_id).itertuples():
        console.print(f"{pd.Timestamp(row.at):%Y-%m-%d %H:%M:%S}  {row.model_id}  {row.action:<11}  {row.actor}"
                      + (f"  {row.note}" if isinstance(row.note, str) and row.note else ""), highlight=False)


@app.command()
def promote(
    model_id: Annotated[str, typer.Argument(help="The model to make champion (see `list`).")],
    by: By,
    note: Note = None,
) -> None:
    """Make a challenger the champion; the old champion is retired (it can come back with `rollback`)."""
    try:
        old = targeting.promote(_engine(), model_id, by, note=note)
    except targeting.RegistryError as exc:
        fail(str(exc))
    console.print(f"{model_id} is the champion" + (f" (replaces {old}, now retired)" if old else ""),
                  highlight=False)


@app.command()
def rollback(by: By, note: Note = None) -> None:
    """Bring back the previous champion (from the log); the current one is retired."""
    try:
        restored = targeting.rollback(_engine(), by, note=note)
    except targeting.RegistryError as exc:
        fail(str(exc))
    console.print(f"rolled back: {restored} is the champion again", highlight=False)


@app.command()
def retire(model_id: Annotated[str, typer.Argument(help="A challenger or registered model.")], by: By,
           note: Note = None) -> None:
    """Withdraw a challenger or registered model."""
    try:
        targeting.retire(_engine(), model_id, by, note=note)
    except targeting.RegistryError as exc:
        fail(str(exc))
    console.print(f"{model_id} retired", highlight=False)


@app.command()
def train(
    until: Annotated[datetime, typer.Option("--until", help="Training window end: learn from declarations and "
                                            "outcomes known before this date.", formats=["%Y-%m-%d"])],
    by: By,
    rank_by: Annotated[str, typer.Option(help="Rank by 'fraud' (probability) or 'revenue' (expected duty).")]
    = "fraud",
    label: Annotated[str | None, typer.Option(help="A label for the model (default v<n>).")] = None,
    challenger: Annotated[bool, typer.Option("--challenger/--registered",
                                             help="Register as a challenger (default) or only as registered, "
                                                  "when a champion exists. The first model becomes champion.")]
    = True,
    engine_kind: EngineOption = "local",
    scheduler: SchedulerOption = None,
    workers: WorkersOption = 2,
    scheduler_timeout: TimeoutOption = 10.0,
) -> None:
    """Fit a targeting model on the stored declarations and outcomes before --until, and register it."""
    from smartcustoms.scale.service import train_targeting_model

    options = engine_options(engine_kind, scheduler, workers, scheduler_timeout)

    if rank_by not in ("fraud", "revenue"):
        fail("--rank-by must be 'fraud' or 'revenue'", 2)
    e = _engine()
    feats = _features(e, as_of=until)
    frame = feats.loc[feats["declaration_date"] < pd.Timestamp(until)]
    labelled = frame["label_fraud"].notna()
    if not labelled.any():
        fail(f"no control outcomes known before {until:%Y-%m-%d}: nothing to learn from")
    try:
        model = train_targeting_model(frame, options, rank_by=rank_by)
    except Refusal as exc:  # the scheduler does not answer
        fail(str(exc), 2)
    except ValueError as exc:
        fail(str(exc))
    metrics = {"rows": len(frame), "labelled": int(labelled.sum()),
               "discrepancies": int((frame["label_fraud"] == 1).sum()),
               "discrepancy_rate": float(frame.loc[labelled, "label_fraud"].mean()),
               "random_share": float(frame.loc[labelled, "label_random"].mean()), "rank_by": rank_by}
    model_id = targeting.register(e, model, frame, metrics, get_settings().var_dir / "models", by, label=label,
                                 window=(frame["declaration_date"].min(), until), as_challenger=challenger)
    status = targeting.get_model(e, model_id)["status"]
    console.print(f"registered {model_id} ({status}): {len(frame):,} declarations before {until:%Y-%m-%d}, "
                  f"{metrics['labelled']:,} with outcomes ({metrics['discrepancies']:,} discrepancies)",
                  highlight=False)


@app.command()
def drift(
    since: Annotated[datetime | None, typer.Option(help="Recent declarations: accepted on or after this date "
                                                   "(default: the champion's training window end).",
                                                   formats=["%Y-%m-%d"])] = None,
    top: Annotated[int, typer.Option(help="Show the N most drifted features.", min=1)] = 15,
) -> None:
    """Population stability index (PSI) of the champion's inputs and score: its training declarations against
    recent ones. PSI >= 0.25 is significant drift, 0.1 to 0.25 moderate."""
    try:
        found = targeting.drift(_engine(), since=since)
    except targeting.RegistryError as exc:
        fail(str(exc))
    if not found["declarations"]:
        fail("no declarations stored: run `smartcustoms import` first")
    row, report, since = found["model"], found["report"], found["since"]
    if report is None:
        fail(f"nothing to compare: {found['train']:,} training and {found['recent']:,} recent declarations")
    table = Table(title=f"Drift of {row['model_id']}: {found['train']:,} training vs {found['recent']:,} "
                        f"declarations since {since:%Y-%m-%d}")
    for name in ("feature", "PSI", "drift", "train mean", "recent mean"):
        table.add_column(name)
    for r in report.head(top + 1).itertuples():
        style = "bold red" if r.drift == "significant drift" else "yellow" if r.drift == "moderate" else None
        table.add_row(r.feature, f"{r.psi:.3f}", r.drift, f"{r.train_mean:.4g}", f"{r.recent_mean:.4g}",
                      style=style)
    console.print(table)
    counts = report["drift"].value_counts()
    console.print(f"significant drift: {counts.get('significant drift', 0)}, moderate: {counts.get('moderate', 0)}"
                  f", none: {counts.get('none', 0)}", highlight=False)


@app.command()
def shadow(
    since: Annotated[datetime, typer.Option(help="Score the declarations accepted on or after this date.",
                                            formats=["%Y-%m-%d"])],
    budget: Annotated[float, typer.Option(help="Share of declarations each model would select.", min=0.001,
                                          max=1.0)] = 0.05,
) -> None:
    """Shadow scoring: the champion and every challenger score the same recent declarations (features as of each
    declaration's own date); nothing is decided or written. Shows each model's top set, its overlap with the
    champion's, and the hit rate among those of its top set that were controlled."""
    try:
        scored, table = targeting.shadow(_engine(), since, budget)
    except targeting.RegistryError as exc:
        fail(str(exc))
    console.print(frame_table(table, f"Shadow scoring of {scored:,} declarations since {since:%Y-%m-%d} "
                                     f"(top {budget:.0%} each)"))
