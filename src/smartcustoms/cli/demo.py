"""`smartcustoms demo`: generate a demo world, store it and show what happened."""

import json
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from smartcustoms.cli.common import console, engine, frame_table
from smartcustoms.cli.intake import run_import
from smartcustoms.cli.kpi import kpi_command
from smartcustoms.cli.models import train
from smartcustoms.cli.risk import run_assessment
from smartcustoms.cli.serve import serve_command
from smartcustoms.cli.world import build_world
from smartcustoms.control.service.simulation import simulate_audits, simulate_officer_work
from smartcustoms.declarations.service import count_declarations
from smartcustoms.outcomes.service import read_outcomes, store_outcomes
from smartcustoms.risk import service as profile_store
from smartcustoms.risk.service import profile_files
from smartcustoms.settings import get_settings
from smartcustoms.store import migrate
from smartcustoms.web.config import get_web_settings


def world_table(folder: Path) -> Table:
    truth = pd.read_csv(folder / "truth.csv")
    inspections = pd.read_csv(folder / "inspections.csv")
    table = Table(title="Demo world: fraud in the declarations (ground truth)")
    for column in ("fraud type", "declarations", "share", "duty at stake"):
        table.add_column(column, justify="left" if column == "fraud type" else "right")
    for fraud_type, group in truth.groupby("fraud_type"):
        table.add_row(str(fraud_type), f"{len(group):,}", f"{len(group) / len(truth):.2%}",
                      f"{group['duty_at_stake'].sum():,.0f}")
    hits = inspections["result"].eq("discrepancy")
    random = inspections["selection_reason"].eq("random")
    table.caption = (f"historic controls: {len(inspections):,} "
                     f"({len(inspections) / len(truth):.1%} of declarations), "
                     f"hit rate {hits.mean():.1%}; random sample {random.sum():,}, hit rate "
                     f"{hits[random].mean() if random.any() else 0:.1%}")
    return table


def outcome_table(decided: pd.DataFrame, truth: pd.DataFrame) -> Table:
    """What the lanes would have found: the ground truth of the generated world (never seen by the engine)."""
    joined = decided.merge(truth[["declaration_id", "fraud_type", "duty_at_stake"]], on="declaration_id")
    fraud = joined["fraud_type"].ne("none")
    table = Table(title="What the lanes would find (ground truth of the demo world, unseen by the engine)")
    for column in ("declarations", "count", "fraudulent", "duty at stake"):
        table.add_column(column, justify="left" if column == "declarations" else "right")
    groups = {
        "selected by risk (red, yellow)": joined["lane"].isin(["red", "yellow"]) & ~joined["random"],
        "random controls": joined["random"],
        "blue (released, audit later)": joined["lane"].eq("blue"),
        "green (released)": joined["lane"].eq("green"),
        "all assessed": pd.Series(True, index=joined.index),
    }
    for name, mask in groups.items():
        table.add_row(name, f"{mask.sum():,}", f"{fraud[mask].mean() if mask.any() else 0:.1%}",
                      f"{joined.loc[mask, 'duty_at_stake'].sum():,.0f}")
    return table


REMOTE_OFFICES = ("PORT-NORTH",)  # the demo's office that inspects remotely when the reasons allow


def run_controls(e, truth: pd.DataFrame, last, seed: int, evidence: Path, open_from) -> None:
    """The tasks the decisions opened for the red and yellow lanes, worked by simulated officers (some remotely)
    except those of the last days (from `open_from`, left for the officer console), then a round of
    post-clearance audit among the released declarations."""
    work = simulate_officer_work(e, truth, evidence_folder=evidence, seed=seed, until=open_from)
    console.print(frame_table(work.reset_index(), "Controls worked by the (simulated) officers"))
    # a case runs up to 8 days (opened day by day, worked, closed): planned early enough to be closed by today
    cases = simulate_audits(e, truth, capacity_cases=5, at=last - timedelta(days=AUDIT_DAYS), seed=seed)
    console.print(frame_table(cases, "Post-clearance audit cases", ["case_id", "importer_id", "period_start", "state",
                                                                  "declarations", "discrepancies", "duty_recovered",
                                                                  "penalties"]))


AUDIT_DAYS = 10  # the audit round is planned this many days before the world's end
SLOT_DAYS = 14  # traders (and officers for them) can book inspection slots this many days ahead


def bookable_slots(e, declarations: Path, today: datetime) -> int:
    """Inspection slots from today on at every office of the demo world (on site everywhere, remote where the
    offices' reference data says it inspects remotely), so that bookings can be made as in service."""
    from smartcustoms.control import service as control
    from smartcustoms.control.service.simulation import SLOTS
    from smartcustoms.reference.offices import load_offices

    reference = load_offices(get_settings().offices_file)
    offices = sorted(set(pd.read_csv(declarations, usecols=["office_id"])["office_id"]))
    made = 0
    for office in offices:
        known = reference.get(office)
        for mode, shape in SLOTS.items():
            if mode == "remote" and (known is None or "remote" not in known.controls):
                continue
            made += control.add_slots(e, office, mode, today, today + timedelta(days=SLOT_DAYS),
                                         capacity=shape["capacity"], hours=shape["hours"])
    return made


def demo_users(e, at) -> pd.DataFrame:
    """One account per role (password = user name + "-2026"): the trader is the importer with the most open
    tasks, the officer works at the office with the most; the trader gets a valuation query and a document
    request to answer."""
    from smartcustoms.accounts.service import AccountError, create_user, set_password
    from smartcustoms.control.service import QueryError, raise_valuation_query, request_documents, task_frame
    from smartcustoms.declarations.service import load_declarations

    open_tasks = task_frame(e).query("state not in ('released', 'detained', 'seized')")
    headers = load_declarations(e, ids=open_tasks["declaration_id"].tolist()).drop_duplicates("declaration_id")
    open_tasks = open_tasks.merge(headers[["declaration_id", "importer_id"]], on="declaration_id")
    importer = open_tasks["importer_id"].value_counts().index[0] if len(open_tasks) else "IMP000001"
    office = open_tasks["office_id"].value_counts().index[0] if len(open_tasks) else "PORT-NORTH"
    rows = []
    for name, role, scope in (("trader.demo", "trader", {"importers": [importer]}),
                              ("officer.demo", "officer", {"offices": [office]}), ("analyst.demo", "analyst", {}),
                              ("supervisor.demo", "supervisor", {}), ("admin.demo", "admin", {})):
        password = f"{name}-2026"
        try:
            create_user(e, name, password, role, **scope)
        except AccountError:  # the demo ran before: keep the account, reset its password
            set_password(e, name, password)
        rows.append({"user": name, "password": password, "role": role,
                     "bound to": ", ".join(scope.get("importers", []) + scope.get("offices", []))})
    mine = open_tasks[open_tasks["importer_id"] == importer]
    for task in mine[mine["mode"] == "documentary"].head(2).itertuples():
        try:
            request_documents(e, task.declaration_id, ["invoice"], requested_by="officer.demo", task_id=task.task_id,
                              at=at)
            raise_valuation_query(e, task.declaration_id, reasons_to_doubt="the declared unit price is far below "
                                  "the prices of comparable imports", raised_by="officer.demo", task_id=task.task_id,
                                  at=at)
        except QueryError:  # already asked when the demo ran before
            pass
    return pd.DataFrame(rows)


def publish_profiles(folder: Path) -> int:
    """Maker-checker, as in an administration: an analyst commits, a supervisor approves and publishes."""
    e = engine()
    sources = [(path.read_text(encoding="utf-8"), str(path)) for path in profile_files(folder)]
    for profile_id, version in profile_store.commit_sources(e, sources, author="analyst.alice"):
        profile_store.approve(e, profile_id, version, approver="supervisor.bob")
        profile_store.publish(e, profile_id, version, actor="supervisor.bob")
    return len(profile_store.published_profiles(e))


def demo_command(
    declarations: Annotated[int, typer.Option("--declarations", "-n", min=1000, help="Demo world size.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 42,
    profiles: Annotated[Path, typer.Option(help="Risk profiles to publish.")] = Path("profiles"),
    settings: Annotated[Path, typer.Option(help="Risk settings.")] = Path("config/risk.yaml"),
    live_days: Annotated[int, typer.Option(help="The last days of the world are assessed as live traffic.")] = 30,
    end: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="The day the demo world ends (its "
                                                 "last declarations the day before); default today, so that "
                                                 "deadlines, slots and overdue flags show as in service.",
                                                 show_default="today")] = None,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the portal and consoles at the end, "
                                                                   "until stopped (Ctrl+C).")] = True,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
) -> None:
    """Build the demo: generate a world of the year up to today under var/demo, store its declarations and
    historic outcomes, publish the risk profiles (committed by an analyst, approved by a supervisor), assess the
    last month as live traffic, work the controls with simulated officers (the last two days are left for you),
    audit, report the KPIs, register a targeting model, create demo users, and serve the portal and consoles on
    http://127.0.0.1:8000 until stopped."""
    folder = get_settings().var_dir / "demo"
    console.rule("1. synthetic customs world")
    build_world(declarations, seed, folder, drift=False, end=(end or datetime.now()).date())
    console.rule("2. database")
    e = engine()
    migrate.upgrade(e)
    console.print(f"{get_settings().database_url} at revision {migrate.current(e)}")
    console.rule("3. import declarations and historic outcomes")
    run_import(folder / "declarations.csv", "csv", "own", "utf-8-sig", None)
    last = pd.read_csv(folder / "declarations.csv", usecols=["acceptance_datetime"], parse_dates=[0]).max().iloc[0]
    since = (last - pd.Timedelta(days=live_days)).normalize()
    history = read_outcomes(folder / "inspections.csv")
    added = store_outcomes(e, history[history["inspection_date"] < since])
    console.print(f"outcomes: {added:,} historic controls stored (those before {since:%Y-%m-%d}; the live month's "
                  f"controls come from the control chain below)")
    console.rule("4. risk profiles")
    if profiles.is_dir():
        console.print(f"{publish_profiles(profiles)} profiles published from {profiles}/ "
                      "(committed by analyst.alice, approved and published by supervisor.bob)")
    console.rule(f"5. assessment of the last {live_days} days")
    stored, items = count_declarations(e)
    decided = run_assessment(since.to_pydatetime(), settings if settings.exists() else None, top=10, actor="demo",
                             lane_time="lodged", remote_offices=REMOTE_OFFICES)  # replayed as live traffic
    truth = pd.read_csv(folder / "truth.csv")
    console.print(outcome_table(decided, truth))
    console.rule("6. control chain: inspections, remote inspections, post-clearance audit")
    open_from = (last.normalize() - pd.Timedelta(days=1)).to_pydatetime()
    run_controls(e, truth, last.to_pydatetime(), seed, get_settings().var_dir / "evidence", open_from)
    today = pd.Timestamp(end or datetime.now()).normalize().to_pydatetime()
    console.print(f"{bookable_slots(e, folder / 'declarations.csv', today):,} inspection slots added for the "
                  f"next {SLOT_DAYS} days")
    console.rule("7. key performance indicators")
    kpi_command(since=since.to_pydatetime(), charts_dir=folder / "kpi", fmt="png")
    console.rule("8. targeting model registry")
    train(until=since.to_pydatetime(), by="analyst.alice", label="demo")
    console.rule("8b. passengers: flights arriving today")
    from smartcustoms.passengers import service as passengers  # the passenger domain (issue 18)

    seeded = passengers.seed_demo(e, (end or datetime.now()).date())
    console.print(f"{len(seeded['flights'])} flights arriving today imported as PAXLST and PNRGOV, screened: "
                  + ", ".join(f"{s['selected']} of {s['passengers']} selected" for s in seeded["screened"])
                  + " (officer console: /passengers/)")
    console.rule("8c. non-intrusive inspection: scans of controlled containers")
    from smartcustoms.nii import service as nii  # the NII domain (issue 17)

    scanned = nii.seed_demo(e, since=open_from)
    console.print(f"{scanned['scans']} container scans analysed ({scanned['alarms']} alarm(s), "
                  f"{scanned['escalated']} declaration(s) moved to red by a scan); the officer's task pages show "
                  "them (synthetic scans, model trained on synthetic images)")
    console.rule("9. summary")
    console.print(world_table(folder))
    console.print(f"database holds {stored:,} declarations with {items:,} goods items")
    console.print(f"Try: smartcustoms risk replay --profiles {profiles} --from {since:%Y-%m-%d} "
                  f"--to {last:%Y-%m-%d} --settings {settings}")
    console.rule("10. demo users")
    console.print(frame_table(demo_users(e, last.to_pydatetime()), "Sign in with these (demo only)"))
    if serve:  # the server opens the controls of what is lodged through it as the demo did above
        os.environ.setdefault("SMARTCUSTOMS_REMOTE_OFFICES", json.dumps(list(REMOTE_OFFICES)))
        get_web_settings.cache_clear()
        serve_command(host=host, port=port, settings=settings if settings.exists() else None)
