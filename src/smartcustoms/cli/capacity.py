"""`smartcustoms capacity`: how many officers, bays or remote inspections clearance needs (simulation)."""

import json
import math
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from pydantic import ValidationError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from smartcustoms.cli.common import console, errors, fail
from smartcustoms.control.service import capacity as cap
from smartcustoms.exports import defused

app = typer.Typer(
    help="Capacity planning for clearance: a discrete-event simulation of arrivals, lanes, officers, inspection "
         "bays and remote inspections, giving release-time distributions and utilisation, and the officers or "
         "remote share that meet a release-time target. Checked against the M/M/c (Erlang C) formulas by "
         "`capacity validate`.",
    no_args_is_help=True,
)

ARRIVALS, LANES, OFFICE, TIMES, RUN = "Arrivals", "Lanes", "Office", "Control times (hours)", "Run"
SERVICE_HELP = ("as DISTRIBUTION:MEAN[:CV], DISTRIBUTION one of exponential, lognormal (CV = standard deviation / "
                "mean, default 1), fixed")

Arrivals = Annotated[float, typer.Option("--arrivals-per-hour", min=0, rich_help_panel=ARRIVALS,
                                         help="Declarations lodged per hour, averaged over the day.")]
Profile = Annotated[str, typer.Option("--profile", rich_help_panel=ARRIVALS,
                                      help="Spread of the arrivals over the day: 'flat', 'daytime' (most between "
                                           "08:00 and 17:00) or 24 comma-separated weights, hour 0 first; "
                                           "scaled to --arrivals-per-hour on average.")]
Yellow = Annotated[float, typer.Option("--yellow-share", min=0, max=1, rich_help_panel=LANES,
                                       help="Share of declarations in the yellow lane (documentary check).")]
Red = Annotated[float, typer.Option("--red-share", min=0, max=1, rich_help_panel=LANES,
                                    help="Share in the red lane (inspection on site or remote).")]
Blue = Annotated[float, typer.Option("--blue-share", min=0, max=1, rich_help_panel=LANES,
                                     help="Share in the blue lane (released, audited later). Green takes the "
                                          "rest.")]
Remote = Annotated[float, typer.Option("--remote-share", min=0, max=1, rich_help_panel=LANES,
                                       help="Share of red-lane inspections done remotely (officer, no bay).")]
Officers = Annotated[int, typer.Option("--officers", min=1, rich_help_panel=OFFICE,
                                       help="Officers on duty at the same time during the shift; they do the "
                                            "documentary checks and the inspections.")]
Slots = Annotated[int, typer.Option("--slots", min=0, rich_help_panel=OFFICE,
                                    help="Inspection bays for on-site inspections (0: no limit).")]
Shift = Annotated[str, typer.Option("--shift", rich_help_panel=OFFICE,
                                    help="Officers' working hours each day, e.g. '7-19', '07:30-18:00', "
                                         "'22-6' (night) or '24h'. A control started before the end is "
                                         "finished.")]
Documentary = Annotated[str, typer.Option("--documentary", rich_help_panel=TIMES,
                                          help=f"Duration of a documentary check (yellow), {SERVICE_HELP}.")]
OnSite = Annotated[str, typer.Option("--on-site", rich_help_panel=TIMES,
                                     help=f"Duration of an on-site physical inspection (red), {SERVICE_HELP}.")]
RemoteTime = Annotated[str, typer.Option("--remote", rich_help_panel=TIMES,
                                         help=f"Duration of a remote inspection (red), {SERVICE_HELP}.")]
AutoRelease = Annotated[float, typer.Option("--auto-release-hours", min=0, rich_help_panel=TIMES,
                                            help="Automatic processing delay of green and blue declarations.")]
Days = Annotated[float, typer.Option("--days", min=1, rich_help_panel=RUN,
                                     help="Days of arrivals simulated after the warm-up.")]
Warmup = Annotated[float, typer.Option("--warmup-days", min=0, rich_help_panel=RUN,
                                       help="Days simulated first and left out of the figures (queues fill up).")]
Seed = Annotated[int, typer.Option("--seed", rich_help_panel=RUN, help="Random seed: the same seed, the same "
                                                                        "results.")]
Within = Annotated[float, typer.Option("--within", min=0, rich_help_panel=RUN,
                                       help="Release-time target in hours: the share released within it is "
                                            "reported.")]
AsJson = Annotated[bool, typer.Option("--json", rich_help_panel=RUN, help="Print one JSON object, nothing else.")]


def _reason(exc: ValueError) -> str:
    """A pydantic error in one line, without its URL; any other ValueError as it is."""
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}".lstrip(": ") for e in exc.errors())
    return str(exc)


def _service(spec: str, option: str) -> cap.ServiceTime:
    parts = spec.split(":")
    kind = {"exp": "exponential", "logn": "lognormal"}.get(parts[0].strip().lower(), parts[0].strip().lower())
    try:
        if kind not in ("exponential", "lognormal", "fixed") or not 2 <= len(parts) <= 3:
            raise ValueError("expected DISTRIBUTION:MEAN[:CV]")
        cv = float(parts[2]) if len(parts) == 3 else 1.0
        return cap.ServiceTime(distribution=kind, mean_hours=float(parts[1]), cv=cv)
    except ValueError as exc:
        fail(f"{option} {spec!r}: {_reason(exc)} ({SERVICE_HELP})", 2)


def _shift(text: str) -> tuple[float, float]:
    if text.strip().lower() in ("24h", "24", "0-24"):
        return 0.0, 24.0
    try:
        start, end = (sum(float(x) / 60**i for i, x in enumerate(part.split(":"))) for part in text.split("-"))
    except ValueError:
        fail(f"--shift {text!r}: expected START-END in hours, e.g. 7-19 or 07:30-18:00, or 24h", 2)
    return start, end


def _rates(arrivals: float, profile: str) -> float | tuple[float, ...]:
    if profile == "flat":
        return arrivals
    weights = cap.ARRIVAL_PROFILES.get(profile)
    if weights is None:
        try:
            weights = tuple(float(x) for x in profile.split(","))
        except ValueError:
            fail(f"--profile {profile!r}: 'flat', 'daytime' or 24 comma-separated numbers", 2)
    if len(weights) != 24 or min(weights) < 0 or sum(weights) <= 0:
        fail(f"--profile needs 24 weights >= 0, not all 0; got {len(weights)}", 2)
    return tuple(arrivals * w * 24 / sum(weights) for w in weights)


def _config(arrivals, profile, yellow, red, blue, remote, officers, slots, shift, documentary, on_site,
            remote_time, auto_release) -> cap.CapacityConfig:
    green = round(1 - yellow - red - blue, 12)
    if green < -1e-9:
        fail(f"lane shares: yellow + red + blue = {yellow + red + blue:g} > 1", 2)
    try:
        return cap.CapacityConfig.one_office(
            _rates(arrivals, profile), officers, slots=slots or None, shift=_shift(shift),
            lane_shares={"green": max(green, 0.0), "yellow": yellow, "red": red, "blue": blue},
            remote_share=remote, documentary=_service(documentary, "--documentary"),
            on_site=_service(on_site, "--on-site"), remote=_service(remote_time, "--remote"),
            auto_release_hours=auto_release)
    except ValueError as exc:
        fail(f"bad capacity model: {_reason(exc)}", 2)


def _warn_overload(config: cap.CapacityConfig, shown) -> None:
    for row in cap.offered_load(config).itertuples():
        if row.officer_load >= row.officers:
            shown.print(f"[yellow]warning:[/] the work needs {row.officer_load:.2f} officers on duty on average, "
                        f"{row.officers} are: the queue grows for as long as the run lasts", highlight=False)
        if pd.notna(row.slots) and row.slot_load >= row.slots:
            shown.print(f"[yellow]warning:[/] on-site inspections keep {row.slot_load:.2f} bays busy on average, "
                        f"there are {int(row.slots)}: the queue for bays grows for as long as the run lasts",
                        highlight=False)


def _hours(value: float) -> str:
    if value != value:
        return ""
    return f"{value * 60:.0f} min" if value < 1 else f"{value:,.1f} h"


def _release_table(result: cap.SimulationResult, within: float, title: str) -> Table:
    table = Table(title=title, caption="Release time = hours from lodgement to release; wait = hours before the "
                                       "control starts (queue, bay, shift).")
    for column in ("lane", "mode", "declarations", "mean wait", "median", "p90", f"within {within:g} h"):
        table.add_column(column, justify="left" if column in ("lane", "mode") else "right")
    for row in result.release_times(within).itertuples():
        table.add_row(row.lane, row.mode, f"{row.declarations:,}", _hours(row.mean_wait), _hours(row.median),
                      _hours(row.p90), f"{row.share_within:.1%}")
    return table


def _utilisation_table(result: cap.SimulationResult) -> Table:
    table = Table(title="Utilisation during the shift",
                  caption="Busy hours / (capacity x shift hours); above 100% when controls run past the shift.")
    for column in ("office", "resource", "capacity", "busy hours", "utilisation"):
        table.add_column(column, justify="left" if column in ("office", "resource") else "right")
    for row in result.utilisation.itertuples():
        table.add_row(row.office, row.resource, str(row.capacity), f"{row.busy_hours:,.0f}", f"{row.utilisation:.1%}")
    return table


def _chart(result: cap.SimulationResult, within: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    frame = result.declarations
    controlled = frame[frame["mode"] != "automatic"]
    if controlled.empty:
        fail("--chart: no yellow or red declarations to draw", 1)
    right = max(within * 1.5, float(controlled["release_time_hours"].quantile(0.99)))
    fig, ax = plt.subplots(figsize=(8, 4.5))
    groups = [(f"{lane} {mode}", part) for (lane, mode), part in controlled.groupby(["lane", "mode"])]
    if controlled.loc[controlled["lane"] == "red", "mode"].nunique() > 1:
        groups.append(("red all", controlled[controlled["lane"] == "red"]))
    for label, part in groups:
        times = np.sort(part["release_time_hours"].to_numpy())
        ax.step(np.concatenate([[0], times, [max(right, times[-1])]]),
                np.concatenate([np.arange(len(times) + 1) / len(times), [1.0]]), where="post",
                label=f"{label} ({len(times):,})", linewidth=2 if label.startswith("red") else 1.2)
    ax.axvline(within, color="grey", linestyle="--", linewidth=1, label=f"{within:g} h")
    ax.set(xlim=(0, right), ylim=(0, 1.01), xlabel="hours from lodgement", ylabel="share released",
           title="Share of declarations released within t hours")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


@app.command("simulate")
def simulate_command(
    arrivals: Arrivals = 40.0, profile: Profile = "flat", yellow: Yellow = 0.10, red: Red = 0.05,
    blue: Blue = 0.05, remote: Remote = 0.0, officers: Officers = 3, slots: Slots = 3, shift: Shift = "24h",
    documentary: Documentary = "lognormal:0.2:1.0", on_site: OnSite = "lognormal:1.0:0.5",
    remote_time: RemoteTime = "lognormal:0.4:0.5", auto_release: AutoRelease = 0.0, days: Days = 28,
    warmup: Warmup = 2, seed: Seed = 1, within: Within = 12.0, as_json: AsJson = False,
    chart: Annotated[Path | None, typer.Option("--chart", dir_okay=False, rich_help_panel=RUN,
                                               help="Write a chart of the share released within t hours, by "
                                                    "lane and mode (.png or .svg).")] = None,
    out: Annotated[Path | None, typer.Option("--out", dir_okay=False, rich_help_panel=RUN,
                                             help="Write every simulated declaration (lane, mode, arrival, start, "
                                                  "release, wait, release time) to this CSV.")] = None,
) -> None:
    """Simulate one office and print release times (mean wait, median, p90, share within --within hours) by
    lane and mode, and officer and bay utilisation.

    Declarations arrive as a Poisson stream; green and blue are released at once, yellow waits for an officer,
    red for an officer and (on site) a bay; officers serve first come, first served during their shift.
    Example: smartcustoms capacity simulate --arrivals-per-hour 40 --red-share 0.05 --officers 3 --chart red.png
    """
    if chart is not None and chart.suffix.lower() not in (".png", ".svg"):
        fail("--chart must end in .png or .svg", 2)
    config = _config(arrivals, profile, yellow, red, blue, remote, officers, slots, shift, documentary, on_site,
                     remote_time, auto_release)
    _warn_overload(config, errors if as_json else console)
    result = cap.simulate(config, hours=(days + warmup) * 24, seed=seed, warmup_hours=warmup * 24)
    if out is not None:
        defused(result.declarations).to_csv(out, index=False)
    if chart is not None:
        _chart(result, within, chart)
    if as_json:
        typer.echo(json.dumps({"config": config.model_dump(mode="json"), **result.to_json(within)}, default=str))
        return
    title = (f"Release times: {days:g} days after {warmup:g} days of warm-up, {arrivals:g} declarations/h, "
             f"{officers} officers ({shift}), {slots or 'unlimited'} bays, remote share {remote:.0%}, seed {seed}")
    console.print(_release_table(result, within, title))
    console.print(_utilisation_table(result))
    share = result.share_within(within, lane="red")
    if share == share:
        console.print(f"Red lane: [bold]{share:.1%}[/] released within {within:g} h.")
    for path in (p for p in (out, chart) if p is not None):
        console.print(f"wrote {path}")


@app.command("plan")
def plan_command(
    target: Annotated[float, typer.Option("--target", min=0.01, max=1.0,
                                          help="Share of the lane's declarations to release within --within "
                                               "hours.")] = 0.9,
    vary: Annotated[str, typer.Option("--vary", help="What to search: 'officers' (the smallest number on duty) "
                                                     "or 'remote-share' (the smallest share of red inspections "
                                                     "done remotely, on a grid of --step).")] = "officers",
    lane: Annotated[str, typer.Option("--lane", help="Lane the target is for: red or yellow.")] = "red",
    max_officers: Annotated[int, typer.Option("--max-officers", min=1, help="Give up above this many.")] = 50,
    step: Annotated[float, typer.Option("--step", min=0.01, max=1.0, help="Grid step of the remote share.")] = 0.05,
    runs: Annotated[int, typer.Option("--runs", min=1, rich_help_panel=RUN,
                                      help="Runs per tried value (seeds --seed, --seed+1, ...), pooled; more runs, "
                                           "a steadier answer near the target.")] = 3,
    arrivals: Arrivals = 40.0, profile: Profile = "flat", yellow: Yellow = 0.10, red: Red = 0.05,
    blue: Blue = 0.05, remote: Remote = 0.0, officers: Officers = 3, slots: Slots = 3, shift: Shift = "24h",
    documentary: Documentary = "lognormal:0.2:1.0", on_site: OnSite = "lognormal:1.0:0.5",
    remote_time: RemoteTime = "lognormal:0.4:0.5", auto_release: AutoRelease = 0.0, days: Days = 28,
    warmup: Warmup = 2, seed: Seed = 1, within: Within = 12.0, as_json: AsJson = False,
) -> None:
    """Find the smallest number of officers on duty (--vary officers; --officers is ignored) or the smallest
    remote share of red inspections (--vary remote-share; --remote-share is ignored) that releases --target of
    the lane's declarations within --within hours. Prints every value tried and the answer.

    Every value runs on the same seeds, so two values differ only by the change searched.
    Example: smartcustoms capacity plan --target 0.9 --within 12 --vary officers --shift 7-19 --profile daytime
    """
    if vary not in ("officers", "remote-share"):
        fail("--vary must be 'officers' or 'remote-share'", 2)
    if lane not in ("red", "yellow"):
        fail("--lane must be 'red' or 'yellow' (green and blue are released at once)", 2)
    config = _config(arrivals, profile, yellow, red, blue, remote, officers, slots, shift, documentary, on_site,
                     remote_time, auto_release)
    run = {"target_share": target, "within_hours": within, "lane": lane, "hours": (days + warmup) * 24,
           "warmup_hours": warmup * 24, "seed": seed, "runs": runs}
    shown = errors if as_json else console  # with --json, stdout carries the JSON object only
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=shown, transient=as_json) as progress:
        total = len(cap.remote_share_grid(step)) if vary == "remote-share" else None
        task = progress.add_task(f"simulating {runs} x {days:g} days per value", total=total)

        def advance(row: dict) -> None:
            progress.update(task, advance=1, description=f"{vary} {row['value']:g}: {row['share_within']:.1%} "
                                                         f"within {within:g} h")

        try:
            if vary == "officers":
                plan = cap.officers_needed(config, max_officers=max_officers, on_try=advance, **run)
            else:
                plan = cap.remote_share_needed(config, step=step, on_try=advance, **run)
        except ValueError as exc:
            fail(str(exc), 2)
        progress.update(task, total=progress.tasks[task].completed)
    if as_json:
        typer.echo(json.dumps({"config": config.model_dump(mode="json"), **plan.to_json()}, default=str))
        return
    console.print(_plan_table(plan, vary, days, runs))
    console.print(_answer(plan, vary, officers, remote))


def _plan_table(plan: cap.CapacityPlan, vary: str, days: float, runs: int) -> Table:
    table = Table(title=f"{vary} tried: {plan.lane} lane, target {plan.target_share:.0%} released within "
                        f"{plan.within_hours:g} h ({runs} x {days:g} days each)",
                  caption="worst run = the share in the least favourable of the runs.")
    for column in (vary, f"within {plan.within_hours:g} h", "worst run", "median", "p90", "officers busy",
                   "bays busy", "meets"):
        table.add_column(column, justify="right")
    for row in plan.tried.itertuples():
        value = f"{row.value:.0%}" if vary == "remote-share" else str(int(row.value))
        table.add_row(value, f"{row.share_within:.1%}", f"{row.worst_run:.1%}", _hours(row.median), _hours(row.p90),
                      f"{row.officer_utilisation:.0%}",
                      "" if math.isnan(row.slot_utilisation) else f"{row.slot_utilisation:.0%}",
                      "[green]yes[/]" if row.meets else "[red]no[/]")
    return table


def _answer(plan: cap.CapacityPlan, vary: str, officers: int, remote: float) -> str:
    goal = f"{plan.target_share:.0%} of {plan.lane}-lane declarations within {plan.within_hours:g} h"
    if plan.answer is None:
        return f"[bold red]No answer:[/] {plan.note or 'the target is out of reach'} ({goal})."
    tried = plan.tried.set_index("value")["share_within"]
    if vary == "officers":
        below = tried.get(plan.answer - 1)
        tail = f"; {plan.answer - 1} release {below:.1%}" if below is not None else ""
        return (f"[bold]Answer: {plan.answer} officers[/] on duty release {tried[plan.answer]:.1%} "
                f"(target {goal}){tail}; remote share {remote:.0%}.")
    return (f"[bold]Answer: remote share {plan.answer:.0%}[/] of red inspections releases {tried[plan.answer]:.1%} "
            f"(target {goal}) with {officers} officers on duty.")


@app.command("validate")
def validate_command(
    arrival_rate: Annotated[float, typer.Option("--arrival-rate", min=0, help="lambda: arrivals per hour.")] = 2.0,
    service_rate: Annotated[float, typer.Option("--service-rate", min=0.001,
                                                help="mu: controls per hour by one officer (1 / mean hours).")] = 1.5,
    servers: Annotated[int, typer.Option("--officers", min=1, help="c: officers on duty around the clock.")] = 2,
    hours: Annotated[float, typer.Option("--hours", min=100, help="Hours of arrivals simulated.")] = 50_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 1,
    t: Annotated[float, typer.Option("--t", min=0, help="Hours for P(wait > t) and P(release time > t).")] = 1.0,
    as_json: AsJson = False,
) -> None:
    """Check the simulation against the M/M/c (Erlang C) formulas: one lane, exponential controls, no bays,
    officers around the clock. Prints each figure from the formula and from the simulation, its standard error
    (batch means over 20 spans of the run) and z = (simulated - formula) / standard error; |z| above 3 would
    point to a fault in the simulation.
    """
    try:
        frame = cap.check_against_mmc(arrival_rate, service_rate, servers, hours=hours, seed=seed, t=t)
    except ValueError as exc:
        fail(str(exc), 2)
    if as_json:
        typer.echo(json.dumps(frame.to_dict(orient="records")))
        return
    table = Table(title=f"M/M/{servers}: lambda {arrival_rate:g}/h, mu {service_rate:g}/h, {hours:,.0f} h "
                        f"simulated, seed {seed}")
    for column in ("figure", "Erlang C", "simulated", "std error", "rel. error", "z"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    for row in frame.itertuples():
        table.add_row(row.figure, f"{row.formula:.4f}", f"{row.simulated:.4f}", f"{row.std_error:.4f}",
                      f"{row.relative_error:+.1%}", f"{row.z:+.2f}")
    console.print(table)
