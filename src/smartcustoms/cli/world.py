"""`smartcustoms generate`: the synthetic customs world (declarations, historic controls, ground truth)."""

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from smartcustoms.cli.common import console, progress_bar
from smartcustoms.world import WorldConfig, generate, write_world


def build_world(declarations: int, seed: int, out: Path, drift: bool, end: date | None = None) -> None:
    """With `end`, the world's year ends that day (its last declarations the day before)."""
    config = WorldConfig(declarations=declarations, seed=seed, drift=drift)
    config = config.ending(end) if end is not None else config
    with progress_bar() as progress:
        task = progress.add_task(f"generating {declarations:,} declarations", total=None)
        world = generate(config)
        if end is not None:  # controls of the last days that would end after `end` (today) have no outcome yet
            world = replace(world, inspections=world.inspections[
                world.inspections["inspection_date"] < pd.Timestamp(end)].reset_index(drop=True))
        progress.update(task, description="writing files")
        write_world(world, out, progress=lambda step: progress.update(task, description=f"writing {step}"))
        progress.update(task, description=f"world written to {out}", total=1, completed=1)
    console.print(f"{world.truth.shape[0]:,} declarations ({len(world.declarations):,} goods items), "
                  f"{len(world.inspections):,} historic controls -> {out}")


def generate_command(
    declarations: Annotated[int, typer.Option("--declarations", "-n", min=1, help="How many declarations.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same world.")] = 42,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("var/world"),
    drift: Annotated[bool, typer.Option("--drift/--no-drift", help="Fraud moves to new codes and origins over "
                                        "time.")] = False,
) -> None:
    """Generate a synthetic customs world: declarations.csv (+ .parquet), what traders declared;
    inspections.csv, historic controls and outcomes (biased selection plus a random share); truth.csv, the
    fraud type and duty at stake of every declaration, for evaluation only. See docs/synthetic-world.md."""
    build_world(declarations, seed, out, drift)
