"""The `smartcustoms` command."""

import typer

from smartcustoms import __version__
from smartcustoms.cli import (
    audit,
    benchmark,
    capacity,
    control,
    db,
    demo,
    evaluate,
    intake,
    kpi,
    models,
    offices,
    outcomes,
    queries,
    risk,
    serve,
    users,
    world,
)

app = typer.Typer(
    help="smartcustoms: intake, risk assessment, targeting and control of customs declarations.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(db.app, name="db")
app.command("import")(intake.import_command)
app.command("generate")(world.generate_command)
app.command("assess")(risk.assess_command)
app.add_typer(risk.app, name="risk")
app.add_typer(outcomes.app, name="outcomes")
app.add_typer(benchmark.app, name="benchmark")
app.command("evaluate")(evaluate.evaluate_command)
app.add_typer(models.app, name="models")
app.add_typer(control.app, name="control")
app.command("kpi")(kpi.kpi_command)
app.add_typer(queries.documents, name="documents")
app.add_typer(queries.query, name="query")
app.add_typer(audit.app, name="audit")
app.add_typer(capacity.app, name="capacity")
app.command("serve")(serve.serve_command)
app.add_typer(users.app, name="users")
app.add_typer(offices.app, name="offices")
app.command("demo")(demo.demo_command)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)
