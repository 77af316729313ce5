"""`smartcustoms offices`: the customs offices in force (reference data an administrator keeps)."""

from pathlib import Path
from typing import Annotated

import typer

from smartcustoms.cli.common import console, fail

app = typer.Typer(help="Customs offices: the reference list lodging checks (SMARTCUSTOMS_OFFICES_FILE).",
                  no_args_is_help=True)


@app.command("list")
def list_command() -> None:
    """The offices in force: ID, name, modes of transport cleared, how each inspects, whether it is active."""
    import pandas as pd

    from smartcustoms.cli.common import frame_table
    from smartcustoms.reference.offices import OfficesFileError, load_offices
    from smartcustoms.settings import get_settings

    try:
        offices = load_offices(get_settings().offices_file)
    except OfficesFileError as exc:
        fail(str(exc))
    console.print(frame_table(pd.DataFrame(offices.rows()), f"Customs offices ({offices.source})"))


@app.command("check")
def check_command(path: Annotated[Path, typer.Argument(help="An offices file (YAML) to check before putting it "
                                                            "in force.")]) -> None:
    """Read an offices file as lodging will; exits 1 with the reason when it cannot be used."""
    from smartcustoms.reference.offices import OfficesFileError, load_offices

    try:
        offices = load_offices(path)
    except OfficesFileError as exc:
        fail(str(exc))
    active = sum(1 for row in offices.rows() if row["active"])
    console.print(f"{path}: {len(offices)} offices, {active} active; remote inspection at "
                  f"{', '.join(offices.remote()) or 'none'}")
