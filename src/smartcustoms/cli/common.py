"""What every command shares: the settings, the engine, the console and progress bars."""

import os
import sys
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

PIPED_WIDTH = 250  # piped or redirected output is read by programs and people copying IDs: never cut at 80


def _console(stderr: bool = False) -> Console:
    """A console as wide as the terminal; when the output goes to a pipe or a file (no COLUMNS set), wide enough
    that tables are not squeezed and IDs never cut."""
    stream = sys.stderr if stderr else sys.stdout
    piped = not (hasattr(stream, "isatty") and stream.isatty()) and not os.environ.get("COLUMNS")
    return Console(stderr=stderr, width=PIPED_WIDTH if piped else None)


console = _console()
errors = _console(stderr=True)


def is_id(column: str) -> bool:
    """Columns that hold identifiers users pass to other commands (declaration_id, task_id, office, ...)."""
    name = column.lower().replace(" ", "_")
    return name.endswith(("_id", "id", "office", "importer", "declarant", "user", "username")) or name == "id"


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
        if is_id(name):  # never cut nor folded: the other columns wrap first
            longest = max([len(str(v)) for v in frame[name].tolist()] + [len(name)], default=len(name))
            table.add_column(name.replace("_", " "), justify="left", no_wrap=True, min_width=longest)
        else:
            table.add_column(name.replace("_", " "), justify="right" if numeric else "left", overflow="fold")
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
