"""`smartcustoms trail`: the tamper-evident audit trail of decisions, overrides, task events and outcomes."""

import typer

from smartcustoms.cli.common import console, engine, errors

app = typer.Typer(help="The tamper-evident audit trail: hash chains over decisions, overrides, task events and "
                       "outcomes.", no_args_is_help=True)


@app.command("seal")
def seal_command() -> None:
    """Chain the rows written since the last seal (the server does it every few seconds)."""
    from smartcustoms.trail import service

    added = service.seal(engine())
    console.print(" | ".join(f"{name}: {n} sealed" for name, n in added.items()), highlight=False)


@app.command("verify")
def verify_command() -> None:
    """Check every chain: each row edited, inserted or deleted since it was sealed is named. Exits 1 when one
    is found."""
    from smartcustoms.trail import service

    states = service.verify(engine())
    for state in states:
        mark = "intact" if state.intact else f"{len(state.findings)} problem(s)"
        console.print(f"{state.table}: {state.sealed} sealed, {state.unsealed} not sealed yet, {mark}",
                      highlight=False)
        for finding in state.findings:
            errors.print(f"  {state.table} {finding}", highlight=False)
    if not all(state.intact for state in states):
        raise typer.Exit(1)
