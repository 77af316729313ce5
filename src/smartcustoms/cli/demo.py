"""`smartcustoms demo`: generate a demo world, store it and show what happened."""

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from smartcustoms.cli.common import console, engine
from smartcustoms.cli.intake import run_import
from smartcustoms.cli.world import build_world
from smartcustoms.declarations.repository import count_declarations
from smartcustoms.settings import get_settings
from smartcustoms.store import migrate


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


def demo_command(
    declarations: Annotated[int, typer.Option("--declarations", "-n", min=100, help="Demo world size.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 42,
) -> None:
    """Build the demo: generate a world under var/demo, upgrade the database, import the declarations and
    summarise what was generated and stored."""
    folder = get_settings().var_dir / "demo"
    console.rule("1. synthetic customs world")
    build_world(declarations, seed, folder, drift=False)
    console.rule("2. database")
    e = engine()
    migrate.upgrade(e)
    console.print(f"{get_settings().database_url} at revision {migrate.current(e)}")
    console.rule("3. import")
    run_import(folder / "declarations.csv", "csv", "own", "utf-8-sig", None)
    console.rule("4. summary")
    console.print(world_table(folder))
    stored, items = count_declarations(e)
    console.print(f"database holds {stored:,} declarations with {items:,} goods items")
