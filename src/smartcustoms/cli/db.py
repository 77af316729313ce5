"""`smartcustoms db`: create and upgrade the database schema."""

import typer

from smartcustoms.cli.common import console, engine
from smartcustoms.settings import get_settings
from smartcustoms.store import migrate

app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Create or upgrade the schema of SMARTCUSTOMS_DATABASE_URL (default: SQLite file var/smartcustoms.db)."""
    migrate.upgrade(engine(), revision)
    console.print(f"database {get_settings().database_url} at revision {migrate.current(engine())}")


@app.command()
def current() -> None:
    """Show the schema revision of the database and the newest one this version knows."""
    e = engine()
    console.print(f"current: {migrate.current(e) or 'empty database'}  head: {migrate.head(e)}")
