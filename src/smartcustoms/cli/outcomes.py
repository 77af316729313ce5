"""`smartcustoms outcomes`: load control outcomes, the labels that risk profiles and models learn from."""

from pathlib import Path
from typing import Annotated

import typer

from smartcustoms.cli.common import console, engine, fail
from smartcustoms.declarations.service import IntakeError
from smartcustoms.outcomes.service import read_outcomes, store_outcomes

app = typer.Typer(help="Control outcomes (inspection results).", no_args_is_help=True)


@app.command("import")
def import_outcomes(
    file: Annotated[Path, typer.Argument(help="CSV with declaration_id, inspection_date, control_type, "
                                         "selection_reason, result, infringement, duty_recovered.",
                                         exists=True, dir_okay=False)],
) -> None:
    """Import control outcomes (e.g. inspections.csv of a generated world). Outcomes already stored are
    skipped; a bad row stops the import before anything is stored."""
    try:
        frame = read_outcomes(file)
    except IntakeError as exc:
        fail(f"{exc}. Nothing was imported.", 2)
    added = store_outcomes(engine(), frame)
    console.print(f"outcomes: {added:,} imported, {len(frame) - added:,} already stored")
