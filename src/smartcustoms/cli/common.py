"""What every command shares: the settings, the engine, the console and progress bars."""

from contextlib import contextmanager

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
