"""What every command shares: the settings, the engine, the console and progress bars."""

from contextlib import contextmanager
from datetime import datetime

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from smartcustoms.settings import get_settings
from smartcustoms.store.db import make_engine

console = Console()
errors = Console(stderr=True)


def engine():
    return make_engine(get_settings().database_url)


def fail(message: str, code: int = 1):
    import typer

    errors.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


@contextmanager
def progress_bar():
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=False,
    ) as progress:
        yield progress


def frame_table(frame, title: str, columns: list[str] | None = None, caption: str | None = None):
    """A Rich table of a DataFrame's columns (numbers right-aligned, dates without seconds)."""
    import pandas as pd
    from rich.table import Table

    columns = columns or list(frame.columns)
    table = Table(title=title, caption=caption)
    for name in columns:
        numeric = pd.api.types.is_numeric_dtype(frame[name]) and not pd.api.types.is_bool_dtype(frame[name])
        table.add_column(name.replace("_", " "), justify="right" if numeric else "left")
    for row in frame[columns].itertuples(index=False):
        cells = []
        for value in row:
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                cells.append("")
            elif isinstance(value, float):
                cells.append(f"{value:,.2f}")
            elif isinstance(value, pd.Timestamp | datetime):
                cells.append(f"{pd.Timestamp(value):%Y-%m-%d %H:%M}")
            else:
                cells.append(str(value))
        table.add_row(*cells)
    return table
