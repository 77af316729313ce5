"""`smartcustoms evaluate`: the targeting model against manual targeting (profiles) and random, on a world."""

import json
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from smartcustoms.cli.common import console, errors, fail
from smartcustoms.cli.scale import EngineOption, SchedulerOption, TimeoutOption, WorkersOption, engine_options

PROFILES_FOLDER = "profiles"
STRATEGIES = ("model", "profiles", "random")


def default_profiles_dir() -> Path:
    """The repository's example profiles (`profiles/`), or `./profiles`."""
    repository = Path(__file__).resolve().parents[3]
    for base in (repository, Path.cwd()):
        if (base / PROFILES_FOLDER).is_dir():
            return base / PROFILES_FOLDER
    return repository / PROFILES_FOLDER


def _pct(value) -> str:
    return "" if value is None or value != value else f"{value * 100:.1f}%"


def _metrics_table(evaluation, fractions) -> Table:
    info = evaluation.info
    table = Table(title=f"Model vs profiles vs random from {info['cut']}: {info['rows']:,} declarations, "
                        f"{info['frauds']:,} frauds ({info['fraud_rate']:.1%}); fit on {info['labelled']:,} "
                        "labelled controls before the cut",
                  caption=f"Rev = share of the duty at stake captured. Profiles hit {info['profile_hits']:,} "
                          "declarations; beyond them the budget is drawn at random. Gain in percentage points.")
    table.add_column("metric", no_wrap=True)
    table.add_column("strategy", no_wrap=True)
    for f in fractions:
        table.add_column(f"@{f * 100:g}%", justify="right")
    metrics, gain = evaluation.metrics, evaluation.gain
    for label, name in (("Precision", "precision"), ("Recall", "recall"), ("Revenue", "revenue")):
        for i, (strategy, row) in enumerate(metrics.iterrows()):
            cells = [_pct(row[f"{name}@{f * 100:g}%"]) for f in fractions]
            table.add_row(label if i == 0 else "", f"[bold]{strategy}[/]" if strategy == "model" else strategy,
                          *cells)
        for strategy, row in gain.iterrows():
            table.add_row("", f"[dim]{strategy} (pp)[/]", *[f"{row[f'{name}@{f * 100:g}%']:+.1f}"
                                                              for f in fractions], end_section=False)
        table.rows[-1].end_section = True
    auc = ", ".join(f"{strategy} {row['auc']:.3f}" for strategy, row in metrics.iterrows())
    table.caption = f"AUC: {auc}. " + table.caption
    return table


def _calibration_table(evaluation) -> Table:
    table = Table(title="Calibration: model p_fraud by decile vs truth fraud rate")
    for column in ("decile", "rows", "mean predicted p", "observed fraud rate"):
        table.add_column(column, justify="right")
    for row in evaluation.calibration.itertuples():
        table.add_row(str(row.decile), f"{row.rows:,}", f"{row.mean_p:.3f}", f"{row.observed:.3f}")
    return table


def _weeks_table(simulation) -> Table:
    info = simulation.info
    table = Table(title=f"Weekly simulation from {info['cut']}: top {info['fraction']:.0%} of each week "
                        f"({info['explore_share']:.0%} of it exploration); the model is retrained each week on "
                        "the outcomes of its own selections only",
                  caption="hit = share of the controlled declarations that are frauds; EUR = duty at stake "
                          "they carry (recovered).")
    for column in ("week", "from", "rows", "budget"):
        table.add_column(column, justify="right")
    for s in STRATEGIES:
        table.add_column(f"{s} hit", justify="right")
        table.add_column(f"{s} EUR", justify="right")
    weeks = simulation.weeks
    for row in weeks.itertuples():
        table.add_row(str(row.week), str(row.start)[5:], f"{row.rows:,}", f"{row.budget:,}",
                      *[cell for s in STRATEGIES
                        for cell in (f"{getattr(row, f'{s}_hit_rate'):.1%}",
                                     f"{getattr(row, f'{s}_revenue') / 1000:,.0f}k")],
                      end_section=row.Index == len(weeks) - 1)
    totals = simulation.to_json()["totals"]
    table.add_row("[bold]all[/]", "", f"{weeks['rows'].sum():,}", f"{weeks['budget'].sum():,}",
                  *[cell for s in STRATEGIES
                    for cell in (f"[bold]{totals[s]['hit_rate']:.1%}[/]",
                                 f"[bold]{totals[s]['revenue'] / 1000:,.0f}k[/]")])
    return table


def evaluate_command(
    declarations: Annotated[int, typer.Option("--declarations", min=100,
                                              help="Size of the generated world.")] = 50_000,
    seed: Annotated[int, typer.Option("--seed", help="World seed (and the seed of the random draws).")] = 1,
    drift: Annotated[bool, typer.Option("--drift/--no-drift", help="Fraud moves to new codes and origins "
                                                                   "over the year.")] = False,
    world: Annotated[Path | None, typer.Option("--world", file_okay=False,
                                               help="Folder written by `smartcustoms generate` "
                                                    "(declarations.parquet, inspections.csv, truth.csv) in "
                                                    "place of a generated world.")] = None,
    profiles: Annotated[Path | None, typer.Option("--profiles", help="Profiles folder (manual targeting). "
                                                                     "Default: the example profiles/.")] = None,
    cut: Annotated[str | None, typer.Option("--cut", help="Fit before this date, score from it on (default "
                                                  "2025-10-01; with --online, 2025-07-01).")] = None,
    weeks: Annotated[int, typer.Option("--weeks", min=0, help="Weeks of the simulation (0: none).")] = 8,
    online: Annotated[bool, typer.Option("--online", help="The learning loop under selection bias: each week "
                                         "select within the budget, only the selected get outcomes, refit; "
                                         "exploit-only, exploration and rule-based selection compared on "
                                         "cumulative duty recovered and weekly hit rate.")] = False,
    chart: Annotated[Path | None, typer.Option("--chart", dir_okay=False, help="With --online: write the "
                                               "cumulative duty chart here (.png or .svg).")] = None,
    budget: Annotated[float, typer.Option("--budget", min=0.001, max=1.0,
                                          help="Share of each week's declarations controlled.")] = 0.05,
    explore_share: Annotated[float | None, typer.Option("--explore", min=0.0, max=1.0,
                                                        help="Share of the weekly budget for exploration "
                                                             "(default 0.1; with --online, 0.2).")] = None,
    exploration: Annotated[str, typer.Option("--exploration", help="With --online, how the exploration share "
                                             "chooses: safe (as value, but a declaration explored replaces one of "
                                             "exploit's last picks only where the model expects at least as much "
                                             "duty from it), value (optimistic expected duty: upper bound of "
                                             "p(fraud) x duty if fraud), optimistic (upper bound of p(fraud)) or "
                                             "draw (random, favouring the uncertain).")] = "safe",
    rank_by: Annotated[str, typer.Option("--rank-by", help="fraud (p_fraud) or revenue.")] = "fraud",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout, nothing else.")] = False,
    threads: Annotated[int, typer.Option("--threads", min=1, help="LightGBM threads.")] = 2,
    engine_kind: EngineOption = "local",
    scheduler: SchedulerOption = None,
    workers: WorkersOption = 2,
    scheduler_timeout: TimeoutOption = 10.0,
) -> None:
    """Evaluate the targeting model against the truth of a world: fit on the declarations before --cut,
    score the rest, report Precision/Recall/Revenue@n% (n = 1, 2, 5, 10), AUC and calibration for the model,
    the profiles (manual targeting) and random on the same budget; then simulate --weeks weeks of targeting
    where the model only learns the outcomes of the declarations it selected."""
    from smartcustoms.risk.service import ProfileError, load_profile_dir
    from smartcustoms.targeting import service as targeting

    if rank_by not in ("fraud", "revenue"):
        fail("--rank-by must be 'fraud' or 'revenue'", 2)
    folder = profiles if profiles is not None else default_profiles_dir()
    try:
        rules = load_profile_dir(folder)
    except (ProfileError, OSError) as exc:
        fail(f"cannot read the profiles in {folder}: {exc}", 2)

    options = engine_options(engine_kind, scheduler, workers, scheduler_timeout)
    if online and options.engine == "dask":
        fail("--online trains its weekly models in this process: leave out --engine dask", 2)
    if online:
        if exploration not in ("safe", "value", "optimistic", "draw"):
            fail("--exploration must be 'safe', 'value', 'optimistic' or 'draw'", 2)
        _online(declarations, seed, drift, world, rules, folder, cut or "2025-07-01", weeks, budget,
                0.2 if explore_share is None else explore_share, as_json, threads, chart, exploration, rank_by)
        return
    cut = cut or "2025-10-01"
    explore_share = 0.10 if explore_share is None else explore_share
    stack, train_model = ExitStack(), None
    if options.engine == "dask":  # the targeting models train with lightgbm.dask; features and judging stay here
        from smartcustoms.refusals import Refusal
        from smartcustoms.scale.service import client, model_trainer

        try:
            train_model = model_trainer(stack.enter_context(client(options)))
        except Refusal as exc:
            fail(str(exc), 2)
    shown = errors if as_json else console  # with --json, stdout carries the JSON object only
    with stack, Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=shown, transient=as_json) as progress:
        step = progress.add_task("world", total=None)
        decls, inspections, truth, source = _world(world, declarations, seed, drift)
        progress.update(step, description=f"fit before {cut}, score from {cut}")
        try:
            evaluation = targeting.evaluate_split(decls, inspections, truth, rules, cut=cut, seed=seed,
                                                  rank_by=rank_by, n_jobs=threads, train_model=train_model)
        except ValueError as exc:
            fail(f"cannot evaluate: {exc}", 1)
        progress.update(step, total=1, completed=1, description="split evaluated")
        simulation = None
        if weeks:
            task = progress.add_task(f"weekly simulation ({weeks} weeks)", total=weeks)
            simulation = targeting.simulate(decls, inspections, truth, rules, cut=cut, weeks=weeks,
                                            fraction=budget, explore_share=explore_share, seed=seed,
                                            rank_by=rank_by, n_jobs=threads, train_model=train_model,
                                            on_week=lambda _w, _row: progress.advance(task))

    if as_json:
        out = {"source": source, "profiles": str(folder), **evaluation.to_json()}
        out["simulation"] = simulation.to_json() if simulation is not None else None
        typer.echo(json.dumps(out, default=str))
        return
    console.print(_metrics_table(evaluation, targeting.FRACTIONS))
    console.print(_calibration_table(evaluation))
    if simulation is not None:
        console.print(_weeks_table(simulation))


def _world(world, declarations, seed, drift):
    """The world's declarations, inspections and truth (read from `world`, or generated) and where they came from."""
    from smartcustoms.targeting import service as targeting

    if world is not None:
        try:
            decls, inspections, truth = targeting.read_world(world)
        except (OSError, ValueError, KeyError) as exc:
            fail(f"cannot read the world in {world}: {exc}", 2)
        return decls, inspections, truth, {"world": str(world)}
    from smartcustoms.world import WorldConfig, generate

    generated = generate(WorldConfig(declarations=declarations, seed=seed, drift=drift))
    return (generated.declarations, generated.inspections, generated.truth,
            {"declarations": declarations, "seed": seed, "drift": drift})


def _online(declarations, seed, drift, world, rules, folder, cut, weeks, budget, explore_share, as_json, threads,
            chart, how="safe", rank_by="fraud") -> None:
    from smartcustoms.targeting import service as targeting

    shown = errors if as_json else console
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=shown, transient=as_json) as progress:
        decls, inspections, truth, source = _world(world, declarations, seed, drift)
        task = progress.add_task(f"online: {weeks} weeks from {cut}", total=weeks)
        simulation = targeting.simulate_online(decls, inspections, truth, rules, cut=cut, weeks=weeks,
                                               fraction=budget, explore_share=explore_share, seed=seed,
                                               n_jobs=threads, how=how, rank_by=rank_by,
                                               on_week=lambda _w: progress.advance(task))
    if chart is not None:
        chart.parent.mkdir(parents=True, exist_ok=True)
        chart.write_bytes(targeting.online_chart(simulation, "svg" if chart.suffix.lower() == ".svg" else "png"))
    totals = simulation.totals()
    if as_json:
        typer.echo(json.dumps({"source": source, "profiles": str(folder), **simulation.to_json()}, default=str))
        return
    table = Table(title=f"Online targeting, {simulation.info['weeks']} weeks from {cut}: {budget:.0%} of each "
                        f"week's declarations controlled; only controlled declarations get outcomes",
                  caption="exploration: the model with a share of the budget for uncertain or novel declarations; "
                          "exploit: the model's top only; rules: the profiles' hits (no learning)")
    for column in ("strategy", "controls", "frauds", "hit rate", "duty recovered", "x rules", "x exploit",
                   "explored", "duty explored"):
        table.add_column(column, justify="left" if column == "strategy" else "right")
    rules_duty = totals.get("rules", {}).get("duty") or 0.0
    exploit_duty = totals.get("exploit", {}).get("duty") or 0.0
    for name, total in totals.items():
        table.add_row(name, f"{total['controls']:,}", f"{total['frauds']:,}", f"{total['hit_rate']:.1%}",
                      f"{total['duty']:,.0f}", f"{total['duty'] / rules_duty:.2f}" if rules_duty else "",
                      f"{total['duty'] / exploit_duty:.3f}" if exploit_duty else "",
                      f"{total['explored']:,}", f"{total['explored_duty']:,.0f}")
    console.print(table)
    if chart is not None:
        console.print(f"chart written to {chart}")
